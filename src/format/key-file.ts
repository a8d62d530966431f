/**
 * The text of a local key file (docs/FORMAT.md section 8.1): "snapshot-guard-key-v1:" ‖ base64(32 bytes),
 * with only ASCII space, tab, CR and LF allowed around it. The base64 must be canonical (its unused low
 * bits zero), so one key has exactly one spelling and two readers never disagree about a file.
 */
export const KEY_FILE_PREFIX = 'snapshot-guard-key-v1:';

/** 43 characters, the last one carrying 2 unused bits that must be zero, then the padding. */
const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
const AROUND = /^[ \t\r\n]*|[ \t\r\n]*$/g;

/** The 32-byte key in a key file's text, or undefined when the text is not a valid key file. */
export function parseKeyFileText(text: string): Buffer | undefined {
  const line = text.replace(AROUND, '');
  if (!line.startsWith(KEY_FILE_PREFIX)) return undefined;
  const b64 = line.slice(KEY_FILE_PREFIX.length);
  if (!CANONICAL_KEY.test(b64)) return undefined;
  return Buffer.from(b64, 'base64');
}

export function encodeKeyFileText(key: Buffer): string {
  return `${KEY_FILE_PREFIX}${key.toString('base64')}\n`;
}
