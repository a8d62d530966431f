/** Reading sealed sets back from a bucket in tests, through the library (S3Store), and bucket checks. */
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { PullReader } from '../../src/format/chunks.js';
import { decryptFile, readHeader } from '../../src/format/file.js';
import type { Keyring } from '../../src/keys/keyring.js';
import { encryptedNameFor } from '../../src/store/names.js';
import { S3Store } from '../../src/store/s3/s3-store.js';
import { parseS3Url } from '../../src/store/s3/settings.js';
import { verifyOpened, withSealedSet } from '../../src/store/sealed-set.js';
import type { Ceph } from './ceph.js';

/** An S3Store on the test cluster, as the CLI would open it (src/store/open.ts, which is async). */
export function s3Store(c: Ceph, url: string, instance?: string): S3Store {
  const where = parseS3Url(url, '--out');
  return new S3Store(`s3://${where.bucket}${where.prefix ? `/${where.prefix}` : ''}`, where, {
    endpoint: c.endpoint,
    forcePathStyle: true,
    region: c.env.AWS_REGION,
    ...(instance ? { instance } : {}),
  });
}

/** Verifies a committed set in full and returns each file's decrypted bytes by name. */
export function readS3Set(store: S3Store, setId: string, keyring: Keyring): Promise<Map<string, Buffer>> {
  return withSealedSet(store, setId, keyring, async (set) => {
    await verifyOpened(store, set, 2);
    const files = new Map<string, Buffer>();
    for (const f of set.manifest.files) {
      const reader = new PullReader(store.read(setId, encryptedNameFor(f.name)));
      try {
        const header = await readHeader(reader);
        const parts: Buffer[] = [];
        for await (const c of decryptFile(reader, header, set.dataKey)) parts.push(c);
        files.set(f.name, Buffer.concat(parts));
      } finally {
        await reader.close();
      }
    }
    return files;
  });
}

/** Open multipart uploads in the bucket. */
export async function openUploads(c: Ceph, bucket: string): Promise<string[]> {
  const r = await c.client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  return (r.Uploads ?? []).map((u) => u.Key ?? '');
}

/** Every current object key in the bucket. */
export async function allKeys(c: Ceph, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const r = await c.client.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of r.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return keys;
}
