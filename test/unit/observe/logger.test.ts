/**
 * Secrets never reach the log: the real logger from createLogger(), in JSON and pretty mode, with its
 * output captured where it really goes (file descriptor 1, written synchronously by pino's sonic-boom).
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../../src/observe/logger.js';

const SECRETS = {
  token: 'hvs.TOKEN-top-level',
  password: 'pw-top-level',
  dataKey: 'dk-top-level-0123456789abcdef',
};

/** Runs `log` while collecting everything written to fd 1; other writes pass through untouched. */
function captureStdout(log: () => void): string {
  const chunks: string[] = [];
  const original = fs.writeSync;
  const capture = (fd: number, data: unknown, ...rest: unknown[]): number => {
    if (fd !== 1) return (original as (...a: unknown[]) => number)(fd, data, ...rest);
    const text = typeof data === 'string' ? data : Buffer.from(data as Uint8Array).toString('utf8');
    chunks.push(text);
    return Buffer.byteLength(text);
  };
  fs.writeSync = capture;
  try {
    log();
  } finally {
    fs.writeSync = original;
  }
  return chunks.join('');
}

function logSecrets(logger: Logger): void {
  logger.info(
    {
      ...SECRETS,
      vault: { token: 'hvs.TOKEN-nested', secretId: 'approle-secret-id' },
      kms: { dataKey: 'dk-nested', plaintext: 'plaintext-key-bytes' },
      request: { headers: { authorization: 'Bearer abc.def.ghi' } },
      setId: '20261123T174000.000Z_dump',
    },
    'sealed a set',
  );
}

describe('createLogger redaction', () => {
  it('censors token, password, dataKey (top level and nested) in JSON lines', () => {
    const out = captureStdout(() => logSecrets(createLogger('info', false)));
    const line = JSON.parse(out.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({
      msg: 'sealed a set',
      token: '[redacted]',
      password: '[redacted]',
      dataKey: '[redacted]',
      vault: { token: '[redacted]', secretId: '[redacted]' },
      kms: { dataKey: '[redacted]', plaintext: '[redacted]' },
      request: { headers: { authorization: '[redacted]' } },
      setId: '20261123T174000.000Z_dump', // not a secret: kept
      name: 'snapshot-guard',
    });
    for (const secret of [
      ...Object.values(SECRETS),
      'hvs.TOKEN-nested',
      'approle-secret-id',
      'dk-nested',
      'plaintext-key-bytes',
      'abc.def.ghi',
    ]) {
      expect(out).not.toContain(secret);
    }
  });

  it('censors them in pretty (terminal) output too', () => {
    const out = captureStdout(() => logSecrets(createLogger('info', true)));
    expect(out).toContain('sealed a set');
    expect(out).toContain('[redacted]');
    for (const secret of [...Object.values(SECRETS), 'hvs.TOKEN-nested', 'dk-nested', 'abc.def.ghi']) {
      expect(out).not.toContain(secret);
    }
  });

  it('writes nothing below the configured level', () => {
    const out = captureStdout(() => createLogger('warn', false).info({ token: 'x' }, 'quiet'));
    expect(out).toBe('');
  });
});

describe('NO_COLOR', () => {
  const ESC = '\u001b[';
  it('turns off the colours of terminal output', () => {
    const previous = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      expect(captureStdout(() => createLogger('info', true).error('coloured'))).toContain(ESC);
      process.env.NO_COLOR = '1';
      const out = captureStdout(() => createLogger('info', true).error('plain'));
      expect(out).toContain('plain');
      expect(out).not.toContain(ESC);
    } finally {
      if (previous === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = previous;
    }
  });
});
