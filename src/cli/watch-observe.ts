/** Starts the metrics/health endpoints for `watch` (observe/), or nothing with --metrics-addr off. */
import type { Logger } from 'pino';
import type { Keyring } from '../keys/keyring.js';
import type { PipelineObserver } from '../pipeline/observer.js';

export interface Observability {
  observer: PipelineObserver;
  close(): Promise<void>;
}

export function startObservability(
  addr: string,
  _keyring: Keyring,
  _log: Logger,
): Promise<Observability | undefined> {
  if (addr === 'off') return Promise.resolve(undefined);
  return Promise.resolve(undefined); // wired to src/observe/server.ts once it exists
}
