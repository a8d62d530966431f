import type { Command } from 'commander';
import { commandWithSettings, onSettings } from './options.js';
import { s3SettingsFrom } from './s3-options.js';
import { formatBytes } from '../restore/human.js';
import { summariseSet, type SetSummary } from '../store/set-summary.js';
import { openStore } from '../store/open.js';
import { checkChain } from '../store/chain.js';

/** "a-0000.dfs … a-0007.dfs (8 shards), a-summary.dfs" rather than a line per shard. */
function fileNames(s: SetSummary): string {
  const shards = s.files.filter((f) => f.role === 'shard').map((f) => f.name);
  const others = s.files.filter((f) => f.role !== 'shard').map((f) => f.name);
  const shardText =
    shards.length > 3 ? [`${shards[0]} … ${shards[shards.length - 1]} (${shards.length} shards)`] : shards;
  return [...shardText, ...others].join(', ') || '(none)';
}

function verification(s: SetSummary): string {
  const v = s.lastVerification;
  if (!v) return 'never';
  return v.ok ? `ok at ${v.verifiedAt}` : `FAILED at ${v.verifiedAt}: ${v.error ?? 'unknown error'}`;
}

function describe(s: SetSummary, newest: boolean): string {
  const shards =
    s.format === 'dfs' ? `dfs, ${s.shardCount ?? '?'} shards + summary` : (s.format ?? 'unknown');
  const lines = [
    `${s.setId}${newest ? '   (newest)' : ''}`,
    `  snapshot time  ${s.snapshotTime ?? 'unknown'}${s.sealedAt ? `  (sealed ${s.sealedAt})` : ''}`,
    `  format         ${shards}${s.instance ? `, instance ${s.instance}` : ''}`,
    `  files          ${fileNames(s)}`,
    `  size           ${s.plaintextBytes === null ? 'unknown' : formatBytes(s.plaintextBytes)} plaintext, ${formatBytes(s.encryptedBytes)} encrypted`,
    `  keys           ${s.wrappedKeys.map((k) => `${k.provider}:${k.keyId}`).join(', ') || 'unknown'}`,
    `  last verified  ${verification(s)}`,
  ];
  if (s.previous !== undefined)
    lines.push(
      `  previous       ${s.previous ? s.previous.setId : 'none (first set of its chain)'}  (from set.json, not authenticated)`,
    );
  for (const p of s.problems) lines.push(`  problem        ${p}`);
  return lines.join('\n');
}

export function listCommand(): Command {
  const cmd = commandWithSettings('list', 'list sealed sets, newest first (needs no key)');
  return onSettings(cmd, 'list', async (opts) => {
    const from = await openStore(opts.from, '--from', s3SettingsFrom(opts));
    const summaries: SetSummary[] = [];
    const ids = await from.listSets();
    for (const id of ids) summaries.push(await summariseSet(from, id));
    // The links come from set.json, which anyone who can write the store can change: a hint, said so.
    const { breaks } = await checkChain(from, ids, summaries);
    for (const b of breaks)
      summaries
        .find((s) => s.setId === b.setId)
        ?.problems.push(`CHAIN BROKEN (from set.json, not authenticated): ${b.message}`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summaries, null, 2)}\n`);
      return;
    }
    if (summaries.length === 0) {
      process.stdout.write(`no sealed sets in ${from.location}\n`);
      return;
    }
    process.stdout.write(`${summaries.map((s, i) => describe(s, i === 0)).join('\n\n')}\n`);
    if (breaks.length > 0)
      process.stdout.write(
        `\nCHAIN BROKEN: ${breaks.length} link(s) between sets (see "problem" above); read from set.json, which is not authenticated: run \`snapshot-guard verify --all\` with the key to check the manifests\n`,
      );
  });
}
