/** Which sets a command works on: --set, --latest, --all, or the command's default (store/choose.ts). */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { chooseSets } from '../../../src/store/choose.js';
import { LocalStore } from '../../../src/store/local/local-store.js';

let root: string;
let store: LocalStore;
const A = '20261101T000000.000Z_dump';
const B = '20261102T000000.000Z_dump';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sg-choose-'));
  for (const id of [A, B]) await mkdir(join(root, id));
  store = new LocalStore(root);
});
afterEach(async () => rm(root, { recursive: true, force: true }));

it('switches left off (false, as the config layer gives them) fall back to the default: all for rewrap', async () => {
  expect(await chooseSets(store, { all: false, latest: false }, 'all')).toEqual([B, A]);
  expect(await chooseSets(store, { all: false, latest: false }, 'latest')).toEqual([B]);
});

it('--latest, --all and --set choose what they say; two at once is a usage error', async () => {
  expect(await chooseSets(store, { latest: true }, 'all')).toEqual([B]);
  expect(await chooseSets(store, { all: true }, 'latest')).toEqual([B, A]);
  expect(await chooseSets(store, { set: A }, 'latest')).toEqual([A]);
  await expect(chooseSets(store, { all: true, latest: true }, 'all')).rejects.toMatchObject({ exitCode: 2 });
});
