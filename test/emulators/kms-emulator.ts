/**
 * A wire-level AWS KMS emulator for tests: an HTTP server on 127.0.0.1 speaking the KMS JSON 1.1
 * protocol (POST /, X-Amz-Target: TrentService.<Operation>, application/x-amz-json-1.1), verifying
 * SigV4 signatures with the test's secret key, and implementing GenerateDataKey, Encrypt, Decrypt,
 * ReEncrypt and DescribeKey with real AES-256-GCM (kms-emulator-keys.ts). Errors have the public API's
 * names, statuses and JSON shape {"__type": ..., "message": ...}. Tests can disable keys, deny
 * operations, inject throttling or 5xx, take the listener down, and count calls per operation.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KmsFault, KmsKeyStore, type EmulatedKey } from './kms-emulator-keys.js';
import { verifySigV4, type TestCredentials } from './kms-sigv4.js';

export { KmsFault };
export type { TestCredentials };

export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '111122223333';
/** Fake credentials the emulator knows; the SDK signs real SigV4 signatures with them. */
export const TEST_CREDENTIALS: TestCredentials = {
  accessKeyId: 'AKIASNAPSHOTGUARDTEST',
  secretAccessKey: 'snapshot-guard-test-secret-key-not-a-real-one',
};

/** AWS settings a developer's shell may have that would change where the SDK goes or who it is. */
const HOST_AWS_VARIABLES = [
  'AWS_PROFILE',
  'AWS_DEFAULT_REGION',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_KMS',
  'AWS_MAX_ATTEMPTS',
  'AWS_RETRY_MODE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_USE_FIPS_ENDPOINT',
];

/** Applies an env() result to an environment object (undefined deletes). */
export function applyEnv(target: NodeJS.ProcessEnv, env: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete target[k];
    else target[k] = v;
  }
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';
const OPERATIONS = ['GenerateDataKey', 'Encrypt', 'Decrypt', 'ReEncrypt', 'DescribeKey'] as const;
type Operation = (typeof OPERATIONS)[number];
type Json = Record<string, unknown>;

export interface RecordedRequest {
  operation: string;
  /** The request body, with Plaintext removed. */
  body: Json;
  status: number;
  errorType?: string;
  /** Region of the request's SigV4 credential scope, once the signature verified. */
  signingRegion?: string;
}

interface Fault {
  kind: 'throttle' | 'fail';
  remaining: number;
  status: number;
  type: string;
}

export interface KmsEmulatorOptions {
  region?: string;
  account?: string;
  credentials?: TestCredentials[];
}

export class KmsEmulator {
  readonly store: KmsKeyStore;
  readonly requests: RecordedRequest[] = [];
  /** The last request exactly as received (to replay it, altered, in tests of the signature check). */
  lastRaw: { headers: IncomingMessage['headers']; body: Buffer } | undefined;
  private readonly credentials: Map<string, TestCredentials>;
  private readonly denied = new Set<string>();
  private readonly policies = new Map<string, Set<string>>();
  private fault: Fault | undefined;
  private port = 0;

  private constructor(
    private readonly server: Server,
    opts: KmsEmulatorOptions,
  ) {
    this.store = new KmsKeyStore(opts.region ?? TEST_REGION, opts.account ?? TEST_ACCOUNT);
    this.credentials = new Map((opts.credentials ?? [TEST_CREDENTIALS]).map((c) => [c.accessKeyId, c]));
  }

  static async start(opts: KmsEmulatorOptions = {}): Promise<KmsEmulator> {
    const server = createServer();
    const emulator = new KmsEmulator(server, opts);
    server.on('request', (req, res) => void emulator.handle(req, res));
    await emulator.listen(0);
    return emulator;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get region(): string {
    return this.store.region;
  }

  /**
   * Environment for code under test: these credentials, this region, and nothing from the host's AWS
   * setup (undefined = remove the variable; no instance-metadata probing off this machine).
   */
  env(creds: TestCredentials = TEST_CREDENTIALS): Record<string, string | undefined> {
    return {
      ...Object.fromEntries(HOST_AWS_VARIABLES.map((name) => [name, undefined])),
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_SESSION_TOKEN: creds.sessionToken,
      AWS_REGION: this.region,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
  }

  createKey(opts: { alias?: string; description?: string } = {}): EmulatedKey {
    return this.store.create(opts);
  }

  addCredentials(creds: TestCredentials): void {
    this.credentials.set(creds.accessKeyId, creds);
  }

  setState(ref: string, state: EmulatedKey['state']): void {
    this.store.resolve(ref).state = state;
  }

  /** New key material for new ciphertexts; old ones still decrypt (automatic rotation). */
  rotate(ref: string): void {
    this.store.resolve(ref).materials.push(randomBytes(32));
  }

  /**
   * A key policy for the test principal: only these `kms:<action>`s are allowed on the key, every other
   * one answers AccessDeniedException (as KMS does when neither key policy nor IAM policy allows it).
   */
  keyPolicy(ref: string, allowed: string[]): void {
    this.policies.set(this.store.resolve(ref).arn, new Set(allowed));
  }

  /** Makes `kms:<action>` on the key answer AccessDeniedException. */
  deny(ref: string, action: string): void {
    this.denied.add(`${this.store.resolve(ref).arn} ${action}`);
  }

  /** The next `count` requests (Infinity: until clearFaults) get ThrottlingException, HTTP 400. */
  throttle(count: number): void {
    this.fault = { kind: 'throttle', remaining: count, status: 400, type: 'ThrottlingException' };
  }

  /** The next `count` requests (Infinity: until clearFaults) get a server error. */
  fail(count: number, status = 500, type = 'KMSInternalException'): void {
    this.fault = { kind: 'fail', remaining: count, status, type };
  }

  clearFaults(): void {
    this.fault = undefined;
  }

  /** Requests received for an operation (every attempt), or only the successful ones. */
  count(operation: string, opts: { ok?: boolean } = {}): number {
    return this.requests.filter((r) => r.operation === operation && (!opts.ok || r.status === 200)).length;
  }

  resetRequests(): void {
    this.requests.length = 0;
  }

  /** Closes the listener and every open connection: KMS is unreachable until up(). */
  async down(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  /** Listens again on the same port. */
  async up(): Promise<void> {
    if (!this.server.listening) await this.listen(this.port);
  }

  stop(): Promise<void> {
    return this.down();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    this.lastRaw = { headers: req.headers, body };
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' ? target.replace(/^TrentService\./, '') : '';
    const record: RecordedRequest = { operation, body: {}, status: 200 };
    try {
      if (req.method !== 'POST' || req.url !== '/')
        throw new KmsFault('UnknownOperationException', undefined, 404);
      if (req.headers['content-type'] !== CONTENT_TYPE) {
        throw new KmsFault('SerializationException', `Content-Type must be ${CONTENT_TYPE}`);
      }
      const input = parseJson(body);
      const { Plaintext: _omitted, ...recorded } = input;
      record.body = recorded;
      this.requests.push(record);
      if (!OPERATIONS.includes(operation as Operation) || target !== `TrentService.${operation}`) {
        throw new KmsFault('UnknownOperationException', undefined);
      }
      const auth = verifySigV4(
        { method: req.method, url: req.url, headers: req.headers, body },
        (id) => this.credentials.get(id),
        'kms',
      );
      if (!auth.ok) throw new KmsFault(auth.type, auth.message);
      record.signingRegion = auth.region;
      this.injectFault();
      this.reply(res, 200, this.dispatch(operation as Operation, input));
    } catch (err) {
      const fault = err instanceof KmsFault ? err : new KmsFault('KMSInternalException', String(err), 500);
      if (!this.requests.includes(record)) this.requests.push(record);
      record.status = fault.status;
      record.errorType = fault.type;
      this.reply(res, fault.status, {
        __type: fault.type,
        ...(fault.awsMessage === undefined ? {} : { message: fault.awsMessage }),
      });
    }
  }

  private injectFault(): void {
    const f = this.fault;
    if (!f || f.remaining <= 0) return;
    f.remaining -= 1;
    throw new KmsFault(f.type, f.kind === 'throttle' ? 'Rate exceeded' : 'Internal error', f.status);
  }

  private reply(res: ServerResponse, status: number, body: Json): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
    });
    res.end(text);
  }

  private allow(key: EmulatedKey, action: string): void {
    const policy = this.policies.get(key.arn);
    if (this.denied.has(`${key.arn} ${action}`) || (policy && !policy.has(action))) {
      throw new KmsFault(
        'AccessDeniedException',
        `User: arn:aws:iam::${this.store.account}:user/snapshot-guard-test is not authorized to perform: ${action} on resource: ${key.arn} because no identity-based policy allows the ${action} action`,
      );
    }
  }

  private dispatch(operation: Operation, input: Json): Json {
    switch (operation) {
      case 'GenerateDataKey':
        return this.generateDataKey(input);
      case 'Encrypt':
        return this.encrypt(input);
      case 'Decrypt':
        return this.decrypt(input);
      case 'ReEncrypt':
        return this.reEncrypt(input);
      case 'DescribeKey':
        return this.describeKey(input);
    }
  }

  private generateDataKey(input: Json): Json {
    const key = this.store.usable(this.store.resolve(input.KeyId));
    this.allow(key, 'kms:GenerateDataKey');
    const spec = input.KeySpec;
    const n = input.NumberOfBytes;
    if ((spec === undefined) === (n === undefined)) {
      throw new KmsFault('ValidationException', 'Please specify either number of bytes or key spec.');
    }
    const length = spec === 'AES_256' ? 32 : spec === 'AES_128' ? 16 : typeof n === 'number' ? n : -1;
    if (!Number.isInteger(length) || length < 1 || length > 1024) {
      throw new KmsFault('ValidationException', 'KeySpec or NumberOfBytes is invalid');
    }
    const plaintext = randomBytes(length);
    const blob = this.store.seal(key, contextOf(input.EncryptionContext), plaintext);
    return { CiphertextBlob: b64(blob), Plaintext: b64(plaintext), KeyId: key.arn };
  }

  private encrypt(input: Json): Json {
    const key = this.store.usable(this.store.resolve(input.KeyId));
    this.allow(key, 'kms:Encrypt');
    const plaintext = blobOf(input.Plaintext, 'Plaintext');
    if (plaintext.length < 1 || plaintext.length > 4096) {
      throw new KmsFault('ValidationException', 'Plaintext must be 1 to 4096 bytes');
    }
    const blob = this.store.seal(key, contextOf(input.EncryptionContext), plaintext);
    return { CiphertextBlob: b64(blob), KeyId: key.arn, EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  /** Checks the pinned key (if any) against the blob's key, then the state, the policy and the tag. */
  private openBlob(input: Json, pinned: unknown, action: string, contextField: string) {
    const blob = blobOf(input.CiphertextBlob, 'CiphertextBlob');
    const owner = this.store.ownerOf(blob);
    if (pinned !== undefined && this.store.resolve(pinned).arn !== owner.arn) {
      throw new KmsFault(
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
    }
    this.store.usable(owner);
    this.allow(owner, action);
    return { owner, plaintext: this.store.open(owner, contextOf(input[contextField]), blob) };
  }

  private decrypt(input: Json): Json {
    const { owner, plaintext } = this.openBlob(input, input.KeyId, 'kms:Decrypt', 'EncryptionContext');
    return { KeyId: owner.arn, Plaintext: b64(plaintext), EncryptionAlgorithm: 'SYMMETRIC_DEFAULT' };
  }

  private reEncrypt(input: Json): Json {
    const dest = this.store.usable(this.store.resolve(input.DestinationKeyId));
    const { owner, plaintext } = this.openBlob(
      input,
      input.SourceKeyId,
      'kms:ReEncryptFrom',
      'SourceEncryptionContext',
    );
    this.allow(dest, 'kms:ReEncryptTo');
    const blob = this.store.seal(dest, contextOf(input.DestinationEncryptionContext), plaintext);
    plaintext.fill(0);
    return {
      CiphertextBlob: b64(blob),
      SourceKeyId: owner.arn,
      KeyId: dest.arn,
      SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
      DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    };
  }

  private describeKey(input: Json): Json {
    const key = this.store.resolve(input.KeyId);
    this.allow(key, 'kms:DescribeKey');
    return {
      KeyMetadata: {
        AWSAccountId: this.store.account,
        KeyId: key.keyId,
        Arn: key.arn,
        CreationDate: key.createdAt.getTime() / 1000,
        Enabled: key.state === 'Enabled',
        Description: key.description,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeyState: key.state,
        Origin: 'AWS_KMS',
        KeyManager: 'CUSTOMER',
        CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
        MultiRegion: false,
      },
    };
  }
}

function parseJson(body: Buffer): Json {
  try {
    const v: unknown = JSON.parse(body.toString('utf8') || '{}');
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return v as Json;
  } catch {
    // fall through
  }
  throw new KmsFault('SerializationException', 'Request body is not a JSON object');
}

function blobOf(v: unknown, name: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v === '') {
    throw new KmsFault('ValidationException', `${name} must be base64`);
  }
  return Buffer.from(v, 'base64');
}

function contextOf(v: unknown): Record<string, string> {
  if (v === undefined) return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new KmsFault('SerializationException', 'EncryptionContext must be a map of strings');
  }
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string')
      throw new KmsFault('SerializationException', 'EncryptionContext must be a map of strings');
    out[k] = val;
  }
  return out;
}

const b64 = (b: Buffer): string => b.toString('base64');
