#!/usr/bin/env node
/**
 * Prints the package's machine-readable debian/copyright (DEP-5): snapshot-guard itself, the bundled
 * Node.js runtime (its license file, which covers the libraries built into Node and quotes several
 * licenses in full, is installed beside this file as node.LICENSE.gz), and one paragraph
 * per npm package shipped in node_modules, read from its package.json and license file.
 *   node deploy/debian/copyright.mjs APP_DIR
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const [appDir] = process.argv.slice(2);
if (!appDir) {
  process.stderr.write('usage: copyright.mjs APP_DIR\n');
  process.exit(2);
}

/** SPDX ids as Debian spells them. */
const DEBIAN_NAME = { MIT: 'Expat', 'Public Domain': 'public-domain' };
/** Licenses whose full text every Debian system has. */
const COMMON = { 'Apache-2.0': '/usr/share/common-licenses/Apache-2.0' };

/** A text as a DEP-5 field continuation: one leading space, empty lines as " .". */
const indent = (text) =>
  text
    .replace(/\r/g, '')
    .trim()
    .split('\n')
    .map((l) => (l.trim() === '' ? ' .' : ` ${l.trimEnd()}`))
    .join('\n');

function licenseFile(dir) {
  const name = readdirSync(dir).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  return name ? readFileSync(join(dir, name), 'utf8') : undefined;
}

function licenseOf(pkg) {
  if (typeof pkg.license === 'string') return pkg.license;
  // Old package.json files: "licenses" or "license" as a list of { type }: any one of them applies.
  const list = [pkg.license ?? pkg.licenses ?? []].flat();
  return list.map((l) => (typeof l === 'string' ? l : l.type)).join(' OR ');
}

/** "A OR (B AND C)" in SPDX terms → "A or B and C" with Debian names. */
const debianExpression = (spdx) =>
  spdx
    .replace(/[()]/g, '')
    .split(/\s+(OR|AND)\s+/)
    .map((part) => (part === 'OR' ? 'or' : part === 'AND' ? 'and' : (DEBIAN_NAME[part] ?? part)))
    .join(' ');

function packages(dir) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.')) continue;
    const path = join(dir, name);
    if (name.startsWith('@')) {
      out.push(...packages(path));
      continue;
    }
    out.push(path, ...packages(join(path, 'node_modules')));
  }
  return out;
}

const texts = new Map(); // Debian license name → text
const paragraphs = [
  [
    'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
    'Upstream-Name: snapshot-guard',
    'Source: https://github.com/snapshot-guard/snapshot-guard',
  ].join('\n'),
  ['Files: *', 'Copyright: snapshot-guard contributors', 'License: Apache-2.0'].join('\n'),
  [
    'Files: usr/lib/snapshot-guard/bin/node',
    'Copyright: Node.js contributors and the authors of the libraries it includes',
    'License: Node.js',
    ' The license of Node.js and of the libraries built into the node binary (OpenSSL, zlib, libuv,',
    ' V8, ICU and others) is in /usr/share/doc/snapshot-guard/node.LICENSE.gz.',
  ].join('\n'),
];

for (const dir of packages(join(appDir, 'node_modules'))) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const spdx = licenseOf(pkg);
  if (!spdx) throw new Error(`${pkg.name}: no license in package.json`);
  const text = licenseFile(dir);
  const holders = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(\(c\)|copyright\b)/i.test(l) && !/copyright (notice|holders?|owner)/i.test(l))
    .map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').trim());
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  const copyright = holders.length > 0 ? holders.join('\n ') : (author ?? `the authors of ${pkg.name}`);
  for (const id of spdx.replace(/[()]/g, '').split(/\s+(?:OR|AND)\s+/)) {
    const name = DEBIAN_NAME[id] ?? id;
    if (texts.has(name) || COMMON[id]) continue;
    if (id === 'Public Domain') texts.set(name, 'Placed in the public domain by its authors.');
    else if (text) texts.set(name, text.replace(/^\s*(\(c\)|copyright\b).*$/gim, '').trim());
  }
  paragraphs.push(
    [
      `Files: ${relative(appDir, dir).replace(/^/, 'usr/lib/snapshot-guard/app/')}/*`,
      `Copyright: ${copyright}`,
      `License: ${debianExpression(spdx)}`,
    ].join('\n'),
  );
}

for (const [id, path] of Object.entries(COMMON)) {
  paragraphs.push(`License: ${id}\n On Debian systems the full text is in ${path}.`);
}
for (const [name, text] of [...texts].sort(([a], [b]) => a.localeCompare(b))) {
  paragraphs.push(`License: ${name}\n${indent(text)}`);
}
process.stdout.write(`${paragraphs.join('\n\n')}\n`);
