/**
 * Key-provider flags shared by every subcommand that wraps or unwraps data keys. Each provider module
 * contributes a ProviderFactory; subcommands call addKeyOptions() and keyringFromOptions().
 */
import { Option, type Command } from 'commander';
import { UserError } from '../errors.js';
import { Keyring } from './keyring.js';
import { LocalKeyProvider } from './local.js';
import type { KeyProvider } from './provider.js';
import { kmsFactory } from './kms.js';
import { vaultFactory } from './vault.js';

export type ParsedOptions = Record<string, unknown>;

export interface ProviderFactory {
  /** Adds this provider's flags to a subcommand. */
  addOptions(cmd: Command): void;
  /** Providers configured by the parsed flags (an empty list when this provider is not used). */
  fromOptions(opts: ParsedOptions): Promise<KeyProvider[]>;
  /** Prefix of a key spec such as "file:/etc/sg/key" (used by rewrap --to-key). */
  readonly specPrefix: string;
  /** Builds one provider from the part of a key spec after "prefix:", using the other flags for connection settings. */
  fromSpec(value: string, opts: ParsedOptions): Promise<KeyProvider>;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export const localFactory: ProviderFactory = {
  specPrefix: 'file',
  addOptions(cmd) {
    cmd.addOption(
      new Option('--key-file <path>', 'local key file made by `snapshot-guard keygen` (repeatable)')
        .env('SNAPSHOT_GUARD_KEY_FILE')
        .argParser(collect),
    );
  },
  async fromOptions(opts) {
    const raw = opts.keyFile;
    const paths = Array.isArray(raw) ? (raw as string[]) : typeof raw === 'string' ? [raw] : [];
    return Promise.all(paths.map((p) => LocalKeyProvider.fromFile(p)));
  },
  fromSpec(value) {
    return LocalKeyProvider.fromFile(value);
  },
};

/** Registered providers, in the order their wrapped copies appear in headers. */
export const providerFactories: ProviderFactory[] = [localFactory, kmsFactory, vaultFactory];

export function addKeyOptions(cmd: Command): Command {
  for (const f of providerFactories) f.addOptions(cmd);
  return cmd;
}

export async function keyringFromOptions(opts: ParsedOptions): Promise<Keyring> {
  const providers: KeyProvider[] = [];
  for (const f of providerFactories) providers.push(...(await f.fromOptions(opts)));
  if (providers.length === 0) {
    throw new UserError(
      'no key configured: pass --key-file PATH (create one with `snapshot-guard keygen --out PATH`), --kms-key-id or --vault-key',
    );
  }
  return new Keyring(providers);
}

/** Builds providers from specs like "file:/path", "kms:alias/x", "vault:name". */
export async function providersFromSpecs(specs: string[], opts: ParsedOptions): Promise<KeyProvider[]> {
  const out: KeyProvider[] = [];
  for (const spec of specs) {
    const i = spec.indexOf(':');
    const prefix = i > 0 ? spec.slice(0, i) : '';
    const factory = providerFactories.find((f) => f.specPrefix === prefix);
    if (!factory) {
      const known = providerFactories.map((f) => `${f.specPrefix}:…`).join(', ');
      throw new UserError(`key spec "${spec}" is not understood; use one of ${known}`, 2);
    }
    out.push(await factory.fromSpec(spec.slice(i + 1), opts));
  }
  return out;
}
