/** The longest gap of a --snapshot_cron schedule (the worst-case recovery point). */
import { describe, expect, it } from 'vitest';
import { longestCronGapSeconds } from '../../../src/audit/cron.js';

describe('longestCronGapSeconds', () => {
  it.each([
    ['*/5 * * * *', 300],
    ['* * * * *', 60],
    ['0 * * * *', 3600],
    ['0 */6 * * *', 6 * 3600],
    ['15,45 * * * *', 1800],
    ['0 9-17 * * *', 16 * 3600], // 17:00 → 09:00 next day
    ['0 0 * * mon-fri', 3 * 86400], // Friday → Monday
    ['0 3 1 * *', 31 * 86400],
    ['0 */5 * * * *', 300], // six fields: seconds first
  ])('%s → %i s', (expr, seconds) => {
    expect(longestCronGapSeconds(expr)).toBe(seconds);
  });

  it('rejects what it cannot read', () => {
    expect(() => longestCronGapSeconds('*/5 * * *')).toThrow(/expected 5 fields/);
    expect(() => longestCronGapSeconds('61 * * * *')).toThrow(/out of range/);
  });
});
