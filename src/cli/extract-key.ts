import { Command } from 'commander';
import { open } from 'node:fs/promises';
import { UserError } from '../errors.js';
import { readHeaderFrom } from '../files/authenticate.js';
import type { ParsedHeader } from '../format/header.js';
import { chooseSets } from '../store/choose.js';
import { MANIFEST_FILE } from '../store/names.js';
import { openStore } from '../store/open.js';
import { readStoredHeader } from '../store/sealed-set.js';

/** Reads a header from a single encrypted file (NAME.sg or manifest.sgm) on disk. */
async function headerOfFile(path: string): Promise<ParsedHeader> {
  return readHeaderFrom(async function* (start) {
    const fh = await open(path, 'r').catch(() => {
      throw new UserError(`cannot open ${path}`);
    });
    try {
      for await (const c of fh.createReadStream({ start })) yield c as Buffer;
    } finally {
      await fh.close();
    }
  }, path);
}

/**
 * Break-glass: writes one wrapped copy of a set's data key, exactly as stored in the header. For the
 * `age` provider that is a standard age file: `age -d -i IDENTITY` of it prints the 32-byte data key.
 */
export function extractKeyCommand(): Command {
  return new Command('extract-key')
    .description(
      "write a set's wrapped data key as stored (for --provider age: a standard age file that `age -d -i IDENTITY` opens); needs no key",
    )
    .argument('[file]', 'an encrypted file (NAME.sg or manifest.sgm) instead of --from')
    .option('--from <dir>', 'directory holding the sealed sets (the --out of watch)')
    .option('--set <id>', 'the set (ids are shown by `snapshot-guard list`)')
    .option('--latest', 'the newest set (the default)')
    .option('--provider <name>', 'which wrapped copy: age, local, kms, vault', 'age')
    .option('--key-id <id>', 'which copy, when the set has several of that provider (as `list` shows)')
    .action(async (file: string | undefined, opts: Record<string, unknown>) => {
      let header: ParsedHeader;
      if (file !== undefined) header = await headerOfFile(file);
      else {
        if (typeof opts.from !== 'string') throw new UserError('pass --from DIR (and --set ID) or a FILE', 2);
        const store = await openStore(opts.from, '--from');
        const [id] = await chooseSets(
          store,
          { set: opts.set as string | undefined, latest: opts.latest as boolean },
          'latest',
        );
        header = await readStoredHeader(store, id ?? '', MANIFEST_FILE);
      }
      const copies = header.wrappedKeys.filter(
        (w) => w.provider === opts.provider && (opts.keyId === undefined || w.keyId === opts.keyId),
      );
      const all = header.wrappedKeys.map((w) => `${w.provider}:${w.keyId}`).join(', ');
      const [copy] = copies;
      if (!copy) throw new UserError(`no ${String(opts.provider)} copy of the data key here; it has ${all}`);
      if (copies.length > 1)
        throw new UserError(`several ${String(opts.provider)} copies (${all}): choose one with --key-id`, 2);
      if (process.stdout.isTTY)
        throw new UserError('refusing to write binary to a terminal: redirect it, e.g. > wrapped.age', 2);
      process.stdout.write(copy.blob);
    });
}
