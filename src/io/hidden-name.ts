/**
 * Hidden working names beside a file (".NAME.sg-tmp-…", ".NAME.sg-shred", "deleting-ID"): they must
 * fit the 255-byte name limit of ext4, XFS, btrfs and tmpfs even when NAME itself is at that limit (a
 * 252-byte snapshot name and a 255-byte set id are valid), or sealing, shredding or retention fails
 * with ENAMETOOLONG on a snapshot it has already accepted.
 */
import { createHash } from 'node:crypto';

export const NAME_MAX = 255;

/** The longest start of `s` that fits `maxBytes` in UTF-8, cut between characters. */
function utf8Prefix(s: string, maxBytes: number): string {
  let used = 0;
  let end = 0;
  for (const ch of s) {
    used += Buffer.byteLength(ch, 'utf8');
    if (used > maxBytes) break;
    end += ch.length;
  }
  return s.slice(0, end);
}

/**
 * `prefix + name + suffix`, or, when that is too long, `name` cut short and followed by "~" and 8 hex
 * digits of its SHA-256, so two long names that share a start still get different working names.
 */
export function workingName(prefix: string, name: string, suffix: string): string {
  const whole = `${prefix}${name}${suffix}`;
  if (Buffer.byteLength(whole, 'utf8') <= NAME_MAX) return whole;
  const tag = `~${createHash('sha256').update(name).digest('hex').slice(0, 8)}`;
  const room = NAME_MAX - Buffer.byteLength(prefix + tag + suffix, 'utf8');
  return `${prefix}${utf8Prefix(name, room)}${tag}${suffix}`;
}
