/**
 * How long following the chain of sealed sets takes (what `watch --verify-every`, `verify`, `list` and
 * `doctor` do): every set's set.json, then each predecessor's manifest payload digest. Reads one at a
 * time ("before") and READS_AT_ONCE at a time (what src/store/chain.ts does), alternated in one run.
 *
 *   node bench/chain-reads.mjs --from s3://BUCKET/PREFIX --instance NAME [--runs 5]
 *   node bench/chain-reads.mjs --from /var/lib/snapshot-guard/sealed
 *
 * A bucket takes the S3 settings from the environment (AWS_ENDPOINT_URL_S3, credentials, and
 * SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE=true for path-style stores). Needs `npm run build`.
 */
import { parseArgs } from 'node:util';
import { median } from './stats.mjs';

const USAGE = 'usage: node bench/chain-reads.mjs --from DIR|s3://BUCKET/PREFIX [--instance NAME] [--runs 5]';

let values;
try {
  ({ values } = parseArgs({
    options: {
      from: { type: 'string' },
      instance: { type: 'string' },
      runs: { type: 'string', default: '5' },
      help: { type: 'boolean' },
    },
  }));
} catch (err) {
  process.stderr.write(`chain-reads: ${err.message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const runs = Number(values.runs);
if (!values.from || !Number.isInteger(runs) || runs < 1) {
  process.stderr.write(`chain-reads: --from is required and --runs must be a whole number ≥ 1\n${USAGE}\n`);
  process.exit(2);
}

const { openStore } = await import('../dist/store/open.js');
const { manifestPayloadDigest, READS_AT_ONCE } = await import('../dist/store/chain.js');
const { claimedPrevious } = await import('../dist/store/set-info.js');
const { mapLimit } = await import('../dist/util/map-limit.js');

const store = await openStore(values.from, '--from', {
  forcePathStyle: process.env.SNAPSHOT_GUARD_S3_FORCE_PATH_STYLE === 'true',
  ...(values.instance ? { instance: values.instance } : {}),
});
const ids = await store.listSets();

/** One pass over the chain with `limit` reads at a time; seconds. */
async function pass(limit) {
  const started = performance.now();
  const links = await mapLimit(ids, limit, async (id) => claimedPrevious(await store.readInfo(id)));
  const present = new Set(ids);
  const predecessors = links.flatMap((l) => (l && present.has(l.setId) ? [l.setId] : []));
  await mapLimit(predecessors, limit, (id) => manifestPayloadDigest(store, id));
  return (performance.now() - started) / 1000;
}

const seconds = { 1: [], [READS_AT_ONCE]: [] };
for (let r = 0; r < runs; r++) {
  // Alternate which goes first, so neither always reads a warm cache.
  for (const limit of r % 2 ? [READS_AT_ONCE, 1] : [1, READS_AT_ONCE]) seconds[limit].push(await pass(limit));
}
const one = median(seconds[1]);
const many = median(seconds[READS_AT_ONCE]);
process.stdout.write(
  `${store.location}: ${ids.length} sets, median of ${runs}\n` +
    `reads one at a time      ${one.toFixed(3)} s\n` +
    `reads ${READS_AT_ONCE} at a time        ${many.toFixed(3)} s  (${(one / many).toFixed(1)}× faster)\n`,
);
await store.close?.();
process.exit(0);
