import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, RouteShorthandOptions } from 'fastify';
import { prefixed } from './endpoints';
import { EnsureSync, VIEW_NAME, callHandler, callOnPendingView, dispatchThrough, dispatcherOf, ensureSync as defaultEnsureSync, isThenable } from './ensure-sync';
import { Owner, ViewRegistry, pascal } from './registry';
import { errors, methodNotAllowed } from './errors';
import { routeMetadata, verbMetadata } from './decorators';
import { MethodView, Verb } from './method-view';
import { ViewRouteOptions, checkRouteOptions, mergeRouteOptions } from './route-options';
import {
  DECORATED, FACTORY, HTTP_METHODS, HandlerTable, HttpMethod, SHARED, View, ViewClass, ViewFactory, ViewFunction, ViewHandler, allowHeader, providesAutomaticOptions,
  decorate, handlersOf, instantiate, isViewFunction, methodsOf,
} from './view';

/** Options the automatic OPTIONS and 405 routes share with the view; its hooks and schema do not apply there. */
const AUTOMATIC_ROUTE_OPTIONS = ['constraints', 'prefixTrailingSlash', 'logLevel', 'logSerializers', 'errorHandler', 'childLoggerFactory'] as const;

/** One route of a view: its methods, the function that serves them, its merged options. */
interface ViewRoute {
  methods: HttpMethod[];
  handler: Function;
  options: Record<string, unknown>;
}

/**
 * Registers `view` at `path` on `app` (its encapsulation context): one route per verb for a
 * `MethodView` (one for all methods for a `View`), `HEAD`, the automatic `OPTIONS`, and a 405
 * route for every other method Fastify knows. Everything is computed and checked here, once,
 * before the first route is added, so a refused view leaves nothing behind.
 */
export function addViewRoutes(app: FastifyInstance, registry: ViewRegistry, path: string, view: ViewFunction, options: ViewRouteOptions = {}): void {
  if (!isViewFunction(view)) {
    throw new errors.FCV_ERR_INVALID_VIEW(String(path), view === null ? 'null' : typeof view);
  }
  if (typeof path !== 'string') {
    throw new errors.FCV_ERR_INVALID_OPTION('path', `addView needs a path string, got ${typeof path}`);
  }
  const viewClass = view.viewClass;
  const name = view.viewName;
  const classOptions = [viewClass.viewOptions, routeMetadata(viewClass)?.options];
  classOptions.forEach((layer) => checkRouteOptions(layer, `the options of view '${name}'`));
  checkRouteOptions(options, `addView('${path}')`);
  const { method, ...viewOptions } = mergeRouteOptions(...classOptions, options) as ViewRouteOptions & Record<string, unknown>;

  const declared = method === undefined ? methodsOf(viewClass) : normalizeMethods(name, method);
  const table = handlersOf(viewClass, declared);
  checkMethods(app, name, table);
  for (const m of declared) {
    if (!table.has(m)) app.log.warn(`view '${name}' lists ${m} but has no handler for it: ${m} is answered 405`);
  }
  const url = prefixed(app.prefix, path, viewOptions.prefixTrailingSlash);
  const constraints = viewOptions.constraints;
  registry.endpoints.check(app, view, url);

  // The routes, each claiming its methods first: a method another view owns, or that an earlier
  // route serves, fails here with the owner's name rather than deep in the router.
  const claims: Array<[readonly string[], Owner]> = [];
  const claim = (methods: readonly string[], role: string, mayShare: boolean): string[] => {
    const free = methods.filter((m) => {
      const owner = registry.ownerOf(m, url, constraints);
      if (owner) throw new errors.FCV_ERR_ROUTE_OWNED_BY_VIEW(m, url, owner.view, owner.role);
      const taken = app.hasRoute({ method: m, url, constraints } as Parameters<FastifyInstance['hasRoute']>[0]);
      if (taken && !mayShare) throw new errors.FCV_ERR_ROUTE_TAKEN(name, m, url);
      return !taken;
    });
    claims.push([free, { view: name, role }]);
    return free;
  };
  const config = (route: Record<string, unknown>) => ({ ...(route.config as object), [VIEW_NAME]: name });
  const routes: RouteOptions[] = [];

  const handlerFor = routeHandlers(app, view, table);
  let getRoute: RouteOptions | undefined;
  // HEAD by get() follows GET's route; a View that lists HEAD serves it in its one route.
  const headFollowsGet = viewClass.prototype instanceof MethodView ? table.get('HEAD') === table.get('GET') : !declared.includes('HEAD');
  // As in Flask, `provideAutomaticOptions = true` answers OPTIONS even for a view that lists it.
  const automaticOptionsRoute = providesAutomaticOptions(viewClass, table);
  const served = [...table.keys()].filter((m) => !(m === 'HEAD' && headFollowsGet) && !(m === 'OPTIONS' && automaticOptionsRoute));
  for (const route of viewRoutes(app, registry, viewClass, name, table, served, viewOptions)) {
    claim(route.methods, 'serves it', false);
    const options = { ...route.options, method: route.methods, url: path, handler: handlerFor(route.handler), exposeHeadRoute: false, config: config(route.options) };
    if (route.methods.includes('GET')) getRoute = options as RouteOptions;
    routes.push(options as RouteOptions);
  }
  // HEAD through get(): GET's handler, options and hooks, the body dropped.
  if (getRoute && headFollowsGet) {
    claim(['HEAD'], 'serves it through GET', false);
    routes.push({ ...getRoute, method: 'HEAD', onSend: withBodyDropped(getRoute.onSend) } as RouteOptions);
  }

  const allow = allowHeader(viewClass, table);
  const automatic: Record<string, unknown> = { url: path, exposeHeadRoute: false, config: config(viewOptions), schema: { hide: true } };
  for (const key of AUTOMATIC_ROUTE_OPTIONS) if (viewOptions[key] !== undefined) automatic[key] = viewOptions[key];
  if (automaticOptionsRoute && claim(['OPTIONS'], 'answers it automatically', false).length > 0) {
    // Answered in onRequest, before body parsing: whatever the request carries, OPTIONS gets Allow.
    routes.push({ ...automatic, method: 'OPTIONS', onRequest: answerOptions(allow), handler: answerOptions(allow) } as unknown as RouteOptions);
  }
  // 405 for every other method Fastify knows, except those another route already serves here;
  // refused in onRequest, so no content-type, body or size check can answer first.
  const refused = claim(app.supportedMethods.filter((m) => !table.has(m as HttpMethod) && !(m === 'OPTIONS' && automaticOptionsRoute)), 'answers it 405', true);
  if (refused.length > 0) {
    routes.push({ ...automatic, method: refused, onRequest: refuseMethod(url, allow), handler: refuseMethod(url, allow) } as unknown as RouteOptions);
  }

  for (const route of routes) app.route(route);
  registry.endpoints.claim(app, view, url);
  // A prefixed '/' is registered by Fastify at both `/api` and `/api/` (prefixTrailingSlash 'both').
  const urls = path === '/' && app.prefix && (viewOptions.prefixTrailingSlash ?? 'both') === 'both' ? [url, `${url}/`] : [url];
  for (const [methods, owner] of claims) for (const owned of urls) registry.own(methods, owned, constraints, owner);
}

/**
 * A `View` is one route for all its methods. A `MethodView` is one route per verb, each with
 * the view's options merged with its own (`static verbOptions` and `@schema`), and an
 * `operationId` for OpenAPI. `HEAD` by `get()` is not here: it follows GET's route.
 */
function viewRoutes(app: FastifyInstance, registry: ViewRegistry, viewClass: ViewClass, name: string, table: HandlerTable, served: HttpMethod[], viewOptions: Record<string, unknown>): ViewRoute[] {
  if (!(viewClass.prototype instanceof MethodView)) {
    return served.length === 0 ? [] : [{ methods: served, handler: table.get(served[0])!, options: viewOptions }];
  }
  const verbOptions = (viewClass as unknown as typeof MethodView).verbOptions;
  const viewOperationId = (viewOptions.schema as { operationId?: string } | undefined)?.operationId;
  return served.map((m) => {
    const handler = table.get(m)!;
    const verb = m.toLowerCase() as Verb;
    const own = [verbOptions?.[verb], verbMetadata(handler)];
    own.forEach((layer) => checkRouteOptions(layer, `the ${verb} options of view '${name}'`, verb));
    const options = mergeRouteOptions(viewOptions, ...own);
    const schema = options.schema as Record<string, unknown> | undefined;
    const ownOperationId = own.some((layer) => (layer?.schema as { operationId?: string } | undefined)?.operationId !== undefined);
    if (!ownOperationId) {
      // One operationId per verb, unique in the app (OpenAPI requires it): view name + verb,
      // or the view-level one + verb, qualified by the prefix when a sibling took it.
      const wanted = viewOperationId ? viewOperationId + pascal(verb) : verb + pascal(name);
      options.schema = { ...schema, operationId: registry.uniqueOperationId(wanted, app.prefix) };
    }
    return { methods: [m], handler, options };
  });
}

/**
 * Turns a view's handler into the function Fastify calls. A class with `decorators` is served
 * by its view function, decorated once by `asView` (as in Flask); an overridden
 * `dispatchRequest` runs around every verb; otherwise each verb's handler is bound directly.
 */
function routeHandlers(app: FastifyInstance, view: ViewFunction, table: HandlerTable): (handler: Function) => ViewHandler {
  const viewClass = view.viewClass;
  // Decided by what asView did, not by the current class: swapping viewClass keeps the decorators.
  if ((view as unknown as Record<symbol, boolean>)[DECORATED]) return () => view as unknown as ViewHandler;
  const ensure = dispatcherOf(app);
  const factory = (view as unknown as Record<symbol, ViewFactory | undefined>)[FACTORY];
  const shared = viewClass.initEveryRequest === false && factory === undefined
    ? ((view as unknown as Record<symbol, View | undefined>)[SHARED] ?? instantiate(viewClass, view.viewArgs))
    : undefined;
  const dispatch = viewClass.prototype.dispatchRequest;
  const overridden = viewClass.prototype instanceof MethodView && dispatch !== MethodView.prototype.dispatchRequest;
  const bound = new Map<Function, ViewHandler>();
  return (handler) => {
    const target = overridden ? dispatch : handler;
    let routeHandler = bound.get(target);
    if (routeHandler === undefined) bound.set(target, (routeHandler = bindView(viewClass, view.viewArgs, shared, factory, target, ensure)));
    return routeHandler;
  };
}

/**
 * The per-request part: an instance (or the shared one) and the handler through the context's
 * dispatcher. With the default dispatcher, three shapes so the common cases pay for no spread,
 * no bind and no branch; a replacement dispatcher is called per request with a bound handler.
 */
function bindView(viewClass: ViewClass, args: readonly unknown[], shared: View | undefined, factory: ViewFactory | undefined, handler: Function, ensure: EnsureSync): ViewHandler {
  if (ensure !== defaultEnsureSync) {
    return function dispatchedView(request, reply) {
      const self = shared ?? (factory ? factory(request) : instantiate(viewClass, args));
      return isThenable(self)
        ? callOnPendingView(self, handler, (view) => dispatchThrough(ensure, handler, view, request, reply), reply)
        : dispatchThrough(ensure, handler, self, request, reply);
    };
  }
  if (factory !== undefined) {
    return function viewFromFactory(request, reply) {
      const self = factory(request);
      // An async factory (e.g. one that opens a transaction) makes the call async.
      return isThenable(self)
        ? callOnPendingView(self, handler, (view) => callHandler(handler, view, request, reply), reply)
        : callHandler(handler, self, request, reply);
    };
  }
  if (shared !== undefined) {
    return function sharedView(request, reply) {
      return callHandler(handler, shared, request, reply);
    };
  }
  if (args.length === 0) {
    return function view(request, reply) {
      return callHandler(handler, new viewClass(), request, reply);
    };
  }
  const withArguments = viewClass as unknown as new (...args: readonly unknown[]) => View;
  return function viewWithArguments(request, reply) {
    return callHandler(handler, new withArguments(...args), request, reply);
  };
}

/** The automatic OPTIONS answer: 200, `Allow`, no body. As a hook it ends the request there. */
function answerOptions(allow: string) {
  return function automaticOptions(_request: FastifyRequest, reply: FastifyReply): void {
    reply.header('allow', allow).send();
  };
}

/** The 405: `Allow` on the reply, the error to the error handler. As a hook, via `done`. */
function refuseMethod(url: string, allow: string) {
  return function methodNotAllowedRoute(request: FastifyRequest, reply: FastifyReply, done?: (error: Error) => void): void {
    reply.header('allow', allow);
    const error = methodNotAllowed(request.method, url, allow);
    if (done) done(error);
    else throw error;
  };
}

type OnSend = NonNullable<RouteShorthandOptions['onSend']>;
type OnSendHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) => void;

/** `HEAD` through `get`: the same headers, `Content-Length` of the body GET would send, no body (RFC 9110 §9.3.2). */
function withBodyDropped(onSend: unknown): OnSend {
  const hooks = onSend === undefined ? [] : Array.isArray(onSend) ? [...onSend] : [onSend];
  return [...hooks, dropBody as OnSendHook] as unknown as OnSend;
}

function dropBody(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void): void {
  if (payload === undefined || payload === null) {
    reply.header('content-length', '0');
  } else if (typeof (payload as { resume?: unknown }).resume === 'function') {
    const stream = payload as NodeJS.ReadableStream;
    stream.on('error', (err) => reply.log.error({ err }, 'error in a stream dropped by HEAD'));
    stream.resume();
  } else if (payload instanceof Response) {
    // A web Response carries its own status and headers: HEAD answers with them, without the body.
    reply.code(payload.status);
    payload.headers.forEach((value, key) => void reply.header(key, value));
    payload.body?.cancel().catch((err: unknown) => reply.log.error({ err }, 'error in a stream dropped by HEAD'));
  } else if (typeof (payload as { cancel?: unknown }).cancel === 'function') {
    (payload as ReadableStream).cancel('HEAD has no body').catch((err: unknown) => reply.log.error({ err }, 'error in a stream dropped by HEAD'));
  } else if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    reply.header('content-length', String(Buffer.byteLength(payload)));
  }
  done(null, null);
}

function normalizeMethods(name: string, method: HttpMethod | readonly HttpMethod[]): readonly HttpMethod[] {
  const list = (Array.isArray(method) ? method : [method]) as unknown[];
  return list.map((m) => {
    const upper = typeof m === 'string' ? m.toUpperCase() : m;
    if (!(HTTP_METHODS as readonly unknown[]).includes(upper)) {
      throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, String(m), 'is not an HTTP method');
    }
    return upper as HttpMethod;
  });
}

/** Fails at registration, naming the view, where Fastify would fail with a generic error. */
function checkMethods(app: FastifyInstance, name: string, table: HandlerTable): void {
  for (const m of table.keys()) {
    if (!(HTTP_METHODS as readonly string[]).includes(m)) {
      throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, String(m), 'is not an HTTP method');
    }
    if (!app.supportedMethods.includes(m)) {
      throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, m, `Fastify does not know yet: call fastify.addHttpMethod('${m}') before registering the view`);
    }
  }
}
