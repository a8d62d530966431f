/**
 * YAML → JSON for tests, through Debian's python3-yaml (no YAML package in package.json; the suite
 * already relies on /usr/bin/python3, and scripts/install-system-deps.sh installs python3-yaml).
 */
import { execFileSync } from 'node:child_process';

const PYTHON = '/usr/bin/python3';
const TO_JSON =
  'import json, sys, yaml\n' +
  'docs = [d for d in yaml.safe_load_all(sys.stdin) if d is not None]\n' +
  'json.dump(docs, sys.stdout)\n';

/** All documents of a YAML stream (kubectl kustomize prints several). */
export function parseYamlDocuments(text: string): unknown[] {
  const out = execFileSync(PYTHON, ['-c', TO_JSON], { input: text, encoding: 'utf8' });
  return JSON.parse(out) as unknown[];
}

export function parseYaml(text: string): unknown {
  const docs = parseYamlDocuments(text);
  if (docs.length !== 1) throw new Error(`expected one YAML document, found ${docs.length}`);
  return docs[0];
}
