/**
 * What a staged set and the writer lock need from the bucket store (S3Store implements it), so that
 * they do not import the store itself.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BucketLayout, Commit } from './layout.js';
import type { ObjectVersion } from './listing.js';
import type { SentObject } from './etag.js';
import type { Md5Thread } from '../../parallel/md5-thread.js';
import type { ObjectLock } from './upload.js';

export interface Bucket {
  readonly bucket: string;
  readonly client: S3Client;
  readonly layout: BucketLayout;
  readonly partSize: number;
  readonly partConcurrency: number;
  /** Hashes upload parts off the encrypting thread. */
  readonly hasher: Md5Thread;
  /** Runs one S3 call, turning failures an operator can fix into one clear line. */
  call<T>(action: string, fn: () => Promise<T>): Promise<T>;
  /** Reports one finished upload (metrics); `started` is its performance.now(). */
  uploaded(bytes: number, started: number): void;
  /** PutObject with Content-MD5; returns the version id in a versioned bucket. */
  putObject(
    key: string,
    body: Buffer,
    lock: ObjectLock | undefined,
    ifNoneMatch?: boolean,
  ): Promise<string | undefined>;
  liveVersions(key: string): Promise<ObjectVersion[]>;
  getText(key: string, versionId: string | undefined, action: string): Promise<string>;
  deleteVersion(key: string, versionId: string): Promise<void>;
  hide(key: string): Promise<void>;
  deleteAll(prefix: string, exactKey?: boolean): Promise<{ locked: number; deleted: number }>;
  where(setId: string, name?: string): string;
  /** A staged set's commit was written; `sent` is what its uploads sent (size and ETag by file name). */
  published(commit: Commit, sent: ReadonlyMap<string, SentObject>): void;
}
