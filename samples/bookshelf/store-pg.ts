/**
 * The same store on a PostgreSQL server, through a `pg` pool: `DATABASE_URL` selects it in
 * `main.ts`. Several processes may serve one database (each with its own pool); migrations wait
 * for each other on an advisory lock (`migrate`). Each new author gets a welcome job, enqueued
 * with it and run by any process's job runner (jobs.ts).
 */
import { Pool } from 'pg';
import { prepareJobs, startJobs } from './jobs';
import { SqlStore, migrate } from './store';

/**
 * Connects to `connectionString`, migrates the database, prepares the job queue and returns the
 * store; unless `jobs` is false, this process also runs the queued jobs. `close()` stops the
 * jobs, then ends the pool.
 */
export async function openPgStore(connectionString: string, { poolSize = 10, jobs = true } = {}): Promise<SqlStore> {
  const pool = new Pool({ connectionString, max: poolSize });
  // An idle client's connection failing (the server restarting) must not crash the process.
  pool.on('error', (error) => console.error(`PostgreSQL connection error: ${error.message}`));
  try {
    const client = await pool.connect(); // migrations need one session: BEGIN … COMMIT
    try {
      await migrate(client);
    } finally {
      client.release();
    }
    await prepareJobs(pool);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const runner = jobs ? await startJobs(pool) : undefined;
  const close = async () => {
    await runner?.stop(); // lets a running job finish; the others stay queued for the next start
    await pool.end();
  };
  return new SqlStore(pool, close, { welcomeJobs: true });
}
