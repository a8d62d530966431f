#!/usr/bin/env node
/**
 * snapshot-guard's benchmark (see bench/README.md): one-shot throughput against age, gpg and openssl,
 * memory flatness, the daemon's plaintext lifetime, and /metrics latency while sealing. Figures and
 * ratios come from the same run; targets are reported as met or missed, never asserted.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { parseOptions, USAGE, UsageError } from './args.mjs';
import { killLiveDaemon } from './daemon.mjs';
import { makeWorkspace } from './files.mjs';
import { describeRun } from './host.mjs';
import { figures } from './json.mjs';
import { curveSizes, printLifetime, printWatchCurve, runLifetime, runWatchCurve } from './lifetime.mjs';
import { printRestore, runRestore } from './restore-bench.mjs';
import { prepareTools, runMemory, runOneShot } from './one-shot.mjs';
import { runS3 } from './s3.mjs';
import { printBacklog, runBacklog } from './backlog.mjs';
import { opensslGcmSpeed } from './openssl-speed.mjs';
import { printDaemon, printMemory, printMetrics, printOneShot, throughput } from './report.mjs';
import { loadavg } from 'node:os';
import { fixed, GiB, MiB, sizeText } from './stats.mjs';
import { heading } from './table.mjs';
import { allTools, CLI_BUILT, toolVersions } from './tools.mjs';

const out = (text) => process.stdout.write(text);

function fail(message, code) {
  process.stderr.write(`bench: ${message}\n`);
  process.exit(code);
}

let opts;
try {
  opts = parseOptions(process.argv.slice(2));
} catch (err) {
  if (err instanceof UsageError) fail(`${err.message}\n${USAGE}`, 2);
  throw err;
}
if (opts.help) {
  out(`${USAGE}\n`);
  process.exit(0);
}
if (!existsSync(CLI_BUILT)) fail('dist/cli/main.js is missing: run `npm run build` first', 2);
if (!existsSync(opts.dir))
  fail(`--dir ${opts.dir} does not exist; pass an existing directory (ideally a tmpfs)`, 2);

const ws = await makeWorkspace(opts.dir);
// Plaintext, ciphertext and decrypted copy (one-shot), or plaintext, staging and sealed sets (daemon).
const needed = 4 * opts.sizeBytes + 64 * MiB;
if (ws.freeBytes < needed) {
  await ws.remove();
  fail(
    `${opts.dir} has ${sizeText(ws.freeBytes)} free; this run needs about ${sizeText(needed)}: free space or lower --size`,
    2,
  );
}
const onSignal = (signal) => {
  killLiveDaemon();
  void ws.remove().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);

let sgFailed = false;
const versions = await toolVersions();
const loadAtStart = loadavg();
/** Everything measured, for --json. */
const results = {};
try {
  out(describeRun({ opts, ws, versions }));
  const has = (s) => opts.sections.has(s);

  let gcmCore = NaN;
  if (has('speed')) {
    process.stderr.write('openssl speed -evp aes-256-gcm …\n');
    try {
      gcmCore = await opensslGcmSpeed(opts.quick ? 1 : 3);
      results.gcmCoreBytesPerSecond = gcmCore;
      out(
        `\nContext: OpenSSL AES-256-GCM core (openssl speed -evp aes-256-gcm -bytes 1048576, one CPU): ` +
          `${fixed(gcmCore / 1e6, 0)} MB/s = ${fixed(gcmCore / MiB, 0)} MiB/s = ${fixed(gcmCore / GiB, 2)} GiB/s\n`,
      );
    } catch (err) {
      out(`\nContext: OpenSSL AES-256-GCM core: not measured (${err.message})\n`);
    }
  }

  const { ready, skipped } = await prepareTools(allTools(), ws.path);
  const sg = ready.find((t) => t.name === 'snapshot-guard');
  let oneShot;
  if (has('encrypt') || has('decrypt')) {
    heading(`1. One-shot throughput, ${sizeText(opts.sizeBytes)} file (median of ${opts.runs})`);
    process.stderr.write('one-shot encryption/decryption …\n');
    oneShot = await runOneShot({
      dir: ws.path,
      sizeBytes: opts.sizeBytes,
      runs: opts.runs,
      tools: ready,
      doEncrypt: has('encrypt'),
      doDecrypt: has('decrypt'),
    });
    sgFailed ||= oneShot.failures.has('snapshot-guard');
    results.oneShot = oneShot;
    printOneShot({ ...oneShot, skipped, tools: ready, sizeBytes: opts.sizeBytes, gcmCore });
  }

  if (has('memory')) {
    heading('2. Memory flatness: snapshot-guard peak RSS by file size (median)');
    process.stderr.write('memory …\n');
    try {
      const memory = await runMemory({
        dir: ws.path,
        sizeBytes: opts.sizeBytes,
        runs: opts.runs,
        sg,
        oneShot: oneShot?.samples,
      });
      printMemory(memory, opts.sizeBytes);
      results.memory = memory;
    } catch (err) {
      sgFailed = true;
      out(`memory: failed (${err.message})\n`);
    }
  }

  if (has('daemon')) {
    const sets = Math.max(3, opts.runs);
    heading(
      `3. Daemon: ${sets} four-shard DFS sets of ${sizeText(opts.sizeBytes)} each, summary rename → plaintext gone`,
    );
    process.stderr.write('daemon …\n');
    try {
      const age = ready.find((t) => t.name === 'age');
      const lifetime = await runLifetime({ dir: ws.path, sizeBytes: opts.sizeBytes, sets, age });
      results.lifetime = lifetime;
      const encrypt = throughput(oneShot?.samples, 'snapshot-guard', 'encrypt:file', opts.sizeBytes);
      printDaemon(lifetime.dfs, opts.sizeBytes, encrypt);
      heading(`3b. Plaintext lifetime against age -e of the same bytes (medians of ${sets})`);
      printLifetime(lifetime, opts.sizeBytes);
      heading('4. /metrics response time, one scrape per second during measurement 3');
      printMetrics(lifetime.dfs);
    } catch (err) {
      sgFailed = true;
      out(`daemon: failed (${err.message})\n`);
    }
  }

  if (has('curve')) {
    const sizes = opts.watchSizes ?? curveSizes(opts.sizeBytes);
    heading(`5. watch peak RSS by snapshot size (one fresh daemon per size, one 4-shard set)`);
    process.stderr.write('watch memory curve …\n');
    try {
      results.watchCurve = await runWatchCurve({ dir: ws.path, sizes });
      printWatchCurve(results.watchCurve);
    } catch (err) {
      sgFailed = true;
      out(`watch memory curve: failed (${err.message})\n`);
    }
  }

  if (has('restore')) {
    heading(
      `6. restore of a ${sizeText(opts.sizeBytes)} 4-shard set against age -d (median of ${opts.runs})`,
    );
    process.stderr.write('restore …\n');
    try {
      const age = ready.find((t) => t.name === 'age');
      results.restore = await runRestore({ dir: ws.path, sizeBytes: opts.sizeBytes, runs: opts.runs, age });
      printRestore(results.restore, opts.sizeBytes);
    } catch (err) {
      sgFailed = true;
      out(`restore: failed (${err.message})\n`);
    }
  }

  if (has('s3')) sgFailed ||= await runS3(opts, ws.path, out);
  if (has('backlog')) {
    process.stderr.write('backlog …\n');
    try {
      results.backlog = await runBacklog({ dir: ws.path, quick: opts.quick });
      printBacklog(results.backlog);
    } catch (err) {
      sgFailed = true;
      out(`backlog: failed (${err.message})\n`);
    }
  }
  for (const t of ready) await t.cleanup?.();
} finally {
  await ws.remove();
}
if (opts.json) {
  const doc = figures({ opts, versions, loadAtStart, loadAtEnd: loadavg(), results });
  await writeFile(opts.json, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o644 });
  process.stderr.write(`figures written to ${opts.json}\n`);
}
process.exitCode = sgFailed ? 1 : 0;
