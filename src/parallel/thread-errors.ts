/** Errors cross the thread boundary as data; these keep the classes and errno codes callers test for. */
import { IntegrityError, UserError } from '../errors.js';
import {
  SnapshotUnreadableError,
  SourceChangedError,
  type UnreadableReason,
} from '../snapshots/source-changed.js';
import { StoppedError } from './ordered-writes.js';

export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  exitCode?: number;
  reason?: string;
  stack?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const e = err as Error & { code?: unknown; exitCode?: unknown; reason?: unknown };
  return {
    name: e.name,
    message: e.message,
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.exitCode === 'number' ? { exitCode: e.exitCode } : {}),
    ...(typeof e.reason === 'string' ? { reason: e.reason } : {}),
    ...(e.stack ? { stack: e.stack } : {}),
  };
}

export function deserializeError(s: SerializedError): Error {
  let err: Error;
  if (s.name === 'SourceChangedError') err = new SourceChangedError(s.message);
  else if (s.name === 'SnapshotUnreadableError')
    err = new SnapshotUnreadableError(s.message, (s.reason ?? 'io') as UnreadableReason);
  else if (s.name === 'IntegrityError') err = new IntegrityError(s.message);
  else if (s.name === 'UserError') err = new UserError(s.message, s.exitCode ?? 1);
  else if (s.name === 'StoppedError') err = new StoppedError(s.message);
  else err = new Error(s.message);
  if (s.code) Object.assign(err, { code: s.code });
  if (s.stack) err.stack = s.stack;
  return err;
}
