/**
 * Authenticating one encrypted file of a set with the set's data key, wherever its bytes come from:
 * its header names the expected file and set, its header MAC and every payload segment verify, and the
 * payload is hashed on the way (the digest a manifest records). Writes no plaintext anywhere.
 */
import { createHash } from 'node:crypto';
import { IntegrityError, errorMessage } from '../errors.js';
import { PullReader } from '../format/chunks.js';
import { readHeader } from '../format/file.js';
import { verifyHeaderMac, type ParsedHeader } from '../format/header.js';
import { checkPayload } from '../format/payload.js';
import { READ_CHUNK, readChunks } from '../io/durable.js';
import { collectYoungGarbage } from '../io/young-garbage.js';
import { fileError } from './encrypted-file.js';

/** Opens the file's bytes from `start` to its end (a local file, a ranged GET). */
export type OpenBytes = (start: number) => AsyncIterable<Buffer>;

export interface AuthenticatedFile {
  plaintextBytes: number;
  /** SHA-256 of the payload (the bytes after the header), hex. */
  payloadSha256: string;
  /** Whole file, header included. */
  encryptedBytes: number;
}

/** Reads just the header from the front of the bytes (MAC not checked). */
export async function readHeaderFrom(open: OpenBytes, what: string): Promise<ParsedHeader> {
  const reader = new PullReader(open(0));
  try {
    return await readHeader(reader, what);
  } catch (err) {
    throw fileError(err, what, 'read');
  } finally {
    await reader.close();
  }
}

/** The header must name this file of this set, and its MAC must verify under the data key. */
export function checkHeaderOf(
  header: ParsedHeader,
  what: string,
  name: string,
  setId: string,
  dataKey: Buffer,
): void {
  if (header.context.fileName !== name || header.context.setId !== setId) {
    throw new IntegrityError(
      `${what}: belongs to another file or set (its header names ${header.context.fileName} of set ${header.context.setId})`,
    );
  }
  try {
    verifyHeaderMac(header, dataKey);
  } catch (err) {
    throw new IntegrityError(`${what}: ${errorMessage(err)}`);
  }
}

export async function authenticateBytes(
  open: OpenBytes,
  what: string,
  name: string,
  setId: string,
  dataKey: Buffer,
): Promise<AuthenticatedFile> {
  const header = await readHeaderFrom(open, what);
  checkHeaderOf(header, what, name, setId, dataKey);
  const hash = createHash('sha256');
  let payloadBytes = 0;
  const tapped = (async function* () {
    for await (const c of open(header.raw.length)) {
      hash.update(c);
      payloadBytes += c.length;
      collectYoungGarbage(c.length); // the chunks read (young-garbage.ts)
      yield c;
    }
  })();
  const reader = new PullReader(tapped);
  const params = { dataKey, associatedData: header.associatedData, segmentSize: header.segmentSize };
  // Tags only (no plaintext is wanted): nothing to decrypt, no output buffers.
  const plain = await checkPayload(reader, params, what)
    .catch((err: unknown) => {
      throw fileError(err, what, 'read');
    })
    .finally(() => reader.close());
  return {
    plaintextBytes: plain,
    payloadSha256: hash.digest('hex'),
    encryptedBytes: header.raw.length + payloadBytes,
  };
}

/** The same for a file on this host (what worker threads run). */
export function authenticatePath(
  path: string,
  name: string,
  setId: string,
  dataKey: Buffer,
): Promise<AuthenticatedFile> {
  return authenticateBytes((start) => readChunks(path, READ_CHUNK, start), path, name, setId, dataKey);
}
