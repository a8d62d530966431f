/**
 * `restore --owner USER[:GROUP]`: who the restored files belong to, so that Dragonfly (running as its
 * own user) can read them. Names are looked up in /etc/passwd and /etc/group first, then through the
 * system's name service (`id`, `getent`) for directory-service users.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { UserError } from '../errors.js';

const run = promisify(execFile);

export interface Owner {
  uid: number;
  /** -1 leaves the group unchanged (chown semantics). */
  gid: number;
  /** As the user wrote it, for messages. */
  spec: string;
}

export interface Identity {
  uid: number;
  groups: number[];
}

export interface LookupFiles {
  passwd: string;
  group: string;
}

const DEFAULT_FILES: LookupFiles = { passwd: '/etc/passwd', group: '/etc/group' };

async function lines(path: string): Promise<string[][]> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').map((l) => l.split(':'));
}

async function nss(cmd: string, args: string[]): Promise<string | undefined> {
  try {
    return (await run(cmd, args, { timeout: 10_000 })).stdout.trim();
  } catch {
    return undefined; // not found, or no such tool on this host
  }
}

const NUMERIC = /^\d+$/;

async function lookupUser(
  name: string,
  files: LookupFiles,
): Promise<{ uid: number; gid: number } | undefined> {
  if (NUMERIC.test(name)) {
    const uid = Number(name);
    const row = (await lines(files.passwd)).find((f) => f[2] === name);
    return { uid, gid: row?.[3] !== undefined ? Number(row[3]) : -1 };
  }
  const row = (await lines(files.passwd)).find((f) => f[0] === name);
  if (row?.[2] !== undefined && row[3] !== undefined) return { uid: Number(row[2]), gid: Number(row[3]) };
  const uid = await nss('id', ['-u', '--', name]);
  const gid = await nss('id', ['-g', '--', name]);
  return uid && gid && NUMERIC.test(uid) && NUMERIC.test(gid)
    ? { uid: Number(uid), gid: Number(gid) }
    : undefined;
}

async function lookupGroup(name: string, files: LookupFiles): Promise<number | undefined> {
  if (NUMERIC.test(name)) return Number(name);
  const row = (await lines(files.group)).find((f) => f[0] === name);
  if (row?.[2] !== undefined) return Number(row[2]);
  const entry = await nss('getent', ['group', '--', name]);
  const gid = entry?.split(':')[2];
  return gid && NUMERIC.test(gid) ? Number(gid) : undefined;
}

function currentIdentity(): Identity {
  return { uid: process.getuid?.() ?? -1, groups: process.getgroups?.() ?? [] };
}

/**
 * Parses USER, USER:GROUP, USER: (the user's login group) or numeric ids, and checks that this process
 * may hand files to that owner (only root can give files away).
 */
export async function resolveOwner(
  spec: string,
  me: Identity = currentIdentity(),
  files: LookupFiles = DEFAULT_FILES,
): Promise<Owner> {
  const m = /^([^:\s]+)(?::([^:\s]*))?$/.exec(spec);
  if (!m?.[1]) throw new UserError(`--owner "${spec}" must look like USER, USER:GROUP or UID:GID`, 2);
  const user = await lookupUser(m[1], files);
  if (!user)
    throw new UserError(
      `--owner: there is no user "${m[1]}" on this host (checked ${files.passwd} and \`id\`)`,
      2,
    );
  let gid = -1;
  if (m[2] === '') {
    if (user.gid < 0)
      throw new UserError(`--owner: cannot find the login group of user ${m[1]}; name the group`, 2);
    gid = user.gid;
  } else if (m[2] !== undefined) {
    const g = await lookupGroup(m[2], files);
    if (g === undefined)
      throw new UserError(
        `--owner: there is no group "${m[2]}" on this host (checked ${files.group} and \`getent\`)`,
        2,
      );
    gid = g;
  }
  if (me.uid !== 0 && (user.uid !== me.uid || (gid !== -1 && !me.groups.includes(gid)))) {
    throw new UserError(
      `--owner ${spec} needs root: only root can give files to another user. Run restore as root (sudo), or run it as that user without --owner`,
    );
  }
  return { uid: user.uid, gid, spec };
}
