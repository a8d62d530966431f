/**
 * Where sealed sets live: one small interface for every kind of store (a local directory, an S3
 * bucket). Everything above this folder (sealing, recovery, retention, restore, verify, list, rewrap,
 * doctor) reaches sealed sets only through it; only an implementation knows its layout.
 *
 * The interface is shaped for object storage: no rename and no directories. A set is written as
 * staged objects and becomes visible in one step (`publish`: a directory rename locally, a commit
 * object written last with If-None-Match on a bucket). A set that was never published does not exist
 * for `listSets`, and `discardUnpublished` removes what an interrupted writer left behind.
 */
import type { SetInfo, SetStatus } from './set-info.js';

/** One stored file of a published set: the manifest (`manifest.sgm`) or an encrypted file (`NAME.sg`). */
export interface StoredFile {
  name: string;
  size: number;
}

export interface Store {
  /** The store as the operator named it: a directory path or `s3://bucket/prefix`. */
  readonly location: string;
  /** True for stores that keep bytes on this host (decides, for example, whether --out may sit in --dir). */
  readonly local: boolean;

  /**
   * Makes the store ready for a writer (a directory is created 0700) and checks it can be written.
   * Throws a UserError when it cannot; returns warnings (exposed permissions) with their fix.
   */
  prepare(): Promise<string[]>;
  /** What an operator should look at besides the published sets: interrupted writes, quarantined sets. */
  notices(): Promise<string[]>;

  /** Published set ids, newest first (ids start with the snapshot time). */
  listSets(): Promise<string[]>;
  /** The encrypted files of a published set (manifest included), without set.json and status.json. */
  listFiles(setId: string): Promise<StoredFile[]>;
  /** The bytes of one file of a published set, from `start` to its end. */
  read(setId: string, name: string, start?: number): AsyncIterable<Buffer>;
  /**
   * A path on this host where the file can be read directly (worker threads read segments of one file
   * in parallel), or undefined when the store is remote.
   */
  localPath(setId: string, name: string): string | undefined;
  /** How to name a set or one of its files in messages: a path or a URL. */
  where(setId: string, name?: string): string;

  /** set.json: what the set holds, for listings without a key (not authenticated). */
  readInfo(setId: string): Promise<SetInfo | undefined>;
  writeInfo(setId: string, info: SetInfo): Promise<void>;
  /** status.json: the last verification result (not authenticated). */
  readStatus(setId: string): Promise<SetStatus | undefined>;
  writeStatus(setId: string, status: SetStatus): Promise<void>;

  /**
   * A remote store that can prove a set this process just published without reading it back (from
   * checksums the server verified on upload) does so for the named files and returns true; false: read
   * it back. Throws an IntegrityError when what is stored differs from what was sent.
   */
  proveUploaded?(setId: string, names: readonly string[]): Promise<boolean>;
  /** Starts a new set; nothing of it is visible until `publish()`. Clears an earlier staging of the same id. */
  stage(setId: string): Promise<StagedSet>;
  /** Replaces one file of a published set atomically (rewrap: new header, same payload). */
  replaceFile(setId: string, name: string, data: AsyncIterable<Uint8Array>): Promise<void>;
  /** Deletes a published set; it stops being listed before any of its files go. */
  removeSet(setId: string): Promise<void>;
  /** Moves a set that failed verification out of view without deleting it; returns where it went. */
  quarantine(setId: string): Promise<string>;
  /** Removes what interrupted writers left: staged sets, half-deleted sets, unfinished uploads. */
  discardUnpublished(): Promise<void>;

  /**
   * Takes the store's single-writer lock (one `watch` per store), or throws a UserError naming the
   * holder (pid, host, since). A local store uses a lock file; a bucket uses a lock object created with
   * If-None-Match. A lock whose holder died is taken over.
   */
  lockForWriting(purpose: string): Promise<WriterLock>;

  /** Releases connections and handles. */
  close(): Promise<void>;
}

export interface WriterLock {
  release(): Promise<void>;
}

export interface StagedSet {
  readonly setId: string;
  /** Writes one file of the set; resolves when it is durable. Returns the bytes written. */
  write(name: string, data: AsyncIterable<Uint8Array>): Promise<number>;
  /**
   * A path on this host where the file may be written directly (by worker threads), or undefined when
   * the store is remote. A file written there counts as written once the writer has fsynced it.
   */
  localPath(name: string): string | undefined;
  writeInfo(info: SetInfo): Promise<void>;
  /** Makes the set visible in one step; fails if a set of that id is already published. */
  publish(): Promise<void>;
  /** Discards everything staged; after a successful publish() it does nothing. */
  abort(): Promise<void>;
}
