/** Runs the independent Python decoder (test/decoder/sg_decode.py) with a python3 that has cryptography. */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.js';

export const DECODER = join(PROJECT_ROOT, 'test', 'decoder', 'sg_decode.py');

/** Debian's python3 has python3-cryptography; another python3 will do if it can import it. */
function pickPython(): string {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(candidate, ['-c', 'import cryptography'], { stdio: 'ignore' });
    if (r.status === 0) return candidate;
  }
  throw new Error('no python3 that can import cryptography: install python3-cryptography');
}

let python: string | undefined;

export function runPythonDecoder(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  python ??= pickPython();
  const interpreter = python;
  return new Promise((resolve, reject) => {
    const child = spawn(interpreter, [DECODER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}
