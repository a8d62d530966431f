// The KMS emulator itself: it must refuse what real KMS refuses, or the provider tests prove nothing.
// Requests signed by the real SDK are captured and replayed, altered, over plain HTTP.
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { request, type IncomingHttpHeaders } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KmsEmulator, TEST_CREDENTIALS } from '../../emulators/kms-emulator.js';

let kms: KmsEmulator;
let client: KMSClient;

interface RawReply {
  status: number;
  contentType: string | undefined;
  body: Record<string, unknown>;
}

/** Sends a raw request to the emulator. */
function send(headers: IncomingHttpHeaders, body: Buffer): Promise<RawReply> {
  const { connection: _c, ...rest } = headers;
  return new Promise((resolve, reject) => {
    const req = request(kms.endpoint, { method: 'POST', headers: rest }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A GenerateDataKey request exactly as the SDK signed and sent it. */
async function capturedRequest(): Promise<{ headers: IncomingHttpHeaders; body: Buffer }> {
  await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/emu', KeySpec: 'AES_256' }));
  const raw = kms.lastRaw;
  if (!raw) throw new Error('nothing captured');
  return { headers: { ...raw.headers }, body: Buffer.from(raw.body) };
}

beforeAll(async () => {
  kms = await KmsEmulator.start();
  kms.createKey({ alias: 'alias/emu' });
  client = new KMSClient({
    region: kms.region,
    endpoint: kms.endpoint,
    credentials: TEST_CREDENTIALS,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client?.destroy();
  await kms?.stop();
});

describe('KMS emulator: SigV4', () => {
  it('accepts the SDK-signed request as sent', async () => {
    const { headers, body } = await capturedRequest();
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIASNAPSHOTGUARDTEST\/\d{8}\/us-east-1\/kms\/aws4_request, SignedHeaders=.*host.*x-amz-date.*x-amz-target/,
    );
    expect(headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(headers['x-amz-target']).toBe('TrentService.GenerateDataKey');
    const reply = await send(headers, body);
    expect(reply.status).toBe(200);
    expect(reply.contentType).toBe('application/x-amz-json-1.1');
  });

  it('refuses a body changed after signing', async () => {
    const { headers, body } = await capturedRequest();
    const changed = Buffer.from(body.toString('utf8').replace('AES_256', 'AES_128'));
    const reply = await send(headers, changed);
    expect(reply.status).toBe(400);
    expect(reply.body.__type).toBe('InvalidSignatureException');
  });

  it('refuses a signed header changed after signing (the operation)', async () => {
    const { headers, body } = await capturedRequest();
    const reply = await send({ ...headers, 'x-amz-target': 'TrentService.Encrypt' }, body);
    expect(reply.body.__type).toBe('InvalidSignatureException');
  });

  it('refuses a missing signature, another service scope, and an unknown access key', async () => {
    const { headers, body } = await capturedRequest();
    const { authorization, ...unsigned } = headers;
    expect((await send(unsigned, body)).body).toEqual({
      __type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    });
    const s3 = await send({ ...headers, authorization: authorization?.replace('/kms/', '/s3/') }, body);
    expect(s3.body).toEqual({
      __type: 'InvalidSignatureException',
      message: "Credential should be scoped to correct service: 'kms'.",
    });
    const stranger = await send(
      { ...headers, authorization: authorization?.replace('AKIASNAPSHOTGUARDTEST', 'AKIASTRANGER') },
      body,
    );
    expect(stranger.body.__type).toBe('UnrecognizedClientException');
  });
});

describe('KMS emulator: operations', () => {
  it('answers InvalidCiphertextException without a message, as KMS does, and counts every attempt', async () => {
    kms.resetRequests();
    const out = await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/emu', KeySpec: 'AES_256' }));
    const blob = Buffer.from(out.CiphertextBlob ?? new Uint8Array());
    blob[10] = (blob[10] ?? 0) ^ 0xff;
    await expect(client.send(new DecryptCommand({ CiphertextBlob: blob }))).rejects.toMatchObject({
      name: 'InvalidCiphertextException',
      $metadata: { httpStatusCode: 400 },
    });
    const raw = kms.requests.at(-1);
    expect(raw).toMatchObject({ operation: 'Decrypt', status: 400, errorType: 'InvalidCiphertextException' });
    expect(kms.count('GenerateDataKey')).toBe(1);
    expect(kms.count('Decrypt')).toBe(1);
    expect(kms.count('Decrypt', { ok: true })).toBe(0);
  });

  it('Decrypt without KeyId uses the key named inside the blob; a wrong context still fails', async () => {
    const ctx = { a: '1' };
    const out = await client.send(
      new GenerateDataKeyCommand({ KeyId: 'alias/emu', KeySpec: 'AES_256', EncryptionContext: ctx }),
    );
    const back = await client.send(
      new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: ctx }),
    );
    expect(Buffer.from(back.Plaintext ?? []).equals(Buffer.from(out.Plaintext ?? []))).toBe(true);
    expect(back.KeyId).toBe(out.KeyId);
    await expect(
      client.send(new DecryptCommand({ CiphertextBlob: out.CiphertextBlob, EncryptionContext: { a: '2' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
  });

  it('returns HTTP 500 KMSInternalException while told to fail', async () => {
    kms.fail(1);
    await expect(
      client.send(new GenerateDataKeyCommand({ KeyId: 'alias/emu', KeySpec: 'AES_256' })),
    ).rejects.toMatchObject({ name: 'KMSInternalException', $metadata: { httpStatusCode: 500 } });
    await client.send(new GenerateDataKeyCommand({ KeyId: 'alias/emu', KeySpec: 'AES_256' }));
  });
});
