import type { Command } from 'commander';
import { resolve } from 'node:path';
import { keyringFromSettings } from '../keys/registry.js';
import {
  decryptOpened,
  fileError,
  openEncrypted,
  openEncryptedPath,
  unwrapFileKey,
  type OpenedEncrypted,
} from '../files/encrypted-file.js';
import { regularFileSize, removeIfExists, tempPathFor, writeNewFile } from '../io/durable.js';
import { decryptPathParallel, threadsFor } from '../parallel/parallel-file.js';
import type { Keyring } from '../keys/keyring.js';
import { releaseWhenAuthenticated, writeInOrder } from '../restore/plaintext-spool.js';
import type { FileHandle } from 'node:fs/promises';
import { publishFile } from './publish.js';
import { coalesce } from '../io/coalesce.js';
import { commandWithSettings, onSettings } from './options.js';
import { IntegrityError, UserError, errnoPath, fileSystemProblem } from '../errors.js';

/** stdin is read in chunks of this size (io/coalesce.ts). */
const STDIN_CHUNK = 1024 * 1024;

export function decryptCommand(): Command {
  const cmd = commandWithSettings(
    'decrypt',
    'decrypt and authenticate one encrypted file; output appears only if every byte verified',
  ).argument('<in>', 'encrypted file, or - for stdin (then -o must be a file)');
  return onSettings(cmd, 'decrypt', async (opts, [input = '-']) => {
    const out = opts.output;
    if (input === '-' && out === '-') {
      throw new UserError(
        'decrypt cannot stream stdin to stdout: plaintext may only be released after the whole input authenticated; write to a file with -o',
        2,
      );
    }
    if (input !== '-' && out !== '-' && resolve(input) === resolve(out)) {
      throw new UserError('input and output are the same file; choose another -o', 2);
    }
    const keyring = await keyringFromSettings(opts);
    keyring.assertCanOpen('decrypt');
    try {
      const opened =
        input === '-'
          ? await openEncrypted(coalesce(process.stdin, STDIN_CHUNK), 'stdin')
          : await openEncryptedPath(input);
      // A regular file is decrypted segment by segment at offsets, into one reused buffer (as in encrypt.ts).
      const size = input === '-' ? undefined : await regularFileSize(input);
      const threads = size === undefined ? 1 : threadsFor(size, opts.threads);
      if (out === '-') {
        // One read into a private spool; stdout gets the bytes only after every segment verified.
        const fill = (spool: FileHandle) =>
          size !== undefined
            ? decryptInParallel(opened, input, spool, threads, keyring)
            : decryptPass(opened, input, (p) => writeInOrder(p)(spool), keyring);
        await releaseWhenAuthenticated(fill, process.stdout);
        return;
      }
      const tmp = tempPathFor(resolve(out));
      try {
        if (size !== undefined) await decryptInParallel(opened, input, tmp, threads, keyring);
        else await decryptPass(opened, input, (p) => writeNewFile(tmp, p).then(() => undefined), keyring);
      } catch (err) {
        await removeIfExists(tmp);
        if (err instanceof IntegrityError) throw err;
        if (errnoPath(err) === tmp) throw new UserError(fileSystemProblem(err, out, 'write') ?? String(err));
        throw fileError(err, input, 'read');
      }
      await publishFile(tmp, out, opts.force);
    } finally {
      await keyring.close();
    }
  });
}

async function decryptInParallel(
  opened: OpenedEncrypted,
  input: string,
  into: string | FileHandle,
  threads: number,
  keyring: Keyring,
): Promise<void> {
  await opened.reader.close(); // the threads read the file themselves
  const dataKey = await unwrapFileKey(opened.header, keyring, input);
  try {
    await decryptPathParallel(input, opened.header, dataKey, into, { threads, what: input, shareMain: true });
  } finally {
    dataKey.fill(0);
  }
}

async function decryptPass(
  opened: OpenedEncrypted,
  what: string,
  consume: (plaintext: AsyncGenerator<Buffer>) => Promise<void>,
  keyring: Keyring,
): Promise<void> {
  const { dataKey, plaintext } = await decryptOpened(opened, keyring, what);
  try {
    await consume(plaintext);
  } finally {
    dataKey.fill(0);
    await opened.reader.close();
  }
}
