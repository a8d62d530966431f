/**
 * Measurements 1 and 2: one-shot encryption/decryption of the same random file by every tool, and
 * snapshot-guard's peak RSS for a 4 MiB file against the big one (memory must not grow with size).
 * At most three copies of the file exist at once: plaintext, ciphertext, decrypted copy.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSize, sameContent, writeRandomFile } from './files.mjs';
import { measure } from './proc.mjs';
import { MiB } from './stats.mjs';

/** Collected samples: one entry per tool and case ("encrypt:file", "encrypt:null", ...). */
export class Samples {
  constructor() {
    this.byTool = new Map();
  }
  add(tool, kase, m) {
    const cases = this.byTool.get(tool) ?? new Map();
    const s = cases.get(kase) ?? { seconds: [], cpuSeconds: [], peakRssBytes: [] };
    s.seconds.push(m.seconds);
    s.cpuSeconds.push(m.cpuSeconds ?? NaN);
    s.peakRssBytes.push(m.peakRssBytes);
    cases.set(kase, s);
    this.byTool.set(tool, cases);
  }
  get(tool, kase) {
    return this.byTool.get(tool)?.get(kase);
  }
}

const progress = (text) => process.stderr.write(`  ${text}\n`);

/** Sets every available tool up; returns { ready, skipped: Map(name → reason) }. */
export async function prepareTools(tools, dir) {
  const ready = [];
  const skipped = new Map();
  for (const t of tools) {
    const missing = t.missing();
    if (missing) {
      skipped.set(t.name, missing);
      continue;
    }
    try {
      await t.setup(dir);
      ready.push(t);
    } catch (err) {
      skipped.set(t.name, `setup failed: ${err.message}`);
    }
  }
  return { ready, skipped };
}

async function runCase(samples, tool, kase, [cmd, args], opts) {
  const m = await measure(cmd, args, opts);
  samples.add(tool.name, kase, m);
  progress(`${kase.padEnd(12)} ${tool.name}: ${m.seconds.toFixed(3)} s, CPU ${m.cpuSeconds.toFixed(2)} s`);
  return m;
}

/** Runs one round of every case for one tool; the decrypted copy is checked against the plaintext. */
async function oneRound(samples, tool, ctx, round) {
  const { dir, plain, doEncrypt, doDecrypt } = ctx;
  const cipher = join(dir, 'bench.enc');
  const back = join(dir, 'bench.dec');
  const scratch = { scratchDir: dir };
  try {
    if (doEncrypt) {
      await runCase(samples, tool, 'encrypt:file', tool.encrypt(plain, cipher), scratch);
      await runCase(samples, tool, 'encrypt:null', tool.encrypt(plain, '-'), {
        ...scratch,
        stdoutPath: '/dev/null',
      });
    }
    if (!doDecrypt || !tool.decrypt) return;
    if (!doEncrypt) {
      const [cmd, args] = tool.encrypt(plain, cipher);
      await measure(cmd, args, scratch);
    }
    await runCase(samples, tool, 'decrypt:file', tool.decrypt(cipher, back), scratch);
    const same =
      round === 0 ? await sameContent(plain, back) : (await fileSize(back)) === (await fileSize(plain));
    if (!same) throw new Error('its decrypted output differs from the plaintext');
    await rm(back, { force: true });
    if (tool.decryptToStdout) {
      await runCase(samples, tool, 'decrypt:null', tool.decrypt(cipher, '-'), {
        ...scratch,
        stdoutPath: '/dev/null',
      });
    }
  } finally {
    await rm(cipher, { force: true });
    await rm(back, { force: true });
  }
}

/**
 * Measurement 1. Rounds interleave the tools (A, B, C, then C, B, A), so a slow moment of a shared
 * machine, or the order of the tools, does not land on one tool only. Returns { samples, failures: Map(name → reason) }.
 */
export async function runOneShot({ dir, sizeBytes, runs, tools, doEncrypt, doDecrypt }) {
  const plain = join(dir, 'bench.plain');
  const samples = new Samples();
  const failures = new Map();
  await writeRandomFile(plain, sizeBytes);
  try {
    for (let round = 0; round < runs; round++) {
      progress(`round ${round + 1}/${runs}`);
      // A-B-C then C-B-A: what a tool's run leaves behind (freed tmpfs pages, a warm page cache)
      // helps the next tool; alternating the order gives every tool both positions.
      for (const tool of round % 2 === 0 ? tools : [...tools].reverse()) {
        if (failures.has(tool.name)) continue;
        try {
          await oneRound(samples, tool, { dir, plain, doEncrypt, doDecrypt }, round);
        } catch (err) {
          failures.set(tool.name, err.message);
          progress(`${tool.name} failed: ${err.message}`);
        }
      }
    }
  } finally {
    await rm(plain, { force: true });
  }
  return { samples, failures };
}

/**
 * Measurement 2: snapshot-guard's peak RSS to encrypt and decrypt a 4 MiB file, a middle-sized one
 * (size/16, to show where memory levels off) and the big file (taken from measurement 1 when it ran).
 * Also the RSS of `snapshot-guard --version`: what loading the program alone costs.
 * Returns { samples (tool names "4MiB", "mid", "big"), midBytes, baselineRssBytes }.
 */
export async function runMemory({ dir, sizeBytes, runs, sg, oneShot }) {
  const samples = new Samples();
  const midBytes = Math.floor(sizeBytes / 16 / MiB) * MiB;
  const sizes = [['4MiB', 4 * MiB]];
  if (midBytes > 4 * MiB) sizes.push(['mid', midBytes]);
  const haveBig = oneShot?.get(sg.name, 'encrypt:file') && oneShot.get(sg.name, 'decrypt:file');
  if (haveBig) {
    for (const kase of ['encrypt:file', 'decrypt:file']) {
      const s = oneShot.get(sg.name, kase);
      s.seconds.forEach((sec, i) =>
        samples.add('big', kase, {
          seconds: sec,
          cpuSeconds: s.cpuSeconds[i],
          peakRssBytes: s.peakRssBytes[i],
        }),
      );
    }
  } else {
    sizes.push(['big', sizeBytes]);
  }
  for (const [label, bytes] of sizes) {
    const plain = join(dir, `memory-${label}.plain`);
    await writeRandomFile(plain, bytes);
    try {
      for (let round = 0; round < runs; round++) {
        const tool = { ...sg, name: label };
        await oneRound(samples, tool, { dir, plain, doEncrypt: true, doDecrypt: true }, round);
      }
    } finally {
      await rm(plain, { force: true });
    }
  }
  const [cmd, args] = sg.version();
  const baseline = await measure(cmd, args, { scratchDir: dir });
  return {
    samples,
    midBytes: midBytes > 4 * MiB ? midBytes : undefined,
    baselineRssBytes: baseline.peakRssBytes,
  };
}
