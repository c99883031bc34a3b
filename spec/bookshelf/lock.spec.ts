// One process per PGlite folder: the bookshelf's data-directory lock.
import { spawn, spawnSync } from 'node:child_process';
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

  it('takes over a lock naming this pid that this process does not hold (a container restarted)', async () => {
    const dir = join(root, 'data');
    await writeFile(`${dir}.lock`, `${process.pid}\n`);
    const release = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(DataDirLockedError);
    await release();
  });

  it('lets exactly one of two processes take over a stale lock at once', async () => {
    const dir = join(root, 'data');
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
    const contender = `require('${join(__dirname, '../../samples/bookshelf/lock.ts').replace(/\\/g, '/')}').lockDataDir(process.argv[1])` +
      `.then(() => { process.stdout.write('got'); setTimeout(() => process.exit(0), 1500); }, (e) => { process.stdout.write(e.code ?? e.message); process.exit(0); })`;
    for (let round = 0; round < 6; round++) {
      await writeFile(`${dir}.lock`, `${gone}\n`);
      const results = await Promise.all([0, 1].map(() => new Promise<string>((done) => {
        const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', contender, dir], { cwd: join(__dirname, '../..') });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
        child.on('exit', () => {
          clearTimeout(timer);
          done(out);
        });
      })));
      expect(results.sort()).toEqual(['BOOKSHELF_DATA_DIR_LOCKED', 'got']);
      await rm(`${dir}.lock`, { force: true });
    }
  }, 120_000);
});
