/**
 * Measurement 4: GETs /metrics once a second (like a Prometheus scrape) and records each response
 * time, and whether a seal was under way when the scrape started.
 */
import { get } from 'node:http';

const TIMEOUT_MS = 10_000;

function scrapeOnce(url) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = get(url, { timeout: TIMEOUT_MS, agent: false }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          ok: res.statusCode === 200,
          error: res.statusCode === 200 ? undefined : `HTTP ${res.statusCode}`,
          ms: performance.now() - started,
        }),
      );
      res.on('error', (err) => resolve({ ok: false, error: err.message }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (err) => resolve({ ok: false, error: err.code ?? err.message }));
  });
}

export class Scraper {
  /** `sealing()` tells whether a set is being sealed right now. */
  constructor(url, sealing) {
    this.url = url;
    this.sealing = sealing;
    this.results = [];
    this.pending = new Set();
  }

  start() {
    const tick = () => {
      const during = this.sealing();
      const p = scrapeOnce(this.url).then((r) => {
        this.results.push({ ...r, sealing: during });
        this.pending.delete(p);
      });
      this.pending.add(p);
    };
    tick();
    this.timer = setInterval(tick, 1000);
  }

  async stop() {
    clearInterval(this.timer);
    await Promise.all([...this.pending]);
    return this.results;
  }
}
