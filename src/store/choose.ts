/** Which sealed sets a command works on (--set ID, --latest, --all), newest first. */
import { UserError } from '../errors.js';
import { isSetId } from './names.js';
import type { Store } from './store.js';

export interface SetChoice {
  set?: string;
  latest?: boolean;
  all?: boolean;
}

export type DefaultChoice = 'latest' | 'all' | 'none';

/** Resolves --set/--latest/--all (at most one) into set ids, newest first. */
export async function chooseSets(
  store: Store,
  choice: SetChoice,
  fallback: DefaultChoice,
): Promise<string[]> {
  const given = [choice.set !== undefined, Boolean(choice.latest), Boolean(choice.all)].filter(
    Boolean,
  ).length;
  if (given > 1) throw new UserError('choose only one of --set ID, --latest and --all', 2);
  if (given === 0 && fallback === 'none') throw new UserError('choose a set: pass --set ID or --latest', 2);
  if (choice.set !== undefined && !isSetId(choice.set)) {
    throw new UserError(
      `--set "${choice.set}" is not a set id (they look like 20261123T174005.123Z_dump); run snapshot-guard list --from ${store.location}`,
      2,
    );
  }
  const ids = await store.listSets();
  if (ids.length === 0) throw new UserError(`no sealed set in ${store.location} yet`);
  if (choice.set !== undefined) {
    if (!ids.includes(choice.set)) {
      throw new UserError(
        `no sealed set ${choice.set} in ${store.location}; run snapshot-guard list --from ${store.location} to see the sets`,
      );
    }
    return [choice.set];
  }
  // A switch left off is false, not absent: the command's default decides then.
  const all = Boolean(choice.all) || (!choice.latest && fallback === 'all');
  return all ? ids : ids.slice(0, 1);
}
