/**
 * `restore --latest` at boot must not keep Dragonfly down because the newest set is damaged: it
 * restores the newest set that verifies, says loudly which newer ones it skipped and why, and lets the
 * caller record that it fell back. With --strict, the first failure stops it (the old behaviour).
 * Only damage falls back: a missing key or an I/O error would fail for every set alike.
 */
import { IntegrityError, errorMessage } from '../errors.js';

export interface SkippedSet {
  setId: string;
  error: string;
}

export async function restoreNewestIntact<T>(
  candidates: string[],
  strict: boolean,
  attempt: (setId: string) => Promise<T>,
  onSkip: (skipped: SkippedSet) => void,
): Promise<{ setId: string; outcome: T; skipped: SkippedSet[] }> {
  const skipped: SkippedSet[] = [];
  for (const [i, setId] of candidates.entries()) {
    try {
      return { setId, outcome: await attempt(setId), skipped };
    } catch (err) {
      const last = i === candidates.length - 1;
      if (strict || last || !(err instanceof IntegrityError)) throw err;
      const s = { setId, error: errorMessage(err) };
      skipped.push(s);
      onSkip(s);
    }
  }
  throw new Error('no candidate set'); // unreachable: callers pass at least one id
}
