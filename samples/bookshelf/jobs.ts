/**
 * Work that must survive a crash, on the PostgreSQL server path: a job queue in the database
 * (graphile-worker), the job enqueued in the same statement as the write it follows (see
 * `SqlStore.createAuthor`). `reply.background` stays for in-process work that may be lost.
 */
import { Logger, Runner, run, runMigrations } from 'graphile-worker';
import type { Pool } from 'pg';

/** Creates graphile-worker's schema (its `add_job` function) if it is not there yet. */
export async function prepareJobs(pool: Pool): Promise<void> {
  // graphile-worker's own migrations do not wait for each other: two processes starting at once
  // would both create its schema. A session advisory lock makes them take turns.
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock(7202)');
    try {
      await runMigrations({ pgPool: pool, logger: quiet });
    } finally {
      await client.query('SELECT pg_advisory_unlock(7202)');
    }
  } finally {
    client.release();
  }
}

/**
 * Runs the welcome jobs in this process until the runner is stopped. The task is idempotent
 * (a job runs at least once): a second run of one welcome only counts itself in `runs`.
 */
export function startJobs(pool: Pool): Promise<Runner> {
  return run({
    pgPool: pool,
    concurrency: 2,
    noHandleSignals: true, // main.ts owns SIGTERM/SIGINT and stops the runner before the pool
    pollInterval: 1_000,
    logger: quiet,
    taskList: {
      welcome: async (payload) => {
        const { authorId } = payload as { authorId: number };
        await pool.query(
          'INSERT INTO welcomes (author_id) SELECT id FROM authors WHERE id = $1 ON CONFLICT (author_id) DO UPDATE SET runs = welcomes.runs + 1',
          [authorId],
        );
      },
    },
  });
}


// graphile-worker logs every job at info level; keep warnings and errors.
const quiet = new Logger(() => (level: string, message: string) => {
  if (level === 'error' || level === 'warning') console.error(`jobs: ${message}`);
});
