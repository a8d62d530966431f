/** Paginated listings: current objects (ListObjectsV2) and every version (ListObjectVersions). */
import {
  ListMultipartUploadsCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';

export interface Listed {
  objects: { key: string; size: number }[];
  /** Sub-"directories" when a delimiter is given. */
  prefixes: string[];
}

/** Current objects only: in a versioned bucket, older versions and deleted objects are not listed. */
export async function listCurrent(
  client: S3Client,
  bucket: string,
  prefix: string,
  delimiter?: string,
): Promise<Listed> {
  const out: Listed = { objects: [], prefixes: [] };
  let token: string | undefined;
  do {
    const r = await client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(delimiter ? { Delimiter: delimiter } : {}),
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of r.Contents ?? []) if (o.Key) out.objects.push({ key: o.Key, size: o.Size ?? 0 });
    for (const p of r.CommonPrefixes ?? []) if (p.Prefix) out.prefixes.push(p.Prefix);
    token = r.IsTruncated ? r.NextContinuationToken : undefined;
  } while (token);
  return out;
}

export interface ObjectVersion {
  key: string;
  /** undefined in a bucket that never had versioning. */
  versionId: string | undefined;
  deleteMarker: boolean;
  isLatest: boolean;
  lastModified: number;
}

/** Every version and delete marker under `prefix`, each key's newest first (as S3 lists them). */
export async function listVersions(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<ObjectVersion[]> {
  const out: ObjectVersion[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  const vid = (v: string | undefined) => (v && v !== 'null' ? v : undefined);
  do {
    const r = await client.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
      }),
    );
    for (const v of r.Versions ?? []) {
      if (v.Key)
        out.push({
          key: v.Key,
          versionId: vid(v.VersionId),
          deleteMarker: false,
          isLatest: v.IsLatest ?? false,
          lastModified: v.LastModified?.getTime() ?? 0,
        });
    }
    for (const d of r.DeleteMarkers ?? []) {
      if (d.Key)
        out.push({
          key: d.Key,
          versionId: vid(d.VersionId),
          deleteMarker: true,
          isLatest: d.IsLatest ?? false,
          lastModified: d.LastModified?.getTime() ?? 0,
        });
    }
    keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
    versionMarker = r.IsTruncated ? r.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return out;
}

/** Multipart uploads still open under `prefix`. */
export async function listUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
): Promise<{ key: string; uploadId: string }[]> {
  const out: { key: string; uploadId: string }[] = [];
  let keyMarker: string | undefined;
  let idMarker: string | undefined;
  do {
    const r = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(idMarker ? { UploadIdMarker: idMarker } : {}),
      }),
    );
    for (const u of r.Uploads ?? []) if (u.Key && u.UploadId) out.push({ key: u.Key, uploadId: u.UploadId });
    keyMarker = r.IsTruncated ? r.NextKeyMarker : undefined;
    idMarker = r.IsTruncated ? r.NextUploadIdMarker : undefined;
  } while (keyMarker);
  return out;
}
