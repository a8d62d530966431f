/**
 * The options of a bucket store (--out / --from s3://BUCKET/PREFIX), defined once and added to each
 * command with one call. A local directory ignores them.
 */
import { Option, type Command } from 'commander';
import type { ObjectLockMode, S3Settings } from '../store/s3/settings.js';
import { parseIntegerIn } from './common.js';

/** Adds the S3 options; `write` adds Object Lock retention (watch, rewrap). */
export function addS3Options(cmd: Command, { write = false } = {}): Command {
  cmd
    .addOption(new Option('--s3-region <region>', 'S3 region (default: AWS_REGION or the profile)'))
    .addOption(
      new Option(
        '--s3-endpoint <url>',
        'S3 endpoint of an S3-compatible store (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)',
      ),
    )
    .addOption(
      new Option(
        '--s3-force-path-style',
        'address buckets as ENDPOINT/BUCKET (S3-compatible stores; env SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE=true)',
      ),
    );
  if (!cmd.options.some((o) => o.long === '--instance')) {
    cmd.addOption(
      new Option(
        '--instance <name>',
        'in a bucket shared by several instances, whose sets to use (default: the only one there)',
      ).env('SNAPSHOT_GUARD_INSTANCE'),
    );
  }
  if (write) {
    cmd
      .addOption(
        new Option(
          '--object-lock-days <n>',
          'S3 Object Lock: keep every object of a set for N days',
        ).argParser(parseIntegerIn('--object-lock-days', 1, 36_500)),
      )
      .addOption(
        new Option('--object-lock-mode <mode>', 'S3 Object Lock mode (compliance: nobody can shorten it)')
          .choices(['governance', 'compliance'])
          .default('governance'),
      );
  }
  return cmd;
}

/** The S3 settings from parsed options (flags > environment > SDK defaults). */
export function s3SettingsFrom(opts: Record<string, unknown>): S3Settings {
  const s: S3Settings = {
    forcePathStyle:
      Boolean(opts.s3ForcePathStyle) || process.env.SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE === 'true',
  };
  if (typeof opts.s3Region === 'string') s.region = opts.s3Region;
  if (typeof opts.s3Endpoint === 'string') s.endpoint = opts.s3Endpoint;
  if (typeof opts.instance === 'string') s.instance = opts.instance;
  if (typeof opts.objectLockDays === 'number') {
    s.objectLockDays = opts.objectLockDays;
    s.objectLockMode = (
      typeof opts.objectLockMode === 'string' ? opts.objectLockMode : 'governance'
    ).toUpperCase() as ObjectLockMode;
  }
  return s;
}
