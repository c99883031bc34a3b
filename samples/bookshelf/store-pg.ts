/**
 * The same store on a PostgreSQL server, through a `pg` pool: `DATABASE_URL` selects it in
 * `main.ts`. Several processes may serve one database (each with its own pool); migrations wait
 * for each other on an advisory lock (`migrate`).
 */
import { Pool } from 'pg';
import { SqlStore, migrate } from './store';

/** Connects to `connectionString`, migrates the database and returns the store; `close()` ends the pool. */
export async function openPgStore(connectionString: string, poolSize = 10): Promise<SqlStore> {
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
  } catch (error) {
    await pool.end();
    throw error;
  }
  return new SqlStore(pool, () => pool.end());
}
