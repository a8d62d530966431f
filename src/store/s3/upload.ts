/**
 * Streaming upload of one object with bounded memory: parts of `partSize` bytes, at most `concurrency`
 * of them in flight, each with Content-MD5 so the server verifies every byte it stores. An object that
 * fits in one part is a single PutObject. A failed upload is aborted (best effort: whatever is left is
 * aborted by discardUnpublished at the next start).
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { md5Of, multipartEtag, singlePartEtag, type SentObject } from './etag.js';
import { sharedBuffer, type Md5Thread } from '../../parallel/md5-thread.js';
import type { ObjectLockMode } from './settings.js';

export interface ObjectLock {
  mode: ObjectLockMode;
  until: Date;
}

export interface UploadOptions {
  partSize: number;
  concurrency: number;
  lock?: ObjectLock;
  /** PutObject only: If-None-Match: * (refused with 412 when the key exists). */
  ifNoneMatch?: boolean;
  /** Hashes parts off the encrypting thread (else inline). */
  hasher?: Md5Thread;
}

function lockParams(o: UploadOptions) {
  return o.lock ? { ObjectLockMode: o.lock.mode, ObjectLockRetainUntilDate: o.lock.until } : {};
}

export async function putSmall(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  o: Pick<UploadOptions, 'lock' | 'ifNoneMatch'>,
  md5 = md5Of(body),
): Promise<string | undefined> {
  const out = await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentMD5: md5.toString('base64'),
      ...(o.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      ...lockParams({ ...o, partSize: 0, concurrency: 0 }),
    }),
  );
  return out.VersionId;
}

/**
 * Part buffers of one upload, reused once their part is stored: the flow control of uploadStream keeps
 * at most `concurrency + 1` in use, and reuse spares the garbage collector a fresh 8 MiB per part.
 */
class PartBuffers {
  private readonly free: Buffer[] = [];
  constructor(private readonly size: number) {}
  take(): Buffer {
    return this.free.pop() ?? sharedBuffer(this.size);
  }
  give(b: Buffer): void {
    if (b.buffer.byteLength === this.size)
      this.free.push(Buffer.from(b.buffer as SharedArrayBuffer, 0, this.size));
  }
}

/** Cuts a stream into parts of exactly `size` bytes (the last one shorter), copying each byte once. */
async function* parts(
  data: AsyncIterable<Uint8Array>,
  size: number,
  pool: PartBuffers,
): AsyncGenerator<Buffer> {
  let part = pool.take();
  let have = 0;
  let yielded = false;
  for await (const chunk of data) {
    for (let at = 0; at < chunk.byteLength;) {
      const n = Math.min(size - have, chunk.byteLength - at);
      part.set(chunk.subarray(at, at + n), have); // a copy: the producer may reuse its buffer
      have += n;
      at += n;
      if (have === size) {
        yield part;
        yielded = true;
        part = pool.take();
        have = 0;
      }
    }
  }
  if (have > 0 || !yielded) yield part.subarray(0, have);
}

/** Uploads the stream to `key`; returns its size and the ETag the stored object must have. */
export async function uploadStream(
  client: S3Client,
  bucket: string,
  key: string,
  data: AsyncIterable<Uint8Array>,
  o: UploadOptions,
): Promise<SentObject> {
  const pool = new PartBuffers(o.partSize);
  const it = parts(data, o.partSize, pool)[Symbol.asyncIterator]();
  const first = await it.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second = first.done ? first : await it.next();
  const digest = (b: Buffer) => o.hasher?.digest(b) ?? Promise.resolve(md5Of(b));
  if (second.done) {
    const md5 = await digest(firstPart);
    await putSmall(client, bucket, key, firstPart, o, md5);
    return { size: firstPart.length, etag: singlePartEtag(md5) };
  }
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...lockParams(o) }),
  );
  const etags: string[] = [];
  const md5s: Buffer[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let bytes = 0;
  const send = (n: number, body: Buffer) => {
    bytes += body.length;
    const p = digest(body)
      .then(async (md5) => {
        md5s[n - 1] = md5;
        const r = await client.send(
          new UploadPartCommand({
            Bucket: bucket,
            Key: key,
            UploadId,
            PartNumber: n,
            Body: body,
            ContentLength: body.length,
            ContentMD5: md5.toString('base64'),
          }),
        );
        etags[n - 1] = r.ETag ?? '';
        pool.give(body);
      })
      .catch((err: unknown) => {
        failure ??= { err };
      })
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  };
  try {
    let n = 1;
    send(n++, firstPart);
    let next: IteratorResult<Buffer> = second;
    while (!next.done && !failure) {
      send(n++, next.value);
      while (inFlight.size >= o.concurrency && !failure) await Promise.race(inFlight);
      if (!failure) next = await it.next();
    }
    await Promise.all(inFlight);
    if (failure) throw failure.err;
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
    return { size: bytes, etag: multipartEtag(md5s) };
  } catch (err) {
    await Promise.allSettled(inFlight);
    await it.return?.(undefined);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
      .catch(() => undefined);
    throw err;
  }
}
