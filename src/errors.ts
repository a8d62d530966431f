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
