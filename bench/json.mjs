/**
 * The figures of one run as plain JSON (`--json FILE`), for comparing runs: medians with their
 * samples, ratios to the other tools, and null for every section that did not run.
 */
import { cpus } from 'node:os';
import { rssMethod } from './proc.mjs';
import { GiB, median } from './stats.mjs';

const SG = 'snapshot-guard';
const finite = (n) => (Number.isFinite(n) ? n : null);

/** Medians of measurements [{ seconds, cpuSeconds, peakRssBytes }] or of a Samples entry. */
function summary(s, sizeBytes) {
  if (!s) return null;
  const seconds = s.seconds ?? s.map((m) => m.seconds);
  const cpu = s.cpuSeconds ?? s.map((m) => m.cpuSeconds);
  const rss = s.peakRssBytes ?? s.map((m) => m.peakRssBytes);
  return {
    wallSeconds: finite(median(seconds)),
    cpuSeconds: finite(median(cpu)),
    cpuSecondsPerGiB: finite(median(cpu) / (sizeBytes / GiB)),
    peakRssBytes: finite(median(rss)),
    samples: { wallSeconds: seconds, cpuSeconds: cpu, peakRssBytes: rss },
  };
}

function oneShotFigures({ samples, failures }, sizeBytes) {
  const tools = {};
  const ratios = {};
  for (const [tool, cases] of samples.byTool) {
    tools[tool] = {};
    for (const [kase, s] of cases) tools[tool][kase] = summary(s, sizeBytes);
  }
  for (const [kase, mine] of Object.entries(tools[SG] ?? {})) {
    ratios[kase] = {};
    for (const [tool, cases] of Object.entries(tools)) {
      const other = cases[kase];
      if (tool === SG || !other || !mine) continue;
      ratios[kase][tool] = {
        wall: finite(mine.wallSeconds / other.wallSeconds),
        cpu: finite(mine.cpuSeconds / other.cpuSeconds),
        peakRss: finite(mine.peakRssBytes / other.peakRssBytes),
      };
    }
  }
  return { tools, sgOverTool: ratios, failures: Object.fromEntries(failures) };
}

function daemonFigures(r, sizeBytes, ageSeconds) {
  const seconds = median(r.sets.map((s) => s.seconds));
  const cpu = median(r.sets.map((s) => s.cpuSeconds));
  return {
    plaintextLifetimeSeconds: finite(seconds),
    lifetimeOverAgeEncrypt: finite(seconds / ageSeconds),
    cpuSecondsPerSet: finite(cpu),
    cpuSecondsPerGiB: finite(cpu / (sizeBytes / GiB)),
    peakRssBytes: finite(r.peakRssBytes),
    sets: r.sets,
  };
}

function metricsFigures(scrapes) {
  const ms = (list) => list.filter((s) => s.ok).map((s) => s.ms);
  return {
    scrapes: scrapes.length,
    medianMs: finite(median(ms(scrapes))),
    maxMsWhileSealing: finite(Math.max(...ms(scrapes.filter((s) => s.sealing)))),
  };
}

export function figures({ opts, versions, loadAtStart, loadAtEnd, results }) {
  const size = opts.sizeBytes;
  const { oneShot, memory, lifetime, watchCurve, restore } = results;
  const ageEncrypt = lifetime ? median(lifetime.age.map((m) => m.seconds)) : NaN;
  return {
    meta: {
      date: new Date().toISOString(),
      sizeBytes: size,
      runs: opts.runs,
      dir: opts.dir,
      sections: [...opts.sections],
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? null,
      loadAverage: { start: loadAtStart, end: loadAtEnd },
      rssMethod,
      versions,
    },
    gcmCoreBytesPerSecond: finite(results.gcmCoreBytesPerSecond ?? NaN),
    oneShot: oneShot ? oneShotFigures(oneShot, size) : null,
    memory: memory
      ? {
          baselineRssBytes: memory.baselineRssBytes,
          midBytes: memory.midBytes ?? null,
          bySize: Object.fromEntries(
            [...memory.samples.byTool].map(([label, cases]) => [
              label,
              Object.fromEntries([...cases].map(([k, s]) => [k, summary(s, size)])),
            ]),
          ),
        }
      : null,
    lifetime: lifetime
      ? {
          ageEncrypt: summary(lifetime.age, size),
          fourShardSet: daemonFigures(lifetime.dfs, size, ageEncrypt),
          singleRdb: daemonFigures(lifetime.rdb, size, ageEncrypt),
        }
      : null,
    metrics: lifetime ? metricsFigures(lifetime.dfs.scrapes) : null,
    watchMemoryCurve: watchCurve ?? null,
    restore: restore
      ? {
          snapshotGuard: summary(restore.sg, size),
          ageDecrypt: summary(restore.age.length ? restore.age : undefined, size),
          wallOverAge: finite(
            median(restore.sg.map((m) => m.seconds)) / median(restore.age.map((m) => m.seconds)),
          ),
        }
      : null,
    // bench/backlog.mjs: rates with N waiting and RSS by number of seals, as that script measures them.
    backlog: results.backlog ?? null,
  };
}
