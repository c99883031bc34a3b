/**
 * One process per PGlite folder. PGlite is Postgres in this process, without Postgres's own
 * `postmaster.pid` lock: two processes opening one folder would each write it as if alone, and
 * corrupt it. `lockDataDir` takes a lock file beside the folder, or refuses with a clear error.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';

/** The second process on one `DATA_DIR`: refused before it opens the database. */
export class DataDirLockedError extends Error {
  readonly code = 'BOOKSHELF_DATA_DIR_LOCKED';
  constructor(readonly dataDir: string, readonly pid: number) {
    super(`DATA_DIR ${dataDir} is in use by another bookshelf process (pid ${pid}): one PGlite folder can serve one process. Stop that process, or set DATA_DIR to another folder (for several processes, use a PostgreSQL server).`);
  }
}

// The locks this process holds: a lock naming this pid but not held here was left by an
// earlier process that had the same pid (a container restarted: pid 1 again).
const held = new Set<string>();

/**
 * Takes the lock of `dataDir` (`<dataDir>.lock`, holding this process's pid); resolves to its
 * release. The file is created whole by `link` (atomic: no one reads a half-written pid), and a
 * stale one is moved aside by `rename` (atomic: one process moves it) before taking over.
 */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const path = `${dataDir}.lock`;
  const mine = `${path}.${process.pid}.${randomUUID()}`;
  await writeFile(mine, `${process.pid}\n`);
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await link(mine, path);
        held.add(path);
        return async () => {
          held.delete(path);
          if ((await pidIn(path)) === process.pid) await unlink(path).catch(() => undefined);
        };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = await pidIn(path);
      if (holder === null) continue; // gone since: try again
      if (held.has(path) || (holder !== undefined && holder !== process.pid && isRunning(holder))) throw new DataDirLockedError(dataDir, holder ?? 0);
      // Left by a process that is gone (a crash, SIGKILL): move it aside, then take the lock.
      const grave = `${path}.${process.pid}.${randomUUID()}.stale`;
      try {
        await rename(path, grave);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue; // another process moved it
        throw error;
      }
      const moved = await pidIn(grave);
      if (moved !== holder) {
        // Taken by another process since we looked: give it back.
        await link(grave, path).catch(() => undefined);
        await unlink(grave).catch(() => undefined);
        throw new DataDirLockedError(dataDir, moved ?? 0);
      }
      await unlink(grave).catch(() => undefined);
    }
    throw new DataDirLockedError(dataDir, (await pidIn(path)) ?? 0);
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

/** The pid in a lock file: `null` when there is no file, `undefined` when it holds no pid. */
async function pidIn(file: string): Promise<number | null | undefined> {
  try {
    const pid = Number.parseInt(await readFile(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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
