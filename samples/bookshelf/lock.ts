/**
 * One process per PGlite folder. PGlite is Postgres in this process, without Postgres's own
 * `postmaster.pid` lock: two processes opening one folder would each write it as if alone, and
 * corrupt it. `lockDataDir` takes a lock file beside the folder, or refuses with a clear error.
 */
import { open, readFile, unlink } from 'node:fs/promises';

/** The second process on one `DATA_DIR`: refused before it opens the database. */
export class DataDirLockedError extends Error {
  readonly code = 'BOOKSHELF_DATA_DIR_LOCKED';
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`DATA_DIR ${dataDir} is in use by another bookshelf process (pid ${pid}): one PGlite folder can serve one process. Stop that process, or set DATA_DIR to another folder (for several processes, use a PostgreSQL server).`);
  }
}

/** Takes the lock of `dataDir` (`<dataDir>.lock`, holding this process's pid); resolves to its release. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = `${dataDir}.lock`;
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(`${process.pid}\n`);
      await file.close();
      return () => unlink(path).catch(() => undefined);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
    }
    const holder = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && (holder === process.pid || isRunning(holder))) throw new DataDirLockedError(dataDir, holder);
    // Left by a process that is gone (a crash, SIGKILL): take it over.
    await unlink(path).catch(() => undefined);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}
