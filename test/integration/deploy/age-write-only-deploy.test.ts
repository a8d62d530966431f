/**
 * deploy/ for write-only hosts: the sidecar (or the sealing service) holds age recipients only; the
 * decrypting identity reaches only the restore init container (a separate Secret) or the restore unit
 * (LoadCredential=). The command lines are the real CLI's: every flag they pass is accepted.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import { hasCommand } from '../../helpers/deploy/tools.js';
import { unitDirectives } from '../../helpers/deploy/unit-file.js';
import { parseYamlDocuments } from '../../helpers/deploy/yaml.js';

interface Container {
  name: string;
  command?: string[];
  args?: string[];
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  initContainers: Container[];
  containers: Container[];
  volumes: { name: string; secret?: { secretName: string }; configMap?: { name: string } }[];
}

const kubectl = hasCommand('kubectl');

/** Every flag of a command line is one the subcommand's --help lists (commander's help skips validation). */
async function expectFlagsKnown(args: string[]): Promise<void> {
  const [sub] = args;
  const help = (await runCli([sub!, '--help'])).stdout.toString();
  for (const f of args.filter((a) => a.startsWith('--'))) expect(help, `${sub} ${f}`).toContain(`${f} `);
}

describe.skipIf(!kubectl)('kubectl kustomize deploy/kubernetes/overlays/write-only-age', () => {
  let spec: PodSpec;
  beforeAll(() => {
    const yaml = execFileSync('kubectl', ['kustomize', 'deploy/kubernetes/overlays/write-only-age'], {
      encoding: 'utf8',
    });
    const objects = parseYamlDocuments(yaml) as { kind: string; spec: { template: { spec: PodSpec } } }[];
    spec = objects.find((o) => o.kind === 'StatefulSet')!.spec.template.spec;
  });
  const all = () => [...spec.initContainers, ...spec.containers];
  const byName = (n: string) => all().find((c) => c.name === n)!;

  it('mounts the identity Secret into the restore init container only, and no key anywhere else', () => {
    const identityVolume = spec.volumes.find((v) => v.secret?.secretName === 'snapshot-guard-age-identity');
    expect(identityVolume).toBeDefined();
    const holders = all().filter((c) => c.volumeMounts?.some((m) => m.name === identityVolume!.name));
    expect(holders.map((c) => c.name)).toEqual(['restore']);
    expect(spec.volumes.some((v) => v.secret?.secretName === 'snapshot-guard-key')).toBe(false);
    // The copy in memory is the restore container's own volume.
    const copies = all().filter((c) => c.volumeMounts?.some((m) => m.name === 'age-identity'));
    expect(copies.map((c) => c.name)).toEqual(['restore']);
  });

  it('the sidecar seals for the recipients from a ConfigMap and has no key-file or identity flag', () => {
    const sidecar = byName('snapshot-guard');
    expect(sidecar.args).toContain('--age-recipients-file');
    expect(sidecar.args).not.toContain('--key-file');
    expect(sidecar.args).not.toContain('--age-identity');
    const recipients = spec.volumes.find((v) => v.configMap?.name === 'snapshot-guard-age-recipients');
    expect(sidecar.volumeMounts?.map((m) => m.name)).toContain(recipients!.name);
  });

  it('the restore command line is accepted by the real CLI', async () => {
    const script = byName('restore').command!.at(-1)!;
    const cli = script.split('exec snapshot-guard ')[1]!.trim().split(/\s+/);
    expect(cli).toContain('--age-identity');
    await expectFlagsKnown(cli);
  });
});

describe('systemd drop-ins for a write-only sealing service', () => {
  const watch = unitDirectives('deploy/systemd/snapshot-guard.service.d/60-write-only-age.conf.example');
  const restore = unitDirectives(
    'deploy/systemd/snapshot-guard-restore.service.d/60-write-only-age.conf.example',
  );

  it('the sealing service loads no key credential (only the config file) and passes recipients only', () => {
    expect(watch.get('LoadCredential')).toEqual([
      '',
      'snapshot-guard.yaml:/etc/snapshot-guard/snapshot-guard.yaml',
    ]);
    const exec = watch.get('ExecStart')!;
    expect(exec[0]).toBe('');
    expect(exec[1]).toContain('--age-recipients-file');
    expect(exec[1]).not.toMatch(/--key-file|--age-identity/);
    expect(watch.get('InaccessiblePaths')?.join(' ')).toContain('/etc/snapshot-guard/age-identity.txt');
  });

  it('only the restore unit reads the identity, through LoadCredential=', () => {
    expect(restore.get('LoadCredential')).toEqual([
      '',
      'age-identity.txt:/etc/snapshot-guard/age-identity.txt',
    ]);
    expect(restore.get('ExecStart')?.[1]).toContain('--age-identity %d/age-identity.txt');
  });

  it('both command lines are accepted by the real CLI', async () => {
    for (const line of [watch.get('ExecStart')![1]!, restore.get('ExecStart')![1]!]) {
      const args = line
        .replace('/usr/bin/snapshot-guard ', '')
        .replace(/\$\{?[A-Z_]+\}?/g, '')
        .trim()
        .split(/\s+/)
        .filter((a) => a !== '');
      await expectFlagsKnown(args);
    }
  });
});
