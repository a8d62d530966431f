/**
 * Names that become file or directory names when a set is stored or restored (docs/FORMAT.md section
 * 12): a snapshot file's name (its encrypted file is `<name>.sg`) and a set id (its directory).
 */

/** `<name>.sg` must fit the 255-byte name limit of common file systems. */
export const MAX_SNAPSHOT_NAME_BYTES = 252;
export const MAX_SET_ID_BYTES = 255;

/** C0 and C1 control characters and DEL: they corrupt terminals and logs and no snapshot uses them. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Why `name` cannot be a file or directory name, or undefined when it can. */
export function nameProblem(name: string, maxBytes: number): string | undefined {
  if (name === '' || name === '.' || name === '..') return 'is empty, "." or ".."';
  if (name.includes('/')) return 'contains "/"';
  if (CONTROL.test(name)) return 'contains a control character';
  if (LONE_SURROGATE.test(name)) return 'is not valid Unicode';
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > maxBytes) return `is ${bytes} bytes long (at most ${maxBytes})`;
  return undefined;
}
