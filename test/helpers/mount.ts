/** Real tmpfs mounts for tests of full and read-only file systems (root only: the suite runs as root). */
import { execFileSync } from 'node:child_process';

/** Whether this process may mount file systems (root, with mount(8) on PATH). */
export function canMount(): boolean {
  try {
    return process.getuid?.() === 0 && execFileSync('sh', ['-c', 'command -v mount']).length > 0;
  } catch {
    return false;
  }
}
