/** Whether an external tool is on PATH (deploy tests skip, saying so, only when it is missing). */
import { spawnSync } from 'node:child_process';

export function hasCommand(name: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

/** Reason text for a skipped test, printed once per file. */
export function missing(name: string, pkg: string): string {
  return `${name} is not installed (Debian package ${pkg}): skipping the checks that need it`;
}
