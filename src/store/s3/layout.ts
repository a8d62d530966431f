/**
 * Where a set's objects live in a bucket (docs/OBJECT-STORAGE.md "Layout"):
 *
 *   PREFIX/INSTANCE/SETID.commit              the commit object: written last, If-None-Match: *
 *   PREFIX/INSTANCE/SETID/ATTEMPT/manifest.sgm
 *   PREFIX/INSTANCE/SETID/ATTEMPT/NAME.sg      one per snapshot file
 *   PREFIX/INSTANCE/SETID/ATTEMPT/set.json, status.json
 *   PREFIX/INSTANCE/quarantine/SETID-TIME.commit   the commit of a quarantined set (its data is kept)
 *   PREFIX/INSTANCE/writer.lock                the single writer's lock object (writer-lock.ts)
 *
 * Every staging of a set writes under a fresh random ATTEMPT, so a retry or a second writer never
 * overwrites objects another commit points at; the commit names its attempt.
 */
import { randomBytes } from 'node:crypto';

export const COMMIT_SUFFIX = '.commit';
export const QUARANTINE = 'quarantine';

export class BucketLayout {
  constructor(private readonly prefix: string) {}

  /** PREFIX/ (or '' for the bucket's root). */
  get root(): string {
    return this.prefix === '' ? '' : `${this.prefix}/`;
  }

  instanceRoot(instance: string): string {
    return `${this.root}${instance}/`;
  }

  commitKey(instance: string, setId: string): string {
    return `${this.instanceRoot(instance)}${setId}${COMMIT_SUFFIX}`;
  }

  setRoot(instance: string, setId: string): string {
    return `${this.instanceRoot(instance)}${setId}/`;
  }

  attemptRoot(instance: string, setId: string, attempt: string): string {
    return `${this.setRoot(instance, setId)}${attempt}/`;
  }

  lockKey(instance: string): string {
    return `${this.instanceRoot(instance)}writer.lock`;
  }

  quarantineKey(instance: string, setId: string, at: number): string {
    return `${this.instanceRoot(instance)}${QUARANTINE}/${setId}-${at}${COMMIT_SUFFIX}`;
  }
}

export function newAttempt(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** What the commit object holds (JSON, not authenticated: the manifest it points at is). */
export interface Commit {
  kind: 'snapshot-guard-commit';
  version: 1;
  setId: string;
  attempt: string;
  committedAt: string;
  files: { name: string; size: number }[];
}

export function parseCommit(text: string, where: string): Commit {
  let c: Partial<Commit>;
  try {
    c = JSON.parse(text) as Partial<Commit>;
  } catch {
    throw new Error(`${where}: not a commit object (invalid JSON)`);
  }
  if (c.kind !== 'snapshot-guard-commit' || c.version !== 1 || typeof c.attempt !== 'string') {
    throw new Error(`${where}: not a snapshot-guard commit object of a known version`);
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(c.attempt)) throw new Error(`${where}: invalid attempt in commit object`);
  return c as Commit;
}
