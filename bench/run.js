#!/usr/bin/env node
'use strict';
/**
 * The benchmark: `npm run bench` at the top level (or `node bench/run.js [options]`).
 *
 *   --quick              a 1–2 minute smoke run (writes results/quick.*, not results/latest.*)
 *   --only=a,b           sections to run: micro, startup, load (writes results/partial.*)
 *   --rounds=N --duration=S --connections=N --warmup=S     load settings
 *   --variants=a,b       load only these variants (keys in apps.js), their raw counterparts,
 *                        the baseline and its A/A control
 *   --startup-node=P,Q   also run the start-up section under these Node binaries (paths)
 *
 * Builds the library (../dist) when it is missing or older than src/, installs bench/'s own
 * dependencies when bench/node_modules is missing, then runs the sections. Every server is its own
 * child process on 127.0.0.1; every child and every load run is bounded in time; children are
 * ended by pid when the run ends, fails or is interrupted. See README.md for the method.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { fork, spawnSync } = require('node:child_process');
const { machineBusyUs, otherCores } = require('./machine');

const BENCH = __dirname;
const ROOT = path.resolve(BENCH, '..');

// --- options --------------------------------------------------------------------------------

const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const option = (name, fallback) => {
  const hit = argv.find((a) => a.startsWith(`--${name}=`));
  return hit === undefined ? fallback : hit.slice(name.length + 3);
};
const QUICK = flag('quick');
const SECTIONS = option('only', 'micro,startup,load').split(',');
const LOAD = {
  rounds: Number(option('rounds', QUICK ? 2 : 10)),
  duration: Number(option('duration', QUICK ? 1 : 2)),
  warmup: Number(option('warmup', QUICK ? 0.5 : 2)),
  connections: Number(option('connections', 10)),
};
// Samples per endpoint count (fresh process each): start-up time swings on a shared machine.
const STARTUP = { repeats: QUICK ? { 1000: 1 } : { 1000: 7, 5000: 3 } };
// Start-up depends on the V8 of the Node that runs it: the section runs under this Node and
// under each --startup-node binary, and judges each one by itself.
const STARTUP_NODES = [...new Set([process.execPath, ...option('startup-node', '').split(',').filter(Boolean).map((p) => path.resolve(p))])];
const MICRO_TARGET_NS = 100;
// A resource's route against the same MethodView route: equal up to the micro measure's noise.
const RESOURCE_TARGET_NS = 10;
const STARTUP_TARGET = 1.3;
const NOISE_FLOOR = 0.02; // the smallest noise band ever granted, even to a calm run
// A measurement during which other processes used more than QUIET_CORES is repeated (up to
// ATTEMPTS times in all, keeping the quietest attempt) while the section's retry budget lasts.
const QUIET_CORES = 0.15;
const ATTEMPTS = 3;
const RUN_BUDGET_MS = (QUICK ? 6 : 25) * 60 * 1000; // the whole run, whatever happens
const OUTPUT = QUICK ? 'quick' : option('only', null) ? 'partial' : 'latest';

// --- prerequisites --------------------------------------------------------------------------

function newestMtime(dir, test) {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(full, test));
    else if (test(entry.name)) newest = Math.max(newest, fs.statSync(full).mtimeMs);
  }
  return newest;
}

function run(command, args, options) {
  console.log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { stdio: 'inherit', timeout: 5 * 60 * 1000, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.error?.message ?? `exit ${result.status}`})`);
}

function prepare() {
  if (!fs.existsSync(path.join(ROOT, 'node_modules', 'typescript'))) {
    throw new Error('the library\'s own dependencies are missing: run `npm ci` at the top level first');
  }
  const built = path.join(ROOT, 'dist', 'index.js');
  const sources = Math.max(
    newestMtime(path.join(ROOT, 'src'), (name) => name.endsWith('.ts')),
    ...['tsconfig.json', 'tsconfig.build.json'].map((f) => fs.statSync(path.join(ROOT, f)).mtimeMs),
  );
  if (!fs.existsSync(built) || fs.statSync(built).mtimeMs < sources) {
    run('npm', ['run', 'build'], { cwd: ROOT });
  }
  if (!fs.existsSync(path.join(BENCH, 'node_modules', 'autocannon'))) {
    run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: BENCH });
  }
}

// --- child processes ------------------------------------------------------------------------

const children = new Set();

function killChildren() {
  for (const child of children) {
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
}

/** Forks `file` with an IPC channel; the child is SIGKILLed by pid after `limitMs` whatever it does. */
function forkChild(file, args, { limitMs, execArgv = [], execPath = process.execPath }) {
  const child = fork(path.join(BENCH, file), args, { cwd: BENCH, execArgv, execPath, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  const limit = setTimeout(() => {
    console.error(`[bench] ${file} ${args.join(' ')} ran past ${limitMs} ms: killing pid ${child.pid}`);
    try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
  }, limitMs);
  child.once('exit', () => {
    clearTimeout(limit);
    children.delete(child);
  });
  return child;
}

/** The next message of `type` from `child`, or a rejection on exit or after `ms`. */
function nextMessage(child, type, ms, match = () => true) {
  return new Promise((resolve, reject) => {
    const done = (fn, value) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      fn(value);
    };
    const onMessage = (msg) => { if (msg?.type === type && match(msg)) done(resolve, msg); };
    const onExit = (code, signal) => done(reject, new Error(`child ${child.pid} exited (${signal ?? code}) before sending '${type}'`));
    const timer = setTimeout(() => done(reject, new Error(`no '${type}' from child ${child.pid} within ${ms} ms`)), ms);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Runs a one-shot child and returns its first message of `type`. */
async function oneShot(file, args, type, options) {
  const child = forkChild(file, args, options);
  try {
    return await nextMessage(child, type, options.limitMs);
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(3000)]);
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    }
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// --- quiet measurements ----------------------------------------------------------------------

/** A retry budget in ms of extra measuring, with a count of what it was spent on. */
function budget(ms) {
  let left = ms;
  let repeated = 0;
  let disturbed = 0;
  return {
    canRetry: () => left > 0,
    spend(spentMs) { left -= spentMs; repeated += 1; },
    keptDisturbed() { disturbed += 1; },
    report: () => ({ budgetMs: Math.round(ms), leftMs: Math.round(Math.max(0, left)), repeated, keptDisturbed: disturbed, quietCores: QUIET_CORES }),
  };
}

/**
 * Runs `attempt` (which resolves to a result with `otherCores`) again while other processes used
 * more than QUIET_CORES during it, up to ATTEMPTS times and while `retries` has budget; keeps the
 * quietest attempt.
 */
async function quietly(retries, attempt) {
  let best;
  for (let i = 0; i < ATTEMPTS; i++) {
    const started = Date.now();
    const result = await attempt();
    if (best === undefined || !(result.otherCores >= best.otherCores)) best = result;
    if (!(result.otherCores > QUIET_CORES)) break; // quiet, or unknown (no /proc/stat)
    if (i === ATTEMPTS - 1 || !retries.canRetry()) break;
    retries.spend(Date.now() - started);
    await sleep(500);
  }
  if (best.otherCores > QUIET_CORES) retries.keptDisturbed();
  return best;
}

// --- statistics -----------------------------------------------------------------------------

function median(values) {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// --- section: micro -------------------------------------------------------------------------

async function microSection() {
  console.log('\n== micro: ns added per handler call');
  const msg = await oneShot('micro.js', QUICK ? ['--quick'] : [], 'micro', { limitMs: (QUICK ? 2 : 5) * 60 * 1000 });
  for (const r of msg.rows) {
    console.log(`  ${r.label.padEnd(64)} view ${r.viewNs.toFixed(1).padStart(7)} ns  raw ${r.rawNs.toFixed(1).padStart(7)} ns  added ${r.addedNs.toFixed(1).padStart(7)} ns`);
  }
  return msg;
}

// --- section: start-up ----------------------------------------------------------------------

async function startupSection() {
  const runs = [];
  const retries = budget(QUICK ? 10000 : 60000);
  const versions = STARTUP_NODES.map(nodeVersion); // a binary that does not run fails before any sample
  for (const [i, execPath] of STARTUP_NODES.entries()) {
    const version = versions[i];
    console.log(`\n== start-up on Node ${version}: register N endpoints and await app.ready(), one process each`);
    runs.push(await startupOn(execPath, version, retries));
  }
  return { nodes: runs.map((r) => r.node), rows: runs.flatMap((r) => r.rows), samples: runs.flatMap((r) => r.samples), retries: retries.report() };
}

function nodeVersion(execPath) {
  const out = spawnSync(execPath, ['-p', 'process.version'], { encoding: 'utf8', timeout: 30 * 1000 });
  if (out.status !== 0) throw new Error(`--startup-node: ${execPath} does not run (${out.error?.message ?? out.stderr.trim()})`);
  return out.stdout.trim();
}

async function startupOn(execPath, node, retries) {
  // The resource kinds run at 1,000 only (the target's count; 5,000 resources are 10,000 URLs).
  const RESOURCE_KINDS = ['resources', 'resource-views', 'raw-resources'];
  const kindsAt = (count) => (count === 1000 ? ['views', 'raw-same', 'raw-get', ...RESOURCE_KINDS] : ['views', 'raw-same', 'raw-get']);
  const samples = [];
  const counts = Object.keys(STARTUP.repeats).map(Number);
  for (let rep = 0; rep < Math.max(...Object.values(STARTUP.repeats)); rep++) {
    for (const count of counts.filter((c) => rep < STARTUP.repeats[c])) {
      const kinds = kindsAt(count);
      for (let k = 0; k < kinds.length; k++) {
        const kind = kinds[(k + rep) % kinds.length]; // rotate which kind goes first
        const msg = await quietly(retries, () => oneShot('startup.js', [kind, String(count)], 'startup', { limitMs: 120 * 1000, execArgv: ['--expose-gc'], execPath }));
        samples.push({ ...msg, node });
        console.log(`  ${kind.padEnd(9)} ${String(count).padStart(5)}: ${msg.ms.toFixed(0).padStart(6)} ms  heap +${msg.heapMB.toFixed(1)} MB  rss +${msg.rssMB.toFixed(1)} MB  (${msg.routes} routes, ${msg.methods} method+path entries; other processes ${msg.otherCores.toFixed(2)} cores)`);
      }
    }
  }
  const rows = [];
  for (const count of counts) {
    const of = (kind) => samples.filter((s) => s.kind === kind && s.count === count);
    const summary = (kind) => {
      const list = of(kind);
      return {
        node, kind, count, samples: list.length, routes: list[0].routes, methods: list[0].methods,
        ms: median(list.map((s) => s.ms)), heapMB: median(list.map((s) => s.heapMB)), rssMB: median(list.map((s) => s.rssMB)),
        msRange: [Math.min(...list.map((s) => s.ms)), Math.max(...list.map((s) => s.ms))],
      };
    };
    const get = summary('raw-get');
    // Each row against the same routes written by hand: raw-same for views, raw-resources for resources.
    const groups = [['views', 'raw-same', 'raw-get'], kindsAt(count).filter((k) => RESOURCE_KINDS.includes(k))];
    for (const group of groups.filter((g) => g.length > 0)) {
      const same = summary(group.includes('raw-same') ? 'raw-same' : 'raw-resources');
      for (const row of group.map(summary)) {
        row.msVsSame = row.ms / same.ms;
        row.heapVsSame = row.heapMB / same.heapMB;
        row.rssVsSame = row.rssMB / same.rssMB;
        row.msVsGet = group.includes('raw-get') ? row.ms / get.ms : NaN;
        row.heapVsGet = group.includes('raw-get') ? row.heapMB / get.heapMB : NaN;
        rows.push(row);
      }
    }
  }
  return { node, rows, samples };
}

// --- section: load --------------------------------------------------------------------------

const USER = { name: 'Ada', email: 'ada@example.com' };
const REQUESTS = [
  { method: 'GET', path: '/users/42' },
  { method: 'POST', path: '/users', headers: { 'content-type': 'application/json' }, body: JSON.stringify(USER) },
];
const EXPECTED = [
  { status: 200, body: JSON.stringify({ id: '42', name: 'Ada' }) },
  { status: 201, body: JSON.stringify(USER) },
];

async function startServer(variant, execArgv = []) {
  const child = forkChild('server.js', [variant.key], { limitMs: RUN_BUDGET_MS, execArgv });
  const ready = await nextMessage(child, 'ready', 60 * 1000);
  let nextId = 0;
  return {
    variant, child, port: ready.port, pid: ready.pid,
    async cpu() {
      const id = ++nextId;
      child.send({ type: 'cpu', id });
      const msg = await nextMessage(child, 'cpu', 10 * 1000, (m) => m.id === id);
      return msg.cpu.user + msg.cpu.system; // µs
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try { child.send({ type: 'stop' }); } catch { /* channel gone */ }
      await Promise.race([new Promise((resolve) => child.once('exit', resolve)), sleep(3000)]);
      try { process.kill(child.pid, 'SIGKILL'); } catch { /* gone */ }
    },
  };
}

/** Both routes answer with the expected status and bytes before any load is sent. */
async function verify(server) {
  for (let i = 0; i < REQUESTS.length; i++) {
    const req = REQUESTS[i];
    const res = await fetch(`http://127.0.0.1:${server.port}${req.path}`, {
      method: req.method, headers: req.headers, body: req.body, signal: AbortSignal.timeout(5000),
    });
    const body = await res.text();
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== EXPECTED[i].status || body !== EXPECTED[i].body || !type.startsWith('application/json')) {
      throw new Error(`${server.variant.key}: ${req.method} ${req.path} answered ${res.status} ${type} ${body}, expected ${EXPECTED[i].status} ${EXPECTED[i].body}`);
    }
  }
}

/**
 * One autocannon run against `port`, stopped by force if it overruns its duration. Latency is
 * recorded here from every response (autocannon's own histogram keeps whole milliseconds, too
 * coarse for sub-millisecond answers).
 */
function autocannonRun(autocannon, port, seconds) {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const instance = autocannon({
      url: `http://127.0.0.1:${port}`,
      connections: LOAD.connections,
      pipelining: 1,
      duration: seconds,
      timeout: 5,
      requests: REQUESTS, // each connection alternates GET /users/42 and POST /users
    }, (err, result) => {
      clearTimeout(guard);
      if (err) return reject(err);
      const sorted = latencies.subarray(0, count).sort();
      const at = (q) => (count === 0 ? NaN : sorted[Math.min(count - 1, Math.floor(q * count))]);
      resolve({ result, p50: at(0.5), p99: at(0.99) });
    });
    instance.on('response', (client, statusCode, bytes, ms) => {
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = ms;
    });
    const guard = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  });
}

async function measure(autocannon, server, seconds) {
  const cpuBefore = await server.cpu();
  const busyBefore = machineBusyUs();
  const selfBefore = process.cpuUsage();
  const { result, p50, p99 } = await autocannonRun(autocannon, server.port, seconds);
  const self = process.cpuUsage(selfBefore);
  const busyAfter = machineBusyUs();
  const cpuAfter = await server.cpu();
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  return {
    rps: responses / result.duration,
    responses,
    p50,
    p99,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    cpuUs: cpuAfter - cpuBefore,
    cpuPerReq: (cpuAfter - cpuBefore) / Math.max(1, responses),
    serverBusy: (cpuAfter - cpuBefore) / (result.duration * 1e6),
    // Cores used by other processes during the run (neither the server nor the load generator).
    otherCores: otherCores(busyBefore, busyAfter, cpuAfter - cpuBefore + self.user + self.system, result.duration * 1e6),
  };
}

/**
 * Every server once per round. The start rotates (round r starts with server r) and the stride
 * through the list changes from round to round (a stride coprime to the count visits each server
 * once), so no server always runs next to the same neighbours: drift of the machine's load over
 * tens of seconds then spreads over all servers instead of favouring a block of them.
 */
function roundOrder(list, round) {
  const n = list.length;
  const gcd = (a, b) => (b === 0 ? a : gcd(b, a % b));
  const strides = [];
  for (let k = 1; k < n; k++) if (gcd(k, n) === 1) strides.push(k);
  if (strides.length === 0) strides.push(1);
  const stride = strides[round % strides.length];
  return list.map((_, i) => list[(round + i * stride) % n]);
}

async function loadSection() {
  const autocannon = require('autocannon');
  const only = option('variants', null)?.split(',');
  const all = require('./apps').variants;
  const wanted = new Set(only ? ['raw-sync', 'raw-sync-control'] : all.map((v) => v.key));
  for (const v of all) if (only?.includes(v.key)) wanted.add(v.key).add(v.counterpart ?? v.key);
  const variants = all.filter((v) => wanted.has(v.key));
  console.log(`\n== load: ${variants.length} servers, ${LOAD.rounds} rounds x ${LOAD.duration} s, ${LOAD.connections} connections, GET/POST alternating`);
  const servers = [];
  try {
    // Identical servers measured here differ by up to ~20 % in req/s depending on when they were
    // started (eight raw copies started one after another: medians 36k–45k req/s). So the start
    // order is shuffled, and the A/A control starts last, as far from the baseline as any
    // variant: its disagreement with the baseline is the noise band the variants are judged by.
    const startOrder = [
      ...variants.filter((v) => v.key === 'raw-sync'),
      ...shuffle(variants.filter((v) => v.key !== 'raw-sync' && v.key !== 'raw-sync-control')),
      ...variants.filter((v) => v.key === 'raw-sync-control'),
    ];
    console.log(`  start order: ${startOrder.map((v) => v.key).join(' ')}`);
    for (const variant of startOrder) {
      const server = await startServer(variant);
      servers.push(server);
      await verify(server);
    }
    console.log(`  started and verified: ${servers.map((s) => `${s.variant.key}:${s.port}`).join(' ')}`);
    for (const server of servers) await autocannonRun(autocannon, server.port, LOAD.warmup);

    const runs = new Map(servers.map((s) => [s.variant.key, []]));
    const retries = budget(0.3 * LOAD.rounds * servers.length * LOAD.duration * 1000);
    for (let round = 0; round < LOAD.rounds; round++) {
      const order = roundOrder(servers, round);
      const line = [];
      for (const server of order) {
        const m = await quietly(retries, () => measure(autocannon, server, LOAD.duration));
        m.round = round;
        runs.get(server.variant.key).push(m);
        line.push(`${server.variant.key} ${Math.round(m.rps)}/s ${m.cpuPerReq.toFixed(1)}µs ${m.otherCores.toFixed(2)}`);
      }
      console.log(`  round ${round + 1}/${LOAD.rounds}: ${line.join(' | ')}`);
    }
    const summary = summarizeLoad(variants, runs);
    summary.retries = retries.report();
    await Promise.all(servers.map((s) => s.stop()));
    summary.profiles = await profileSection(autocannon, variants.filter((v) => v.group === 'view' || v.key === 'raw-plugin'));
    return summary;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}

/**
 * The view layer's share of the server's CPU under load, which no amount of machine noise can
 * blur: each server again, under `--cpu-prof`, loaded for a while; the self time of the samples
 * whose frame is in the library's own files (../dist), over all samples that are not idle.
 * The handlers' bodies are the application's code, as in the raw variants, and are not counted.
 */
function shuffle(list) {
  const copy = [...list];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

async function profileSection(autocannon, variants) {
  const seconds = QUICK ? 1 : 3;
  const libDir = path.dirname(require.resolve(process.env.FCV_LIB ? path.resolve(process.env.FCV_LIB) : path.join(ROOT, 'dist')));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fcv-bench-prof-'));
  const rows = [];
  try {
    for (const variant of variants) {
      const out = path.join(dir, variant.key);
      const server = await startServer(variant, ['--cpu-prof', `--cpu-prof-dir=${out}`, '--cpu-prof-interval=100']);
      try {
        await autocannonRun(autocannon, server.port, 1);
        // The profiler's clock is CLOCK_MONOTONIC in µs, as process.hrtime is in every process.
        const from = Number(process.hrtime.bigint() / 1000n);
        const { result } = await autocannonRun(autocannon, server.port, seconds);
        const to = Number(process.hrtime.bigint() / 1000n);
        await server.stop(); // the profile is written as the process exits
        const file = fs.readdirSync(out).find((f) => f.endsWith('.cpuprofile'));
        const share = libraryShare(JSON.parse(fs.readFileSync(path.join(out, file), 'utf8')), libDir, from, to);
        const responses = result['2xx'] + result.non2xx;
        rows.push({ key: variant.key, label: variant.label, responses, ...share });
        console.log(`  profile ${variant.key.padEnd(14)} library frames ${(100 * share.libraryShare).toFixed(3)} % of busy samples (${share.librarySamples} of ${share.busySamples})`);
      } finally {
        await server.stop();
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** Samples taken between `from` and `to` (µs): how many were busy, and how many in `libDir`. */
function libraryShare(profile, libDir, from, to) {
  const IDLE = new Set(['(idle)', '(program)', '(root)']);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  let busy = 0;
  let library = 0;
  const frames = new Map();
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i];
    if (t < from || t > to) continue;
    const frame = byId.get(profile.samples[i]).callFrame;
    if (IDLE.has(frame.functionName)) continue;
    busy += 1;
    if (frame.url.includes(libDir)) {
      library += 1;
      const name = `${frame.functionName || '(anonymous)'} ${path.basename(frame.url)}:${frame.lineNumber + 1}`;
      frames.set(name, (frames.get(name) ?? 0) + 1);
    }
  }
  return {
    busySamples: busy, librarySamples: library, libraryShare: busy ? library / busy : NaN,
    topFrames: [...frames].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, n]) => ({ name, samples: n })),
  };
}

function summarizeLoad(variants, runs) {
  const byRound = (key) => new Map(runs.get(key).map((m) => [m.round, m]));
  const pairedRatios = (key, other, metric) => {
    const a = byRound(key);
    const b = byRound(other);
    return [...a.keys()].filter((r) => b.has(r)).map((r) => a.get(r)[metric] / b.get(r)[metric]);
  };
  // The noise band: how far two identical servers (baseline and its A/A control) disagreed in
  // the worst round of this run, per metric.
  const band = (metric) => Math.max(NOISE_FLOOR, ...pairedRatios('raw-sync-control', 'raw-sync', metric).map((r) => Math.abs(r - 1)));
  const noise = { rps: band('rps'), cpuPerReq: band('cpuPerReq') };

  const rows = variants.map((v) => {
    const list = runs.get(v.key);
    const counterpart = v.counterpart ?? v.key;
    const row = {
      key: v.key, label: v.label, group: v.group, counterpart,
      rps: median(list.map((m) => m.rps)),
      p50: median(list.map((m) => m.p50)),
      p99: median(list.map((m) => m.p99)),
      errors: list.reduce((n, m) => n + m.errors, 0),
      timeouts: list.reduce((n, m) => n + m.timeouts, 0),
      non2xx: list.reduce((n, m) => n + m.non2xx, 0),
      responses: list.reduce((n, m) => n + m.responses, 0),
      cpuPerReq: median(list.map((m) => m.cpuPerReq)),
      serverBusy: median(list.map((m) => m.serverBusy)),
      otherCores: median(list.map((m) => m.otherCores)),
      // Best round: contention from other processes only ever raises CPU per request, so the
      // least-disturbed round is a second, steadier view of the intrinsic cost.
      bestCpuPerReq: Math.min(...list.map((m) => m.cpuPerReq)),
      bestRps: Math.max(...list.map((m) => m.rps)),
      rpsVsBaseline: median(pairedRatios(v.key, 'raw-sync', 'rps')),
      cpuVsBaseline: median(pairedRatios(v.key, 'raw-sync', 'cpuPerReq')),
      rpsVsCounterpart: median(pairedRatios(v.key, counterpart, 'rps')),
      cpuVsCounterpart: median(pairedRatios(v.key, counterpart, 'cpuPerReq')),
      runs: list,
    };
    row.bestCpuVsCounterpart = row.bestCpuPerReq / Math.min(...runs.get(counterpart).map((m) => m.cpuPerReq));
    row.withinNoise = Math.abs(row.rpsVsCounterpart - 1) <= noise.rps && Math.abs(row.cpuVsCounterpart - 1) <= noise.cpuPerReq;
    return row;
  });
  return { settings: LOAD, noise, rows };
}

// --- verdicts and report --------------------------------------------------------------------

function verdicts(results) {
  const out = [];
  const { micro, startup, load } = results;
  if (micro) {
    const vsRaw = micro.rows.filter((r) => r.versus !== 'mv');
    const over = vsRaw.filter((r) => r.addedNs > MICRO_TARGET_NS);
    out.push({
      target: `micro: the view layer adds ≤ ${MICRO_TARGET_NS} ns per call (sync and async, View, MethodView and Resource)`,
      met: over.length === 0,
      detail: over.length === 0
        ? `max ${Math.max(...vsRaw.map((r) => r.addedNs)).toFixed(0)} ns`
        : `over: ${over.map((r) => `${r.label} ${r.addedNs.toFixed(0)} ns`).join('; ')}`,
    });
    const vsMv = micro.rows.filter((r) => r.versus === 'mv');
    if (vsMv.length > 0) {
      out.push({
        target: `micro: a resource's route costs what the same MethodView route does (≤ ${RESOURCE_TARGET_NS} ns more per call)`,
        met: vsMv.every((r) => r.addedNs <= RESOURCE_TARGET_NS),
        detail: vsMv.map((r) => `${r.async ? 'async' : 'sync'} ${r.addedNs.toFixed(1)} ns`).join(', '),
      });
    }
    out.push({
      target: 'nothing is added to routes that are not views (no request-lifecycle hook)',
      met: micro.hooks.same && micro.hooks['raw-plugin'].lifecycleHooks === 0,
      detail: `lifecycle hooks with the plugin: ${micro.hooks['raw-plugin'].lifecycleHooks} (without: ${micro.hooks['raw-sync'].lifecycleHooks}); raw routes print identically: ${micro.hooks.same}; registration-time hooks: ${JSON.stringify(micro.hooks['raw-plugin'].registrationHooks)}`,
    });
  }
  if (load) {
    const row = (key) => load.rows.find((r) => r.key === key);
    const views = load.rows.filter((r) => r.group === 'view');
    const off = views.filter((r) => !r.withinNoise);
    out.push({
      target: `end to end: every view variant within noise of its raw counterpart (band ±${pct(load.noise.rps)} req/s, ±${pct(load.noise.cpuPerReq)} CPU/req)`,
      met: off.length === 0,
      detail: off.length === 0 ? 'all within' : `outside: ${off.map((r) => `${r.key} (req/s ×${r.rpsVsCounterpart.toFixed(3)}, CPU ×${r.cpuVsCounterpart.toFixed(3)})`).join('; ')}`,
    });
    const bad = load.rows.filter((r) => r.errors + r.timeouts + r.non2xx > 0);
    out.push({
      target: 'zero errors and non-2xx in every variant',
      met: bad.length === 0,
      detail: bad.length === 0 ? `${load.rows.reduce((n, r) => n + r.responses, 0)} responses, all 2xx` : bad.map((r) => `${r.key}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx`).join('; '),
    });
    const plugin = row('raw-plugin');
    if (plugin) {
      out.push({
        target: 'no cost for non-view routes: raw route CPU/req with the plugin within noise of without',
        met: Math.abs(plugin.cpuVsCounterpart - 1) <= load.noise.cpuPerReq,
        detail: `CPU/req ×${plugin.cpuVsCounterpart.toFixed(3)}, req/s ×${plugin.rpsVsCounterpart.toFixed(3)}`,
      });
    }
    const fd = row('fastify-decorators');
    if (fd) {
      const syncViews = views.filter((r) => r.counterpart === 'raw-sync');
      out.push({
        target: 'level with fastify-decorators (sync view variants, req/s and CPU/req, within the noise band)',
        met: syncViews.every((r) => r.rpsVsBaseline >= fd.rpsVsBaseline - load.noise.rps && r.cpuVsBaseline <= fd.cpuVsBaseline + load.noise.cpuPerReq),
        detail: `fastify-decorators ×${fd.rpsVsBaseline.toFixed(3)} req/s, ×${fd.cpuVsBaseline.toFixed(3)} CPU; views ${syncViews.map((r) => `${r.key} ×${r.rpsVsBaseline.toFixed(3)}/×${r.cpuVsBaseline.toFixed(3)}`).join(', ')}`,
      });
    }
    const nest = row('nestjs');
    if (nest) {
      out.push({
        target: 'ahead of NestJS on Fastify (every view variant, req/s and CPU/req)',
        met: views.every((r) => r.rpsVsBaseline > nest.rpsVsBaseline && r.cpuVsBaseline < nest.cpuVsBaseline),
        detail: `NestJS ×${nest.rpsVsBaseline.toFixed(3)} req/s, ×${nest.cpuVsBaseline.toFixed(3)} CPU/req`,
      });
    }
  }
  if (startup) {
    // Judged per Node: each V8 registers routes at its own speed.
    for (const node of startup.nodes) {
      const on = ` (Node ${node})`;
      const views = startup.rows.find((r) => r.node === node && r.kind === 'views' && r.count === 1000);
      if (views) {
        out.push({
          target: `start-up: 1,000 views ready in ≤ ${STARTUP_TARGET}× the time and memory of raw Fastify with the same routes${on}`,
          met: views.msVsSame <= STARTUP_TARGET && views.heapVsSame <= STARTUP_TARGET,
          detail: `time ×${views.msVsSame.toFixed(2)}, heap ×${views.heapVsSame.toFixed(2)}, RSS ×${views.rssVsSame.toFixed(2)}`,
        });
      }
      const resources = startup.rows.find((r) => r.node === node && r.kind === 'resources' && r.count === 1000);
      const resourceViews = startup.rows.find((r) => r.node === node && r.kind === 'resource-views' && r.count === 1000);
      if (resources) {
        out.push({
          target: `start-up: 1,000 resources ready in ≤ ${STARTUP_TARGET}× the time and memory of raw Fastify with the same routes${on}`,
          met: resources.msVsSame <= STARTUP_TARGET && resources.heapVsSame <= STARTUP_TARGET,
          detail: `time ×${resources.msVsSame.toFixed(2)}, heap ×${resources.heapVsSame.toFixed(2)}, RSS ×${resources.rssVsSame.toFixed(2)}; the same as 2,000 MethodViews: time ×${resourceViews.msVsSame.toFixed(2)}, heap ×${resourceViews.heapVsSame.toFixed(2)}`,
        });
      }
    }
  }
  return out;
}

const pct = (x) => `${(100 * x).toFixed(1)} %`;
const fmt = (x, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : '–');
const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');

function markdown(results) {
  const { env, micro, startup, load, targets } = results;
  const lines = [];
  lines.push(`# fastify-class-views benchmark — ${env.date}`, '');
  lines.push(`Command: \`${env.command}\`${QUICK ? ' (quick smoke run: too short to judge by)' : ''}. Node ${env.node}, fastify ${env.versions.fastify}, ${env.cpus}× ${env.cpuModel}; load average ${env.loadBefore.join(' ')} at start, ${env.loadAfter.join(' ')} at end; library at ${env.commit}.`, '');

  if (targets.length) {
    lines.push('## Targets', '', '| target | met | measured |', '|---|---|---|');
    for (const t of targets) lines.push(`| ${t.target} | ${t.met ? 'yes' : '**no**'} | ${t.detail} |`);
    lines.push('');
  }
  if (load) {
    const s = load.settings;
    lines.push('## End to end', '');
    lines.push(`autocannon in the parent process, ${s.connections} connections, each alternating \`GET /users/42\` and \`POST /users\` (JSON echo, 201); each server its own process; ${s.rounds} rounds × ${s.duration} s per variant after ${s.warmup} s warm-up, interleaved: every server once per round, the start rotating and the stride through the list changing each round. Medians over rounds; ratios are medians of per-round ratios (same round). CPU/req is the server process's own \`process.cpuUsage()\` (user + system) over the run divided by the responses. Noise band (worst round of the A/A control): ±${pct(load.noise.rps)} req/s, ±${pct(load.noise.cpuPerReq)} CPU/req.`, '');
    const rt = load.retries;
    const others = median(load.rows.flatMap((r) => r.runs.map((m) => m.otherCores)));
    lines.push(`Other processes on the machine used a median ${fmt(others, 2)} cores during the runs (from /proc/stat, minus the server's and the load generator's own CPU); ${rt.repeated} runs were repeated because other processes used more than ${rt.quietCores} cores, and ${rt.keptDisturbed} were kept disturbed when the retry budget ran out. *Best CPU* is the lowest CPU/req of any round (other processes only ever raise it) and its ratio to the counterpart's lowest.`, '');
    lines.push('| variant | req/s | × baseline | p50 ms | p99 ms | errors | non-2xx | CPU µs/req | CPU × baseline | vs counterpart (req/s, CPU) | best CPU µs/req (× counterpart) |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|');
    for (const r of load.rows) {
      const vs = r.key === r.counterpart ? '—' : `${r.counterpart}: ${times(r.rpsVsCounterpart)}, ${times(r.cpuVsCounterpart)}${r.group === 'view' ? (r.withinNoise ? ' (within noise)' : ' (**outside noise**)') : ''}`;
      lines.push(`| ${r.label} | ${fmt(r.rps)} | ${times(r.rpsVsBaseline)} | ${fmt(r.p50, 2)} | ${fmt(r.p99, 2)} | ${r.errors + r.timeouts} | ${r.non2xx} | ${fmt(r.cpuPerReq, 1)} | ${times(r.cpuVsBaseline)} | ${vs} | ${fmt(r.bestCpuPerReq, 1)}${r.key === r.counterpart ? '' : ` (${times(r.bestCpuVsCounterpart)})`} |`);
    }
    lines.push('');
  }
  if (load?.profiles?.length) {
    lines.push('### Where the server\'s CPU goes under load (`--cpu-prof`)', '');
    lines.push(`Each of these servers again, alone, under the same load for ${QUICK ? 1 : 3} s, profiled every 100 µs: the share of busy samples (not idle) whose frame is in the library's own files. The handlers' bodies are application code and are not counted.`, '');
    lines.push('| variant | library share of busy samples | samples | library frames seen |', '|---|---:|---:|---|');
    for (const p of load.profiles) {
      lines.push(`| ${p.label} | ${fmt(100 * p.libraryShare, 2)} % | ${p.librarySamples} / ${p.busySamples} | ${p.topFrames.map((f) => `${f.name} (${f.samples})`).join(', ') || '—'} |`);
    }
    lines.push('');
  }
  if (micro) {
    lines.push('## Micro: ns the view layer adds per handler call', '');
    lines.push('Handlers called directly in one process with fake request/reply objects, view and raw in alternating batches through the same (megamorphic) call site; each round keeps each side\'s fastest batch; median over rounds of the paired difference, with the middle half of rounds in brackets. Async results are consumed as Fastify does (one `.then(onFulfilled, onRejected)`), so async rows include settling the Promise.', '');
    lines.push('The last rows compare a resource\'s route handler with the same MethodView route\'s (the *raw* column is then the MethodView), target ≤ ' + RESOURCE_TARGET_NS + ' ns.', '');
    lines.push('| handler | view ns | raw ns | added ns | (IQR) | within target |', '|---|---:|---:|---:|---|---|');
    for (const r of micro.rows) {
      const target = r.versus === 'mv' ? RESOURCE_TARGET_NS : MICRO_TARGET_NS;
      lines.push(`| ${r.label} | ${fmt(r.viewNs, 1)} | ${fmt(r.rawNs, 1)} | ${fmt(r.addedNs, 1)} | ${fmt(r.addedQ1, 0)} … ${fmt(r.addedQ3, 0)} | ${r.addedNs <= target ? 'yes' : '**no**'} (≤ ${target}) |`);
    }
    lines.push('');
  }
  if (startup) {
    lines.push('## Start-up: register N endpoints and `await app.ready()`', '');
    lines.push(`One fresh process per sample, median of ${Object.entries(STARTUP.repeats).map(([count, n]) => `${n} at ${count}`).join(', ')}. Memory is heapUsed / RSS after a full GC, minus the same before the app was created. *views*: a MethodView class per endpoint with \`get\` and \`post\` through \`addView\`; *raw, same routes*: GET, POST, HEAD, OPTIONS and a 405 route written by hand with \`app.route()\`; *raw, GET only*: \`app.get()\` (GET + automatic HEAD). At 1,000 only: *resources*, a Resource class per endpoint with five actions through \`addResource\` (a collection URL with GET and POST, an item URL with GET, PUT, DELETE and its params schema, each with HEAD, OPTIONS and a 405 route); *resources as MethodViews*, the same two URLs as two MethodViews through \`addView\`; *raw, same resource routes*, those routes by hand. The resource rows' *× same* is against the last.`, '');
    lines.push(`Run under ${startup.nodes.map((n) => `Node ${n}`).join(', ')} (\`--startup-node\`), each judged by itself. *Range* is the fastest and the slowest sample.`, '');
    lines.push('| Node | endpoints | variant | routes | method+path entries | time ms | range ms | × same | × GET-only | heap MB | × same | × GET-only | RSS MB |');
    lines.push('|---|---:|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|');
    const names = {
      views: 'views (addView)', 'raw-same': 'raw, same routes', 'raw-get': 'raw, GET only',
      resources: 'resources (addResource)', 'resource-views': 'resources as MethodViews', 'raw-resources': 'raw, same resource routes',
    };
    for (const r of startup.rows) {
      lines.push(`| ${r.node} | ${r.count} | ${names[r.kind]} | ${r.routes} | ${r.methods} | ${fmt(r.ms)} | ${fmt(r.msRange[0])}–${fmt(r.msRange[1])} | ${times(r.msVsSame)} | ${times(r.msVsGet)} | ${fmt(r.heapMB, 1)} | ${times(r.heapVsSame)} | ${times(r.heapVsGet)} | ${fmt(r.rssMB, 1)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function environment() {
  const version = (pkg) => {
    try { return require(path.join(BENCH, 'node_modules', pkg, 'package.json')).version; } catch { return 'missing'; }
  };
  const git = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: ROOT, encoding: 'utf8', timeout: 10000 });
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    command: `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    loadBefore: os.loadavg().map((x) => x.toFixed(2)),
    commit: git.status === 0 ? git.stdout.trim() : 'unknown',
    versions: Object.fromEntries(['fastify', 'autocannon', '@nestjs/core', '@nestjs/platform-fastify', 'fastify-decorators'].map((p) => [p, version(p)])),
  };
}

// --- main -----------------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  prepare();
  const env = environment();
  if (Number(env.loadBefore[0]) > 1) {
    console.warn(`[bench] load average ${env.loadBefore.join(' ')}: other processes are using this machine, so the end-to-end figures will be noisy (the micro measure and CPU per request much less so)`);
  }
  const results = { env, settings: { quick: QUICK, sections: SECTIONS, load: LOAD, startup: STARTUP } };
  if (SECTIONS.includes('micro')) results.micro = await microSection();
  if (SECTIONS.includes('startup')) results.startup = await startupSection();
  if (SECTIONS.includes('load')) results.load = await loadSection();
  env.loadAfter = os.loadavg().map((x) => x.toFixed(2));
  env.seconds = Math.round((Date.now() - started) / 1000);
  results.targets = verdicts(results);

  const md = markdown(results);
  fs.mkdirSync(path.join(BENCH, 'results'), { recursive: true });
  fs.writeFileSync(path.join(BENCH, 'results', `${OUTPUT}.md`), md + '\n');
  fs.writeFileSync(path.join(BENCH, 'results', `${OUTPUT}.json`), JSON.stringify(results, null, 2) + '\n');
  console.log(`\n${md}\n\nWritten: bench/results/${OUTPUT}.md and .json (${env.seconds} s)`);
}

const runBudget = setTimeout(() => {
  console.error(`[bench] the run passed its ${RUN_BUDGET_MS / 60000} min budget: stopping`);
  killChildren();
  process.exit(2);
}, RUN_BUDGET_MS);
runBudget.unref();

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`[bench] ${signal}: ending ${children.size} child process(es)`);
    killChildren();
    process.exit(130);
  });
}
process.on('exit', killChildren);

main().then(
  () => { killChildren(); process.exit(0); },
  (err) => { console.error('[bench] failed:', err); killChildren(); process.exit(1); },
);
