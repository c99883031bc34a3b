'use strict';
/**
 * The servers under load. Every variant serves the same two routes with the same bytes:
 *   GET  /users/:id  -> 200 {"id":"<id>","name":"Ada"}
 *   POST /users      -> 201 the JSON body, echoed
 * `counterpart` is the raw Fastify variant a row is judged against (same sync/async shape,
 * same schema use); `baseline` (raw Fastify, sync handler) is the denominator of every ratio.
 */
const path = require('node:path');
const Fastify = require('fastify');

// The library as built at the top level (`npm run build`). FCV_LIB points at another build of it,
// e.g. a candidate change copied elsewhere, to measure it with the same harness.
const lib = require(process.env.FCV_LIB ? path.resolve(process.env.FCV_LIB) : path.join(__dirname, '..', 'dist'));
const { fastifyViews, View, MethodView, Resource } = lib;

const FASTIFY_OPTIONS = { logger: false };

const userSchema = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
};
const newUserSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, email: { type: 'string' } },
};
const GET_SCHEMA = { response: { 200: userSchema } };
const POST_SCHEMA = { response: { 201: newUserSchema } };

// The handlers' bodies, shared by every variant so that only the layer around them differs.
function getUser(request) {
  return { id: request.params.id, name: 'Ada' };
}
function createUser(request, reply) {
  reply.code(201);
  return request.body;
}
async function getUserAsync(request) {
  return { id: request.params.id, name: 'Ada' };
}
async function createUserAsync(request, reply) {
  reply.code(201);
  return request.body;
}

function rawApp({ async = false, schema = false, plugin = false } = {}) {
  return async () => {
    const app = Fastify(FASTIFY_OPTIONS);
    if (plugin) {
      // The plugin is registered and serves a view elsewhere; the measured routes stay raw.
      await app.register(fastifyViews);
      class Health extends View {
        dispatchRequest() { return { ok: true }; }
      }
      app.addView('/health', Health.asView('health'));
    }
    app.get('/users/:id', schema ? { schema: GET_SCHEMA } : {}, async ? getUserAsync : getUser);
    app.post('/users', schema ? { schema: POST_SCHEMA } : {}, async ? createUserAsync : createUser);
    return app;
  };
}

// --- our views ------------------------------------------------------------------------------

// The handler bodies are written out in each class (not delegated to getUser & co.): an async
// method returning another async function's promise would add two microtask hops of its own.
class UserView extends View {
  dispatchRequest(request) { return { id: request.params.id, name: 'Ada' }; }
}
class NewUserView extends View {
  dispatchRequest(request, reply) { reply.code(201); return request.body; }
}
NewUserView.methods = ['POST'];

class UserViewAsync extends View {
  async dispatchRequest(request) { return { id: request.params.id, name: 'Ada' }; }
}
class NewUserViewAsync extends View {
  async dispatchRequest(request, reply) { reply.code(201); return request.body; }
}
NewUserViewAsync.methods = ['POST'];

class UserAPI extends MethodView {
  get(request) { return { id: request.params.id, name: 'Ada' }; }
}
class UserListAPI extends MethodView {
  post(request, reply) { reply.code(201); return request.body; }
}

class UserAPIAsync extends MethodView {
  async get(request) { return { id: request.params.id, name: 'Ada' }; }
}
class UserListAPIAsync extends MethodView {
  async post(request, reply) { reply.code(201); return request.body; }
}

class SharedUserAPI extends UserAPI {}
SharedUserAPI.initEveryRequest = false;
class SharedUserListAPI extends UserListAPI {}
SharedUserListAPI.initEveryRequest = false;

/** The smallest real decorator: one wrapper function, built once per route, around the view. */
function passThrough(view) {
  return function decorated(request, reply) {
    return view(request, reply);
  };
}
class DecoratedUserAPI extends UserAPI {}
DecoratedUserAPI.decorators = [passThrough];
class DecoratedUserListAPI extends UserListAPI {}
DecoratedUserListAPI.decorators = [passThrough];

// A resource serving the same two routes: `create` is POST /users, `retrieve` GET /users/:id.
// Its item parameter is a string, as the raw routes' `request.params.id` is (same bytes).
const ID_PARAM = { name: 'id', schema: { type: 'string' } };
const PARAMS_SCHEMA = { params: { type: 'object', properties: { id: ID_PARAM.schema }, required: ['id'] } };
class UserResource extends Resource {
  retrieve(request) { return { id: request.params.id, name: 'Ada' }; }
  create(request, reply) { reply.code(201); return request.body; }
}
UserResource.itemParam = ID_PARAM;
class UserResourceAsync extends Resource {
  async retrieve(request) { return { id: request.params.id, name: 'Ada' }; }
  async create(request, reply) { reply.code(201); return request.body; }
}
UserResourceAsync.itemParam = ID_PARAM;

function resourceApp(Users) {
  return async () => {
    const app = Fastify(FASTIFY_OPTIONS);
    await app.register(fastifyViews);
    app.addResource('/users', Users.asResource('users'));
    return app;
  };
}

/** Raw Fastify with the params schema a resource's item route has: the resource rows' baseline. */
function rawParamsApp() {
  return async () => {
    const app = Fastify(FASTIFY_OPTIONS);
    app.get('/users/:id', { schema: PARAMS_SCHEMA }, getUser);
    app.post('/users', createUser);
    return app;
  };
}

function viewApp(Get, Post, { schema = false } = {}) {
  return async () => {
    const app = Fastify(FASTIFY_OPTIONS);
    await app.register(fastifyViews);
    // Per-verb response schemas, given as the route options of each view's route.
    app.addView('/users/:id', Get.asView('user'), schema === 'params' ? { schema: PARAMS_SCHEMA } : schema ? { schema: GET_SCHEMA } : undefined);
    app.addView('/users', Post.asView('users'), schema === true ? { schema: POST_SCHEMA } : undefined);
    return app;
  };
}

// --- peers ----------------------------------------------------------------------------------

function fastifyDecoratorsApp() {
  return async () => {
    const { Controller, GET, POST, bootstrap } = require('fastify-decorators');
    class UserController {
      getUser(request) { return { id: request.params.id, name: 'Ada' }; }
      createUser(request, reply) { reply.code(201); return request.body; }
    }
    // What `@GET('/:id')`, `@POST('/')` and `@Controller('/users')` do under experimentalDecorators.
    const proto = UserController.prototype;
    GET('/:id')(proto, 'getUser', Object.getOwnPropertyDescriptor(proto, 'getUser'));
    POST('/')(proto, 'createUser', Object.getOwnPropertyDescriptor(proto, 'createUser'));
    Controller('/users')(UserController);
    const app = Fastify(FASTIFY_OPTIONS);
    await app.register(bootstrap, { controllers: [UserController] });
    return app;
  };
}

/**
 * Every load variant, in table order. `kind` says how the child builds it: `fastify` apps are
 * listened on by the child; `nest` is built by nest.mjs (NestJS is ESM-only).
 */
const variants = [
  { key: 'raw-sync', label: 'raw Fastify, sync handler (baseline)', group: 'raw', build: rawApp() },
  { key: 'raw-sync-control', label: 'raw Fastify, sync handler (A/A control)', group: 'raw', counterpart: 'raw-sync', build: rawApp() },
  { key: 'raw-async', label: 'raw Fastify, async handler', group: 'raw', counterpart: 'raw-sync', build: rawApp({ async: true }) },
  { key: 'raw-schema', label: 'raw Fastify, response schema', group: 'raw', counterpart: 'raw-sync', build: rawApp({ schema: true }) },
  { key: 'raw-plugin', label: 'raw Fastify, sync, plugin registered', group: 'raw', counterpart: 'raw-sync', build: rawApp({ plugin: true }) },
  { key: 'view-sync', label: 'View, sync', group: 'view', counterpart: 'raw-sync', build: viewApp(UserView, NewUserView) },
  { key: 'view-async', label: 'View, async', group: 'view', counterpart: 'raw-async', build: viewApp(UserViewAsync, NewUserViewAsync) },
  { key: 'mv-sync', label: 'MethodView, sync', group: 'view', counterpart: 'raw-sync', build: viewApp(UserAPI, UserListAPI) },
  { key: 'mv-async', label: 'MethodView, async', group: 'view', counterpart: 'raw-async', build: viewApp(UserAPIAsync, UserListAPIAsync) },
  { key: 'mv-schema', label: 'MethodView, per-verb response schema', group: 'view', counterpart: 'raw-schema', build: viewApp(UserAPI, UserListAPI, { schema: true }) },
  { key: 'mv-shared', label: 'MethodView, initEveryRequest = false', group: 'view', counterpart: 'raw-sync', build: viewApp(SharedUserAPI, SharedUserListAPI) },
  { key: 'mv-decorated', label: 'MethodView, one decorators entry', group: 'view', counterpart: 'raw-sync', build: viewApp(DecoratedUserAPI, DecoratedUserListAPI) },
  { key: 'raw-params', label: 'raw Fastify, params schema', group: 'raw', counterpart: 'raw-sync', build: rawParamsApp() },
  { key: 'mv-params', label: 'MethodView, params schema', group: 'view', counterpart: 'raw-params', build: viewApp(UserAPI, UserListAPI, { schema: 'params' }) },
  { key: 'resource-sync', label: 'Resource (addResource), sync', group: 'view', counterpart: 'mv-params', build: resourceApp(UserResource) },
  { key: 'fastify-decorators', label: 'fastify-decorators (peer)', group: 'peer', counterpart: 'raw-sync', build: fastifyDecoratorsApp() },
  { key: 'nestjs', label: 'NestJS on platform-fastify (peer)', group: 'peer', counterpart: 'raw-sync', kind: 'nest' },
];

module.exports = {
  variants,
  handlers: { getUser, createUser, getUserAsync, createUserAsync },
  views: { UserView, UserViewAsync, UserAPI, UserAPIAsync, SharedUserAPI, DecoratedUserAPI, UserResource, UserResourceAsync },
  passThrough,
  lib,
};
