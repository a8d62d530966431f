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
import { createHash } from 'node:crypto';
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
}

export const md5Base64 = (b: Uint8Array): string => createHash('md5').update(b).digest('base64');

function lockParams(o: UploadOptions) {
  return o.lock ? { ObjectLockMode: o.lock.mode, ObjectLockRetainUntilDate: o.lock.until } : {};
}

export async function putSmall(
  client: S3Client,
  bucket: string,
  key: string,
  body: Buffer,
  o: Pick<UploadOptions, 'lock' | 'ifNoneMatch'>,
): Promise<string | undefined> {
  const out = await client.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: body,
      ContentLength: body.length,
      ContentMD5: md5Base64(body),
      ...(o.ifNoneMatch ? { IfNoneMatch: '*' } : {}),
      ...lockParams({ ...o, partSize: 0, concurrency: 0 }),
    }),
  );
  return out.VersionId;
}

/** Cuts a stream into buffers of exactly `size` bytes (the last one shorter). */
async function* parts(data: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer[] = [];
  let have = 0;
  for await (const chunk of data) {
    let c = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    while (c.length > 0) {
      const take = Math.min(size - have, c.length);
      pending.push(Buffer.from(c.subarray(0, take))); // copy: the producer may reuse its buffer
      have += take;
      c = c.subarray(take);
      if (have === size) {
        yield Buffer.concat(pending, have);
        pending = [];
        have = 0;
      }
    }
  }
  if (have > 0 || pending.length === 0) yield Buffer.concat(pending, have);
}

/** Uploads the stream to `key`; returns its size in bytes. */
export async function uploadStream(
  client: S3Client,
  bucket: string,
  key: string,
  data: AsyncIterable<Uint8Array>,
  o: UploadOptions,
): Promise<number> {
  const it = parts(data, o.partSize)[Symbol.asyncIterator]();
  const first = await it.next();
  const firstPart = first.done ? Buffer.alloc(0) : first.value;
  const second = first.done ? first : await it.next();
  if (second.done) {
    await putSmall(client, bucket, key, firstPart, o);
    return firstPart.length;
  }
  const { UploadId } = await client.send(
    new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ...lockParams(o) }),
  );
  const etags: string[] = [];
  const inFlight = new Set<Promise<void>>();
  let failure: { err: unknown } | undefined;
  let bytes = 0;
  const send = (n: number, body: Buffer) => {
    bytes += body.length;
    const p = client
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId,
          PartNumber: n,
          Body: body,
          ContentLength: body.length,
          ContentMD5: md5Base64(body),
        }),
      )
      .then((r) => {
        etags[n - 1] = r.ETag ?? '';
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
    return bytes;
  } catch (err) {
    await Promise.allSettled(inFlight);
    await it.return?.(undefined);
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }))
      .catch(() => undefined);
    throw err;
  }
}
