/** A throw-away self-signed certificate for 127.0.0.1, made with openssl, for the HTTPS Vault emulator. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCertificate {
  key: Buffer;
  cert: Buffer;
  /** Where the PEM certificate was written (for --vault-ca-cert / VAULT_CACERT). */
  certPath: string;
}

export function selfSignedCertificate(dir: string): TestCertificate {
  const keyPath = join(dir, 'vault-key.pem');
  const certPath = join(dir, 'vault-cert.pem');
  // prettier-ignore
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyPath, '-out', certPath,
  ], { stdio: 'ignore' });
  return { key: readFileSync(keyPath), cert: readFileSync(certPath), certPath };
}
