/**
 * The daemon with AWS KMS (emulated on the wire; the real SDK inside the daemon): an outage keeps the
 * plaintext until KMS returns; one GenerateDataKey per set; metrics and readiness follow what happens.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDfsSet } from '../helpers/dfs-writer.js';
import { Daemon, eventually } from '../helpers/daemon.js';
import { freePort } from '../helpers/redis-server.js';
import { publishedSets, openSealedSet } from '../helpers/sealed.js';
import { workspace, type Workspace, leftInDir } from '../helpers/watch-fixtures.js';
import { KmsEmulator } from '../emulators/kms-emulator.js';
import { Keyring } from '../../src/keys/keyring.js';
import { KmsKeyProvider } from '../../src/keys/kms/provider.js';
import { applyEnv } from '../emulators/kms-emulator.js';

let ws: Workspace | undefined;
let daemon: Daemon | undefined;
let kms: KmsEmulator | undefined;
afterEach(async () => {
  await daemon?.kill();
  await kms?.stop();
  await ws?.cleanup();
  daemon = kms = ws = undefined;
});

/** Parses the Prometheus text format into "name{labels}" → value. */
function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return out;
}

async function scrape(port: number): Promise<Map<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`)).status;
}

describe('watch with AWS KMS', () => {
  it('an outage keeps the plaintext until KMS returns; one GenerateDataKey per set; metrics and /readyz follow', async () => {
    ws = await workspace();
    kms = await KmsEmulator.start();
    const key = kms.createKey({ alias: 'alias/snapshots' });
    const port = await freePort();
    const args = [
      '--dir',
      ws.df,
      '--out',
      ws.out,
      '--kms-key-id',
      'alias/snapshots',
      '--kms-endpoint',
      kms.endpoint,
      '--kms-max-attempts',
      '1',
    ];
    daemon = Daemon.start(
      [
        ...args,
        '--metrics-addr',
        `127.0.0.1:${port}`,
        '--rescan-interval',
        '1s',
        '--retry-max',
        '1s',
        '--segment-size',
        '64KiB',
      ],
      kms.env(),
    );
    await daemon.waitFor((l) => l.msg === 'watching for finished snapshots');
    await eventually(async () => (await readyz(port)) === 200, 30_000, '/readyz 200 while KMS is up');

    // A healthy seal of an 8-shard set: exactly one GenerateDataKey for nine files.
    const first = await writeDfsSet({ dir: ws.df, stem: 'dump-one', shards: 8, bytesPerShard: 40_000 });
    const sealedLine = await daemon.waitForSealed(1);
    expect(kms.count('GenerateDataKey')).toBe(1);
    const m1 = await scrape(port);
    expect(m1.get('snapshot_guard_seals_total')).toBe(1);
    expect(m1.get('snapshot_guard_seal_successes_total')).toBe(1);
    expect(m1.get('dragonfly_snapshot_last_success_timestamp_seconds')).toBeGreaterThan(
      Date.now() / 1000 - 60,
    );
    // The gauge is the same duration the daemon logged for that seal (log rounds to milliseconds).
    expect(m1.get('dragonfly_snapshot_last_duration_seconds')).toBeCloseTo(sealedLine.seconds as number, 2);
    expect(m1.get('dragonfly_snapshot_file_size_bytes{role="shard"}')).toBe(
      8 * first.contents.get('dump-one-0000.dfs')!.length,
    );
    expect(m1.get('dragonfly_snapshot_file_size_bytes{role="summary"}')).toBe(
      first.contents.get('dump-one-summary.dfs')!.length,
    );

    // KMS goes down: the next snapshot waits in plaintext, failures are counted, /readyz turns 503.
    await kms.down();
    const second = await writeDfsSet({ dir: ws.df, stem: 'dump-two', shards: 2, bytesPerShard: 40_000 });
    await daemon.waitFor((l) => l.reason === 'key_provider', 30_000, 'a key_provider failure');
    await eventually(async () => (await readyz(port)) === 503, 30_000, '/readyz 503 during the outage');
    const m2 = await scrape(port);
    expect(m2.get('snapshot_guard_seal_failures_total{reason="key_provider"}')).toBeGreaterThanOrEqual(1);
    for (const [name, bytes] of second.contents)
      expect((await readFile(join(ws.df, name))).equals(bytes)).toBe(true);
    expect(await publishedSets(ws.out)).toHaveLength(1);

    // KMS returns: the waiting snapshot is sealed with one more GenerateDataKey and /readyz is 200 again.
    await kms.up();
    await daemon.waitForSealed(2, 30_000);
    await eventually(async () => (await leftInDir(ws!.df)).length === 0, 30_000, 'plaintext removed');
    await eventually(async () => (await readyz(port)) === 200, 30_000, '/readyz 200 after recovery');
    expect(kms.count('GenerateDataKey', { ok: true })).toBe(2);
    const m3 = await scrape(port);
    expect(m3.get('snapshot_guard_seal_successes_total')).toBe(2);
    // Attempts include the failed ones during the outage.
    expect(m3.get('snapshot_guard_seals_total')).toBeGreaterThan(2);

    // Both sets decrypt with the KMS key through the real client.
    const saved = { ...process.env };
    applyEnv(process.env, kms.env()); // the SDK reads credentials lazily, at the first call
    try {
      const keyring = new Keyring([
        new KmsKeyProvider({ keyId: key.arn, endpoint: kms.endpoint, region: kms.region }),
      ]);
      const ids = await publishedSets(ws.out);
      const sealed = await openSealedSet(ws.out, ids[1]!, keyring);
      for (const [name, bytes] of second.contents) expect(sealed.files.get(name)?.equals(bytes)).toBe(true);
      await keyring.close();
    } finally {
      process.env = saved;
    }
  });
});
