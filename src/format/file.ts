/** A whole encrypted file: header followed by the streaming payload. Pure, like the rest of format/. */
import { PullReader } from './chunks.js';
import {
  associatedDataOf,
  decodeHeader,
  encodeHeader,
  headerLengthFromPreamble,
  verifyHeaderMac,
  type Header,
  type ParsedHeader,
} from './header.js';
import { IntegrityError } from '../errors.js';
import { PREAMBLE_LENGTH } from './limits.js';
import { decryptPayload, encryptPayload, type PayloadRandomness } from './payload.js';

export async function* encryptFile(
  source: AsyncIterable<Uint8Array>,
  header: Header,
  dataKey: Uint8Array,
  randomness?: PayloadRandomness,
): AsyncGenerator<Buffer> {
  yield encodeHeader(header, dataKey);
  yield* encryptPayload(
    source,
    { dataKey, associatedData: associatedDataOf(header), segmentSize: header.segmentSize },
    randomness,
  );
}

/** Reads and parses the header from the front of an encrypted stream (MAC not yet checked). */
export async function readHeader(reader: PullReader, what = 'file'): Promise<ParsedHeader> {
  try {
    if ((await reader.fill(PREAMBLE_LENGTH)) < PREAMBLE_LENGTH) {
      throw new IntegrityError('too short to be a snapshot-guard encrypted file');
    }
    const preamble = reader.take(PREAMBLE_LENGTH);
    const rest = headerLengthFromPreamble(preamble) - PREAMBLE_LENGTH;
    if ((await reader.fill(rest)) < rest) throw new IntegrityError('header is truncated');
    return decodeHeader(Buffer.concat([preamble, reader.take(rest)]));
  } catch (err) {
    if (err instanceof IntegrityError) throw new IntegrityError(`${what}: ${err.message}`);
    throw err;
  }
}

/** Decrypts the payload after checking the header MAC with the data key. */
export async function* decryptFile(
  reader: PullReader,
  header: ParsedHeader,
  dataKey: Uint8Array,
  what = 'file',
): AsyncGenerator<Buffer> {
  try {
    verifyHeaderMac(header, dataKey);
  } catch (err) {
    if (err instanceof IntegrityError) throw new IntegrityError(`${what}: ${err.message}`);
    throw err;
  }
  yield* decryptPayload(
    reader,
    { dataKey, associatedData: header.associatedData, segmentSize: header.segmentSize },
    what,
  );
}
