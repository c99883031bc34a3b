'use strict';
/**
 * The start-up measure, one app per process (forked by run.js with --expose-gc):
 *   argv[2]: views | raw-same | raw-get      argv[3]: how many endpoints
 * Times creating the app, registering the routes and `await app.ready()`, and measures the
 * heap and RSS it added (after a full GC on both sides). Sends the result over IPC.
 *
 *   views     one MethodView class per endpoint with get() and post(), through addView: routes
 *             GET, POST, HEAD, the automatic OPTIONS and a 405 route for every other method
 *   raw-same  the same routes, written by hand with app.route() (what a raw Fastify app needs
 *             for the same HTTP behaviour)
 *   raw-get   plain `app.get(path, handler)` (GET plus Fastify's automatic HEAD), for scale
 */
const Fastify = require('fastify');
const { lib } = require('./apps');
const { machineBusyUs, otherCores } = require('./machine');

const { fastifyViews, MethodView } = lib;

function dropBody(request, reply, payload, done) {
  done(null, null);
}

function registerViews(app, count) {
  for (let i = 0; i < count; i++) {
    // A new class per endpoint, as an application with many views has.
    class UserAPI extends MethodView {
      get(request) { return { id: request.params.id, name: 'Ada' }; }
      post(request, reply) { reply.code(201); return request.body; }
    }
    app.addView(`/r${i}/users/:id`, UserAPI.asView(`user${i}`));
  }
}

function registerRawSame(app, count) {
  const others = app.supportedMethods.filter((m) => !['GET', 'POST', 'HEAD', 'OPTIONS'].includes(m));
  const allow = 'GET, HEAD, OPTIONS, POST';
  for (let i = 0; i < count; i++) {
    const url = `/r${i}/users/:id`;
    // New handler functions per endpoint, as an application with many routes has.
    const getUser = function getUser(request) { return { id: request.params.id, name: 'Ada' }; };
    const createUser = function createUser(request, reply) { reply.code(201); return request.body; };
    app.route({ method: 'GET', url, handler: getUser, exposeHeadRoute: false });
    app.route({ method: 'POST', url, handler: createUser });
    app.route({ method: 'HEAD', url, handler: getUser, onSend: dropBody });
    app.route({ method: 'OPTIONS', url, schema: { hide: true }, handler: function options(request, reply) { reply.header('allow', allow).send(); } });
    app.route({
      method: others, url, schema: { hide: true },
      handler: function methodNotAllowed(request, reply) {
        reply.code(405).header('allow', allow).send({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} not allowed` });
      },
    });
  }
}

function registerRawGet(app, count) {
  for (let i = 0; i < count; i++) {
    app.get(`/r${i}/users/:id`, function getUser(request) { return { id: request.params.id, name: 'Ada' }; });
  }
}

async function main() {
  const [kind, countArg] = process.argv.slice(2);
  const count = Number(countArg);
  const register = { views: registerViews, 'raw-same': registerRawSame, 'raw-get': registerRawGet }[kind];
  if (!register || !(count > 0)) throw new Error(`usage: startup.js views|raw-same|raw-get COUNT (got ${kind} ${countArg})`);
  if (typeof global.gc !== 'function') throw new Error('run with --expose-gc');

  global.gc();
  const before = process.memoryUsage();
  const busyBefore = machineBusyUs();
  const cpuBefore = process.cpuUsage();
  const t0 = process.hrtime.bigint();

  const app = Fastify({ logger: false });
  let routes = 0;
  let methods = 0;
  app.addHook('onRoute', (route) => {
    routes += 1;
    methods += Array.isArray(route.method) ? route.method.length : 1;
  });
  if (kind === 'views') await app.register(fastifyViews);
  register(app, count);
  await app.ready();

  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const others = otherCores(busyBefore, machineBusyUs(), cpu.user + cpu.system, ms * 1000);
  global.gc();
  const after = process.memoryUsage();
  // The app must still be alive when memory is read.
  if (!app.hasRoute({ method: 'GET', url: `/r${count - 1}/users/:id` })) throw new Error('last route missing');
  process.send({
    type: 'startup', kind, count, ms, routes, methods, otherCores: others,
    heapMB: (after.heapUsed - before.heapUsed) / 2 ** 20,
    rssMB: (after.rss - before.rss) / 2 ** 20,
  });
  await app.close();
}

main().catch((err) => {
  console.error('[startup]', err);
  process.exit(1);
});
