/** Context: the raw AES-256-GCM speed of OpenSSL's core on one CPU (`openssl speed`, 1 MiB blocks). */
import { capture, onPath } from './proc.mjs';

/** Returns bytes per second, or throws with the reason it could not be measured. */
export async function opensslGcmSpeed(seconds) {
  if (!onPath('openssl')) throw new Error('openssl not installed');
  const out = await capture('openssl', [
    'speed',
    '-evp',
    'aes-256-gcm',
    '-bytes',
    '1048576',
    '-seconds',
    String(seconds),
  ]);
  // e.g. "AES-256-GCM    4331703.61k" — thousands of bytes per second.
  const m = /^AES-256-GCM\s+([\d.]+)k\s*$/im.exec(out);
  if (!m) throw new Error('could not read the figure in the output of openssl speed');
  return Number(m[1]) * 1000;
}
