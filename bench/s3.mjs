#!/usr/bin/env node
/**
 * Sealed sets in a bucket (bench/README.md, "S3"): on an S3 endpoint (the one-node Ceph gateway of
 * scripts/ceph.sh), seal a set into a bucket with `snapshot-guard watch --once --out s3://…` and restore
 * it with `restore --from s3://…`, beside `age -e | aws s3 cp - s3://…` and `aws s3 cp s3://… - | age -d`
 * in the same run: wall time, throughput, CPU seconds (user + sys of every process) and peak RSS; then
 * snapshot-guard's peak RSS at a second, smaller size, to show it does not grow with the snapshot. Sealing
 * is measured with both --s3-verify modes (checksums, the default, and read-back).
 *
 *   node bench/s3.mjs [--size 1GiB] [--small 256MiB] [--dir /dev/shm] [--ceph-env FILE]
 *
 * --ceph-env FILE: the exports `scripts/ceph.sh start DIR` printed (else they must be in the environment).
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, writeFile, copyFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawn } from 'node:child_process';
import { parseSize } from './args.mjs';
import { makeWorkspace } from './files.mjs';
import { publishSet, stemFor, writeTmpSet } from './dfs.mjs';
import { capture, cleanEnv, onPath } from './proc.mjs';
import { fixed, MiB, sizeText } from './stats.mjs';
import { CLI_BUILT, CLI_PATH, makeKeyFile } from './tools.mjs';

const TIME = '/usr/bin/time';
// Debian's awscli (apt-get install -y awscli), not whatever `aws` a Python environment puts first.
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';

/** Exports of `scripts/ceph.sh start` ("export NAME=value" lines) → an object. */
function readExports(file) {
  const env = {};
  for (const m of readFileSync(file, 'utf8').matchAll(/^export (\w+)=(.*)$/gm)) env[m[1]] = m[2];
  return env;
}

/** Runs `cmd args` under GNU time: wall seconds, CPU seconds (user + sys, children included), peak RSS. */
async function timed(cmd, args, env, scratch) {
  const out = join(scratch, `time-${randomBytes(4).toString('hex')}`);
  const child = spawn(TIME, ['-f', '%e %U %S %M', '-o', out, cmd, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env,
  });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c.toString()));
  const code = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const last = (await readFile(out, 'utf8').catch(() => '')).trim().split('\n').pop() ?? '';
  await rm(out, { force: true });
  if (code !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
    );
  const [wall, user, sys, kb] = last.split(' ').map(Number);
  return { seconds: wall, cpu: user + sys, peakRss: kb * 1024 };
}

async function sha256(path) {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 16 * MiB })) h.update(c);
  return h.digest('hex');
}

/**
 * One measured round at `sizeBytes`: snapshot-guard seal and restore, and (with `pipeline`) the age +
 * aws pipeline on the same bytes. Returns the rows.
 */
async function round({ dir, sizeBytes, s3, keyFile, ageKey, ageRecipient, bucket, pipeline }) {
  const rows = [];
  // With the pipeline, sealing is measured in both --s3-verify modes (each on a fresh copy of the set).
  for (const verify of pipeline ? ['checksums', 'read-back'] : ['checksums'])
    rows.push(
      ...(await sgRound({ dir, sizeBytes, s3, keyFile, bucket, verify, restore: verify === 'checksums' })),
    );
  if (pipeline) rows.push(...(await pipelineRound({ dir, sizeBytes, s3, ageKey, ageRecipient, bucket })));
  return rows;
}

/** snapshot-guard: seal a fresh set of `sizeBytes` with `--s3-verify verify`, then (with `restore`) restore it. */
async function sgRound({ dir, sizeBytes, s3, keyFile, bucket, verify, restore: andRestore }) {
  const rows = [];
  const df = join(dir, `df-${sizeBytes}-${verify}`);
  await mkdir(df, { mode: 0o700 });
  const stem = stemFor(new Date());
  const names = await writeTmpSet(df, stem, 1, sizeBytes);
  const shard = names[0];
  const plain = join(dir, `plain-${sizeBytes}`);
  await copyFile(join(df, `${shard}.tmp`), plain); // the same bytes for the pipeline
  const want = await sha256(plain);
  await publishSet(df, names);
  const prefix = `s3://${bucket}/sg-${sizeBytes}-${verify}`;
  const sgArgs = ['--s3-endpoint', s3.endpoint, '--s3-force-path-style', '--instance', 'bench'];

  const seal = await timed(
    process.execPath,
    [
      CLI_PATH,
      'watch',
      '--once',
      '--dir',
      df,
      '--out',
      prefix,
      '--key-file',
      keyFile,
      '--metrics-addr',
      'off',
      '--s3-verify',
      verify,
      ...sgArgs,
    ],
    s3.env,
    dir,
  );
  if ((await readdir(df)).some((n) => n.endsWith('.dfs')))
    throw new Error('watch --once left plaintext behind');
  rows.push({
    op: 'seal → bucket',
    tool: `snapshot-guard watch --once --s3-verify ${verify}`,
    size: sizeBytes,
    ...seal,
  });
  if (!andRestore) {
    await rm(df, { recursive: true, force: true });
    await rm(plain, { force: true });
    return rows;
  }

  const to = join(dir, `restored-${sizeBytes}`);
  const restore = await timed(
    process.execPath,
    [CLI_PATH, 'restore', '--from', prefix, '--latest', '--to', to, '--key-file', keyFile, ...sgArgs],
    s3.env,
    dir,
  );
  if ((await sha256(join(to, shard))) !== want) throw new Error('snapshot-guard restored different bytes');
  rows.push({ op: 'restore ← bucket', tool: 'snapshot-guard restore', size: sizeBytes, ...restore });
  await rm(to, { recursive: true, force: true });
  await rm(df, { recursive: true, force: true });
  await rm(plain, { force: true });
  return rows;
}

/** age -e | aws s3 cp - and back, on `sizeBytes` of the same kind of data. */
async function pipelineRound({ dir, sizeBytes, s3, ageKey, ageRecipient, bucket }) {
  const rows = [];
  const plain = join(dir, `plain-${sizeBytes}`);
  {
    const df = join(dir, `df-${sizeBytes}-pipeline`);
    await mkdir(df, { mode: 0o700 });
    const names = await writeTmpSet(df, stemFor(new Date()), 1, sizeBytes);
    await copyFile(join(df, `${names[0]}.tmp`), plain);
    await rm(df, { recursive: true, force: true });
  }
  const want = await sha256(plain);
  const shard = 'shard';
  {
    const url = `s3://${bucket}/age-${sizeBytes}/${shard}.age`;
    const aws = `${AWS} --endpoint-url ${s3.endpoint} s3`;
    const up = await timed(
      'bash',
      [
        '-o',
        'pipefail',
        '-c',
        `age -e -r ${ageRecipient} < ${plain} | ${aws} cp --only-show-errors - ${url}`,
      ],
      s3.env,
      dir,
    );
    rows.push({ op: 'seal → bucket', tool: 'age -e | aws s3 cp -', size: sizeBytes, ...up });
    const back = join(dir, `age-restored-${sizeBytes}`);
    const down = await timed(
      'bash',
      ['-o', 'pipefail', '-c', `${aws} cp --only-show-errors ${url} - | age -d -i ${ageKey} > ${back}`],
      s3.env,
      dir,
    );
    if ((await sha256(back)) !== want) throw new Error('the age pipeline restored different bytes');
    rows.push({ op: 'restore ← bucket', tool: 'aws s3 cp - | age -d', size: sizeBytes, ...down });
    await rm(back, { force: true });
  }
  await rm(plain, { force: true });
  return rows;
}

/** Endpoint, credentials and an aws config (path-style addressing, checksums only when required). */
async function s3Setup(dir, cephEnv) {
  const vars = cephEnv ? readExports(cephEnv) : process.env;
  const endpoint = vars.AWS_ENDPOINT_URL_S3 ?? vars.AWS_ENDPOINT_URL;
  if (!endpoint)
    throw new Error(
      'no S3 endpoint: start one with `scripts/ceph.sh start DIR` and pass --ceph-env FILE (its exports)',
    );
  const config = join(dir, 'aws-config');
  await writeFile(config, '[default]\ns3 =\n  addressing_style = path\n', { mode: 0o600 });
  const env = cleanEnv({
    AWS_ACCESS_KEY_ID: vars.AWS_ACCESS_KEY_ID ?? '',
    AWS_SECRET_ACCESS_KEY: vars.AWS_SECRET_ACCESS_KEY ?? '',
    AWS_REGION: vars.AWS_REGION ?? 'us-east-1',
    AWS_DEFAULT_REGION: vars.AWS_REGION ?? 'us-east-1',
    AWS_CONFIG_FILE: config,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'when_required',
  });
  return { endpoint, env };
}

const table = (rows) => {
  const lines = [
    '| operation | tool | size | seconds | MiB/s | CPU s | peak RSS |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.op} | ${r.tool} | ${sizeText(r.size)} | ${fixed(r.seconds, 2)} | ${fixed(r.size / MiB / r.seconds, 0)} | ${fixed(r.cpu, 2)} | ${sizeText(r.peakRss)} |`,
    );
  return `${lines.join('\n')}\n`;
};

/** The whole S3 section; `out` writes the report. Also bench/run.mjs's optional section "s3". */
export async function runS3Section({
  sizeBytes,
  smallBytes = Math.max(64 * MiB, sizeBytes / 4),
  dir,
  cephEnv,
  out,
}) {
  for (const tool of [TIME, 'age', 'age-keygen', AWS])
    if (!(tool.startsWith('/') ? existsSync(tool) : onPath(tool)))
      throw new Error(`${tool} is missing (apt-get install -y time age awscli)`);
  if (!existsSync(CLI_BUILT)) throw new Error('dist/cli/main.js is missing: run `npm run build` first');
  const s3 = await s3Setup(dir, cephEnv);
  const keyFile = await makeKeyFile(dir);
  const ageKey = join(dir, 'age.key');
  await capture('age-keygen', ['-o', ageKey]);
  const ageRecipient = (await capture('age-keygen', ['-y', ageKey])).trim();
  const bucket = `sg-bench-${process.pid}-${Date.now().toString(36)}`;
  await capture(AWS, ['--endpoint-url', s3.endpoint, 's3', 'mb', `s3://${bucket}`], s3.env);
  out(
    `\nS3: ${s3.endpoint} (bucket ${bucket}), ${await capture(AWS, ['--version'], s3.env).then((v) => v.trim())}, ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}\n` +
      'snapshot-guard seal = encrypt + multipart upload + proof in the bucket (--s3-verify checksums: ' +
      'ETags and sizes of the committed objects; read-back: full download and authentication) + shred; ' +
      'the pipeline only encrypts and uploads. CPU s = user + sys of every process of the command ' +
      '(the gateway itself not counted); peak RSS = its largest process.\n\n',
  );
  const rows = await round({ dir, sizeBytes, s3, keyFile, ageKey, ageRecipient, bucket, pipeline: true });
  const small = await round({
    dir,
    sizeBytes: smallBytes,
    s3,
    keyFile,
    ageKey,
    ageRecipient,
    bucket,
    pipeline: false,
  });
  out(table([...rows, ...small]));
  const rss = (rs, op) => rs.find((r) => r.op === op && r.tool.startsWith('snapshot-guard'))?.peakRss;
  for (const op of ['seal → bucket', 'restore ← bucket'])
    out(
      `peak RSS of snapshot-guard ${op}: ${sizeText(rss(small, op))} at ${sizeText(smallBytes)}, ` +
        `${sizeText(rss(rows, op))} at ${sizeText(sizeBytes)}\n`,
    );
  return [...rows, ...small];
}

/** bench/run.mjs --only s3: the section at --size; returns true when snapshot-guard failed. */
export async function runS3(opts, dir, out) {
  try {
    await runS3Section({ sizeBytes: opts.sizeBytes, dir, cephEnv: process.env.SG_CEPH_ENV, out });
    return false;
  } catch (err) {
    out(`s3: failed (${err.message})\n`);
    return true;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      size: { type: 'string', default: '1GiB' },
      small: { type: 'string', default: '256MiB' },
      dir: { type: 'string', default: '/dev/shm' },
      'ceph-env': { type: 'string' },
    },
  });
  const ws = await makeWorkspace(values.dir);
  try {
    await runS3Section({
      sizeBytes: parseSize(values.size),
      smallBytes: parseSize(values.small),
      dir: ws.path,
      cephEnv: values['ceph-env'] ?? process.env.SG_CEPH_ENV,
      out: (t) => process.stdout.write(t),
    });
  } catch (err) {
    process.stderr.write(`bench/s3: ${err.message}\n`);
    process.exitCode = 1;
  } finally {
    await ws.remove();
  }
}
