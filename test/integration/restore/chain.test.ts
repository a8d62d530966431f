/**
 * The chain of sealed sets on a local store, through the real CLI (docs/SECURITY.md "Deleted and
 * replaced sets"): `watch` links every set to the one sealed before it (also across a crash and within
 * one run); `verify --all` and `list` report a set deleted from the middle or replaced, and exit 3;
 * deleting the oldest sets looks like retention and is not reported; `rewrap` keeps the chain valid.
 * The independent Python decoder computes the same manifest digest the next set names.
 */
import { cp, readFile, rm, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ageKeygen } from '../../helpers/age-tools.js';
import { runCli } from '../../helpers/cli.js';
import { writeRdbFile } from '../../helpers/dfs-writer.js';
import { runPythonDecoder } from '../../helpers/python-decoder.js';
import { readSetInfo } from '../../helpers/sealed.js';
import { workspace, type Workspace } from '../../helpers/watch-fixtures.js';
import { setIdFor } from '../../../src/store/names.js';

let ws: Workspace | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});

const BASE = Math.floor(Date.now() / 1000) - 3600;

/** Writes RDB snapshots `name` with snapshot times `BASE + seconds`; returns their set ids. */
async function writeSnapshots(w: Workspace, snapshots: [name: string, seconds: number][]): Promise<string[]> {
  const ids: string[] = [];
  for (const [name, seconds] of snapshots) {
    await writeRdbFile(w.df, `${name}.rdb`, 5000);
    await utimes(join(w.df, `${name}.rdb`), BASE + seconds, BASE + seconds);
    ids.push(setIdFor((BASE + seconds) * 1000, name));
  }
  return ids;
}

async function watchOnce(w: Workspace, out = w.out, env: Record<string, string> = {}) {
  const args = w.args('--once');
  args[args.indexOf('--out') + 1] = out;
  return runCli(['watch', ...args], { env });
}

/** Seals the snapshots one `watch --once` run each; returns their set ids, oldest first. */
async function sealEach(w: Workspace, snapshots: [string, number][], out = w.out): Promise<string[]> {
  const ids: string[] = [];
  for (const s of snapshots) {
    ids.push(...(await writeSnapshots(w, [s])));
    const r = await watchOnce(w, out);
    expect(r.code, r.stderr).toBe(0);
  }
  return ids;
}

const verifyAll = (w: Workspace, key = w.keyFile) =>
  runCli(['verify', '--from', w.out, '--all', '--key-file', key]);
const chainLines = (stdout: Buffer) =>
  stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('CHAIN'));

describe('the chain of sealed sets', () => {
  it('links each set to the one before, across runs, within one run and after a crash', async () => {
    ws = await workspace();
    const [a] = await sealEach(ws, [['a', 0]]);
    // Two sets in one run: the second one's link comes from memory, not from the store.
    const [b, c] = await writeSnapshots(ws, [
      ['b', 60],
      ['c', 120],
    ]);
    let r = await watchOnce(ws);
    expect(r.code, r.stderr).toBe(0);
    // Killed right after publishing d; the next run adopts it, then seals e with d's digest read back.
    const [d] = await writeSnapshots(ws, [['d', 180]]);
    r = await watchOnce(ws, ws.out, { SNAPSHOT_GUARD_TEST_CRASH_AT: 'after-publish' });
    expect(r.code).toBe(137);
    r = await watchOnce(ws);
    expect(r.code, r.stderr).toBe(0);
    const [e] = await sealEach(ws, [['e', 240]]);

    const ids = [a!, b!, c!, d!, e!];
    const previous = await Promise.all(
      ids.map(async (id) => (await readSetInfo(join(ws!.out, id)))?.previous),
    );
    expect(previous.map((p) => p?.setId ?? null)).toEqual([null, a, b, c, d]);

    r = await verifyAll(ws);
    expect(r.code, r.stderr).toBe(0);
    expect(chainLines(r.stdout)).toEqual([]);

    // The independent decoder: b names a with exactly the digest it computes for a's manifest.
    const pyA = await runPythonDecoder(['--key-file', ws.keyFile, '--verify-set', join(ws.out, a!)]);
    const pyB = await runPythonDecoder(['--key-file', ws.keyFile, '--verify-set', join(ws.out, b!)]);
    expect(pyA.code, pyA.stderr).toBe(0);
    expect(pyB.code, pyB.stderr).toBe(0);
    expect(pyA.stdout).toContain('manifest version 2: previous none (first set of its chain)');
    const digestA = /manifest payload sha256 ([0-9a-f]{64})/.exec(pyA.stdout)?.[1];
    expect(digestA).toBeDefined();
    expect(pyB.stdout).toContain(`manifest version 2: previous ${a} with manifest payload sha256 ${digestA}`);
  });

  it('a set deleted from the middle: verify --all names both sets and exits 3, list shows it; the oldest gone is not reported', async () => {
    ws = await workspace();
    const [a, b, c, d] = await sealEach(ws, [
      ['dump', 0],
      ['dump', 60],
      ['dump', 120],
      ['dump', 180],
    ]);
    await rm(join(ws.out, b!), { recursive: true });

    let r = await verifyAll(ws);
    expect(r.code).toBe(3);
    const lines = chainLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `CHAIN   ${c}  set ${c} names ${b} as the set sealed before it, but ${b} is gone`,
    );
    expect(lines[0]).toContain(`1 older set(s) remain (newest ${a})`);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('1 broken link(s) in the chain of sealed sets');
    for (const id of [a, c, d]) expect(r.stdout.toString()).toContain(`ok      ${id}`);

    // list needs no key: it reads the links from set.json, and says they are not authenticated.
    r = await runCli(['list', '--from', ws.out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toContain(
      `CHAIN BROKEN (from set.json, not authenticated): set ${c} names ${b}`,
    );
    expect(r.stdout.toString()).toContain('CHAIN BROKEN: 1 link(s) between sets');
    expect(r.stdout.toString()).toContain(`previous       ${b}  (from set.json, not authenticated)`);
    r = await runCli(['list', '--from', ws.out, '--json']);
    const listed = JSON.parse(r.stdout.toString()) as { setId: string; problems: string[] }[];
    expect(listed.find((s) => s.setId === c)?.problems.some((p) => p.includes(`names ${b}`))).toBe(true);

    // doctor, the 3 a.m. check, says so too (links from set.json) and fails.
    r = await runCli(['doctor', '--dir', ws.df, '--out', ws.out, '--key-file', ws.keyFile]);
    expect(r.code).toBe(1);
    expect(r.stdout.toString()).toMatch(
      new RegExp(
        `^FAIL {2}set ${c} names ${b} as the set sealed before it, but ${b} is gone.*not authenticated`,
        'm',
      ),
    );

    // Without a key (completeness only), the links from set.json are checked as well.
    const id = ageKeygen(ws.root, 'identity.txt');
    r = await runCli(['verify', '--from', ws.out, '--all', '--age-recipient', id.recipient]);
    expect(r.code).toBe(3);
    expect(chainLines(r.stdout)[0]).toContain(`set ${c} names ${b}`);
    expect(chainLines(r.stdout)[0]).toContain('(links from set.json: NOT authenticated)');

    // The oldest set gone too: nothing older than the gap is left, which is what retention leaves.
    await rm(join(ws.out, a!), { recursive: true });
    r = await verifyAll(ws);
    expect(r.code, r.stdout.toString()).toBe(0);
    expect(chainLines(r.stdout)).toEqual([]);
  });

  it("a middle set replaced by another authentic set of the same id, or its manifest by another set's: the digest differs", async () => {
    ws = await workspace();
    const [, b, c] = await sealEach(ws, [
      ['dump', 0],
      ['dump', 60],
      ['dump', 120],
    ]);
    // Someone who can seal (the same key) writes another snapshot under b's id, elsewhere, and swaps it in.
    const other = join(ws.root, 'other');
    const [forged] = await sealEach(ws, [['dump', 60]], other);
    expect(forged).toBe(b);
    await rm(join(ws.out, b!), { recursive: true });
    await cp(join(other, b!), join(ws.out, b!), { recursive: true });

    let r = await verifyAll(ws);
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toContain(`ok      ${b}`); // authentic on its own
    let lines = chainLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `CHAIN   ${c}  set ${c} names ${b} as the set sealed before it with manifest digest`,
    );
    expect(lines[0]).toContain(`${b} was replaced after ${c} was sealed`);

    // A manifest copied over from another set: b fails on its own, and c's link says so too.
    await cp(join(ws.out, c!, 'manifest.sgm'), join(ws.out, b!, 'manifest.sgm'));
    r = await verifyAll(ws);
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toMatch(new RegExp(`FAILED  ${b}  .*belongs to set ${c}`));
    lines = chainLines(r.stdout);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${b} was replaced after ${c} was sealed`);
  });

  it('retention (--keep-last) never looks like a deletion', async () => {
    ws = await workspace();
    for (let i = 0; i < 5; i++) {
      await writeSnapshots(ws, [['dump', i * 60]]);
      const args = ws.args('--once', '--keep-last', '2');
      const r = await runCli(['watch', ...args]);
      expect(r.code, r.stderr).toBe(0);
    }
    const r = await verifyAll(ws);
    expect(r.code, r.stdout.toString() + r.stderr).toBe(0);
    expect(r.stdout.toString().match(/^ok /gm)).toHaveLength(2);
    expect(chainLines(r.stdout)).toEqual([]);
  });

  it('rewrap keeps the chain valid (it rewrites headers, the digest covers the payload)', async () => {
    ws = await workspace();
    const ids = await sealEach(ws, [
      ['dump', 0],
      ['dump', 60],
      ['dump', 120],
    ]);
    const before = await readFile(join(ws.out, ids[1]!, 'manifest.sgm'));
    const key2 = join(ws.root, 'key2');
    expect((await runCli(['keygen', '--out', key2])).code).toBe(0);
    const r = await runCli([
      'rewrap',
      '--from',
      ws.out,
      '--key-file',
      ws.keyFile,
      '--to-key',
      `file:${key2}`,
      '--drop-key',
      `file:${ws.keyFile}`,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect((await readFile(join(ws.out, ids[1]!, 'manifest.sgm'))).equals(before)).toBe(false);
    const v = await verifyAll(ws, key2);
    expect(v.code, v.stdout.toString() + v.stderr).toBe(0);
    expect(chainLines(v.stdout)).toEqual([]);
  });
});
