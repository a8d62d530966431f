/**
 * The product ships Dragonfly configurations it would not flag: the flag file for systemd hosts and
 * the Dragonfly container of the Kubernetes StatefulSet, audited as an operator would audit them (with
 * the password the operator creates in the environment).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { unitDirectives } from '../../helpers/deploy/unit-file.js';
import { parseYaml } from '../../helpers/deploy/yaml.js';
import { runCli } from '../../helpers/cli.js';
import { auditJson, idsOf } from '../../helpers/audit.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** The environment file the operator creates (names from the deployment, a made-up password). */
async function envFile(names: string[]): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sg-audit-deploy-'));
  dirs.push(d);
  const path = join(d, 'dragonfly.env');
  await writeFile(path, names.map((n) => `${n}=5f0c1e2d3a4b`).join('\n'), { mode: 0o600 });
  return path;
}

interface EnvVar {
  name: string;
}
interface Container {
  name: string;
  args?: string[];
  env?: EnvVar[];
}

describe('the Dragonfly configurations in deploy/ pass the audit', () => {
  it('systemd: deploy/systemd/dragonfly.conf with DFLY_PASSWORD from the drop-in has no finding at all', async () => {
    const dropin = unitDirectives('deploy/systemd/dragonfly.service.d/20-dragonfly-password.conf');
    expect(dropin.get('EnvironmentFile')).toEqual(['/etc/dragonfly/dragonfly.env']);
    const env = await envFile(['DFLY_PASSWORD']);
    const args = ['--flagfile', 'deploy/systemd/dragonfly.conf', '--env-file', env, '--rpo', '5m'];
    const { r, report } = await auditJson([...args, '--fail-on', 'info']);
    expect(r.code, JSON.stringify(report.findings, null, 1)).toBe(0);
    expect(report.findings).toEqual([]);
    // The snapshot directory and cadence are the ones snapshot-guard's units and alerts assume.
    const flags = readFileSync('deploy/systemd/dragonfly.conf', 'utf8');
    expect(flags).toMatch(/^--dir=\/var\/lib\/dragonfly\/snapshots$/m);
    expect(flags).toMatch(/^--snapshot_cron=\*\/5 \* \* \* \*$/m);
  });

  it('Kubernetes: the dragonfly container passes; only listening on the pod IP without TLS remains (medium)', async () => {
    const sts = parseYaml(readFileSync('deploy/kubernetes/base/statefulset.yaml', 'utf8')) as {
      spec: { template: { spec: { containers: Container[]; initContainers: Container[] } } };
    };
    const pod = sts.spec.template.spec;
    const dragonfly = pod.containers.find((c) => c.name === 'dragonfly')!;
    const cmdline = ['dragonfly', ...(dragonfly.args ?? [])].map((a) => `'${a}'`).join(' ');
    const env = await envFile((dragonfly.env ?? []).map((e) => e.name));
    const { r, report } = await auditJson(['--cmdline', cmdline, '--env-file', env, '--rpo', '5m']);
    expect(r.code, JSON.stringify(report.findings, null, 1)).toBe(0);
    expect(idsOf(report.findings)).toEqual(['network.bind medium', 'tls.client medium']);
    // The sidecar reaches Dragonfly with the same password.
    const sidecar = pod.initContainers.find((c) => c.name === 'snapshot-guard')!;
    expect(sidecar.env?.map((e) => e.name)).toEqual(
      expect.arrayContaining(['DFLY_PASSWORD', 'SNAPSHOT_GUARD_DRAGONFLY_URL']),
    );

    const table = await runCli(['audit', '--cmdline', cmdline, '--env-file', env]);
    expect(table.code).toBe(0);
  });
});
