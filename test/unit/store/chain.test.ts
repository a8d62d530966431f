/**
 * The chain-walk decision (store/chain.ts): which missing or changed predecessors are reported, and
 * that nothing retention does (seal/retention.ts) is ever reported, even when it is interrupted.
 */
import { describe, expect, it } from 'vitest';
import type { ManifestPrevious } from '../../../src/format/manifest.js';
import { setsToDelete, type RetentionPolicy } from '../../../src/seal/retention.js';
import { chainBreaks, predecessorsToRead, type ChainLink } from '../../../src/store/chain.js';
import { setIdFor } from '../../../src/store/names.js';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-11-20T12:00:00.000Z');
/** Set ids sealed `n` hours apart, oldest first. */
const idsOldestFirst = (n: number) => Array.from({ length: n }, (_, i) => setIdFor(t0 + i * HOUR, 'dump'));
const digestOf = (id: string) => id.replace(/\D/g, '').padEnd(64, 'a').slice(0, 64);
const link = (id: string): ManifestPrevious => ({ setId: id, manifestSha256: digestOf(id) });

/** A chain as the sealer writes it: each set names the one before; the first names nothing. */
function chainOf(ids: string[]): ChainLink[] {
  return ids.map((setId, i) => ({ setId, previous: i === 0 ? null : link(ids[i - 1]!) }));
}

/** What `verify --all` decides once `present` is all that is left of a chain over `all`. */
function breaksAfter(all: string[], present: string[], links = chainOf(all)) {
  const digests = new Map(predecessorsToRead(present, links).map((id) => [id, digestOf(id)]));
  return chainBreaks(
    present,
    links.filter((l) => present.includes(l.setId)),
    digests,
  );
}

describe('chainBreaks', () => {
  const all = idsOldestFirst(5);

  it('an intact chain has no break', () => {
    expect(breaksAfter(all, all)).toEqual([]);
  });

  it('a set deleted from the middle is reported, naming both sets', () => {
    const present = all.filter((id) => id !== all[2]);
    const breaks = breaksAfter(all, present);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ setId: all[3], previous: all[2], kind: 'missing' });
    expect(breaks[0]!.message).toContain(`set ${all[3]} names ${all[2]}`);
    expect(breaks[0]!.message).toContain('2 older set(s) remain');
    expect(breaks[0]!.message).toContain('docs/RUNBOOK.md "chain broken"');
  });

  it('two neighbours deleted from the middle are one break (the link that skips them)', () => {
    const present = [all[0]!, all[3]!, all[4]!];
    expect(breaksAfter(all, present).map((b) => [b.setId, b.previous])).toEqual([[all[3], all[2]]]);
  });

  it('the oldest sets gone (as retention removes them) are not reported', () => {
    expect(breaksAfter(all, all.slice(2))).toEqual([]);
    expect(breaksAfter(all, all.slice(4))).toEqual([]);
  });

  it('the newest sets gone are not a break here (restore --max-age is what notices that)', () => {
    expect(breaksAfter(all, all.slice(0, 2))).toEqual([]);
  });

  it('a predecessor whose manifest digest changed is reported as replaced', () => {
    const links = chainOf(all);
    const digests = new Map(all.map((id) => [id, digestOf(id)]));
    digests.set(all[1]!, 'f'.repeat(64));
    const breaks = chainBreaks(all, links, digests);
    expect(breaks).toHaveLength(1);
    expect(breaks[0]).toMatchObject({ setId: all[2], previous: all[1], kind: 'replaced' });
    expect(breaks[0]!.message).toContain(`${all[1]} was replaced after ${all[2]} was sealed`);
  });

  it('a predecessor whose manifest could not be read is left to its own verification', () => {
    const digests = new Map(all.map((id) => [id, digestOf(id)]));
    digests.delete(all[1]!);
    expect(chainBreaks(all, chainOf(all), digests)).toEqual([]);
  });

  it('version-1 sets name nothing: links into them are checked, links out of them cannot be', () => {
    // all[0..2] sealed before the upgrade (version 1), all[3] is the first version-2 set.
    const links: ChainLink[] = chainOf(all).map((l, i) => (i < 3 ? { setId: l.setId } : l));
    expect(
      breaksAfter(
        all,
        all.filter((id) => id !== all[1]),
        links,
      ),
    ).toEqual([]);
    const breaks = breaksAfter(
      all,
      all.filter((id) => id !== all[2]),
      links,
    );
    expect(breaks.map((b) => [b.setId, b.previous])).toEqual([[all[3], all[2]]]);
  });

  it('a set sealed late with an older snapshot time links to the newer set it followed', () => {
    // all[4] was sealed first, then a snapshot of all[1]'s time (sealed later): it names all[4].
    const links: ChainLink[] = [
      { setId: all[0]!, previous: null },
      { setId: all[4]!, previous: link(all[0]!) },
      { setId: all[1]!, previous: link(all[4]!) },
    ];
    const present = [all[0]!, all[1]!, all[4]!];
    expect(breaksAfter(all, present, links)).toEqual([]);
    expect(breaksAfter(all, [all[0]!, all[1]!], links).map((b) => b.kind)).toEqual(['missing']);
  });
});

describe('retention never makes a false alarm', () => {
  const policies: RetentionPolicy[] = [{ keepLast: 1 }, { keepLast: 3 }, { keepWithinMs: 2 * HOUR }, {}];

  it.each(policies)('policy %o, any newest verified set, interrupted after any deletion', (policy) => {
    const all = idsOldestFirst(7);
    const newestFirst = [...all].reverse();
    for (const verified of [undefined, ...all]) {
      const order = setsToDelete(newestFirst, policy, verified);
      for (let done = 0; done <= order.length; done++) {
        const gone = new Set(order.slice(0, done));
        const present = all.filter((id) => !gone.has(id));
        expect(breaksAfter(all, present), `verified ${verified}, after ${done} deletions`).toEqual([]);
      }
    }
  });

  it('a set retention would keep, deleted by someone else, is reported', () => {
    const all = idsOldestFirst(7);
    const newestFirst = [...all].reverse();
    const order = setsToDelete(newestFirst, { keepLast: 3 }, newestFirst[0]);
    const present = all.filter((id) => !order.includes(id) && id !== newestFirst[1]);
    expect(breaksAfter(all, present).map((b) => b.previous)).toEqual([newestFirst[1]]);
  });
});
