/** Retention decisions (seal/retention.ts), without any store or clock. */
import { describe, expect, it } from 'vitest';
import { applyRetention, futureSetTime, setsToDelete } from '../../../src/seal/retention.js';
import { SetLockedError } from '../../../src/store/errors.js';
import { setIdFor } from '../../../src/store/names.js';
import type { Store } from '../../../src/store/store.js';

const DAY = 86_400_000;
const t0 = Date.parse('2026-11-20T12:00:00.000Z');
/** Ids of sets sealed `ages` days before t0, newest first. */
const ids = (...ages: number[]) => ages.map((d) => setIdFor(t0 - d * DAY, 'dump'));

describe('setsToDelete', () => {
  it('keeps nothing extra without a policy: deletes nothing', () => {
    expect(setsToDelete(ids(0, 1, 2), {}, undefined)).toEqual([]);
  });

  it('--keep-last N keeps the newest N, and deletes the others oldest first', () => {
    const all = ids(0, 1, 2, 3);
    expect(setsToDelete(all, { keepLast: 2 }, all[0])).toEqual([all[3], all[2]]);
  });

  it('--keep-within counts back from the newest set, not from the clock', () => {
    const all = ids(0, 3, 6, 8, 30);
    expect(setsToDelete(all, { keepWithinMs: 7 * DAY }, all[0])).toEqual([all[4], all[3]]);
  });

  it('a clock 400 days ahead does not delete the set sealed a second earlier', () => {
    const all = [setIdFor(t0, 'dump'), setIdFor(t0 - 1000, 'dump')];
    expect(setsToDelete(all, { keepWithinMs: 7 * DAY }, all[0])).toEqual([]);
  });

  it('a set survives if any rule keeps it', () => {
    const all = ids(0, 1, 10, 20);
    expect(setsToDelete(all, { keepLast: 3, keepWithinMs: 2 * DAY }, all[0])).toEqual([all[3]]);
  });

  it('never deletes the newest verified set, nor a set newer than it (no gap in the chain)', () => {
    const all = ids(0, 1, 2, 3);
    expect(setsToDelete(all, { keepLast: 1 }, all[2])).toEqual([all[3]]);
  });

  it('never deletes the newest set, even unverified', () => {
    const all = ids(0, 1);
    expect(setsToDelete(all, { keepLast: 1 }, undefined)).toEqual([all[1]]);
  });
});

describe('applyRetention', () => {
  /** The three calls retention makes, on a list of ids; `locked` ids refuse removal like Object Lock. */
  function storeOf(all: string[], locked: Set<string>) {
    const present = [...all];
    const store = {
      listSets: () => Promise.resolve([...present]),
      readStatus: () => Promise.resolve({ verifiedAt: '2026-11-20T12:00:00.000Z', ok: true }),
      removeSet: (id: string) => {
        if (locked.has(id)) return Promise.reject(new SetLockedError(id, `${id} is locked`));
        present.splice(present.indexOf(id), 1);
        return Promise.resolve();
      },
    };
    return { store: store as unknown as Store, present };
  }

  it('deletes oldest first and stops at a set under Object Lock: newer ones wait (no gap in the chain)', async () => {
    const all = ids(0, 1, 2, 3, 4);
    const { store, present } = storeOf(all, new Set([all[3]!]));
    const warned: string[] = [];
    const out = await applyRetention(store, { keepLast: 1 }, t0, { warn: (_o, m) => warned.push(m) });
    expect(out.removed).toEqual([all[4]]);
    expect(out.locked?.map((l) => l.setId)).toEqual([all[3]]);
    expect(present).toEqual(all.slice(0, 4));
    expect(warned).toEqual(['retention skipped a set under Object Lock']);
  });
});

describe('futureSetTime', () => {
  it('names a newest set time more than a minute ahead of the clock', () => {
    expect(futureSetTime(ids(0, 1), t0 - 2 * DAY)).toBe('2026-11-20T12:00:00.000Z');
    expect(futureSetTime(ids(0, 1), t0)).toBeUndefined();
    expect(futureSetTime([], t0)).toBeUndefined();
  });
});
