'use strict';
/**
 * The start-up measure, one app per process (forked by run.js with --expose-gc):
 *   argv[2]: views | raw-same | raw-get | resources | resource-views | raw-resources
 *   argv[3]: how many endpoints (resources: how many resources, two URLs each)
 * Times creating the app, registering the routes and `await app.ready()`, and measures the
 * heap and RSS it added (after a full GC on both sides). Sends the result over IPC.
 *
 *   views     one MethodView class per endpoint with get() and post(), through addView: routes
 *             GET, POST, HEAD, the automatic OPTIONS and a 405 route for every other method
 *   raw-same  the same routes, written by hand with app.route() (what a raw Fastify app needs
 *             for the same HTTP behaviour)
 *   raw-get   plain `app.get(path, handler)` (GET plus Fastify's automatic HEAD), for scale
 *   resources       one Resource class per endpoint with five actions, through addResource:
 *                   a collection URL (GET, POST) and an item URL (GET, PUT, DELETE, its
 *                   params schema), each with HEAD, OPTIONS and a 405 route
 *   resource-views  the same two URLs as two MethodViews per endpoint, through addView
 *   raw-resources   the same routes written by hand with app.route()
 */
const Fastify = require('fastify');
const { lib } = require('./apps');
const { machineBusyUs, otherCores } = require('./machine');

const { fastifyViews, MethodView, Resource } = lib;

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

// A resource per endpoint: /rI/users (list, create) and /rI/users/:id (retrieve, update, destroy).
const ITEM_PARAMS = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] };

function registerResources(app, count) {
  for (let i = 0; i < count; i++) {
    class Users extends Resource {
      list() { return [{ id: 1, name: 'Ada' }]; }
      create(request, reply) { reply.code(201); return request.body; }
      retrieve(request) { return { id: request.params.id, name: 'Ada' }; }
      update(request) { return request.body; }
      destroy(request, reply) { reply.code(204).send(); }
    }
    app.addResource(`/r${i}/users`, Users.asResource(`users${i}`));
  }
}

/** The same two URLs as two MethodViews written by hand, the item's parameter schema included. */
function registerResourceViews(app, count) {
  for (let i = 0; i < count; i++) {
    class UserList extends MethodView {
      get() { return [{ id: 1, name: 'Ada' }]; }
      post(request, reply) { reply.code(201); return request.body; }
    }
    class UserItem extends MethodView {
      get(request) { return { id: request.params.id, name: 'Ada' }; }
      put(request) { return request.body; }
      delete(request, reply) { reply.code(204).send(); }
    }
    UserItem.viewOptions = { schema: { params: ITEM_PARAMS } };
    app.addView(`/r${i}/users`, UserList.asView(`users${i}`));
    app.addView(`/r${i}/users/:id`, UserItem.asView(`users${i}.item`));
  }
}

/** The same routes in raw Fastify: each URL's verbs, HEAD, OPTIONS and a 405 route. */
function registerRawResources(app, count) {
  const url = (i, item) => `/r${i}/users${item ? '/:id' : ''}`;
  for (let i = 0; i < count; i++) {
    const list = function list() { return [{ id: 1, name: 'Ada' }]; };
    const create = function create(request, reply) { reply.code(201); return request.body; };
    const retrieve = function retrieve(request) { return { id: request.params.id, name: 'Ada' }; };
    const update = function update(request) { return request.body; };
    const destroy = function destroy(request, reply) { reply.code(204).send(); };
    const schema = { params: ITEM_PARAMS };
    app.route({ method: 'GET', url: url(i, false), handler: list, exposeHeadRoute: false });
    app.route({ method: 'POST', url: url(i, false), handler: create });
    app.route({ method: 'HEAD', url: url(i, false), handler: list, onSend: dropBody });
    app.route({ method: 'GET', url: url(i, true), schema, handler: retrieve, exposeHeadRoute: false });
    app.route({ method: 'PUT', url: url(i, true), schema, handler: update });
    app.route({ method: 'DELETE', url: url(i, true), schema, handler: destroy });
    app.route({ method: 'HEAD', url: url(i, true), schema, handler: retrieve, onSend: dropBody });
    for (const [item, verbs] of [[false, ['GET', 'POST']], [true, ['GET', 'PUT', 'DELETE']]]) {
      const allow = [...verbs, 'HEAD', 'OPTIONS'].sort().join(', ');
      app.route({ method: 'OPTIONS', url: url(i, item), schema: { hide: true }, handler: function options(request, reply) { reply.header('allow', allow).send(); } });
      app.route({
        method: app.supportedMethods.filter((m) => ![...verbs, 'HEAD', 'OPTIONS'].includes(m)), url: url(i, item), schema: { hide: true },
        handler: function methodNotAllowed(request, reply) {
          reply.code(405).header('allow', allow).send({ statusCode: 405, error: 'Method Not Allowed', message: `${request.method} not allowed` });
        },
      });
    }
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
  const register = {
    views: registerViews, 'raw-same': registerRawSame, 'raw-get': registerRawGet,
    resources: registerResources, 'resource-views': registerResourceViews, 'raw-resources': registerRawResources,
  }[kind];
  if (!register || !(count > 0)) throw new Error(`usage: startup.js views|raw-same|raw-get|resources|resource-views|raw-resources COUNT (got ${kind} ${countArg})`);
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
  if (kind === 'views' || kind === 'resources' || kind === 'resource-views') await app.register(fastifyViews);
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
