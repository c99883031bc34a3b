// One process per PGlite folder: the bookshelf's data-directory lock.
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLockedError, lockDataDir } from '../../samples/bookshelf/lock';

describe('the data-directory lock', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'bookshelf-lock-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('refuses a second holder while the first has it, naming the folder and the pid', async () => {
    const dir = join(root, 'data');
    const release = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
    await expect(lockDataDir(dir)).rejects.toThrow(`DATA_DIR ${dir} is in use by another bookshelf process (pid ${process.pid})`);
    await release();
    const again = await lockDataDir(dir);
    await again();
  });

  it('takes over a lock left by a process that is gone (a crash, SIGKILL)', async () => {
    const dir = join(root, 'data');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    await writeFile(`${dir}.lock`, `${gone}\n`);
    const release = await lockDataDir(dir);
    expect((await readFile(`${dir}.lock`, 'utf8')).trim()).toBe(String(process.pid));
    await release();
  });
});
