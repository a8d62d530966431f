/**
 * deploy/ for sealed sets off the host: the Kubernetes overlay that seals straight into a bucket (no
 * PersistentVolumeClaim, restore reads the bucket, IRSA annotation) and the systemd drop-in that copies
 * every set to a bucket with --copy-to. Their command lines are the real CLI's: every flag is accepted.
 */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { hasCommand } from '../../helpers/deploy/tools.js';
import { unitDirectives } from '../../helpers/deploy/unit-file.js';
import { parseYamlDocuments } from '../../helpers/deploy/yaml.js';

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface K8sObject {
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec?: {
    volumeClaimTemplates?: unknown[];
    template: { spec: { initContainers: Container[]; containers: Container[]; volumes: { name: string }[] } };
  };
}

const kubectl = hasCommand('kubectl');

/** Every flag of a command line is one the subcommand's --help lists. */
async function expectFlagsKnown(args: string[]): Promise<void> {
  const [sub] = args;
  const help = (await runCli([sub!, '--help'])).stdout.toString();
  for (const f of args.filter((a) => a.startsWith('--'))) expect(help, `${sub} ${f}`).toContain(`${f} `);
}

const flag = (args: string[] | undefined, name: string) => args?.[args.indexOf(name) + 1];

describe.skipIf(!kubectl)('kubectl kustomize deploy/kubernetes/overlays/sealed-in-bucket', () => {
  let objects: K8sObject[];
  let containers: Container[];
  beforeAll(() => {
    const yaml = execFileSync('kubectl', ['kustomize', 'deploy/kubernetes/overlays/sealed-in-bucket'], {
      encoding: 'utf8',
    });
    objects = parseYamlDocuments(yaml) as K8sObject[];
    const spec = objects.find((o) => o.kind === 'StatefulSet')!.spec!.template.spec;
    containers = [...spec.initContainers, ...spec.containers];
  });
  const byName = (n: string) => containers.find((c) => c.name === n)!;

  it('has no PersistentVolumeClaim and mounts no volume for sealed sets', () => {
    const sts = objects.find((o) => o.kind === 'StatefulSet')!;
    expect(sts.spec!.volumeClaimTemplates).toBeUndefined();
    expect(objects.some((o) => o.kind === 'PersistentVolumeClaim')).toBe(false);
    for (const c of containers)
      expect(c.volumeMounts?.map((m) => m.mountPath) ?? [], c.name).not.toContain('/var/lib/snapshot-guard');
  });

  it('seals into the bucket the restore init container reads, under the pod name as instance', () => {
    const out = flag(byName('snapshot-guard').args, '--out');
    expect(out).toMatch(/^s3:\/\/[a-z0-9.-]+\/\S+$/);
    expect(flag(byName('restore').args, '--from')).toBe(out);
    for (const name of ['restore', 'snapshot-guard']) {
      const instance = byName(name).env?.find((e) => e.name === 'SNAPSHOT_GUARD_INSTANCE');
      expect(instance?.valueFrom?.fieldRef?.fieldPath, name).toBe('metadata.name');
      expect(
        byName(name).env?.some((e) => e.name === 'AWS_REGION'),
        name,
      ).toBe(true);
    }
  });

  it('takes credentials from IRSA: an example role on the ServiceAccount, no access key anywhere', () => {
    const sa = objects.find((o) => o.kind === 'ServiceAccount' && o.metadata.name === 'snapshot-guard')!;
    expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\//);
    for (const c of containers)
      expect(c.env?.map((e) => e.name) ?? [], c.name).not.toContain('AWS_SECRET_ACCESS_KEY');
  });

  it('the restore and watch command lines are accepted by the real CLI', async () => {
    await expectFlagsKnown(byName('restore').args!);
    await expectFlagsKnown(byName('snapshot-guard').args!);
  });
});

describe('systemd drop-in: local --out plus --copy-to s3://', () => {
  const unit = unitDirectives('deploy/systemd/snapshot-guard.service.d/70-copy-to-s3.conf.example');
  const base = unitDirectives('deploy/systemd/snapshot-guard.service');

  it("replaces ExecStart with the unit's own command line plus --copy-to", () => {
    const exec = unit.get('ExecStart')!;
    expect(exec[0]).toBe('');
    expect(exec[1]!.replace(' --copy-to s3://acme-dragonfly-dr/prod', '')).toBe(base.get('ExecStart')![0]);
    // --out stays the local directory the config file names.
    expect(exec[1]).not.toContain('--out');
    expect(readFileSync('deploy/debian/snapshot-guard.yaml', 'utf8')).toMatch(
      /^out: \/var\/lib\/snapshot-guard\/sealed$/m,
    );
  });

  it('lifts the loopback-only IP filter for S3', () => {
    expect(unit.get('IPAddressDeny')).toEqual(['']);
  });

  it('its command line is accepted by the real CLI', async () => {
    const args = unit
      .get('ExecStart')![1]!
      .replace('/usr/bin/snapshot-guard ', '')
      .replace(/\$\{?[A-Z_]+\}?/g, '')
      .trim()
      .split(/\s+/)
      .filter((a) => a !== '');
    await expectFlagsKnown(args);
  });
});
