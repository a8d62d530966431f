/**
 * The command lines the deployment files run are real: the `watch` and `restore` arguments of the
 * systemd units and of the Kubernetes StatefulSet are taken from those files (paths moved into a
 * temporary directory, the metrics address moved to 127.0.0.1:0) and run with the built CLI. A Dragonfly
 * snapshot is sealed by the deployment's `watch` (plus --once), then brought back byte for byte by the
 * deployment's `restore`. A renamed or removed flag breaks this test, not a production host.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { writeDfsSet } from '../../helpers/dfs-writer.js';
import { unitDirectives } from '../../helpers/deploy/unit-file.js';
import { parseYaml } from '../../helpers/deploy/yaml.js';

interface Paths {
  root: string;
  dragonflyDir: string;
  sealedDir: string;
  keyFile: string;
}

/** A local copy of a deployment's config file, with its metrics address moved to 127.0.0.1:0. */
function localConfig(source: string, p: Paths): string {
  const copy = join(p.root, source.replaceAll('/', '_'));
  const text = readFileSync(source, 'utf8')
    .replace(/^metrics-addr: .*$/m, 'metrics-addr: 127.0.0.1:0')
    .replace(/^dir: \/var\/lib\/dragonfly\/snapshots$/m, `dir: ${p.dragonflyDir}`)
    .replace(/^out: \/var\/lib\/snapshot-guard\/sealed$/m, `out: ${p.sealedDir}`);
  writeFileSync(copy, text, { mode: 0o600 });
  return copy;
}

/** Words of an ExecStart= after the binary, with the unit's paths and variables made local. */
function unitArgs(unit: string, p: Paths): string[] {
  const exec = unitDirectives(`deploy/systemd/${unit}`).get('ExecStart')?.[0] ?? '';
  const words = exec.split(' ');
  expect(words[0]).toBe('/usr/bin/snapshot-guard');
  return words
    .slice(1)
    .filter((w) => !/^\$[A-Z_]+$/.test(w)) // $SNAPSHOT_GUARD_ARGS etc.: empty in the sample environment file
    .map((w) =>
      w
        .replace('${SNAPSHOT_GUARD_METRICS_ADDR}', '127.0.0.1:0')
        .replace('%d/snapshot-guard.key', p.keyFile)
        .replace('%d/snapshot-guard.yaml', localConfig('deploy/debian/snapshot-guard.yaml', p))
        .replace('/var/lib/dragonfly/snapshots', p.dragonflyDir)
        .replace('/var/lib/snapshot-guard/sealed', p.sealedDir),
    );
}

interface Container {
  name: string;
  args?: string[];
}

/** The args of a container of the StatefulSet, with the pod's paths made local. */
function podArgs(name: string, p: Paths): string[] {
  const sts = parseYaml(readFileSync('deploy/kubernetes/base/statefulset.yaml', 'utf8')) as {
    spec: { template: { spec: { initContainers: Container[]; containers: Container[] } } };
  };
  const pod = sts.spec.template.spec;
  const c = [...pod.initContainers, ...pod.containers].find((x) => x.name === name);
  expect(c?.args, name).toBeDefined();
  return c!.args!.map((a) =>
    a
      .replace('0.0.0.0:9464', '127.0.0.1:0')
      .replace('/run/snapshot-guard/keys/snapshot-guard.key', p.keyFile)
      .replace(
        '/etc/snapshot-guard/config/snapshot-guard.yaml',
        localConfig('deploy/kubernetes/base/snapshot-guard.yaml', p),
      )
      .replace('/data/snapshots', p.dragonflyDir)
      .replace('/var/lib/snapshot-guard/sealed', p.sealedDir),
  );
}

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function setup(dragonflyDirMode: number): Promise<Paths> {
  const root = await mkdtemp(join(tmpdir(), 'sg-deploy-args-'));
  dirs.push(root);
  const p = {
    root,
    dragonflyDir: join(root, 'df'),
    sealedDir: join(root, 'sealed'),
    keyFile: join(root, 'key'),
  };
  await mkdir(p.dragonflyDir, { mode: dragonflyDirMode });
  const keygen = await runCli(['keygen', '--out', p.keyFile]);
  expect(keygen.code, keygen.stderr).toBe(0);
  return p;
}

function ok(r: CliResult, what: string): void {
  expect(r.code, `${what} failed:\n${r.stderr}\n${r.stdout.toString()}`).toBe(0);
}

/** Seal one DFS set with `watchArgs --once`, then restore it with `restoreArgs` into the emptied directory. */
async function sealThenRestore(
  p: Paths,
  watchArgs: string[],
  restoreArgs: string[],
  snapshotMode: number,
): Promise<CliResult> {
  // First start: nothing sealed yet, and the restore must say so and succeed.
  const first = await runCli(restoreArgs);
  ok(first, 'restore --if-empty before anything was sealed');
  expect(first.stdout.toString()).toContain('restore skipped');

  const written = await writeDfsSet({
    dir: p.dragonflyDir,
    stem: 'dump-2026-11-23T17:40:00',
    shards: 2,
    bytesPerShard: 64 * 1024,
    mode: snapshotMode,
  });
  const watch = await runCli([...watchArgs, '--once']);
  ok(watch, 'watch --once');
  expect(await readdir(p.dragonflyDir)).toEqual([]); // sealed and shredded
  expect((await readdir(p.sealedDir)).filter((n) => !n.startsWith('.'))).toHaveLength(1);

  const restore = await runCli(restoreArgs);
  ok(restore, 'restore');
  for (const [name, bytes] of written.contents) {
    expect((await readFile(join(p.dragonflyDir, name))).equals(bytes), name).toBe(true);
  }
  return watch;
}

/** The deployment's watch takes its retention and verification cadence from its config file. */
async function expectPolicyFromFile(watchArgs: string[]): Promise<void> {
  const r = await runCli([...watchArgs, '--print-config']);
  ok(r, 'watch --print-config');
  const text = r.stdout.toString();
  expect(text).toMatch(/^keep-last: 48\s+# file /m);
  expect(text).toMatch(/^verify-every: 6h\s+# file /m);
}

describe('the deployments run real command lines', () => {
  it('systemd: snapshot-guard.service seals, snapshot-guard-restore.service restores', async () => {
    const p = await setup(0o2770); // Dragonfly's --dir, shared with its group as in snapshot-guard.tmpfiles.conf
    await expectPolicyFromFile(unitArgs('snapshot-guard.service', p));
    const watch = await sealThenRestore(
      p,
      unitArgs('snapshot-guard.service', p),
      unitArgs('snapshot-guard-restore.service', p),
      0o660, // Dragonfly's 0666 minus the UMask=0007 of dragonfly.service.d
    );
    // The unit's flags fit the layout it documents: no warning about the group-shared directory.
    const warnings = watch.stdout
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level >= 40);
    expect(warnings).toEqual([]);
  });

  it('Kubernetes: the snapshot-guard sidecar seals, the restore init container restores', async () => {
    const p = await setup(0o700); // made by the "prepare" init container
    await expectPolicyFromFile(podArgs('snapshot-guard', p));
    await sealThenRestore(p, podArgs('snapshot-guard', p), podArgs('restore', p), 0o644); // container umask 022
  });

  it('the sample environment file leaves the variables the test drops empty', () => {
    const env = readFileSync('deploy/systemd/snapshot-guard.env', 'utf8');
    for (const v of ['SNAPSHOT_GUARD_ARGS', 'SNAPSHOT_GUARD_WATCH_ARGS']) {
      expect(env).toMatch(new RegExp(`^${v}=$`, 'm'));
    }
  });
});
