// Which wrapped copies a configured KMS key may have made, decided without calling KMS.
import { describe, expect, it } from 'vitest';
import { mayHaveWrapped, parseKmsKeyRef, regionOf, type KmsKeyRef } from '../../../src/keys/kms/key-id.js';

const ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const OTHER = '0987dcba-09ba-87dc-65fe-0987654321ba';
const ARN = `arn:aws:kms:us-east-2:111122223333:key/${ID}`;
const MRK = 'mrk-1234abcd12ab34cd56ef1234567890ab';

function ref(text: string): KmsKeyRef {
  const r = parseKmsKeyRef(text);
  if (!r) throw new Error(`not a key reference: ${text}`);
  return r;
}

describe('KMS key references', () => {
  it('accepts the four forms KMS accepts, and knows the region of an ARN', () => {
    expect(ref(ID).kind).toBe('key-id');
    expect(ref(MRK).kind).toBe('key-id');
    expect(ref(ARN)).toMatchObject({ kind: 'key-arn', region: 'us-east-2', account: '111122223333', id: ID });
    expect(ref('alias/snapshots/prod_1')).toMatchObject({ kind: 'alias', name: 'snapshots/prod_1' });
    expect(ref('arn:aws:kms:eu-west-1:111122223333:alias/snap')).toMatchObject({
      kind: 'alias-arn',
      region: 'eu-west-1',
    });
    expect(ref(`arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/${ID}`).kind).toBe('key-arn');
    expect(regionOf(ref(ARN))).toBe('us-east-2');
    expect(regionOf(ref('alias/x'))).toBeUndefined();
  });

  it('rejects what KMS would not accept', () => {
    for (const bad of [
      '',
      'snapshots',
      'alias/',
      'alias/has space',
      `arn:aws:kms:us-east-2:1111:key/${ID}`,
      'arn:aws:kms:us-east-2:111122223333:key/not-a-uuid',
      `arn:aws:s3:us-east-2:111122223333:key/${ID}`,
      ID.toUpperCase(),
    ]) {
      expect(parseKmsKeyRef(bad), bad).toBeUndefined();
    }
  });
});

describe('mayHaveWrapped (canUnwrap)', () => {
  it('a key ARN or key id matches only its own ARN', () => {
    expect(mayHaveWrapped(ref(ARN), ARN)).toBe(true);
    expect(mayHaveWrapped(ref(ID), ARN)).toBe(true);
    expect(mayHaveWrapped(ref(OTHER), ARN)).toBe(false);
    expect(mayHaveWrapped(ref(`arn:aws:kms:us-east-2:111122223333:key/${OTHER}`), ARN)).toBe(false);
    // Same id in another region is another key, unless it is a multi-Region key.
    expect(mayHaveWrapped(ref(`arn:aws:kms:eu-west-1:111122223333:key/${ID}`), ARN)).toBe(false);
  });

  it('a replica of a multi-Region key matches the primary in another region', () => {
    const primary = `arn:aws:kms:us-east-1:111122223333:key/${MRK}`;
    expect(mayHaveWrapped(ref(`arn:aws:kms:eu-west-1:111122223333:key/${MRK}`), primary)).toBe(true);
    expect(mayHaveWrapped(ref(`arn:aws:kms:eu-west-1:444455556666:key/${MRK}`), primary)).toBe(false);
  });

  it('an alias (name or ARN) cannot be resolved locally, so it is always worth a try', () => {
    expect(mayHaveWrapped(ref('alias/snap'), ARN)).toBe(true);
    expect(mayHaveWrapped(ref('arn:aws:kms:us-east-2:111122223333:alias/snap'), ARN)).toBe(true);
  });

  it('a header key id that is not an ARN is compared as text', () => {
    expect(mayHaveWrapped(ref(ID), ID)).toBe(true);
    expect(mayHaveWrapped(ref(OTHER), ID)).toBe(false);
  });
});
