/**
 * deploy/kubernetes: `kubectl kustomize` builds the default (memory-backed) variant and the disk-backed
 * overlay, and the rendered objects hold together: Pod Security "restricted" settings on every
 * container, Dragonfly, restore and sidecar agreeing on the snapshot directory, probes on the right
 * endpoints, Service/ServiceMonitor selectors that match, and the PrometheusRule equal to alerts.yml.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { hasCommand, missing } from '../../helpers/deploy/tools.js';
import { parseYaml, parseYamlDocuments } from '../../helpers/deploy/yaml.js';

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface Container {
  name: string;
  image: string;
  args?: string[];
  command?: string[];
  restartPolicy?: string;
  ports?: { name: string; containerPort: number }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[]; add?: string[] };
    privileged?: boolean;
  };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  secret?: { secretName: string };
  configMap?: { name: string };
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
}
interface PodSpec {
  securityContext: { runAsNonRoot?: boolean; seccompProfile?: { type: string } };
  initContainers: Container[];
  containers: Container[];
  volumes: Volume[];
  serviceAccountName: string;
}

const kubectl = hasCommand('kubectl');
if (!kubectl) console.warn(missing('kubectl', 'kubectl (or kubernetes-client)'));

function build(dir: string): K8sObject[] {
  const yaml = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
  return parseYamlDocuments(yaml) as K8sObject[];
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name} in the build`);
  return o;
}

function podSpec(objects: K8sObject[]): PodSpec {
  const sts = find(objects, 'StatefulSet', 'dragonfly').spec as { template: { spec: PodSpec } };
  return sts.template.spec;
}

function container(spec: PodSpec, name: string): Container {
  const c = [...spec.initContainers, ...spec.containers].find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name}`);
  return c;
}

/** The value after a flag in an args list ("--to", "/data/snapshots"). */
function flag(args: string[] | undefined, name: string): string | undefined {
  const i = (args ?? []).indexOf(name);
  return i >= 0 ? args![i + 1] : undefined;
}

function mountOf(c: Container, volume: string): string | undefined {
  return c.volumeMounts?.find((m) => m.name === volume)?.mountPath;
}

describe.skipIf(!kubectl)('kubectl kustomize deploy/kubernetes', () => {
  let objects: K8sObject[] = [];
  beforeAll(() => {
    objects = build('deploy/kubernetes');
  });

  it('renders the expected objects', () => {
    const kinds = objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual([
      expect.stringMatching(/^ConfigMap\/snapshot-guard-config-[a-z0-9]+$/),
      'PrometheusRule/snapshot-guard',
      'Service/dragonfly',
      'Service/snapshot-guard',
      'ServiceAccount/snapshot-guard',
      'ServiceMonitor/snapshot-guard',
      'StatefulSet/dragonfly',
    ]);
  });

  it('meets Pod Security "restricted" in every container', () => {
    const spec = podSpec(objects);
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(spec.securityContext.seccompProfile?.type).toBe('RuntimeDefault');
    for (const c of [...spec.initContainers, ...spec.containers]) {
      expect(c.securityContext?.allowPrivilegeEscalation, c.name).toBe(false);
      expect(c.securityContext?.readOnlyRootFilesystem, c.name).toBe(true);
      expect(c.securityContext?.capabilities?.drop, c.name).toEqual(['ALL']);
      expect(c.securityContext?.capabilities?.add, c.name).toBeUndefined();
      expect(c.securityContext?.privileged, c.name).toBeUndefined();
    }
  });

  it('runs Dragonfly with the snapshot flags, in the directory restore and sidecar use', () => {
    const spec = podSpec(objects);
    const dragonfly = container(spec, 'dragonfly');
    expect(dragonfly.image).toMatch(/^docker\.dragonflydb\.io\/dragonflydb\/dragonfly:v\d+\.\d+\.\d+$/);
    expect(dragonfly.args).toEqual(
      expect.arrayContaining([
        '--dir=/data/snapshots',
        '--dbfilename=dump-{timestamp}',
        '--snapshot_cron=*/5 * * * *',
      ]),
    );
    const restore = container(spec, 'restore');
    expect(restore.args?.slice(0, 1)).toEqual(['restore']);
    expect(restore.args).toEqual(expect.arrayContaining(['--latest', '--if-empty']));
    expect(flag(restore.args, '--to')).toBe('/data/snapshots');
    const sidecar = container(spec, 'snapshot-guard');
    expect(sidecar.args?.[0]).toBe('watch');
    expect(flag(sidecar.args, '--dir')).toBe('/data/snapshots');
    expect(flag(restore.args, '--from')).toBe(flag(sidecar.args, '--out'));
    for (const c of [dragonfly, restore, sidecar]) expect(mountOf(c, 'snapshots'), c.name).toBe('/data');
    // Order: prepare, then restore, then the sidecar; Dragonfly starts after all of them.
    expect(spec.initContainers.map((c) => c.name)).toEqual(['prepare', 'restore', 'snapshot-guard']);
    expect(sidecar.restartPolicy).toBe('Always');
  });

  it('gives restore and the sidecar the config file from the ConfigMap, which holds base/snapshot-guard.yaml', () => {
    const spec = podSpec(objects);
    const map = objects.find((o) => o.kind === 'ConfigMap') as K8sObject & { data: Record<string, string> };
    expect(map.data['snapshot-guard.yaml']).toBe(
      readFileSync('deploy/kubernetes/base/snapshot-guard.yaml', 'utf8'),
    );
    expect(spec.volumes.find((v) => v.name === 'config')?.configMap?.name).toBe(map.metadata.name);
    for (const name of ['restore', 'snapshot-guard']) {
      const c = container(spec, name);
      expect(flag(c.args, '--config'), name).toBe(`${mountOf(c, 'config')}/snapshot-guard.yaml`);
      expect(c.volumeMounts?.find((m) => m.name === 'config')?.readOnly, name).toBe(true);
    }
    const config = parseYaml(map.data['snapshot-guard.yaml'] ?? '') as Record<string, unknown>;
    expect(config).toMatchObject({ 'verify-every': '6h', 'keep-last': 48 });
  });

  it('keeps plaintext snapshots in memory and sealed sets on a PersistentVolumeClaim', () => {
    const spec = podSpec(objects);
    expect(spec.volumes.find((v) => v.name === 'snapshots')?.emptyDir?.medium).toBe('Memory');
    expect(spec.volumes.find((v) => v.name === 'keys')?.emptyDir?.medium).toBe('Memory');
    const sts = find(objects, 'StatefulSet', 'dragonfly').spec as {
      volumeClaimTemplates: { metadata: { name: string } }[];
    };
    expect(sts.volumeClaimTemplates.map((t) => t.metadata.name)).toEqual(['sealed']);
    const sidecar = container(spec, 'snapshot-guard');
    expect(flag(sidecar.args, '--out')?.startsWith(`${mountOf(sidecar, 'sealed')}/`)).toBe(true);
    expect(container(spec, 'restore').volumeMounts?.find((m) => m.name === 'sealed')?.readOnly).toBe(true);
    expect(mountOf(container(spec, 'dragonfly'), 'sealed')).toBeUndefined();
  });

  it('serves metrics and probes on 0.0.0.0:9464: /healthz for liveness, /readyz for readiness', () => {
    const sidecar = container(podSpec(objects), 'snapshot-guard');
    expect(flag(sidecar.args, '--metrics-addr')).toBe('0.0.0.0:9464');
    expect(sidecar.ports).toEqual([{ name: 'metrics', containerPort: 9464 }]);
    expect(sidecar.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(sidecar.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(sidecar.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  });

  it('wires ServiceMonitor → Service → pod, with the job name the alerts expect', () => {
    const monitor = find(objects, 'ServiceMonitor', 'snapshot-guard').spec as {
      selector: { matchLabels: Record<string, string> };
      endpoints: { port: string; path: string }[];
    };
    const service = find(objects, 'Service', 'snapshot-guard');
    const svcSpec = service.spec as { selector: Record<string, string>; ports: { name: string }[] };
    for (const [k, v] of Object.entries(monitor.selector.matchLabels))
      expect(service.metadata.labels?.[k]).toBe(v);
    expect(monitor.endpoints).toEqual([{ port: 'metrics', path: '/metrics', interval: '30s' }]);
    expect(svcSpec.ports.map((p) => p.name)).toContain('metrics');
    const sts = find(objects, 'StatefulSet', 'dragonfly').spec as {
      template: { metadata: { labels: Record<string, string> } };
    };
    for (const [k, v] of Object.entries(svcSpec.selector)) expect(sts.template.metadata.labels[k]).toBe(v);
    // Prometheus names the job after the Service: the alerts use job="snapshot-guard".
    expect(service.metadata.name).toBe('snapshot-guard');
  });

  it("targets the sidecar's metrics port by number (a named targetPort finds a sidecar's port only from Kubernetes 1.32)", () => {
    const svcSpec = find(objects, 'Service', 'snapshot-guard').spec as {
      ports: { name: string; port: number; targetPort: string | number }[];
    };
    const metrics = svcSpec.ports.find((p) => p.name === 'metrics');
    const sidecar = container(podSpec(objects), 'snapshot-guard');
    expect(sidecar.restartPolicy).toBe('Always'); // a native sidecar: an init container
    expect(metrics?.targetPort).toBe(sidecar.ports?.find((p) => p.name === 'metrics')?.containerPort);
  });

  it('ships the same alert rules as deploy/prometheus/alerts.yml', () => {
    const rule = find(objects, 'PrometheusRule', 'snapshot-guard').spec as { groups: unknown };
    const alerts = parseYaml(readFileSync('deploy/prometheus/alerts.yml', 'utf8')) as { groups: unknown };
    expect(rule.groups).toEqual(alerts.groups);
  });

  it('documents IRSA and Vault on the ServiceAccount', () => {
    const text = readFileSync('deploy/kubernetes/base/serviceaccount.yaml', 'utf8');
    expect(text).toContain('eks.amazonaws.com/role-arn');
    expect(text).toContain('auth/kubernetes/role/snapshot-guard');
    expect(container(podSpec(objects), 'snapshot-guard')).toBeDefined();
    expect(podSpec(objects).serviceAccountName).toBe('snapshot-guard');
  });
});

/** Kubernetes quantities (Mi, Gi) and Dragonfly's --maxmemory sizes (mb, gb, read as powers of 1024). */
function bytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|kb|mb|gb)?$/.exec(q);
  if (!m?.[1]) throw new Error(`not a size: ${q}`);
  const unit = (m[2] ?? '').toLowerCase().replace('i', 'b');
  return Number(m[1]) * ({ '': 1, kb: 2 ** 10, mb: 2 ** 20, gb: 2 ** 30 }[unit] ?? NaN);
}

/** Dragonfly's memory budget in one variant: its limit, --maxmemory, and the memory-backed snapshot volume. */
function dragonflyMemory(dir: string): { limit: number; maxmemory: number; volume: number } {
  const spec = podSpec(build(dir));
  const dragonfly = container(spec, 'dragonfly') as Container & { resources: { limits: { memory: string } } };
  const arg = dragonfly.args?.find((a) => a.startsWith('--maxmemory='));
  expect(arg, `${dir}: Dragonfly's --maxmemory`).toBeDefined();
  const snapshots = spec.volumes.find((v) => v.name === 'snapshots')?.emptyDir;
  return {
    limit: bytes(dragonfly.resources.limits.memory),
    maxmemory: bytes(arg!.slice('--maxmemory='.length)),
    volume: snapshots?.medium === 'Memory' ? bytes(snapshots.sizeLimit ?? '0') : 0,
  };
}

describe.skipIf(!kubectl)("Dragonfly's --maxmemory leaves room for the memory-backed snapshot volume", () => {
  // Without --maxmemory Dragonfly takes the container's whole memory limit as its own, while the pages
  // of snapshots in a memory-backed emptyDir count against the same limit: the next snapshot gets the
  // container OOM-killed. Budget: limit - snapshot volume - 512 MiB of headroom for Dragonfly's own
  // overhead beyond its data (threads, connection and snapshot buffers, allocator fragmentation).
  const HEADROOM = 512 * 2 ** 20;
  it.each(['deploy/kubernetes', 'deploy/kubernetes/overlays/disk-snapshots'])('%s', (dir) => {
    const { limit, maxmemory, volume } = dragonflyMemory(dir);
    expect(maxmemory).toBeGreaterThan(0);
    expect(maxmemory + volume + HEADROOM).toBeLessThanOrEqual(limit);
    // The volume holds one full snapshot, which is at most about the size of the data.
    if (volume > 0) expect(volume).toBeGreaterThanOrEqual(maxmemory);
  });
});

describe.skipIf(!kubectl)('kubectl kustomize deploy/kubernetes/overlays/disk-snapshots', () => {
  it('renders the same pod with snapshots on the node disk instead of memory', () => {
    const base = podSpec(build('deploy/kubernetes'));
    const disk = podSpec(build('deploy/kubernetes/overlays/disk-snapshots'));
    const snapshots = disk.volumes.find((v) => v.name === 'snapshots');
    expect(snapshots?.emptyDir?.medium ?? '').toBe('');
    expect(snapshots?.emptyDir?.sizeLimit).toBeDefined();
    // Everything else about the containers is unchanged.
    expect(disk.initContainers).toEqual(base.initContainers);
    expect(disk.containers.map((c) => c.args)).toEqual(base.containers.map((c) => c.args));
    expect(disk.volumes.find((v) => v.name === 'keys')?.emptyDir?.medium).toBe('Memory');
  });
});
