import { hostname } from 'node:os';
import type { Command } from 'commander';
import { basename, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { keyringFromSettings } from '../keys/registry.js';
import { encryptToNewFile, fileError } from '../files/encrypted-file.js';
import { commandWithSettings, onSettings } from './options.js';
import { readChunks, tempPathFor, removeIfExists } from '../io/durable.js';
import { publishFile } from './publish.js';
import { encryptFile } from '../format/file.js';
import { FORMAT_VERSION } from '../format/limits.js';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { UserError, errnoPath, fileSystemProblem } from '../errors.js';
import { encryptPathParallel, threadsFor } from '../parallel/parallel-file.js';
import { regularFileSize } from '../io/durable.js';
import { collectingAsYouGo } from '../io/young-garbage.js';

async function regularSizeOrRaise(path: string): Promise<number | undefined> {
  try {
    return await regularFileSize(path);
  } catch (err) {
    throw fileError(err, path, 'read');
  }
}

export function encryptCommand(): Command {
  const cmd = commandWithSettings(
    'encrypt',
    'encrypt one file (or stdin) into the snapshot-guard format',
  ).argument('<in>', 'plaintext file, or - for stdin');
  return onSettings(cmd, 'encrypt', async (opts, [input = '-']) => {
    const out = opts.output;
    const keyring = await keyringFromSettings(opts);
    const fileName = input === '-' ? 'stdin' : basename(input);
    const createdAtMs = Date.now();
    const setId = `oneshot-${createdAtMs}-${randomBytes(4).toString('hex')}`;
    const context = { instance: opts.instance ?? hostname(), setId, fileName, createdAtMs };
    const { plaintext: dataKey, wrapped } = await keyring.newDataKey({ instance: context.instance, setId });
    try {
      // Opened lazily: the parallel path reads the file itself.
      const source = input === '-' ? process.stdin : readChunks(input);
      const target = { context, dataKey, wrappedKeys: wrapped, segmentSize: opts.segmentSize };
      // A regular file is read at offsets, segment by segment, into one reused buffer (by worker threads
      // too when it is large): flat memory, where the streaming path's buffers pile up until V8 collects
      // them (1 GiB with --threads 1: 71 MiB peak instead of 156). A pipe or device is streamed.
      const size = input === '-' ? undefined : await regularSizeOrRaise(input);
      const threads = size === undefined ? 1 : threadsFor(size, opts.threads);
      if (out === '-') {
        const header = {
          version: FORMAT_VERSION,
          segmentSize: target.segmentSize,
          context,
          wrappedKeys: wrapped,
        };
        const toStdout =
          threads > 1
            ? // The threads write to fd 1 themselves, in turns; process.stdout is never opened (its
              // stream would set the pipe non-blocking, and each batch would pass through this thread).
              encryptPathParallel(input, { fd: 1 }, target, { threads, shareMain: true })
            : pipeline(
                Readable.from(collectingAsYouGo(encryptFile(source, header, dataKey))),
                process.stdout,
              );
        await toStdout.catch((err: unknown) => {
          throw fileError(err, input, 'read');
        });
        return;
      }
      if (input !== '-' && resolve(input) === resolve(out)) {
        throw new UserError('input and output are the same file; choose another -o', 2);
      }
      const tmp = tempPathFor(resolve(out));
      try {
        if (size !== undefined) await encryptPathParallel(input, tmp, target, { threads, shareMain: true });
        else await encryptToNewFile(source, tmp, target, { digest: false }); // no manifest: no digest needed
      } catch (err) {
        await removeIfExists(tmp);
        // The temporary output's errors concern -o (a missing directory, no space), not the input.
        if (errnoPath(err) === tmp) throw new UserError(fileSystemProblem(err, out, 'write') ?? String(err));
        throw fileError(err, input, 'read');
      }
      await publishFile(tmp, out, opts.force);
    } finally {
      dataKey.fill(0);
      await keyring.close();
    }
  });
}
