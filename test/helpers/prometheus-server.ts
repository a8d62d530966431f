/**
 * A real Prometheus server (Debian's `prometheus`) on 127.0.0.1 that scrapes one target every second
 * and evaluates deploy/prometheus/alerts.yml every second, so tests can see alerts go pending or firing
 * from a daemon's real behaviour.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PROJECT_ROOT } from './cli.js';
import { freePort } from './ports.js';

export interface AlertState {
  name: string;
  state: 'pending' | 'firing';
  labels: Record<string, string>;
}

export class PrometheusServer {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<PrometheusServer> {
    const dir = await mkdtemp(join(tmpdir(), 'sg-prom-'));
    const port = await freePort();
    const config = [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: ['${join(PROJECT_ROOT, 'deploy', 'prometheus', 'alerts.yml')}']`,
      'scrape_configs:',
      '  - job_name: snapshot-guard',
      `    static_configs: [{ targets: ['127.0.0.1:${targetPort}'] }]`,
    ].join('\n');
    await writeFile(join(dir, 'prometheus.yml'), `${config}\n`);
    const child = spawn(
      'prometheus',
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    const server = new PrometheusServer(child, dir, port);
    const end = Date.now() + 30_000;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return server;
      if (Date.now() > end || child.exitCode !== null) {
        await server.stop();
        throw new Error('prometheus did not become ready');
      }
      await sleep(100);
    }
  }

  async alerts(): Promise<AlertState[]> {
    const res = await fetch(`http://127.0.0.1:${this.port}/api/v1/alerts`);
    const body = (await res.json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    return body.data.alerts.map((a) => ({
      name: a.labels.alertname ?? '',
      state: a.state as AlertState['state'],
      labels: a.labels,
    }));
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((r) => this.child.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}
