import { basename, dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TEMP_MARKER, tempPathFor } from '../../../src/io/durable.js';
import { workingName } from '../../../src/io/hidden-name.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

describe('working names beside a file', () => {
  it('names a hidden file beside the target, marked as temporary', () => {
    const t = tempPathFor('/var/lib/x/dump.rdb');
    expect(dirname(t)).toBe('/var/lib/x');
    expect(basename(t)).toMatch(/^\.dump\.rdb\.sg-tmp-[0-9a-f]{12}$/);
  });

  it.each([
    ['ASCII', 'd'.repeat(255)],
    ['3-byte characters', '€'.repeat(85)],
    ['4-byte characters cut at any offset', `x${'😀'.repeat(63)}`],
  ])('keeps a 255-byte %s name within the 255-byte limit, whole characters only', (_k, name) => {
    expect(bytes(name)).toBeLessThanOrEqual(255);
    const t = basename(tempPathFor(`/d/${name}`));
    expect(bytes(t)).toBeLessThanOrEqual(255);
    expect(t).toContain(TEMP_MARKER);
    expect(t).not.toContain('\uFFFD');
    // A shortened name keeps its start and gains "~" and 8 hex digits of its digest.
    const kept = t.slice(1, t.indexOf(TEMP_MARKER)).replace(/~[0-9a-f]{8}$/, '');
    expect(name.startsWith(kept)).toBe(true);
  });

  it('keeps two long names that share their start apart', () => {
    const a = `${'a'.repeat(250)}.rdb`;
    const b = `${'a'.repeat(250)}.rdc`;
    expect(workingName('.', a, '.sg-shred')).not.toBe(workingName('.', b, '.sg-shred'));
    expect(bytes(workingName('.', a, '.sg-shred'))).toBe(255);
    expect(workingName('.', 'dump.rdb', '.sg-shred')).toBe('.dump.rdb.sg-shred');
  });

  it('gives two calls for one target different names', () => {
    expect(tempPathFor('/d/a')).not.toBe(tempPathFor('/d/a'));
  });
});
