/**
 * Serves the bookshelf API: `npm start`, or `node -r ts-node/register/transpile-only samples/bookshelf/main.ts`.
 *
 * Environment: PORT (3000; 0 picks a free port), HOST (127.0.0.1), DATA_DIR (./.data/bookshelf),
 * DATABASE_URL (a PostgreSQL server instead of PGlite in DATA_DIR), API_KEY (dev-key),
 * LOG_LEVEL (warn; info logs every request), PUBLIC_URL (the server URL the OpenAPI document gives;
 * http://HOST:PORT by default).
 */
import type { FastifyInstance } from 'fastify';
import { resolve } from 'node:path';
import { buildApp } from './app';
import { DataDirLockedError } from './lock';
import { openStore } from './store';
import { openPgStore } from './store-pg';

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  const dataDir = resolve(process.env.DATA_DIR ?? '.data/bookshelf');
  const apiKey = process.env.API_KEY ?? 'dev-key';

  const databaseUrl = process.env.DATABASE_URL;
  // A PostgreSQL server when DATABASE_URL is set (several processes may share it), else PGlite in DATA_DIR.
  // BOOKSHELF_JOBS=0: serve without running queued jobs (another process may run them).
  const store = databaseUrl ? await openPgStore(databaseUrl, { jobs: process.env.BOOKSHELF_JOBS !== '0' }) : await openStore(dataDir);
  const where = databaseUrl ? `data on ${redacted(databaseUrl)}` : `data in ${dataDir}`;
  let app: FastifyInstance | undefined;
  let closing = false;
  try {
    const serverUrl = process.env.PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
    app = await buildApp({ store, apiKey, serverUrl, logger: { level: process.env.LOG_LEVEL ?? 'warn' } });
    // A request still in flight when shutdown begins keeps its keep-alive connection open until
    // the client hangs up: tell it to (RFC 9112 §9.6), so closing does not wait on idle clients.
    app.addHook('onSend', (_request, reply, payload, done) => {
      if (closing) reply.header('connection', 'close');
      done(null, payload);
    });
    await app.listen({ port, host });
  } catch (error) {
    await app?.close();
    await store.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`Port ${port} on ${host} is already in use: stop what is listening there, or set PORT to another port (PORT=0 picks a free one).`);
      process.exit(1);
    }
    throw error;
  }
  const server = app;

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.server.address() as { port: number }).port}`;
  console.log(`Bookshelf API listening on ${url} (${where})`);
  console.log(`OpenAPI docs: ${url}/docs`);
  console.log(`Try: curl -i -X POST ${url}/authors -H 'x-api-key: ${apiKey}' -H 'content-type: application/json' -d '{"name":"Ursula K. Le Guin"}'`);
  if (process.env.API_KEY === undefined) console.log('(API_KEY is not set: writes accept the development key "dev-key")');
  console.log('Press Ctrl-C to stop.');

  // Ctrl-C under `npm start` delivers SIGINT twice (from the terminal, and forwarded by npm):
  // later signals are ignored, and the timer below bounds the wait instead.
  const shutdown = async (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: finishing in-flight requests, then closing the database…`);
    const timer = setTimeout(() => {
      console.error('Shutdown took more than 10 s; exiting anyway.');
      process.exit(1);
    }, 10_000).unref();
    try {
      await server.close(); // stops accepting connections, waits for the requests being served
      await store.close(); // only then, so that no request meets a closed database
      console.log('Closed.');
    } catch (error) {
      console.error(error);
      process.exitCode = 1;
    } finally {
      clearTimeout(timer);
    }
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

main().catch((error: unknown) => {
  // A second process on one DATA_DIR: one line, not a stack trace.
  console.error(error instanceof DataDirLockedError ? error.message : error);
  process.exit(1);
});

/** The connection string without its password, for the start-up line. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return 'the PostgreSQL server in DATABASE_URL';
  }
}
