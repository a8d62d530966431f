/**
 * One set being written to a bucket: data objects under a fresh attempt prefix, then the commit object
 * last with If-None-Match: *. Until the commit exists nothing of the set is visible.
 */
import { UserError } from '../../errors.js';
import { SET_INFO_FILE } from '../names.js';
import type { SetInfo } from '../set-info.js';
import type { StagedSet } from '../store.js';
import { httpStatus, s3ErrorName } from './errors.js';
import type { Commit } from './layout.js';
import type { Bucket } from './bucket.js';
import type { SentObject } from './etag.js';
import { uploadStream, type ObjectLock } from './upload.js';
import { DeleteObjectCommand } from '@aws-sdk/client-s3';

export class S3StagedSet implements StagedSet {
  private readonly files: { name: string; size: number }[] = [];
  private readonly sent = new Map<string, SentObject>();
  private done = false;

  constructor(
    private readonly store: Bucket,
    private readonly instance: string,
    readonly setId: string,
    private readonly attempt: string,
    private readonly lock: ObjectLock | undefined,
  ) {}

  private key(name: string): string {
    return `${this.store.layout.attemptRoot(this.instance, this.setId, this.attempt)}${name}`;
  }

  async write(name: string, data: AsyncIterable<Uint8Array>): Promise<number> {
    const s = this.store;
    const started = performance.now();
    const sent = await s.call(`uploading ${name}`, () =>
      uploadStream(s.client, s.bucket, this.key(name), data, {
        partSize: s.partSize,
        concurrency: s.partConcurrency,
        hasher: s.hasher,
        ...(this.lock ? { lock: this.lock } : {}),
      }),
    );
    s.uploaded(sent.size, started);
    this.files.push({ name, size: sent.size });
    this.sent.set(name, sent);
    return sent.size;
  }

  localPath(): undefined {
    return undefined;
  }

  async writeInfo(info: SetInfo): Promise<void> {
    await this.store.putObject(
      this.key(SET_INFO_FILE),
      Buffer.from(`${JSON.stringify(info, null, 2)}\n`),
      this.lock,
    );
  }

  private alreadyPublished(): UserError {
    return new UserError(
      `${this.store.where(this.setId)}: a set of this id is already committed (another writer for instance ${this.instance}?); run one watch per instance`,
    );
  }

  async publish(): Promise<void> {
    const commit: Commit = {
      kind: 'snapshot-guard-commit',
      version: 1,
      setId: this.setId,
      attempt: this.attempt,
      committedAt: new Date().toISOString(),
      files: [...this.files].sort((a, b) => (a.name < b.name ? -1 : 1)),
    };
    const key = this.store.layout.commitKey(this.instance, this.setId);
    let versionId: string | undefined;
    try {
      versionId = await this.store.putObject(
        key,
        Buffer.from(`${JSON.stringify(commit, null, 2)}\n`),
        this.lock,
        true,
      );
    } catch (err) {
      const cause = (err as { cause?: unknown }).cause ?? err;
      if (httpStatus(cause) === 412 || s3ErrorName(cause) === 'PreconditionFailed')
        throw this.alreadyPublished();
      throw err;
    }
    if (versionId && versionId !== 'null') await this.checkFirstVersion(key, versionId);
    this.done = true;
    this.store.published(commit, this.sent);
  }

  /**
   * Some servers ignore If-None-Match in a versioned bucket: there the first version since the key was
   * last deleted is the commit (S3Store.commitOf); a later one is withdrawn and refused.
   */
  private async checkFirstVersion(key: string, ours: string): Promise<void> {
    const s = this.store;
    const live = await s.liveVersions(key);
    const winner = live[live.length - 1];
    if (!winner || winner.versionId === ours) return;
    await s.client
      .send(new DeleteObjectCommand({ Bucket: s.bucket, Key: key, VersionId: ours }))
      .catch(() => undefined); // Object Lock may keep it; readers still take the first version
    throw this.alreadyPublished();
  }

  async abort(): Promise<void> {
    if (this.done) return;
    await this.store.deleteAll(this.store.layout.attemptRoot(this.instance, this.setId, this.attempt));
  }
}
