/** Which sets a --copy-to target still needs, and its lag (replicate/plan.ts), without stores or clocks. */
import { describe, expect, it } from 'vitest';
import { oldestWaiting, setsToCopy } from '../../../src/replicate/plan.js';
import { setIdFor } from '../../../src/store/names.js';

const HOUR = 3_600_000;
const t0 = Date.parse('2026-11-20T12:00:00.000Z');
/** Ids of sets sealed `ages` hours before t0, newest first (as listSets returns them). */
const ids = (...ages: number[]) => ages.map((h) => setIdFor(t0 - h * HOUR, 'dump'));

describe('setsToCopy', () => {
  it('an empty target gets every set, oldest first', () => {
    const primary = ids(0, 1, 2);
    expect(setsToCopy(primary, [])).toEqual([...primary].reverse());
  });

  it('a caught-up target gets nothing', () => {
    expect(setsToCopy(ids(0, 1, 2), ids(0, 1, 2))).toEqual([]);
  });

  it('the newest sets and gaps in the middle are copied, oldest first', () => {
    const [s0, s1, s2, s3, s4] = ids(0, 1, 2, 3, 4);
    expect(setsToCopy([s0!, s1!, s2!, s3!, s4!], [s1!, s4!])).toEqual([s3, s2, s0]);
  });

  it('sets older than the oldest copy are the ones the target expired: never copied again', () => {
    const [s0, s1, s2, s3] = ids(0, 1, 2, 3);
    expect(setsToCopy([s0!, s1!, s2!, s3!], [s1!])).toEqual([s0]);
  });

  it('copies the primary no longer has (its retention removed them) change nothing', () => {
    const [s0, s1, s2] = ids(0, 1, 2);
    expect(setsToCopy([s0!, s1!], [s2!])).toEqual([s1, s0]);
  });

  it('a set sealed again under the same snapshot (".2") counts as its own set', () => {
    const [s0] = ids(0);
    expect(setsToCopy([`${s0}.2`, s0!], [s0!])).toEqual([`${s0}.2`]);
  });
});

describe('oldestWaiting', () => {
  it('is the snapshot time of the oldest waiting set, undefined when none waits', () => {
    expect(oldestWaiting(ids(1, 5, 3))).toBe(t0 - 5 * HOUR);
    expect(oldestWaiting([])).toBeUndefined();
  });
});
