#!/usr/bin/env node
// Writes the known-answer vectors of docs/FORMAT.md to test/vectors/*.json from the compiled format code.
//   npm run build && node test/vectors/make-vectors.mjs     (re)write the files
//   node test/vectors/make-vectors.mjs --check              exit 1 if the files differ from what dist/ makes
// test/format/vectors.test.ts makes the same comparison against src/ on every test run.
import { createHash, createHmac } from 'node:crypto';
import { readdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encryptFile } from '../../dist/format/file.js';
import {
  associatedDataOf,
  decodeHeader,
  headerMacKey,
  replaceWrappedKeys,
} from '../../dist/format/header.js';
import { deriveFileKey } from '../../dist/format/payload.js';
import { encodeManifest } from '../../dist/format/manifest.js';
import { LocalKeyProvider, encodeKeyFile, localWrapAad } from '../../dist/keys/local/provider.js';
// Node strips the types of this TypeScript file itself (it has only type imports).
import { buildVectors, vectorFileText } from './build.ts';

const dir = dirname(fileURLToPath(import.meta.url));
const check = process.argv.includes('--check');

const vectors = await buildVectors({
  createHash,
  createHmac,
  encryptFile,
  associatedDataOf,
  headerMacKey,
  decodeHeader,
  replaceWrappedKeys,
  deriveFileKey,
  encodeManifest,
  LocalKeyProvider,
  localWrapAad,
  encodeKeyFile,
});

const wanted = new Map(vectors.map((v) => [`${v.name}.json`, vectorFileText(v)]));
const present = (await readdir(dir)).filter((n) => n.endsWith('.json'));
let differences = 0;
for (const [name, text] of wanted) {
  const path = join(dir, name);
  const old = await readFile(path, 'utf8').catch(() => undefined);
  if (old === text) continue;
  differences++;
  if (check) console.error(`differs: ${path}`);
  else await writeFile(path, text);
}
for (const name of present.filter((n) => !wanted.has(n))) {
  differences++;
  if (check) console.error(`not produced by the generator: ${join(dir, name)}`);
  else await unlink(join(dir, name));
}
if (check && differences > 0) process.exit(1);
console.error(`${wanted.size} vectors ${check ? 'checked' : 'written'} in ${dir} (${differences} changed)`);
