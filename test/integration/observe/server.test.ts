/** The observability HTTP server over real sockets on 127.0.0.1. */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { UserError } from '../../../src/errors.js';
import { PrometheusObserver } from '../../../src/observe/metrics.js';
import { ReadinessState } from '../../../src/observe/readiness.js';
import { startObserveServer, type ObserveServer } from '../../../src/observe/server.js';
import { startObservability, type Observability } from '../../../src/observe/start.js';

const servers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(readiness = new ReadinessState()): Promise<ObserveServer> {
  const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
  const server = await startObserveServer({ port: 0, metrics, readiness: readiness.check });
  servers.push(server);
  return server;
}

const url = (s: { address: { port: number } }, path: string) => `http://127.0.0.1:${s.address.port}${path}`;

/** A bare node:http request, to see exactly what HEAD and other methods get back. */
function raw(
  port: number,
  method: string,
  path: string,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startObserveServer', () => {
  it('binds to 127.0.0.1 by default and reports the real port', async () => {
    const s = await start();
    expect(s.address.host).toBe('127.0.0.1');
    expect(s.address.port).toBeGreaterThan(0);
  });

  it('/healthz answers 200 "ok"', async () => {
    const s = await start();
    const res = await fetch(url(s, '/healthz'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok\n');
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('/readyz is 503 with the reasons until the daemon is ready, then 200', async () => {
    const readiness = new ReadinessState();
    const s = await start(readiness);
    let res = await fetch(url(s, '/readyz'));
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).toContain('not watching the snapshot directory');
    expect(text).toContain('key provider not checked yet');

    readiness.watching(true);
    res = await fetch(url(s, '/readyz'), { headers: { accept: 'application/json' } });
    expect(res.status).toBe(503);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ ready: false, reasons: ['key provider not checked yet'] });

    readiness.keyProviderReachable(true);
    res = await fetch(url(s, '/readyz'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ready\n');

    readiness.keyProviderReachable(false);
    res = await fetch(url(s, '/readyz'));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('key provider unreachable at the last check');
  });

  it('/readyz is 503 when the readiness function throws', async () => {
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    const s = await startObserveServer({
      port: 0,
      metrics,
      readiness: () => {
        throw new Error('boom');
      },
    });
    servers.push(s);
    const res = await fetch(url(s, '/readyz'));
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('readiness check failed');
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    const s = await start();
    for (const path of ['/', '/metrics/', '/healthz/x', '/debug/pprof', '/../etc/passwd']) {
      const res = await fetch(url(s, path));
      expect(res.status, path).toBe(404);
      await res.text();
    }
    const post = await raw(s.address.port, 'POST', '/metrics');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    // Query strings do not change the route.
    const q = await fetch(url(s, '/healthz?verbose=1'));
    expect(q.status).toBe(200);
    await q.text();
  });

  it('supports HEAD with the same status and headers and no body', async () => {
    const readiness = new ReadinessState();
    const s = await start(readiness);
    const get = await raw(s.address.port, 'GET', '/metrics');
    const head = await raw(s.address.port, 'HEAD', '/metrics');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
    expect((await raw(s.address.port, 'HEAD', '/healthz')).status).toBe(200);
    const notReady = await raw(s.address.port, 'HEAD', '/readyz');
    expect(notReady.status).toBe(503);
    expect(notReady.body).toBe('');
    expect((await raw(s.address.port, 'HEAD', '/nope')).status).toBe(404);
  });

  it('turns a busy port into one clear UserError', async () => {
    const s = await start();
    const metrics = new PrometheusObserver({ version: 'test', defaultMetrics: false });
    const err: unknown = await startObserveServer({
      host: '127.0.0.1',
      port: s.address.port,
      metrics,
      readiness: () => ({ ready: true, reasons: [] }),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `cannot listen on 127.0.0.1:${s.address.port} for metrics and health checks: address already in use; ` +
        'choose another --metrics-addr, or "off" to run without the metrics server',
    );
  });

  it('close() returns even while a client keeps its connection alive, and frees the port', async () => {
    const s = await start();
    const res = await fetch(url(s, '/healthz'), { keepalive: true });
    await res.text();
    await s.close();
    await s.close(); // idempotent
    await expect(fetch(url(s, '/healthz'))).rejects.toThrow();
  });
});

describe('startObservability (what `watch` wires in)', () => {
  let obs: Observability | undefined;
  afterEach(async () => {
    await obs?.close();
    obs = undefined;
  });

  it('one observer feeds both the metrics and /readyz', async () => {
    obs = await startObservability({ listen: { host: '127.0.0.1', port: 0 }, version: '9.9.9' });
    const base = `http://127.0.0.1:${obs.address?.port}`;
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    obs.observer.watching(true);
    obs.observer.keyProviderReachable(true);
    obs.observer.sealStarted('x');
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toMatch(/^snapshot_guard_seals_total 1$/m);
    expect(text).toMatch(/^snapshot_guard_watching 1$/m);
    expect(text).toContain('snapshot_guard_build_info{version="9.9.9"');
  });

  it('listen: "off" starts no server but still keeps state', async () => {
    obs = await startObservability({ listen: 'off', version: '9.9.9' });
    expect(obs.address).toBeNull();
    obs.observer.watching(true);
    expect(obs.readiness.check().reasons).toEqual(['key provider not checked yet']);
    await obs.close();
  });
});
