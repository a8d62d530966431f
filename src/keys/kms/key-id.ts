/**
 * The four ways to name a KMS key (key id, key ARN, alias name, alias ARN), and what can be decided
 * locally about whether a configured key made a wrapped copy whose header records a key ARN.
 */
export type KmsKeyRef =
  | { kind: 'key-arn'; text: string; partition: string; region: string; account: string; id: string }
  | { kind: 'alias-arn'; text: string; partition: string; region: string; account: string; name: string }
  | { kind: 'alias'; text: string; name: string }
  | { kind: 'key-id'; text: string; id: string };

const ARN = /^arn:(aws[a-z-]*):kms:([a-z0-9-]+):(\d{12}):(key|alias)\/(.+)$/;
const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
const ALIAS_NAME = /^[A-Za-z0-9/_-]{1,250}$/;

/** Parses a key reference; undefined when it is none of the four forms KMS accepts. */
export function parseKmsKeyRef(text: string): KmsKeyRef | undefined {
  const arn = ARN.exec(text);
  if (arn) {
    const [, partition = '', region = '', account = '', type, rest = ''] = arn;
    if (type === 'key') {
      return KEY_ID.test(rest) ? { kind: 'key-arn', text, partition, region, account, id: rest } : undefined;
    }
    return ALIAS_NAME.test(rest)
      ? { kind: 'alias-arn', text, partition, region, account, name: rest }
      : undefined;
  }
  if (text.startsWith('alias/')) {
    const name = text.slice('alias/'.length);
    return ALIAS_NAME.test(name) ? { kind: 'alias', text, name } : undefined;
  }
  return KEY_ID.test(text) ? { kind: 'key-id', text, id: text } : undefined;
}

/** The region named by an ARN reference, which is where its requests must go. */
export function regionOf(ref: KmsKeyRef): string | undefined {
  return ref.kind === 'key-arn' || ref.kind === 'alias-arn' ? ref.region : undefined;
}

/**
 * Whether the configured key may have made a wrapped copy stored under `storedKeyId` (the key ARN KMS
 * returned when wrapping). False only when it certainly did not; KMS has the last word, because
 * Decrypt is pinned to the configured key.
 */
export function mayHaveWrapped(configured: KmsKeyRef, storedKeyId: string): boolean {
  const stored = parseKmsKeyRef(storedKeyId);
  if (stored?.kind !== 'key-arn') return configured.text === storedKeyId || isAlias(configured);
  switch (configured.kind) {
    case 'alias':
    case 'alias-arn':
      return true; // an alias cannot be resolved locally
    case 'key-id':
      return configured.id === stored.id;
    case 'key-arn':
      if (configured.text === stored.text) return true;
      // Replicas of a multi-Region key share id and key material, and differ only in the region.
      return (
        configured.id.startsWith('mrk-') &&
        configured.id === stored.id &&
        configured.account === stored.account &&
        configured.partition === stored.partition
      );
  }
}

function isAlias(ref: KmsKeyRef): boolean {
  return ref.kind === 'alias' || ref.kind === 'alias-arn';
}
