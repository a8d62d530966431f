/**
 * The bucket store: sealed sets as objects under s3://BUCKET/PREFIX/INSTANCE/ (layout.ts). A set is
 * staged under a fresh attempt prefix and published by writing its commit object last with
 * If-None-Match: *; a set without a commit object does not exist. Nothing here renames: quarantine and
 * removal act on the commit object first, so a set disappears from view before any of its data goes.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  AbortMultipartUploadCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { UserError } from '../../errors.js';
import { SetLockedError } from '../errors.js';
import { SET_INFO_FILE, STATUS_FILE, isSetFile, isSetId } from '../names.js';
import { parseNote, type SetInfo, type SetStatus } from '../set-info.js';
import type { StagedSet, Store, StoredFile, WriterLock } from '../store.js';
import { DEFAULT_S3_TIMEOUT_MS, endpointOf, makeS3Client } from './client.js';
import { httpStatus, isObjectLocked, s3ErrorName, storeError } from './errors.js';
import { BucketLayout, COMMIT_SUFFIX, QUARANTINE, newAttempt, parseCommit, type Commit } from './layout.js';
import { listCurrent, listUploads, listVersions, type ObjectVersion } from './listing.js';
import type { Bucket } from './bucket.js';
import { S3StagedSet } from './staged-set.js';
import { BucketLock } from './writer-lock.js';
import { putSmall, uploadStream, type ObjectLock } from './upload.js';
import type { BucketLocation, S3Settings, S3VerifyMode } from './settings.js';
import { proveBySentChecksums } from './checksum-proof.js';
import { Md5Thread } from '../../parallel/md5-thread.js';
import type { SentObject } from './etag.js';
import { noopStoreObserver, type StoreObserver, type StoreOperation } from '../../observe/store-observer.js';

/** "uploading x" → upload, "listing sets" → list …: the operation label of a failed call. */
const OPERATION_OF: Record<string, StoreOperation> = {
  uploading: 'upload',
  reading: 'download',
  listing: 'list',
  writing: 'write',
  deleting: 'delete',
  checking: 'check',
  aborting: 'abort',
};

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
const DEFAULT_PART_CONCURRENCY = 4;
const DEFAULT_VERIFY: S3VerifyMode = 'checksums';

export class S3Store implements Store, Bucket {
  readonly local = false;
  readonly bucket: string;
  readonly layout: BucketLayout;
  readonly client: S3Client;
  readonly partSize: number;
  readonly partConcurrency: number;
  readonly observer: StoreObserver;
  readonly hasher = new Md5Thread();
  private instance: Promise<string | undefined> | undefined;
  private resolvedInstance: string | undefined;
  private readonly commits = new Map<string, Commit>();
  /** What this process's uploads sent, by set: the expectations of --s3-verify checksums. */
  private readonly sent = new Map<string, ReadonlyMap<string, SentObject>>();

  constructor(
    readonly location: string,
    where: BucketLocation,
    private readonly settings: S3Settings,
  ) {
    this.bucket = where.bucket;
    this.layout = new BucketLayout(where.prefix);
    this.client = makeS3Client(settings);
    this.partSize = settings.partSize ?? DEFAULT_PART_SIZE;
    this.partConcurrency = settings.partConcurrency ?? DEFAULT_PART_CONCURRENCY;
    this.observer = settings.observer ?? noopStoreObserver;
  }

  /** Runs one S3 call, turning failures an operator can fix into one clear line. */
  async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.observer.storeError(this.location, OPERATION_OF[action.split(' ')[0] ?? ''] ?? 'other');
      throw storeError(err, this.location, await endpointOf(this.client), action);
    }
  }

  /** Reports one finished upload of `bytes` that started at `started` (performance.now()). */
  uploaded(bytes: number, started: number): void {
    this.observer.transfer(this.location, 'upload', bytes, (performance.now() - started) / 1000);
  }

  /** The instance whose sets this store reads and writes; a reader finds it when the prefix holds one. */
  instanceName(): Promise<string | undefined> {
    this.instance ??= (async () => {
      if (this.settings.instance !== undefined) return this.settings.instance;
      const { prefixes } = await this.call('listing instances', () =>
        listCurrent(this.client, this.bucket, this.layout.root, '/'),
      );
      const names = prefixes.map((p) => p.slice(this.layout.root.length, -1));
      if (names.length > 1) {
        throw new UserError(
          `${this.location} holds sets of several instances (${names.join(', ')}); pass --instance NAME`,
          2,
        );
      }
      return names[0];
    })();
    return this.instance.then((i) => (this.resolvedInstance = i));
  }

  private async writerInstance(): Promise<string> {
    const i = await this.instanceName();
    if (i === undefined) throw new Error('a writer needs an instance name');
    return i;
  }

  async prepare(): Promise<string[]> {
    await this.call('checking the bucket', () =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket })),
    );
    await this.writerInstance();
    if (this.settings.objectLockDays !== undefined) {
      const cfg = await this.call('reading the Object Lock configuration', () =>
        this.client
          .send(new GetObjectLockConfigurationCommand({ Bucket: this.bucket }))
          .catch((err: unknown) => {
            if (httpStatus(err) === 404) return undefined;
            throw err;
          }),
      );
      if (cfg?.ObjectLockConfiguration?.ObjectLockEnabled !== 'Enabled') {
        throw new UserError(
          `${this.location}: --object-lock-days needs a bucket created with Object Lock enabled (docs/OBJECT-STORAGE.md)`,
          2,
        );
      }
    }
    return [];
  }

  async notices(): Promise<string[]> {
    const instance = await this.instanceName();
    if (instance === undefined) return [];
    const q = `${this.layout.instanceRoot(instance)}${QUARANTINE}/`;
    const { objects } = await this.call('listing quarantined sets', () =>
      listCurrent(this.client, this.bucket, q),
    );
    return objects.length > 0
      ? [
          `${objects.length} quarantined sets that failed verification in s3://${this.bucket}/${q} (never deleted; inspect them)`,
        ]
      : [];
  }

  async listSets(): Promise<string[]> {
    const instance = await this.instanceName();
    if (instance === undefined) return [];
    const root = this.layout.instanceRoot(instance);
    const { objects } = await this.call('listing sets', () =>
      listCurrent(this.client, this.bucket, root, '/'),
    );
    const ids = objects
      .map((o) => o.key.slice(root.length))
      .filter((k) => k.endsWith(COMMIT_SUFFIX))
      .map((k) => k.slice(0, -COMMIT_SUFFIX.length))
      .filter(isSetId);
    return ids.sort().reverse();
  }

  /**
   * The versions of exactly `key` written since it was last deleted, newest first (as S3 lists them).
   * The last one is the first written: in a versioned bucket it decides, so a second writer's version
   * (on servers that ignore If-None-Match there) never counts.
   */
  async liveVersions(key: string): Promise<ObjectVersion[]> {
    const versions = (
      await this.call('listing versions', () => listVersions(this.client, this.bucket, key))
    ).filter((v) => v.key === key);
    if (versions.some((v) => v.deleteMarker && v.isLatest)) return [];
    const lastDeleted = Math.max(0, ...versions.filter((v) => v.deleteMarker).map((v) => v.lastModified));
    return versions.filter((v) => !v.deleteMarker && v.lastModified >= lastDeleted);
  }

  /** The text of one version of an object (the current one when `versionId` is undefined). */
  async getText(key: string, versionId: string | undefined, action: string): Promise<string> {
    return this.call(action, async () => {
      const r = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ...(versionId ? { VersionId: versionId } : {}),
        }),
      );
      return (await r.Body?.transformToString('utf8')) ?? '';
    });
  }

  /** The commit of a published set: the first version of its commit object since it was last deleted. */
  async commitOf(setId: string): Promise<Commit | undefined> {
    const cached = this.commits.get(setId);
    if (cached) return cached;
    const instance = await this.instanceName();
    if (instance === undefined) return undefined;
    const key = this.layout.commitKey(instance, setId);
    const live = await this.liveVersions(key);
    const winner = live[live.length - 1];
    if (!winner) return undefined;
    const text = await this.getText(key, winner.versionId, 'reading a commit object');
    const commit = parseCommit(text, `s3://${this.bucket}/${key}`);
    if (commit.setId !== setId)
      throw new UserError(`s3://${this.bucket}/${key}: commit names set ${commit.setId}`);
    this.commits.set(setId, commit);
    return commit;
  }

  /** The attempt prefix of a published set; throws when the set is not published. */
  async publishedRoot(setId: string): Promise<string> {
    const commit = await this.commitOf(setId);
    const instance = await this.instanceName();
    if (!commit || instance === undefined) throw new UserError(`${this.where(setId)}: no such sealed set`);
    return this.layout.attemptRoot(instance, setId, commit.attempt);
  }

  async listFiles(setId: string): Promise<StoredFile[]> {
    const root = await this.publishedRoot(setId);
    const { objects } = await this.call('listing a set', () => listCurrent(this.client, this.bucket, root));
    return objects
      .map((o) => ({ name: o.key.slice(root.length), size: o.size }))
      .filter((f) => !f.name.includes('/') && isSetFile(f.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  async *read(setId: string, name: string, start = 0): AsyncGenerator<Buffer> {
    const key = `${await this.publishedRoot(setId)}${name}`;
    const body = await this.call(`reading ${name}`, async () => {
      try {
        const r = await this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(start > 0 ? { Range: `bytes=${start}-` } : {}),
          }),
        );
        return r.Body as AsyncIterable<Uint8Array> & {
          destroy?: (err?: Error) => void;
          socket?: { setTimeout(ms: number): void } | null;
        };
      } catch (err) {
        if (httpStatus(err) === 416) return undefined; // start at the end: nothing left
        throw err;
      }
    });
    if (!body) return;
    const started = performance.now();
    let bytes = 0;
    // The SDK's timeout counts silence on the socket, which also passes while our reader holds the
    // body back (a copy waiting for a slow target): for the body, only our waits for the server count.
    // One timer for the whole body, re-armed at each wait (a timer and a promise per 64 KiB chunk cost
    // about 0.1 CPU-s per GiB; this about 0.01).
    body.socket?.setTimeout(0);
    const ms = this.settings.timeoutMs ?? DEFAULT_S3_TIMEOUT_MS;
    let waiting = false;
    const silence = setTimeout(() => {
      if (waiting)
        body.destroy?.(
          Object.assign(new Error(`no byte for ${ms} ms while reading ${name}`), { name: 'TimeoutError' }),
        );
    }, ms);
    const chunks = body[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<Uint8Array>;
        waiting = true;
        silence.refresh();
        try {
          next = await chunks.next();
        } catch (err) {
          this.observer.storeError(this.location, 'download');
          throw storeError(err, this.location, await endpointOf(this.client), `reading ${name}`);
        } finally {
          waiting = false;
        }
        if (next.done) break;
        const c = next.value;
        bytes += c.byteLength;
        yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
      }
    } finally {
      clearTimeout(silence);
      body.destroy?.(); // a reader that stops early (headers) must free the connection
      this.observer.transfer(this.location, 'download', bytes, (performance.now() - started) / 1000);
    }
  }

  localPath(): undefined {
    return undefined;
  }

  where(setId: string, name?: string): string {
    const base = `${this.location.replace(/\/+$/, '')}/${this.resolvedInstance ?? this.settings.instance ?? '?'}/${setId}`;
    return name === undefined ? base : `${base}/${name}`;
  }

  private async readJson<T>(setId: string, name: string): Promise<T | undefined> {
    const commit = await this.commitOf(setId);
    if (!commit) return undefined;
    const key = `${await this.publishedRoot(setId)}${name}`;
    return this.call(`reading ${name}`, async () => {
      try {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        return parseNote<T>((await r.Body?.transformToString('utf8')) ?? '');
      } catch (err) {
        if (s3ErrorName(err) === 'NoSuchKey' || httpStatus(err) === 404) return undefined;
        throw err;
      }
    });
  }

  private async writeJson(setId: string, name: string, value: unknown, lock: boolean): Promise<void> {
    const key = `${await this.publishedRoot(setId)}${name}`;
    await this.putObject(
      key,
      Buffer.from(`${JSON.stringify(value, null, 2)}\n`),
      lock ? this.lockUntil() : undefined,
    );
  }

  /** Object Lock retention for objects written now, if configured. */
  lockUntil(): ObjectLock | undefined {
    const days = this.settings.objectLockDays;
    if (days === undefined) return undefined;
    return {
      mode: this.settings.objectLockMode ?? 'GOVERNANCE',
      until: new Date(Date.now() + days * 86_400_000),
    };
  }

  async putObject(
    key: string,
    body: Buffer,
    lock: ObjectLock | undefined,
    ifNoneMatch = false,
  ): Promise<string | undefined> {
    return this.call(`writing ${key.slice(key.lastIndexOf('/') + 1)}`, () =>
      putSmall(this.client, this.bucket, key, body, { ...(lock ? { lock } : {}), ifNoneMatch }),
    );
  }

  readInfo(setId: string): Promise<SetInfo | undefined> {
    return this.readJson<SetInfo>(setId, SET_INFO_FILE);
  }

  writeInfo(setId: string, info: SetInfo): Promise<void> {
    return this.writeJson(setId, SET_INFO_FILE, info, true);
  }

  readStatus(setId: string): Promise<SetStatus | undefined> {
    return this.readJson<SetStatus>(setId, STATUS_FILE);
  }

  /** Not locked: it is rewritten at every verification and only informational. */
  writeStatus(setId: string, status: SetStatus): Promise<void> {
    return this.writeJson(setId, STATUS_FILE, status, false);
  }

  async stage(setId: string): Promise<StagedSet> {
    const instance = await this.writerInstance();
    return new S3StagedSet(this, instance, setId, newAttempt(), this.lockUntil());
  }

  /** Called by a staged set once its commit is written. */
  published(commit: Commit, sent: ReadonlyMap<string, SentObject>): void {
    this.commits.set(commit.setId, commit);
    this.sent.set(commit.setId, sent);
  }

  /**
   * With --s3-verify checksums: proves the named committed objects of a set this process just sealed by
   * their stored ETags and sizes (checksum-proof.ts). False when the mode is read-back or the proof is
   * not possible (not sealed by this process, ETags that are not MD5s): the caller reads the set back.
   */
  async proveUploaded(setId: string, names: readonly string[]): Promise<boolean> {
    const sent = this.sent.get(setId);
    this.sent.delete(setId);
    if ((this.settings.verify ?? DEFAULT_VERIFY) !== 'checksums' || !sent) return false;
    const picked = new Map<string, SentObject>();
    for (const n of names) {
      const s = sent.get(n);
      if (!s) return false;
      picked.set(n, s);
    }
    return proveBySentChecksums(this, setId, await this.publishedRoot(setId), picked);
  }

  async replaceFile(setId: string, name: string, data: AsyncIterable<Uint8Array>): Promise<void> {
    const key = `${await this.publishedRoot(setId)}${name}`;
    const lock = this.lockUntil();
    const started = performance.now();
    const { size: bytes } = await this.call(`writing ${name}`, () =>
      uploadStream(this.client, this.bucket, key, data, {
        partSize: this.partSize,
        concurrency: this.partConcurrency,
        hasher: this.hasher,
        ...(lock ? { lock } : {}),
      }),
    );
    this.uploaded(bytes, started);
  }

  /**
   * Deletes every version of every object under `prefix` (or of exactly `key`); returns how many
   * Object Lock kept. Deleting by version is what really frees the bytes in a versioned bucket.
   */
  async deleteAll(prefix: string, exactKey = false): Promise<{ locked: number; deleted: number }> {
    const versions = (
      await this.call('listing versions', () => listVersions(this.client, this.bucket, prefix))
    ).filter((v) => !exactKey || v.key === prefix);
    let locked = 0;
    let deleted = 0;
    for (const v of versions) {
      try {
        await this.client.send(
          new DeleteObjectCommand({
            Bucket: this.bucket,
            Key: v.key,
            ...(v.versionId ? { VersionId: v.versionId } : {}),
          }),
        );
        deleted++;
      } catch (err) {
        if (!isObjectLocked(err))
          throw storeError(err, this.location, await endpointOf(this.client), 'deleting');
        locked++;
      }
    }
    return { locked, deleted };
  }

  /** Deletes one version of an object (best effort: Object Lock may keep it). */
  async deleteVersion(key: string, versionId: string): Promise<void> {
    await this.client
      .send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }))
      .catch(() => undefined);
  }

  /** Hides an object: deletes it, or adds a delete marker in a versioned bucket (allowed under Object Lock). */
  async hide(key: string): Promise<void> {
    await this.call('deleting', () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key })),
    );
  }

  async removeSet(setId: string): Promise<void> {
    const instance = await this.writerInstance();
    const key = this.layout.commitKey(instance, setId);
    // The commit goes first: the set stops existing before any data object is touched.
    const commit = await this.deleteAll(key, true);
    this.commits.delete(setId);
    if (commit.locked > 0) {
      this.observer.objectLockSkip(this.location);
      throw new SetLockedError(
        setId,
        `${this.where(setId)} is under Object Lock retention; it stays until its retention date passes`,
      );
    }
    await this.deleteAll(this.layout.setRoot(instance, setId));
  }

  async quarantine(setId: string): Promise<string> {
    const instance = await this.writerInstance();
    const commit = await this.commitOf(setId);
    if (!commit) throw new UserError(`${this.where(setId)}: no such sealed set`);
    const target = this.layout.quarantineKey(instance, setId, Date.now());
    await this.putObject(target, Buffer.from(`${JSON.stringify(commit, null, 2)}\n`), undefined);
    // A plain delete (a delete marker in a versioned bucket, allowed under Object Lock) hides the set;
    // its data objects stay where the quarantine record points.
    const key = this.layout.commitKey(instance, setId);
    await this.hide(key);
    this.commits.delete(setId);
    return `s3://${this.bucket}/${target}`;
  }

  /**
   * Aborts this instance's open multipart uploads and deletes attempts no commit points at (a crashed
   * or failed seal). Only the single writer of the instance calls this, at start. Objects Object Lock
   * keeps are left (invisible: no commit points at them).
   */
  async discardUnpublished(): Promise<void> {
    const instance = await this.writerInstance();
    const root = this.layout.instanceRoot(instance);
    for (const u of await this.call('listing multipart uploads', () =>
      listUploads(this.client, this.bucket, root),
    )) {
      await this.call('aborting a multipart upload', () =>
        this.client.send(
          new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: u.key, UploadId: u.uploadId }),
        ),
      );
    }
    const { objects } = await this.call('listing objects', () => listCurrent(this.client, this.bucket, root));
    const attempts = new Map<string, Set<string>>(); // set id → attempts with objects
    const committed = new Set<string>();
    const quarantined = new Set<string>();
    for (const { key } of objects) {
      const rest = key.slice(root.length);
      const parts = rest.split('/');
      if (parts[0] === QUARANTINE) {
        quarantined.add(rest);
      } else if (parts.length === 1 && rest.endsWith(COMMIT_SUFFIX)) {
        committed.add(rest.slice(0, -COMMIT_SUFFIX.length));
      } else if (parts.length >= 3 && parts[0] && parts[1]) {
        const set = attempts.get(parts[0]) ?? new Set<string>();
        set.add(parts[1]);
        attempts.set(parts[0], set);
      }
    }
    const kept = new Set<string>(); // "setId/attempt" that a commit or quarantine record points at
    for (const setId of committed) {
      const tried = attempts.get(setId);
      if (!tried) continue;
      // One attempt beside a commit is the committed one (keeping it is the safe side); only a set
      // with several needs its commit read to tell which to keep.
      const c = tried.size === 1 ? { attempt: [...tried][0] } : await this.commitOf(setId);
      if (c) kept.add(`${setId}/${c.attempt}`);
    }
    for (const q of quarantined) {
      const c = await this.call('reading a quarantine record', async () => {
        const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${root}${q}` }));
        return parseCommit((await r.Body?.transformToString('utf8')) ?? '', q);
      }).catch(() => undefined);
      if (c) kept.add(`${c.setId}/${c.attempt}`);
    }
    for (const [setId, set] of attempts) {
      for (const attempt of set) {
        if (!kept.has(`${setId}/${attempt}`))
          await this.deleteAll(this.layout.attemptRoot(instance, setId, attempt));
      }
    }
  }

  /** One `watch` per instance in a bucket: a lock object beside its sets (writer-lock.ts). */
  async lockForWriting(purpose: string): Promise<WriterLock> {
    const instance = await this.writerInstance();
    return BucketLock.acquire(
      this,
      this.layout.lockKey(instance),
      `${this.location} (instance ${instance})`,
      purpose,
    );
  }

  async close(): Promise<void> {
    this.client.destroy();
    await this.hasher.close();
  }
}
