'use strict';
/**
 * The micro measure: nanoseconds the view layer adds to one handler call. Forked by run.js;
 * sends its result over IPC.
 *
 * Each pair is a view handler and the equivalent raw handler, called directly in this process
 * with fake request/reply objects that have what the handlers touch. Two kinds of view handler:
 *   - `asView()`: the ViewFunction itself (the stand-alone path, e.g. `app.get(path, fn)`);
 *   - `addView()`: the handler Fastify really calls for the route, captured with an onRoute
 *     hook, against a raw handler captured the same way.
 * Both sides run through the same loop function, whose call site is megamorphic (it calls every
 * handler), as Fastify's own call of `context.handler` is: no side gets inlined into the loop.
 * An async handler's result is consumed as Fastify does, with one `.then(onFulfilled, onRejected)`.
 * In each round the two sides take turns (view, raw, view, raw…; which goes first alternates),
 * SAMPLES short batches each, and each side keeps its fastest batch: on a shared machine a
 * batch is slowed by being descheduled, never sped up. The figure is the median over rounds of
 * the paired difference (view - raw) in ns per call.
 */
const Fastify = require('fastify');
const { handlers, views, lib } = require('./apps');

const { getUser, getUserAsync } = handlers;
const { UserView, UserViewAsync, UserAPI, UserAPIAsync, SharedUserAPI, DecoratedUserAPI, UserResource, UserResourceAsync } = views;
const { fastifyViews, ensureSync } = lib;

const quick = process.argv.includes('--quick');
// --only=key,key: run just those pairs (e.g. under `node --cpu-prof micro.js --only=addview-mv-async`).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const ROUNDS = quick ? 11 : 41;
const SAMPLES = quick ? 3 : 5; // timed batches per side in one round; the round keeps the fastest
const BATCH_NS = 2e6; // target time of one timed batch: short, so few are cut by the scheduler
const WARMUP_MS = quick ? 150 : 400; // per handler

// What the handlers touch: params, method, body, server.ensureSync (stand-alone path), code().
function fakeRequest() {
  const request = { method: 'GET', url: '/users/42', params: { id: '42' }, query: {}, body: undefined, headers: {}, server: { ensureSync } };
  return request;
}
function fakeReply(request) {
  return {
    request, statusCode: 200, sent: false, raw: { headersSent: false },
    code(status) { this.statusCode = status; return this; },
    header() { return this; },
  };
}

const sink = new Array(1024);

function timeSync(fn, request, reply, n) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sink[i & 1023] = fn(request, reply);
  return Number(process.hrtime.bigint() - t0) / n;
}

/**
 * Async handlers are consumed as Fastify consumes them (lib/wrap-thenable.js): one
 * `result.then(onFulfilled, onRejected)` per call; the next call starts in the reaction.
 */
function timeAsync(fn, request, reply, n) {
  return new Promise((resolve, reject) => {
    let i = 0;
    const t0 = process.hrtime.bigint();
    const onFulfilled = (payload) => {
      sink[i & 1023] = payload;
      next();
    };
    const next = () => {
      if (i++ === n) return resolve(Number(process.hrtime.bigint() - t0) / n);
      fn(request, reply).then(onFulfilled, reject);
    };
    next();
  });
}

/** Registers `register(app)` on a fresh app and returns the handlers Fastify got, by "METHOD url". */
async function captureRoutes(register) {
  const app = Fastify({ logger: false });
  const captured = new Map();
  app.addHook('onRoute', (route) => {
    for (const m of [].concat(route.method)) captured.set(`${m} ${route.url}`, route.handler);
  });
  await app.register(fastifyViews);
  await register(app);
  await app.ready();
  return captured;
}

async function buildPairs() {
  const routes = await captureRoutes((app) => {
    app.get('/raw/users/:id', getUser);
    app.get('/raw-async/users/:id', getUserAsync);
    app.addView('/view/users/:id', UserView.asView('view'));
    app.addView('/view-async/users/:id', UserViewAsync.asView('view-async'));
    app.addView('/mv/users/:id', UserAPI.asView('mv'));
    app.addView('/mv-async/users/:id', UserAPIAsync.asView('mv-async'));
    app.addView('/mv-shared/users/:id', SharedUserAPI.asView('mv-shared'));
    app.addView('/mv-decorated/users/:id', DecoratedUserAPI.asView('mv-decorated'));
    app.addResource('/resource/users', UserResource.asResource('resource'));
    app.addResource('/resource-async/users', UserResourceAsync.asResource('resource-async'));
  });
  const route = (url) => {
    const fn = routes.get(`GET ${url}`);
    if (typeof fn !== 'function') throw new Error(`no GET handler captured for ${url}`);
    return fn;
  };
  const rawSync = route('/raw/users/:id');
  const rawAsync = route('/raw-async/users/:id');
  return [
    { key: 'asview-view-sync', label: 'asView() View, sync', async: false, view: UserView.asView('a'), raw: getUser },
    { key: 'asview-view-async', label: 'asView() View, async', async: true, view: UserViewAsync.asView('b'), raw: getUserAsync },
    { key: 'asview-mv-sync', label: 'asView() MethodView, sync', async: false, view: UserAPI.asView('c'), raw: getUser },
    { key: 'asview-mv-async', label: 'asView() MethodView, async', async: true, view: UserAPIAsync.asView('d'), raw: getUserAsync },
    { key: 'addview-view-sync', label: 'addView() route handler, View, sync', async: false, view: route('/view/users/:id'), raw: rawSync },
    { key: 'addview-view-async', label: 'addView() route handler, View, async', async: true, view: route('/view-async/users/:id'), raw: rawAsync },
    { key: 'addview-mv-sync', label: 'addView() route handler, MethodView, sync', async: false, view: route('/mv/users/:id'), raw: rawSync },
    { key: 'addview-mv-async', label: 'addView() route handler, MethodView, async', async: true, view: route('/mv-async/users/:id'), raw: rawAsync },
    { key: 'addview-mv-shared', label: 'addView() route handler, MethodView, initEveryRequest = false', async: false, view: route('/mv-shared/users/:id'), raw: rawSync },
    { key: 'addview-mv-decorated', label: 'addView() route handler, MethodView, one decorators entry', async: false, view: route('/mv-decorated/users/:id'), raw: rawSync },
    { key: 'addresource-sync', label: 'addResource() route handler, retrieve, sync', async: false, view: route('/resource/users/:id'), raw: rawSync },
    { key: 'addresource-async', label: 'addResource() route handler, retrieve, async', async: true, view: route('/resource-async/users/:id'), raw: rawAsync },
    // Against the MethodView route instead of raw Fastify: a resource costs what its MethodView does.
    { key: 'resource-vs-mv-sync', label: 'addResource() retrieve − addView() MethodView get, sync', async: false, view: route('/resource/users/:id'), raw: route('/mv/users/:id'), versus: 'mv' },
    { key: 'resource-vs-mv-async', label: 'addResource() retrieve − addView() MethodView get, async', async: true, view: route('/resource-async/users/:id'), raw: route('/mv-async/users/:id'), versus: 'mv' },
  ];
}

/**
 * "Nothing the plugin registers may cost routes that are not views", checked structurally: the
 * request-lifecycle hooks of the root context and the hooks printed for the raw routes, in the
 * raw app with and without the plugin (which also serves a view there).
 */
async function requestHooks() {
  const { variants } = require('./apps');
  const REGISTRATION_TIME = new Set(['onRoute', 'onRegister', 'onReady', 'onListen', 'preClose']);
  const out = {};
  for (const key of ['raw-sync', 'raw-plugin']) {
    const app = await variants.find((v) => v.key === key).build();
    await app.ready();
    const hooksSymbol = Object.getOwnPropertySymbols(app).find((s) => s.description === 'fastify.hooks');
    const all = hooksSymbol ? app[hooksSymbol] : {};
    const lifecycle = Object.entries(all).filter(([name]) => !REGISTRATION_TIME.has(name)).reduce((n, [, list]) => n + list.length, 0);
    const registration = Object.fromEntries(Object.entries(all).filter(([name, list]) => REGISTRATION_TIME.has(name) && list.length > 0).map(([name, list]) => [name, list.length]));
    const routes = app.printRoutes({ includeHooks: true, commonPrefix: false }).split('\n');
    const usersRoutes = routes.slice(routes.findIndex((line) => line.includes('/users'))).join('\n');
    out[key] = { lifecycleHooks: lifecycle, registrationHooks: registration, usersRoutes };
    await app.close();
  }
  out.same = out['raw-sync'].lifecycleHooks === out['raw-plugin'].lifecycleHooks && out['raw-sync'].usersRoutes === out['raw-plugin'].usersRoutes;
  return out;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function main() {
  const pairs = (await buildPairs()).filter((pair) => !only || only.includes(pair.key));
  const request = fakeRequest();
  const reply = fakeReply(request);
  const time = (pair, fn, n) => (pair.async ? timeAsync(fn, request, reply, n) : timeSync(fn, request, reply, n));

  // Sanity: both sides give the same payload.
  for (const pair of pairs) {
    const a = JSON.stringify(await pair.view(request, reply));
    const b = JSON.stringify(await pair.raw(request, reply));
    if (a !== b) throw new Error(`${pair.key}: view returned ${a}, raw returned ${b}`);
  }

  // Warm-up: every handler through the shared loops (this also makes their call sites
  // megamorphic), then size each pair's batch from the raw side's speed.
  for (const pair of pairs) {
    for (const fn of [pair.raw, pair.view]) {
      const until = Date.now() + WARMUP_MS;
      while (Date.now() < until) await time(pair, fn, 10000);
    }
  }
  for (const pair of pairs) {
    const ns = await time(pair, pair.raw, 100000);
    pair.n = Math.max(2000, Math.min(1000000, Math.round(BATCH_NS / ns)));
    pair.rounds = [];
  }

  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[(i + round) % pairs.length];
      const viewFirst = (round + i) % 2 === 0;
      let viewNs = Infinity;
      let rawNs = Infinity;
      for (let s = 0; s < SAMPLES; s++) {
        if (viewFirst) {
          viewNs = Math.min(viewNs, await time(pair, pair.view, pair.n));
          rawNs = Math.min(rawNs, await time(pair, pair.raw, pair.n));
        } else {
          rawNs = Math.min(rawNs, await time(pair, pair.raw, pair.n));
          viewNs = Math.min(viewNs, await time(pair, pair.view, pair.n));
        }
      }
      pair.rounds.push({ viewNs, rawNs });
    }
  }

  const rows = pairs.map((pair) => {
    const added = pair.rounds.map((r) => r.viewNs - r.rawNs).sort((a, b) => a - b);
    return {
      key: pair.key,
      label: pair.label,
      async: pair.async,
      versus: pair.versus ?? 'raw',
      iterations: pair.n,
      rounds: pair.rounds.length,
      viewNs: median(pair.rounds.map((r) => r.viewNs)),
      rawNs: median(pair.rounds.map((r) => r.rawNs)),
      addedNs: median(added),
      // Spread of the paired differences: the middle half of the rounds.
      addedQ1: added[Math.floor((added.length - 1) / 4)],
      addedQ3: added[Math.ceil((3 * (added.length - 1)) / 4)],
    };
  });
  const result = { type: 'micro', rows, hooks: await requestHooks() };
  if (process.send) process.send(result);
  else for (const r of rows) console.log(`${r.key.padEnd(24)} view ${r.viewNs.toFixed(1)} ns, raw ${r.rawNs.toFixed(1)} ns, added ${r.addedNs.toFixed(1)} ns`);
}

main().catch((err) => {
  console.error('[micro]', err);
  process.exit(1);
});
