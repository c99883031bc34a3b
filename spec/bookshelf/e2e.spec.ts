// The bookshelf sample end to end: the real server (samples/bookshelf/main.ts) in a child process,
// a fresh PGlite database in a temporary folder, HTTP over 127.0.0.1. PGlite cannot load inside
// jest's module sandbox, hence the child process — which is also what a user runs.
import { ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { openEvents } from '../sse-client';

// The first start creates the database (initdb: seconds, more on a busy machine).
jest.setTimeout(60_000);

const ROOT = resolve(__dirname, '../..');
const KEY = 'e2e-key';

interface Server {
  child: ChildProcessWithoutNullStreams;
  url: string;
  /** Everything the process printed so far, for assertions and failure messages. */
  output(): string;
  exited: Promise<number | null>;
}

/** Where a run keeps its data: the environment that points the sample at it. */
interface Backend {
  name: string;
  setUp(): Promise<Record<string, string>>;
  tearDown(): Promise<void>;
}

/** PGlite in a fresh temporary folder (`DATA_DIR`). */
function pglite(): Backend {
  let dir = '';
  return {
    name: 'PGlite',
    setUp: async () => ({ DATA_DIR: (dir = await mkdtemp(join(tmpdir(), 'bookshelf-e2e-'))) }),
    tearDown: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * A fresh database on the PostgreSQL server of `BOOKSHELF_TEST_DATABASE_URL` (`DATABASE_URL`).
 * `.ci/run` starts a server on 127.0.0.1 and sets it; without it, only PGlite runs.
 */
function postgresServer(serverUrl: string): Backend {
  const database = `bookshelf_e2e_${process.pid}_${Date.now()}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  return {
    name: 'a PostgreSQL server',
    setUp: async () => {
      await admin(`CREATE DATABASE ${database}`);
      const url = new URL(serverUrl);
      url.pathname = `/${database}`;
      return { DATABASE_URL: url.toString() };
    },
    tearDown: () => admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  };
}

const SERVER_URL = process.env.BOOKSHELF_TEST_DATABASE_URL;
const BACKENDS: Backend[] = [pglite(), ...(SERVER_URL ? [postgresServer(SERVER_URL)] : [])];

/** Starts the sample as `npm start` does, on a free port, and resolves once it listens. */
async function start(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'samples/bookshelf/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', API_KEY: KEY, LOG_LEVEL: 'warn', ...env },
  });
  let printed = '';
  child.stdout.on('data', (chunk) => (printed += chunk));
  child.stderr.on('data', (chunk) => (printed += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`the sample did not listen within 45 s:\n${printed}`));
    }, 45_000);
    const listening = () => {
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)[^]*Press Ctrl-C/.exec(printed);
      if (!match) return;
      clearTimeout(timer);
      child.stdout.off('data', listening);
      done(match[1]);
    };
    child.stdout.on('data', listening);
    void exited.then((code) => {
      clearTimeout(timer);
      fail(new Error(`the sample exited (${code}) before listening:\n${printed}`));
    });
  });
  return { child, url, output: () => printed, exited };
}

/** Runs the sample expecting it to stop on its own (it refuses to start): its exit code and all it printed. */
async function runToExit(env: Record<string, string>): Promise<{ code: number | null; said: string }> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'samples/bookshelf/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', API_KEY: KEY, LOG_LEVEL: 'warn', ...env },
  });
  let said = '';
  child.stdout.on('data', (chunk) => (said += chunk));
  child.stderr.on('data', (chunk) => (said += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  clearTimeout(timer);
  return { code, said };
}

/** Sends `signal` and waits for the exit; SIGKILL after 15 s, so a stuck server never outlives the spec. */
async function stop(server: Server, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (server.child.exitCode === null && server.child.signalCode === null) {
    const timer = setTimeout(() => server.child.kill('SIGKILL'), 15_000);
    server.child.kill(signal);
    await server.exited.finally(() => clearTimeout(timer));
  }
  return server.exited;
}

/** Resolves once `server` has printed `text`. */
function printed(server: Server, text: string): Promise<void> {
  return new Promise((done) => {
    const check = () => {
      if (!server.output().includes(text)) return;
      server.child.stdout.off('data', check);
      done();
    };
    server.child.stdout.on('data', check);
    check();
  });
}

interface Answer {
  status: number;
  headers: Headers;
  body: any; // parsed JSON (or text), checked field by field by the assertions
}

let server: Server;
let env: Record<string, string>;

async function call(method: string, path: string, options: { body?: unknown; key?: string } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.key !== undefined) headers['x-api-key'] = options.key;
  const response = await fetch(server.url + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') && text.length > 0;
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

const write = (method: string, path: string, body?: unknown) => call(method, path, { body, key: KEY });

describe.each(BACKENDS)('the bookshelf sample over HTTP, on $name', (backend) => {
  beforeAll(async () => {
    env = await backend.setUp();
    server = await start(env);
  });

  afterAll(async () => {
    if (server) await stop(server);
    await backend.tearDown();
  });

  let leGuin: string;
  let dispossessed: string;

  it('prints where it listens, its docs and an example', () => {
    expect(server.output()).toContain(`OpenAPI docs: ${server.url}/docs`);
    expect(server.output()).toContain(`curl -i -X POST ${server.url}/authors`);
  });

  it('serves the index, the OpenAPI document and the Swagger UI (its files ship in the package)', async () => {
    const index = await call('GET', '/');
    expect([index.status, index.body]).toEqual([200, { name: 'bookshelf', links: { authors: '/authors', books: '/books', docs: '/docs' } }]);
    const openapi = await call('GET', '/docs/json');
    expect(Object.keys(openapi.body.paths).sort()).toEqual(['/', '/authors', '/authors/{authorId}/books', '/authors/{id}', '/books', '/books/{id}', '/events']);
    expect(openapi.body.paths['/books'].post.security).toEqual([{ apiKey: [] }]);
    const ui = await call('GET', '/docs');
    expect([ui.status, ui.headers.get('content-type'), ui.body]).toEqual([200, expect.stringContaining('text/html'), expect.stringContaining('swagger-ui')]);
    const bundle = await fetch(`${server.url}/docs/static/swagger-ui-bundle.js`);
    expect([bundle.status, (await bundle.arrayBuffer()).byteLength > 100_000]).toEqual([200, true]);
  });

  it('checks the API key before validating: a bad body without the key is 401, not 400', async () => {
    const anonymous = await call('POST', '/authors', { body: { nonsense: true } });
    expect([anonymous.status, anonymous.body.code]).toEqual([401, 'BOOKSHELF_UNAUTHORIZED']);
    expect((await call('POST', '/authors', { body: { nonsense: true }, key: 'wrong' })).status).toBe(401);
    expect((await write('POST', '/authors', { nonsense: true })).status).toBe(400);
  });

  it('creates an author: 201 with a Location that serves it', async () => {
    const created = await write('POST', '/authors', { name: 'Ursula K. Le Guin' });
    expect(created.status).toBe(201);
    leGuin = created.headers.get('location')!;
    expect(leGuin).toBe(`/authors/${created.body.id}`);
    const read = await call('GET', leGuin);
    expect([read.status, read.body]).toEqual([200, { ...created.body, bookCount: 0, books: [], booksUrl: `/books?authorId=${created.body.id}` }]);
    expect(read.headers.get('server-timing')).toMatch(/^view;dur=/);
  });

  it('creates books, with 409 for a duplicate ISBN and 422 for an unknown author', async () => {
    const authorId = Number(leGuin.split('/').pop());
    const books = [
      { title: 'The Dispossessed', isbn: '9780061054884', year: 1974, authorId },
      { title: 'A Wizard of Earthsea', isbn: '9780547773742', year: 1968, authorId },
      { title: 'The Left Hand of Darkness', isbn: '9780441478125', year: 1969, authorId },
    ];
    const locations: string[] = [];
    for (const book of books) {
      const created = await write('POST', '/books', book);
      expect([created.status, created.body]).toEqual([201, { ...book, id: expect.any(Number) }]);
      locations.push(created.headers.get('location')!);
    }
    dispossessed = locations[0];
    const duplicate = await write('POST', '/books', { ...books[0], title: 'Another' });
    expect([duplicate.status, duplicate.body.message]).toEqual([409, 'a book with ISBN 9780061054884 is already on the shelf']);
    const orphan = await write('POST', '/books', { title: 'Kindred', isbn: '9780807083697', year: 1979, authorId: 999 });
    expect([orphan.status, orphan.body.code]).toEqual([422, 'BOOKSHELF_UNKNOWN_AUTHOR']);
  });

  it('lists a page at a time, with the total and Link headers', async () => {
    const first = await call('GET', '/books?limit=2');
    expect(first.status).toBe(200);
    expect([first.body.items.length, first.body.total, first.body.limit, first.body.offset]).toEqual([2, 3, 2, 0]);
    expect(first.headers.get('link')).toBe('</books?limit=2&offset=2>; rel="next"');
    const last = await call('GET', '/books?limit=2&offset=2');
    expect(last.body.items.map((book: { title: string }) => book.title)).toEqual(['The Left Hand of Darkness']);
    expect(last.headers.get('link')).toBe('</books?limit=2&offset=0>; rel="prev"');
    const author = await call('GET', leGuin);
    expect([author.body.bookCount, author.body.books.length]).toEqual([3, 3]);
    expect((await call('GET', '/books?limit=1000')).status).toBe(400);
    expect((await call('GET', '/authors?offset=-1')).status).toBe(400);
  });

  it("lists an author's books under the author, 404 for an unknown author", async () => {
    const first = await call('GET', `${leGuin}/books?limit=2`);
    expect([first.status, first.body.items.length, first.body.total]).toEqual([200, 2, 3]);
    expect(first.headers.get('link')).toBe(`<${leGuin}/books?limit=2&offset=2>; rel="next"`);
    const unknown = await call('GET', '/authors/999999/books');
    expect([unknown.status, unknown.body.code, unknown.body.message]).toEqual([404, 'BOOKSHELF_NOT_FOUND', 'author 999999 does not exist']);
    expect((await write('POST', `${leGuin}/books`, {})).headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('updates: PATCH a book, PUT an author', async () => {
    const patched = await write('PATCH', dispossessed, { year: 1975 });
    expect([patched.status, patched.body.year, patched.body.title]).toEqual([200, 1975, 'The Dispossessed']);
    const renamed = await write('PUT', leGuin, { name: 'Ursula Le Guin' });
    expect([renamed.status, renamed.body.name]).toEqual([200, 'Ursula Le Guin']);
    expect((await call('GET', dispossessed)).body.year).toBe(1975);
  });

  it('answers 405 with Allow for a method a resource does not have', async () => {
    const refused = await write('DELETE', '/books');
    expect([refused.status, refused.headers.get('allow')]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    expect((await write('POST', dispossessed, {})).headers.get('allow')).toBe('DELETE, GET, HEAD, OPTIONS, PATCH');
  });

  it('refuses to delete an author who still has books (409)', async () => {
    const refused = await write('DELETE', leGuin);
    expect([refused.status, refused.body.code]).toEqual([409, 'BOOKSHELF_CONFLICT']);
  });

  it('deletes a book, which is then 404', async () => {
    const deleted = await write('DELETE', dispossessed);
    expect([deleted.status, deleted.body]).toEqual([204, '']);
    const gone = await call('GET', dispossessed);
    expect([gone.status, gone.body.code]).toEqual([404, 'BOOKSHELF_NOT_FOUND']);
    expect((await write('DELETE', dispossessed)).status).toBe(404);
  });

  if (backend.name === 'PGlite') it('refuses a second process on the same data directory, with one line naming it', async () => {
    const dataDir = env.DATA_DIR;
    const { code, said } = await runToExit({ DATA_DIR: dataDir });
    expect(code).toBe(1);
    expect(said.trim()).toMatch(new RegExp(`^DATA_DIR ${dataDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by another bookshelf process \\(pid \\d+\\)`));
    expect(said).not.toMatch(/\n\s+at /); // no stack trace
    // The first process still serves.
    expect((await call('GET', '/authors')).status).toBe(200);
  });

  it('streams the changes to books at /events, and replays what a reconnecting client missed', async () => {
    const events = await openEvents(server.url + '/events');
    expect(events.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const created = await write('POST', '/books', { title: 'The Word for World Is Forest', isbn: '9780765324641', year: 1972, authorId: Number(leGuin.split('/').pop()) });
    const url = created.headers.get('location')!;
    await write('PATCH', url, { year: 1976 });
    await write('DELETE', url);
    const added = await events.nextEvent();
    expect([added.event, JSON.parse(added.data!)]).toEqual(['book.added', created.body]);
    const changed = await events.nextEvent();
    expect([changed.event, JSON.parse(changed.data!).year]).toEqual(['book.changed', 1976]);
    const deleted = await events.nextEvent();
    expect([deleted.event, JSON.parse(deleted.data!)]).toEqual(['book.deleted', { id: created.body.id }]);
    events.close();

    const again = await openEvents(server.url + '/events', { 'last-event-id': added.id! });
    expect([(await again.nextEvent()).id, (await again.nextEvent()).id]).toEqual([changed.id, deleted.id]);
    again.close();
    const refused = await openEvents(server.url + '/events', { 'last-event-id': 'x'.repeat(33) });
    expect(refused.response.statusCode).toBe(400);
  });

  it('prevents a lost update: 304 for an unchanged book, 412 for a stale If-Match', async () => {
    const created = await write('POST', '/books', { title: 'Exhalation', isbn: '9781101947883', year: 2019, authorId: Number(leGuin.split('/').pop()) });
    expect(created.status).toBe(201);
    const url = created.headers.get('location')!;
    const read = await call('GET', url);
    const etag = read.headers.get('etag')!;
    expect(etag).toBe('"1"');
    const unchanged = await fetch(server.url + url, { headers: { 'if-none-match': etag } });
    expect([unchanged.status, await unchanged.text()]).toEqual([304, '']);
    // Two clients read version 1; the first change wins, the second is refused instead of overwriting it.
    const patch = (ifMatch: string, title: string) =>
      fetch(server.url + url, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-api-key': KEY, 'if-match': ifMatch }, body: JSON.stringify({ title }) });
    const first = await patch(etag, 'Exhalation: Stories');
    expect([first.status, first.headers.get('etag')]).toEqual([200, '"2"']);
    const second = await patch(etag, 'Exhalation (overwritten)');
    expect([second.status, ((await second.json()) as { code: string }).code]).toEqual([412, 'FCV_ERR_PRECONDITION_FAILED']);
    expect((await call('GET', url)).body.title).toBe('Exhalation: Stories');
    expect((await write('DELETE', url)).status).toBe(204);
  });

  it('finishes a request in flight on SIGTERM, then closes the database and exits 0', async () => {
    // `Expect: 100-continue` makes the server acknowledge the headers before the body is sent:
    // the request is then inside the server for sure when the signal arrives.
    const { port } = new URL(server.url);
    const request = httpRequest({
      host: '127.0.0.1', port, method: 'POST', path: '/authors',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY, expect: '100-continue' },
    });
    const answer = new Promise<{ status?: number; connection?: string; body: string }>((done, fail) => {
      request.on('response', (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => done({ status: response.statusCode, connection: response.headers.connection, body }));
      });
      request.on('error', fail);
    });
    await new Promise((resume) => request.once('continue', resume));
    const events = await openEvents(server.url + '/events'); // an open stream must not hold the shutdown
    server.child.kill('SIGTERM');
    await printed(server, 'SIGTERM: finishing in-flight requests');
    request.end(JSON.stringify({ name: 'Octavia E. Butler' }));

    const { status, connection, body } = await answer;
    expect([status, JSON.parse(body).name]).toEqual([201, 'Octavia E. Butler']);
    expect(connection).toBe('close'); // so that the client's keep-alive does not hold the shutdown
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain('Closed.');
    expect(await events.ended).toBe('end');
  });

  it('finds everything again after a restart on the same data', async () => {
    server = await start(env);
    const authors = await call('GET', '/authors');
    expect(authors.body.items.map((author: { name: string }) => author.name)).toEqual(['Ursula Le Guin', 'Octavia E. Butler']);
    const books = await call('GET', '/books');
    expect(books.body.items.map((book: { title: string }) => book.title)).toEqual(['A Wizard of Earthsea', 'The Left Hand of Darkness']);
    expect((await call('GET', leGuin)).body.bookCount).toBe(2);
  });

  if (backend.name !== 'PGlite') it('serves one database from two processes writing at once, with no lost or duplicated write', async () => {
    const other = await start(env);
    try {
      const writes = (base: string, label: string) =>
        Promise.all(Array.from({ length: 40 }, async (_, i) => {
          const response = await fetch(`${base}/authors`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': KEY },
            body: JSON.stringify({ name: `writer ${label} ${i}` }),
            signal: AbortSignal.timeout(10_000),
          });
          expect(response.status).toBe(201);
          return ((await response.json()) as { id: number; name: string });
        }));
      const acknowledged = (await Promise.all([writes(server.url, 'A'), writes(other.url, 'B')])).flat();
      const stored: Array<{ id: number; name: string }> = [];
      for (let offset = 0; ; offset += 100) {
        const page = await call('GET', `/authors?limit=100&offset=${offset}`);
        stored.push(...page.body.items);
        if (offset + 100 >= page.body.total) break;
      }
      const written = stored.filter((author) => author.name.startsWith('writer '));
      expect(written).toHaveLength(80);
      expect(new Set(written.map((author) => author.id)).size).toBe(80);
      expect(written.map((author) => author.name).sort()).toEqual(acknowledged.map((author) => author.name).sort());
    } finally {
      await stop(other);
    }
  });

  if (backend.name !== 'PGlite') it('runs the welcome job of an author once, though the process was killed right after the 201', async () => {
    await stop(server);
    // This process serves but runs no jobs: the welcome is certainly still queued when it dies.
    const serving = await start({ ...env, BOOKSHELF_JOBS: '0' });
    server = serving;
    const created = await fetch(`${serving.url}/authors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({ name: 'Ted Chiang' }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: number };
    await stop(serving, 'SIGKILL');

    server = await start(env); // runs the queued jobs
    const db = new Client({ connectionString: env.DATABASE_URL });
    await db.connect();
    try {
      let runs: number | undefined;
      for (let attempt = 0; attempt < 100 && runs === undefined; attempt++) {
        const { rows } = await db.query<{ runs: number }>('SELECT runs FROM welcomes WHERE author_id = $1', [id]);
        runs = rows[0]?.runs;
        if (runs === undefined) await new Promise((resume) => setTimeout(resume, 100));
      }
      expect(runs).toBe(1);
      // The worker deletes the job after its task returned, in a statement of its own: a moment later.
      let jobs: number | undefined;
      for (let attempt = 0; attempt < 50 && jobs !== 0; attempt++) {
        const { rows } = await db.query<{ jobs: number }>('SELECT count(*)::int AS jobs FROM graphile_worker.jobs');
        jobs = rows[0].jobs;
        if (jobs !== 0) await new Promise((resume) => setTimeout(resume, 100));
      }
      expect(jobs).toBe(0); // done, nothing left to retry
      const { rows } = await db.query<{ runs: number }>('SELECT runs FROM welcomes WHERE author_id = $1', [id]);
      expect(rows[0].runs).toBe(1); // and it ran once
    } finally {
      await db.end();
    }
  });

  if (backend.name !== 'PGlite') it('starts two processes at once on a new database: the migrations run once, both serve', async () => {
    const fresh = postgresServer(SERVER_URL!);
    const freshEnv = await fresh.setUp();
    const both = await Promise.all([start(freshEnv), start(freshEnv)]);
    try {
      for (const one of both) expect((await fetch(`${one.url}/authors`)).status).toBe(200);
      const db = new Client({ connectionString: freshEnv.DATABASE_URL });
      await db.connect();
      const { rows } = await db.query('SELECT version FROM schema_migrations ORDER BY version');
      await db.end();
      expect(rows.map((row) => row.version)).toEqual([1, 2, 3]);
    } finally {
      await Promise.all(both.map((one) => stop(one)));
      await fresh.tearDown();
    }
  });

  if (backend.name === 'PGlite') it('stops with one line naming the port when it is already in use', async () => {
    const { port } = new URL(server.url);
    const { code, said } = await runToExit({ PORT: port, DATA_DIR: `${env.DATA_DIR}-second` });
    await rm(`${env.DATA_DIR}-second`, { recursive: true, force: true });
    await rm(`${env.DATA_DIR}-second.lock`, { force: true });
    expect(code).toBe(1);
    expect(said.trim()).toBe(`Port ${port} on 127.0.0.1 is already in use: stop what is listening there, or set PORT to another port (PORT=0 picks a free one).`);
  });
});
