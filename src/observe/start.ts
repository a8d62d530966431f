/**
 * Everything `snapshot-guard watch` needs for observability, in one call:
 *
 *   .addOption(metricsAddrOption())                                  // --metrics-addr, default 127.0.0.1:9464
 *   const obs = await startObservability({ listen: opts.metricsAddr, version: VERSION });
 *   // hand obs.observer to the pipeline; log obs.address when not null
 *   // on shutdown: await obs.close();
 */
import type { PipelineObserver } from '../observe/observer.js';
import { fanOut } from './fan-out.js';
import type { ListenAddress, MetricsAddr } from './listen-address.js';
import { PrometheusObserver } from './metrics.js';
import { ReadinessState } from './readiness.js';
import { startObserveServer } from './server.js';
import { StoreMetrics } from './store-metrics.js';

export interface ObservabilityOptions {
  /** 'off' or null: no HTTP server (--metrics-addr off); metrics and readiness are still kept. */
  listen: MetricsAddr | null;
  version: string;
  /** Pending plaintext older than this makes /readyz fail (default 600 s). */
  stuckAfterSeconds?: number;
  onError?: (err: unknown) => void;
}

export interface Observability {
  /** Reports go to both the metrics and the readiness state. */
  observer: PipelineObserver;
  metrics: PrometheusObserver;
  /** Store transfers and errors, and watch --copy-to, on the same registry. */
  storeMetrics: StoreMetrics;
  readiness: ReadinessState;
  /** Where the server listens, or null when it is off. */
  address: ListenAddress | null;
  close(): Promise<void>;
}

export async function startObservability(opts: ObservabilityOptions): Promise<Observability> {
  const metrics = new PrometheusObserver({ version: opts.version });
  const readiness = new ReadinessState({ stuckAfterSeconds: opts.stuckAfterSeconds });
  const server =
    opts.listen && opts.listen !== 'off'
      ? await startObserveServer({
          ...opts.listen,
          metrics,
          readiness: readiness.check,
          onError: opts.onError,
        })
      : undefined;
  return {
    observer: fanOut(metrics, readiness),
    metrics,
    storeMetrics: new StoreMetrics(metrics.registry),
    readiness,
    address: server?.address ?? null,
    close: () => server?.close() ?? Promise.resolve(),
  };
}
