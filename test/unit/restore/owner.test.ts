/** `restore --owner`: names and numbers resolved from passwd/group files, and only root may give files away. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveOwner, type LookupFiles } from '../../../src/restore/owner.js';

let dir: string;
let files: LookupFiles;
const root = { uid: 0, groups: [0] };

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sg-owner-'));
  files = { passwd: join(dir, 'passwd'), group: join(dir, 'group') };
  await writeFile(
    files.passwd,
    'root:x:0:0:root:/root:/bin/sh\ndragonfly:x:999:998::/var/lib/dragonfly:/usr/sbin/nologin\n',
  );
  await writeFile(files.group, 'root:x:0:\ndragonfly:x:998:\nredis:x:107:\n');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('resolveOwner', () => {
  it('resolves USER, USER:GROUP, USER: (login group) and numeric ids', async () => {
    expect(await resolveOwner('dragonfly', root, files)).toEqual({ uid: 999, gid: -1, spec: 'dragonfly' });
    expect(await resolveOwner('dragonfly:redis', root, files)).toMatchObject({ uid: 999, gid: 107 });
    expect(await resolveOwner('dragonfly:', root, files)).toMatchObject({ uid: 999, gid: 998 });
    expect(await resolveOwner('1234:5678', root, files)).toMatchObject({ uid: 1234, gid: 5678 });
  });

  it('explains unknown users and groups and malformed specs', async () => {
    await expect(resolveOwner('nobody-here-at-all', root, files)).rejects.toThrow(
      /there is no user "nobody-here-at-all"/,
    );
    await expect(resolveOwner('dragonfly:nogroup-here', root, files)).rejects.toThrow(
      /there is no group "nogroup-here"/,
    );
    await expect(resolveOwner('a:b:c', root, files)).rejects.toThrow(
      /must look like USER, USER:GROUP or UID:GID/,
    );
  });

  it('needs root to give files to someone else, but not to keep them', async () => {
    const me = { uid: 999, groups: [998] };
    await expect(resolveOwner('root', me, files)).rejects.toThrow(
      /--owner root needs root: only root can give files to another user/,
    );
    await expect(resolveOwner('dragonfly:redis', me, files)).rejects.toThrow(/needs root/);
    expect(await resolveOwner('dragonfly:dragonfly', me, files)).toMatchObject({ uid: 999, gid: 998 });
  });

  it('falls back to the system name service for users missing from the file', async () => {
    // `id -u root` answers on any Linux host even though our test passwd file is replaced by an empty one.
    await writeFile(files.passwd, '');
    expect(await resolveOwner('root', root, files)).toMatchObject({ uid: 0, gid: -1 });
  });
});
