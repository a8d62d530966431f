/**
 * What `--help` shows besides the flags: the essentials first, the key-provider and object-storage
 * flags in their own sections, required flags marked, and examples an SRE can paste.
 */
import type { CommandName } from '../config/setting.js';
import { KEY_SETTINGS } from '../config/key-settings.js';

const STORE_FLAGS = new Set([
  's3-region',
  's3-endpoint',
  's3-force-path-style',
  'object-lock-days',
  'object-lock-mode',
  's3-verify',
]);

/** The help section a flag belongs to (undefined: the command's own options, shown first). */
export function helpGroupOf(key: string): string | undefined {
  if (key in KEY_SETTINGS)
    return 'Key providers (at least one; several = several wrapped copies, any can restore):';
  if (STORE_FLAGS.has(key)) return 'Object storage (for s3://BUCKET/PREFIX stores):';
  return undefined;
}

const EXAMPLES: Partial<Record<CommandName, string[]>> = {
  watch: [
    'snapshot-guard watch --dir /var/lib/dragonfly --out /var/lib/snapshot-guard/sealed --key-file /etc/snapshot-guard/local.key',
    'snapshot-guard watch --config /etc/snapshot-guard/snapshot-guard.yaml',
    'snapshot-guard watch --dir /data --out s3://backups/dragonfly --kms-key-id alias/snapshots --keep-within 7d',
    'snapshot-guard watch --dir /var/lib/dragonfly --out /var/lib/snapshot-guard/sealed --copy-to s3://dr-backups/dragonfly --key-file KEY',
  ],
  restore: [
    'snapshot-guard restore --from /var/lib/snapshot-guard/sealed --latest --to /var/lib/dragonfly --key-file /etc/snapshot-guard/local.key',
    'snapshot-guard restore --from s3://backups/dragonfly --latest --if-empty --max-age 2h --to /data --owner dragonfly:dragonfly --kms-key-id alias/snapshots',
    'snapshot-guard restore --from /var/lib/snapshot-guard/sealed --set 20261123T174005.123Z_dump --to /tmp/inspect --key-file KEY',
  ],
  verify: [
    'snapshot-guard verify --from /var/lib/snapshot-guard/sealed --all --key-file /etc/snapshot-guard/local.key',
  ],
  list: [
    'snapshot-guard list --from /var/lib/snapshot-guard/sealed',
    'snapshot-guard list --from s3://backups/dragonfly --json',
  ],
  rewrap: [
    'snapshot-guard rewrap --from /var/lib/snapshot-guard/sealed --all --key-file OLD.key --to-key kms:alias/snapshots --drop-key file:OLD.key',
  ],
  doctor: [
    'snapshot-guard doctor --dir /var/lib/dragonfly --out /var/lib/snapshot-guard/sealed --key-file /etc/snapshot-guard/local.key',
  ],
  encrypt: ['snapshot-guard encrypt dump.rdb -o dump.rdb.sg --key-file KEY'],
  decrypt: [
    'snapshot-guard decrypt dump.rdb.sg -o dump.rdb --key-file KEY',
    'snapshot-guard decrypt dump.rdb.sg -o - --key-file KEY | redis-check-rdb /dev/stdin',
  ],
  audit: ['snapshot-guard audit --flagfile /etc/dragonfly/dragonfly.conf --dir /var/lib/dragonfly --rpo 5m'],
};

export function examplesFor(name: CommandName): string | undefined {
  const list = EXAMPLES[name];
  return list ? `\nExamples:\n${list.map((e) => `  $ ${e}`).join('\n')}\n` : undefined;
}
