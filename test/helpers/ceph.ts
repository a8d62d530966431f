/**
 * The one-node Ceph cluster of this test run (scripts/ceph.sh), started by the first S3 test file that
 * asks for it and shared by all of them; test/helpers/ceph-global.ts stops it when the run ends.
 * SG_CEPH_ENV=FILE (the output of `scripts/ceph.sh start`) uses a cluster started by hand instead.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { PROJECT_ROOT } from './cli.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
const CEPH_SH = join(PROJECT_ROOT, 'scripts', 'ceph.sh');

export interface Ceph {
  /** The cluster's directory (for stop-gateway / start-gateway), undefined for a cluster started by hand. */
  dir: string | undefined;
  endpoint: string;
  /** Environment for the CLI: endpoint, credentials, region, path-style addressing. */
  env: Record<string, string>;
  client: S3Client;
}

function parseExports(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of text.matchAll(/^export (\w+)=(.*)$/gm)) if (m[1] && m[2] !== undefined) env[m[1]] = m[2];
  return env;
}

async function startOnce(state: string): Promise<string> {
  const envFile = join(state, 'env');
  const lock = join(state, 'lock');
  for (;;) {
    if (existsSync(envFile)) return readFile(envFile, 'utf8');
    try {
      await mkdir(lock);
    } catch {
      await sleep(200); // another test file is starting it
      continue;
    }
    try {
      if (existsSync(envFile)) return await readFile(envFile, 'utf8');
      const started = Date.now();
      const { stdout } = await run('bash', [CEPH_SH, 'start', join(state, 'cluster')], {
        env: {
          ...process.env,
          CEPH_MON_PORT: String(await freePort()),
          CEPH_RGW_PORT: String(await freePort()),
        },
        timeout: 240_000,
      });
      process.stderr.write(
        `ceph: one-node cluster started in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      await writeFile(envFile, stdout);
      return stdout;
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  }
}

let cached: Promise<Ceph> | undefined;

/** The run's Ceph cluster, started on first use. */
export function ceph(): Promise<Ceph> {
  cached ??= (async () => {
    const text = process.env.SG_CEPH_ENV
      ? await readFile(process.env.SG_CEPH_ENV, 'utf8')
      : await startOnce(process.env.SG_CEPH_STATE ?? '/tmp/sg-ceph-run-manual');
    const vars = parseExports(text);
    const endpoint = vars.AWS_ENDPOINT_URL_S3 ?? '';
    const env = {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: vars.AWS_ACCESS_KEY_ID ?? '',
      AWS_SECRET_ACCESS_KEY: vars.AWS_SECRET_ACCESS_KEY ?? '',
      AWS_REGION: vars.AWS_REGION ?? 'us-east-1',
      SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE: 'true',
    };
    // The library code under test takes its credentials from the SDK's default chain, as in production.
    process.env.AWS_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
    const client = new S3Client({
      endpoint,
      region: env.AWS_REGION,
      forcePathStyle: true,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return {
      dir: process.env.SG_CEPH_ENV ? vars.CEPH_DIR : join(process.env.SG_CEPH_STATE ?? '', 'cluster'),
      endpoint,
      env,
      client,
    };
  })();
  return cached;
}

let buckets = 0;

/** A new bucket for one test; `lock` creates it with Object Lock (which turns versioning on). */
export async function newBucket(
  c: Ceph,
  opts: { lock?: boolean; versioned?: boolean } = {},
): Promise<string> {
  const name = `sg-${process.pid}-${Date.now().toString(36)}-${buckets++}`;
  await c.client.send(
    new CreateBucketCommand({ Bucket: name, ...(opts.lock ? { ObjectLockEnabledForBucket: true } : {}) }),
  );
  if (opts.versioned && !opts.lock) {
    await c.client.send(
      new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  }
  return name;
}

/** One more gateway on the same cluster (its own port and pid), for outage tests; returns its endpoint. */
export async function startExtraGateway(c: Ceph, port: number): Promise<string> {
  if (!c.dir) throw new Error('no cluster directory');
  await run('bash', [CEPH_SH, 'start-gateway', c.dir, String(port)], { timeout: 150_000 });
  return `http://127.0.0.1:${port}`;
}

/** Stops that gateway (by its pid file); the cluster and its data stay. */
export async function stopExtraGateway(c: Ceph, port: number): Promise<void> {
  if (!c.dir) throw new Error('no cluster directory');
  await run('bash', [CEPH_SH, 'stop-gateway', c.dir, String(port)]);
}
