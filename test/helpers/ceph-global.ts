/**
 * vitest globalSetup: gives the run one state directory where the first S3 test file starts the Ceph
 * cluster (test/helpers/ceph.ts), and stops that cluster by its pid files when the run ends. A run
 * without S3 tests never starts Ceph.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from './cli.js';

export function setup(): () => void {
  const state = mkdtempSync(join(tmpdir(), 'sg-ceph-run-'));
  process.env.SG_CEPH_STATE = state;
  return () => {
    const cluster = join(state, 'cluster');
    if (existsSync(join(cluster, 'ceph.conf'))) {
      execFileSync('bash', [join(PROJECT_ROOT, 'scripts', 'ceph.sh'), 'stop', cluster], { stdio: 'inherit' });
    }
    rmSync(state, { recursive: true, force: true });
  };
}
