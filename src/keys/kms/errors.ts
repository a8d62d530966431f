/**
 * Turns what @aws-sdk/client-kms throws into one-line KeyProviderErrors that name the key, say what
 * went wrong and what to do, and tell a daemon whether waiting can help (`transient`).
 * By the time an error gets here the SDK has already retried throttling, 5xx and network failures.
 */
import { KeyProviderError } from '../errors.js';

export interface KmsCallInfo {
  /** The key as configured (id, ARN or alias). */
  key: string;
  /** KMS operation name, e.g. "Decrypt". */
  operation: string;
  /** Where requests go: the --kms-endpoint URL, or undefined for the region's public endpoint. */
  endpoint: string | undefined;
  region: string | undefined;
  /** Key ARN recorded in the header for the wrapped copy being unwrapped or re-wrapped. */
  wrappedBy?: string;
  /** Non-secret context, named in messages about a refused ciphertext. */
  context?: { instance: string; setId: string };
}

interface SdkErrorShape {
  name: string;
  message: string;
  code: string | undefined;
  status: number | undefined;
  attempts: number | undefined;
  fault: string | undefined;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);
const TIMEOUT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException']);
const THROTTLING = new Set(['ThrottlingException', 'LimitExceededException', 'TooManyRequestsException']);
const SERVER_SIDE = new Set([
  'KMSInternalException',
  'DependencyTimeoutException',
  'KeyUnavailableException',
]);
const BAD_CREDENTIALS = new Set([
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'IncompleteSignatureException',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
]);

const KEY_ARN = /arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+/;

function field(err: object, name: string): unknown {
  return (err as Record<string, unknown>)[name];
}

function shapeOf(err: unknown): SdkErrorShape {
  if (typeof err !== 'object' || err === null) {
    return {
      name: 'Error',
      message: String(err),
      code: undefined,
      status: undefined,
      attempts: undefined,
      fault: undefined,
    };
  }
  const meta = field(err, '$metadata');
  const metaField = (n: string): unknown =>
    typeof meta === 'object' && meta !== null ? field(meta, n) : undefined;
  const cause = field(err, 'cause');
  const code = field(err, 'code') ?? (typeof cause === 'object' && cause ? field(cause, 'code') : undefined);
  const name = field(err, 'name');
  const message = field(err, 'message');
  const status = metaField('httpStatusCode');
  const attempts = metaField('attempts');
  const fault = field(err, '$fault');
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? message : '',
    code: typeof code === 'string' ? code : undefined,
    status: typeof status === 'number' ? status : undefined,
    attempts: typeof attempts === 'number' ? attempts : undefined,
    fault: typeof fault === 'string' ? fault : undefined,
  };
}

/** Service text, squeezed to one short line (KMS messages can carry principal ARNs, never secrets). */
function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 297)}...` : t;
}

function afterAttempts(n: number | undefined): string {
  return n && n > 1 ? ` after ${n} attempts` : '';
}

/** Builds the KeyProviderError for a failed KMS call. */
export function kmsCallError(err: unknown, call: KmsCallInfo): KeyProviderError {
  const e = shapeOf(err);
  const key = `KMS key ${call.key}`;
  const op = call.operation;
  const where = call.endpoint ?? `the KMS endpoint of region ${call.region ?? '(default)'}`;
  const aws = e.message && e.message !== 'UnknownError' ? `: ${oneLine(e.message)}` : '';
  const make = (message: string, transient: boolean) =>
    new KeyProviderError(message, transient, { cause: err });

  if ((e.code && NETWORK_CODES.has(e.code)) || TIMEOUT_NAMES.has(e.name)) {
    return make(
      `cannot reach ${where} for ${key} (${e.code ?? e.name}${afterAttempts(e.attempts)}); check the network, --kms-endpoint and --kms-region, then try again`,
      true,
    );
  }
  if (e.name === 'CredentialsProviderError' || /could not load credentials/i.test(e.message)) {
    return make(
      `no AWS credentials found for ${key}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an IAM role (EKS IRSA, ECS task role, EC2 instance profile); see docs/KMS.md`,
      false,
    );
  }
  if (/region is missing/i.test(e.message)) {
    return make(
      `no AWS region for ${key}: pass --kms-region, set AWS_REGION, or give the key as an ARN`,
      false,
    );
  }
  if (THROTTLING.has(e.name)) {
    return make(
      `KMS throttled ${op} for ${key} (${e.name}${afterAttempts(e.attempts)}); try again later, or raise --kms-max-attempts or the account's KMS request quota`,
      true,
    );
  }
  if (SERVER_SIDE.has(e.name) || (e.status !== undefined && e.status >= 500)) {
    return make(
      `KMS failed ${op} for ${key} (${e.name}${e.status ? `, HTTP ${e.status}` : ''}${afterAttempts(e.attempts)}); the fault is on the KMS side: try again later`,
      true,
    );
  }
  if (BAD_CREDENTIALS.has(e.name)) {
    return make(
      `KMS rejected the AWS credentials used for ${key} (${e.name}${aws}); check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the IAM role, refresh expired session credentials, and check the system clock`,
      false,
    );
  }
  switch (e.name) {
    case 'AccessDeniedException':
      return make(
        `${key}: access denied for kms:${op}${aws}; allow kms:${op} on this key for this principal in the key policy or an IAM policy (docs/KMS.md)`,
        false,
      );
    case 'DisabledException': {
      // enable-key takes a key id or key ARN, not an alias: KMS's message names the key ARN.
      const arn = call.wrappedBy ?? KEY_ARN.exec(e.message)?.[0] ?? call.key;
      return make(
        `${key} is disabled; enable it (aws kms enable-key --key-id ${arn}) or configure another key`,
        false,
      );
    }
    case 'NotFoundException':
      return make(
        `${key} was not found in region ${call.region ?? '(default)'}${aws}; check the key id or alias (written alias/NAME), the region (--kms-region, or the region in the ARN) and the AWS account`,
        false,
      );
    case 'InvalidCiphertextException': {
      const ctx = call.context
        ? ` (instance "${call.context.instance}", set id "${call.context.setId}")`
        : '';
      return make(
        `${key} refused the wrapped data key (InvalidCiphertextException): the wrapped key was altered, or its encryption context${ctx} is not the one it was wrapped with`,
        false,
      );
    }
    case 'IncorrectKeyException':
      return make(
        `${key} cannot unwrap this data key: it was wrapped by ${call.wrappedBy ?? 'another KMS key'} (IncorrectKeyException); configure --kms-key-id ${call.wrappedBy ?? 'with the key that wrapped it'}`,
        false,
      );
    case 'KMSInvalidStateException':
      return make(
        `${key} cannot be used in its current state${aws}; if it is pending deletion, cancel that (aws kms cancel-key-deletion) and enable the key again`,
        false,
      );
    case 'InvalidKeyUsageException':
      return make(
        `${key} is not a symmetric encryption key${aws}; configure a key with key spec SYMMETRIC_DEFAULT and usage ENCRYPT_DECRYPT`,
        false,
      );
  }
  const service = e.status !== undefined || e.fault !== undefined;
  return make(
    service
      ? `KMS ${op} failed for ${key} (${e.name}${aws})`
      : `KMS ${op} failed for ${key}: ${oneLine(e.message || e.name)}`,
    e.fault === 'server',
  );
}
