import { existsSync } from 'node:fs';

/**
 * Errors a user can cause or fix. The CLI prints `message` as one line and exits with `exitCode`;
 * anything that is not a UserError is a bug and is reported with its stack at debug level.
 */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UserError';
  }
}

/** Authentication or structure failure of encrypted data: never release plaintext after one. */
export class IntegrityError extends UserError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, 3, options);
    this.name = 'IntegrityError';
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** The errno code of a Node.js system error, if any (ENOENT, ENOSPC, ...). */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const code: unknown = err.code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** The path a Node.js file-system error is about (its `path`, or `dest` for rename/link), if any. */
export function errnoPath(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const p = 'path' in err ? err.path : undefined;
  return typeof p === 'string' ? p : undefined;
}

/**
 * One line for a file-system error on `path`: what is wrong there and what to do, never a bare code
 * such as ENOENT. `doing` is what was tried ("read", "write", "create"). Undefined for other errors.
 */
export function fileSystemProblem(err: unknown, path: string, doing: string): string | undefined {
  const code = errnoCode(err);
  const parent = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) || '/' : '.';
  switch (code) {
    case 'ENOENT':
      if (doing.startsWith('read')) return `${path} does not exist; check the path`;
      // /proc and /sys answer ENOENT to creating a file although the directory exists.
      return existsSync(parent)
        ? `cannot ${doing} ${path}: ${parent} does not accept new files (a kernel file system such as /proc?); choose another path`
        : `cannot ${doing} ${path}: the directory ${parent} does not exist; create it first or choose another path`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied: cannot ${doing} ${path}; check its owner and mode (ls -l ${doing.startsWith('read') ? path : parent}) or run as a user who may`;
    case 'EROFS':
      return `cannot ${doing} ${path}: the file system is read-only; choose a writable place`;
    case 'ENOSPC':
    case 'EDQUOT':
      return `no space left on the device holding ${path}; free some space and run again`;
    case 'EISDIR':
      return `${path} is a directory, not a file; name a file`;
    case 'ENOTDIR':
      return `cannot ${doing} ${path}: a part of that path is a file, not a directory`;
    case 'ELOOP':
      return `${path} is a symbolic link; refusing to follow it (name the real file)`;
    case 'ENAMETOOLONG':
      return `cannot ${doing} ${path}: the name is too long for the file system`;
    case 'EEXIST':
      return `${path} already exists; choose another name or remove it`;
    case 'EMFILE':
    case 'ENFILE':
      return `too many open files while trying to ${doing} ${path}; raise the limit (ulimit -n, or LimitNOFILE= in the systemd unit)`;
    case 'EIO':
      return `input/output error on ${path}; the disk may be failing (see dmesg)`;
    default:
      return undefined;
  }
}

/**
 * A key file that does not exist. Its fix depends on the command: a new key (keygen) can seal new data
 * but can never open data sealed before, so commands that open sealed data must not suggest it.
 */
export class MissingKeyFileError extends UserError {
  constructor(readonly path: string) {
    super(`key file ${path} does not exist; create one with: snapshot-guard keygen --out ${path}`);
    this.name = 'MissingKeyFileError';
  }

  /** The message for a command that opens data sealed earlier (restore, decrypt, verify, rewrap, …). */
  forOpening(): string {
    return `key file ${this.path} does not exist; pass the key file the data was sealed with (a new key from keygen can never open it)`;
  }
}
