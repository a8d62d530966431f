/**
 * Server-side AWS Signature Version 4 verification, as the KMS emulator needs it: recomputes the
 * signature of a request from the known secret key and compares. Follows the public SigV4 spec
 * (canonical request, string to sign, HMAC-SHA256 key derivation over date/region/service).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export interface TestCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** When set, requests must carry it as X-Amz-Security-Token. */
  sessionToken?: string;
  /** Makes the emulator answer ExpiredTokenException for these credentials. */
  expired?: boolean;
}

export interface SignedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type SigV4Result =
  { ok: true; accessKeyId: string; region: string } | { ok: false; type: string; message: string };

const AUTH = /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/;
const MAX_SKEW_MS = 15 * 60 * 1000;

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

function amzDateMs(amzDate: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s] = m.map(Number);
  return Date.UTC(y ?? 0, (mo ?? 1) - 1, d ?? 0, h ?? 0, mi ?? 0, s ?? 0);
}

function fail(type: string, message: string): SigV4Result {
  return { ok: false, type, message };
}

export function verifySigV4(
  req: SignedRequest,
  lookup: (accessKeyId: string) => TestCredentials | undefined,
  service: string,
  now = Date.now(),
): SigV4Result {
  const auth = headerValue(req.headers, 'authorization');
  if (!auth) return fail('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const m = AUTH.exec(auth);
  if (!m)
    return fail('IncompleteSignatureException', 'Authorization header is not a valid AWS4-HMAC-SHA256 one');
  const [, credential = '', signedHeadersText = '', signature = ''] = m;
  const [accessKeyId = '', date = '', region = '', scopeService = '', terminator = '', ...rest] =
    credential.split('/');
  if (rest.length > 0 || terminator !== 'aws4_request' || !/^\d{8}$/.test(date) || !region) {
    return fail('IncompleteSignatureException', `Credential scope "${credential}" is malformed`);
  }
  if (scopeService !== service) {
    return fail('InvalidSignatureException', `Credential should be scoped to correct service: '${service}'.`);
  }
  const creds = lookup(accessKeyId);
  if (!creds)
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');

  const amzDate = headerValue(req.headers, 'x-amz-date') ?? '';
  const at = amzDateMs(amzDate);
  if (Number.isNaN(at) || amzDate.slice(0, 8) !== date) {
    return fail(
      'IncompleteSignatureException',
      'X-Amz-Date is missing or does not match the credential scope',
    );
  }
  if (Math.abs(now - at) > MAX_SKEW_MS) {
    return fail(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is outside the allowed 15 minutes`,
    );
  }
  const signedHeaders = signedHeadersText.split(';');
  const required = ['host', 'x-amz-date', ...(creds.sessionToken ? ['x-amz-security-token'] : [])];
  for (const h of required) {
    if (!signedHeaders.includes(h)) return fail('InvalidSignatureException', `Header ${h} must be signed`);
  }
  if (creds.sessionToken && headerValue(req.headers, 'x-amz-security-token') !== creds.sessionToken) {
    return fail('UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  const [path = '/', query = ''] = req.url.split('?', 2);
  const canonicalQuery = query
    .split('&')
    .filter((p) => p !== '')
    .sort()
    .join('&');
  const canonicalHeaders = signedHeaders
    .map((h) => `${h}:${(headerValue(req.headers, h) ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonicalRequest = [
    req.method,
    path,
    canonicalQuery,
    canonicalHeaders,
    signedHeadersText,
    sha256(req.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  const signingKey = hmac(
    hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, date), region), service),
    'aws4_request',
  );
  const expected = hmac(signingKey, stringToSign);
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return fail(
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    );
  }
  if (creds.expired)
    return fail('ExpiredTokenException', 'The security token included in the request is expired');
  return { ok: true, accessKeyId, region };
}
