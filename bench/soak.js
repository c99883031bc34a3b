'use strict';
// The soak: the bookshelf sample under a long, mixed load, then stopped with SIGTERM in the
// middle of a write load. Run with `npm run soak` (`-- --requests=N` to change the count).
//
// 1. Start the sample (its own process, 127.0.0.1, a temporary data directory), seed it, warm it.
// 2. Load it with autocannon: a fixed number of requests (default 500,000), reads and writes
//    mixed 4:1. Report errors, timeouts, non-2xx, p99 latency and the server's RSS before and after.
// 3. Write load from plain keep-alive clients, each remembering every id it got a 201 for;
//    SIGTERM the server in the middle of it; restart it on the same data and check that every
//    acknowledged write is there.
// Every phase is bounded in time; the server is ended by pid whatever happens.

const { spawn, execFileSync } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const http = require('node:http');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
const args = Object.fromEntries(process.argv.slice(2).map((arg) => arg.replace(/^--/, '').split('=')));
const REQUESTS = Number(args.requests ?? 500_000);
const CONNECTIONS = Number(args.connections ?? 16);
const WARMUP = Number(args.warmup ?? 20_000);
const TERM_AFTER_MS = Number(args['term-after'] ?? 1500);
const WRITERS = Number(args.writers ?? 16);
const RSS_LIMIT_MB = 50;
const API_KEY = 'soak-key';
const children = new Set();

function ensureBenchDependencies() {
  if (!existsSync(join(__dirname, 'node_modules', 'autocannon'))) {
    console.log('installing bench dependencies (npm ci in bench/)…');
    execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: __dirname, stdio: 'inherit' });
  }
  return require('autocannon');
}

/** Starts the sample on a free port; resolves with { child, url } once it listens. */
function startSample(dataDir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'samples/bookshelf/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, API_KEY, LOG_LEVEL: 'error', TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    child.on('exit', () => children.delete(child));
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the sample did not start within 60 s:\n${output}`)), 60_000);
    const read = (chunk) => {
      output += chunk;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => output });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the sample exited (${code}) before listening:\n${output}`));
    });
  });
}

/** Waits for a child to exit, at most `ms`; then kills it. Resolves with its exit code. */
function waitForExit(child, ms) {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('killed');
    }, ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)[1]) / 1024;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One JSON request; resolves with { status, body } or rejects on a connection error. */
function request(url, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(`${url}${path}`, {
      method,
      agent,
      timeout: 10_000,
      headers: { 'x-api-key': API_KEY, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: text ? JSON.parse(text) : undefined }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}

async function seed(url) {
  const author = await request(url, 'POST', '/authors', { name: 'Ursula K. Le Guin' });
  if (author.status !== 201) throw new Error(`seeding failed: ${author.status} ${JSON.stringify(author.body)}`);
  const book = await request(url, 'POST', '/books', { title: 'The Dispossessed', isbn: '9780061054884', year: 1974, authorId: author.body.id });
  if (book.status !== 201) throw new Error(`seeding failed: ${book.status} ${JSON.stringify(book.body)}`);
  return { authorId: author.body.id, bookId: book.body.id };
}

function mixedLoad(autocannon, url, ids, amount) {
  const write = JSON.stringify({ name: 'Soak Writer' });
  return autocannon({
    url,
    connections: CONNECTIONS,
    amount,
    timeout: 10,
    requests: [
      { method: 'GET', path: `/authors/${ids.authorId}` },
      { method: 'GET', path: '/books?limit=10' },
      { method: 'GET', path: `/books/${ids.bookId}` },
      { method: 'GET', path: '/' }, // the sync view; lists of authors would grow with the writes
      { method: 'POST', path: '/authors', headers: { 'content-type': 'application/json', 'x-api-key': API_KEY }, body: write },
    ],
  });
}

/** Writers POST until their connection fails; each keeps the ids it was told were stored. */
async function writeUntilStopped(url, writer, acknowledged, stop) {
  for (let i = 0; !stop.now; i++) {
    try {
      const name = `term-${writer}-${i}`;
      const answer = await request(url, 'POST', '/authors', { name });
      if (answer.status === 201) acknowledged.push({ id: answer.body.id, name });
    } catch {
      return; // the server is going away
    }
  }
}

async function main() {
  const autocannon = ensureBenchDependencies();
  const dataDir = mkdtempSync(join(tmpdir(), 'fcv-soak-'));
  const started = Date.now();
  const report = {};
  let failed = false;
  try {
    // Phase 1 and 2: the mixed load.
    let server = await startSample(dataDir);
    const ids = await seed(server.url);
    await mixedLoad(autocannon, server.url, ids, WARMUP);
    report.rssStartMb = rssMb(server.child.pid);
    console.log(`mixed load: ${REQUESTS} requests, ${CONNECTIONS} connections, reads:writes 4:1 (after ${WARMUP} warm-up requests)…`);
    const load = await Promise.race([
      mixedLoad(autocannon, server.url, ids, REQUESTS),
      new Promise((_, reject) => setTimeout(() => reject(new Error('the mixed load took more than 15 minutes')), 15 * 60_000)),
    ]);
    report.rssEndMb = rssMb(server.child.pid);
    Object.assign(report, {
      requests: load.requests.total,
      reqPerSec: Math.round(load.requests.average),
      errors: load.errors,
      timeouts: load.timeouts,
      non2xx: load.non2xx,
      p50Ms: load.latency.p50,
      p99Ms: load.latency.p99,
      seconds: load.duration,
    });

    // Phase 3: SIGTERM in the middle of a write load.
    const acknowledged = [];
    const stop = { now: false };
    const writers = Array.from({ length: WRITERS }, (_, writer) => writeUntilStopped(server.url, writer, acknowledged, stop));
    await new Promise((resolve) => setTimeout(resolve, TERM_AFTER_MS));
    const acknowledgedBeforeTerm = acknowledged.length;
    server.child.kill('SIGTERM');
    const exit = await waitForExit(server.child, 20_000);
    stop.now = true;
    await Promise.all(writers);
    agent.destroy();
    server = await startSample(dataDir);
    let lost = 0;
    for (const { id, name } of acknowledged) {
      const found = await request(server.url, 'GET', `/authors/${id}`);
      if (found.status !== 200 || found.body.name !== name) lost += 1;
    }
    Object.assign(report, { sigtermExit: exit, writesAcknowledged: acknowledged.length, acknowledgedBeforeTerm, lostAcknowledgedWrites: lost });
    server.child.kill('SIGTERM');
    await waitForExit(server.child, 20_000);
  } catch (error) {
    console.error(error);
    failed = true;
  } finally {
    for (const child of children) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }

  report.rssGrowthMb = report.rssEndMb - report.rssStartMb;
  report.totalSeconds = Math.round((Date.now() - started) / 1000);
  const line = (label, value) => console.log(`  ${label.padEnd(34)} ${value}`);
  console.log('\nsoak results');
  line('requests (mixed, after warm-up)', report.requests);
  line('req/s', report.reqPerSec);
  line('errors / timeouts', `${report.errors} / ${report.timeouts}`);
  line('non-2xx on valid requests', report.non2xx);
  line('latency p50 / p99 (ms)', `${report.p50Ms} / ${report.p99Ms}`);
  line('server RSS start → end (MB)', `${report.rssStartMb?.toFixed(1)} → ${report.rssEndMb?.toFixed(1)} (growth ${report.rssGrowthMb?.toFixed(1)})`);
  line('SIGTERM exit code', report.sigtermExit);
  line('writes acknowledged (201)', `${report.writesAcknowledged} (${report.acknowledgedBeforeTerm} before SIGTERM)`);
  line('acknowledged writes lost', report.lostAcknowledgedWrites);
  line('total time (s)', report.totalSeconds);

  const problems = [];
  if (failed) problems.push('the soak did not complete');
  if (report.errors || report.timeouts) problems.push('errors or timeouts under load');
  if (report.non2xx) problems.push('non-2xx answers to valid requests');
  if (!(report.rssGrowthMb < RSS_LIMIT_MB)) problems.push(`RSS grew by ${RSS_LIMIT_MB} MB or more`);
  if (report.lostAcknowledgedWrites !== 0) problems.push('acknowledged writes were lost');
  if (!(report.writesAcknowledged > 0)) problems.push('no write was acknowledged before SIGTERM');
  if (report.sigtermExit !== 0) problems.push('the server did not exit cleanly on SIGTERM');
  console.log(problems.length ? `\nFAILED: ${problems.join('; ')}` : '\nOK: 0 errors, 0 lost acknowledged writes, RSS growth under 50 MB');
  // autocannon and the keep-alive agent may hold handles a moment longer: the verdict is in.
  process.exit(problems.length ? 1 : 0);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    for (const child of children) child.kill('SIGKILL');
    process.exit(130);
  });
}
main();
