/**
 * The observability HTTP server (node:http, no framework):
 *   GET|HEAD /metrics  Prometheus text exposition
 *   GET|HEAD /healthz  200 "ok" while the event loop runs (liveness)
 *   GET|HEAD /readyz   200 "ready", or 503 with the reasons (text; JSON when Accept asks for it)
 * Anything else is 404 (or 405 for other methods). Nothing here reads request bodies or echoes input.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserError, errnoCode } from '../errors.js';
import { formatListenAddress, type ListenAddress } from './listen-address.js';
import type { ReadinessReport } from './readiness.js';

/** What /metrics needs: a prom-client Registry or PrometheusObserver both fit. */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface ObserveServerOptions {
  /** Default 127.0.0.1: the endpoints are not exposed unless asked for. */
  host?: string;
  /** 0 picks a free port (tests). */
  port: number;
  metrics: MetricsSource;
  readiness: () => ReadinessReport;
  /** Called when producing /metrics fails (the client gets a 500). */
  onError?: (err: unknown) => void;
}

export interface ObserveServer {
  /** Where it really listens (port resolved when 0 was asked for). */
  address: ListenAddress;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  contentType: string;
  body: string;
  headers?: Record<string, string>;
}

const TEXT = 'text/plain; charset=utf-8';

export async function startObserveServer(opts: ObserveServerOptions): Promise<ObserveServer> {
  const host = opts.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    route(req, opts)
      .catch((err: unknown): Reply => {
        opts.onError?.(err);
        return { status: 500, contentType: TEXT, body: 'internal error\n' };
      })
      .then((reply) => send(req, res, reply))
      .catch(() => res.destroy());
  });
  // Slow or idle clients must not pin the server: these are short local scrapes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(listenError(err, { host, port: opts.port }));
    server.once('error', onError);
    server.listen({ host, port: opts.port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  return {
    address: { host, port: bound.port },
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Prometheus keeps connections alive; do not wait for it to hang up.
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

async function route(req: IncomingMessage, opts: ObserveServerOptions): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
  if (!known)
    return { status: 404, contentType: TEXT, body: 'not found: try /metrics, /healthz or /readyz\n' };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return { status: 405, contentType: TEXT, body: 'method not allowed\n', headers: { Allow: 'GET, HEAD' } };
  }
  if (path === '/healthz') return { status: 200, contentType: TEXT, body: 'ok\n' };
  if (path === '/readyz') return readyz(req, opts.readiness);
  return { status: 200, contentType: opts.metrics.contentType, body: await opts.metrics.metrics() };
}

function readyz(req: IncomingMessage, readiness: () => ReadinessReport): Reply {
  let report: ReadinessReport;
  try {
    report = readiness();
  } catch {
    report = { ready: false, reasons: ['readiness check failed'] };
  }
  const status = report.ready ? 200 : 503;
  if ((req.headers.accept ?? '').includes('application/json')) {
    return {
      status,
      contentType: 'application/json; charset=utf-8',
      body: `${JSON.stringify({ ready: report.ready, reasons: report.reasons })}\n`,
    };
  }
  const body = report.ready ? 'ready\n' : `not ready:\n${report.reasons.map((r) => `- ${r}\n`).join('')}`;
  return { status, contentType: TEXT, body };
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  const body = Buffer.from(reply.body, 'utf8');
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType,
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
    ...reply.headers,
  });
  // HEAD: same status and headers, no body.
  res.end(req.method === 'HEAD' ? undefined : body);
}

function listenError(err: Error, at: ListenAddress): Error {
  const where = formatListenAddress(at);
  const fix = 'choose another --metrics-addr, or "off" to run without the metrics server';
  switch (errnoCode(err)) {
    case 'EADDRINUSE':
      return new UserError(
        `cannot listen on ${where} for metrics and health checks: address already in use; ${fix}`,
      );
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UserError(
        `cannot listen on ${where} for metrics and health checks: no such address on this host; ${fix}`,
      );
    case 'EACCES':
    case 'EPERM':
      return new UserError(
        `cannot listen on ${where} for metrics and health checks: permission denied (ports below 1024 need privileges); ${fix}`,
      );
    default:
      return new UserError(
        `cannot listen on ${where} for metrics and health checks: ${err.message}; ${fix}`,
        1,
        {
          cause: err,
        },
      );
  }
}
