import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, RouteShorthandOptions } from 'fastify';
import { Endpoints, prefixed } from './endpoints';
import { EnsureSync, VIEW_NAME, callHandler, callOnPendingView, dispatcherOf, ensureSync as defaultEnsureSync, isThenable } from './ensure-sync';
import { errors, methodNotAllowed } from './errors';
import { routeMetadata, verbMetadata } from './decorators';
import { MethodView, Verb } from './method-view';
import { ViewRouteOptions, checkRouteOptions, mergeRouteOptions } from './route-options';
import {
  FACTORY, HTTP_METHODS, HandlerTable, HttpMethod, SHARED, View, ViewClass, ViewFactory, ViewFunction, ViewHandler, allowHeader,
  answersOptions, decorate, handlersOf, instantiate, isViewFunction, methodsOf,
} from './view';

/** What the plugin keeps per registration: endpoint names, and which method+URL each view owns. */
export interface ViewRegistry {
  readonly endpoints: Endpoints;
  /** `METHOD url constraints` → how the view owns it, for the guard against later routes. */
  readonly owned: Map<string, { view: string; role: string }>;
}

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
 * route for every other method Fastify knows. Everything is computed here, once.
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
  const viewOptions = mergeRouteOptions(...classOptions, options);
  const { method, ...routeOptions } = viewOptions as ViewRouteOptions;

  const declared = method === undefined ? methodsOf(viewClass) : normalizeMethods(name, method);
  const table = handlersOf(viewClass, declared);
  checkMethods(app, name, table);
  for (const m of declared) {
    if (!table.has(m)) app.log.warn(`view '${name}' lists ${m} but has no handler for it: ${m} is answered 405`);
  }

  const url = prefixed(app.prefix, path, routeOptions.prefixTrailingSlash);
  registry.endpoints.claim(app, view, url);
  const constraintsKey = JSON.stringify(routeOptions.constraints ?? {});
  const own = (methods: readonly string[], role: string): void => {
    for (const m of methods) registry.owned.set(`${m} ${url} ${constraintsKey}`, { view: name, role });
  };
  const impliedHead = !declared.includes('HEAD') && table.has('HEAD');

  // What the view serves: a route per verb for a MethodView, one route for a View's methods.
  const routes = viewRoutes(viewClass, name, table, impliedHead, routeOptions);
  const ensure = dispatcherOf(app);
  const factory = (view as unknown as Record<symbol, ViewFactory | undefined>)[FACTORY];
  const shared = viewClass.initEveryRequest === false && factory === undefined
    ? ((view as unknown as Record<symbol, View | undefined>)[SHARED] ?? instantiate(viewClass, view.viewArgs))
    : undefined;
  let getRoute: { handler: ViewHandler; options: Record<string, unknown> } | undefined;
  for (const route of routes) {
    const handler = decorate(viewClass, name, bindView(viewClass, view.viewArgs, shared, factory, route.handler, ensure));
    if (route.methods.includes('GET')) getRoute = { handler, options: route.options };
    own(route.methods, 'serves it');
    app.route({ ...route.options, method: route.methods, url: path, handler, exposeHeadRoute: false, config: { ...(route.options.config as object), [VIEW_NAME]: name } } as RouteOptions);
  }

  // HEAD through GET: GET's handler and options, the body dropped.
  if (impliedHead && getRoute) {
    own(['HEAD'], 'serves it through GET');
    const onSend = withBodyDropped(getRoute.options.onSend as RouteShorthandOptions['onSend']);
    app.route({ ...getRoute.options, method: 'HEAD', url: path, handler: getRoute.handler, exposeHeadRoute: false, config: { ...(getRoute.options.config as object), [VIEW_NAME]: name }, onSend } as RouteOptions);
  }

  const allow = allowHeader(viewClass, table);
  const automatic: Record<string, unknown> = { url: path, exposeHeadRoute: false, config: { ...routeOptions.config, [VIEW_NAME]: name }, schema: { hide: true } };
  for (const key of AUTOMATIC_ROUTE_OPTIONS) if (routeOptions[key] !== undefined) automatic[key] = routeOptions[key];

  const automaticOptionsRoute = answersOptions(viewClass, table);
  if (automaticOptionsRoute) {
    own(['OPTIONS'], 'answers it automatically');
    app.route({ ...automatic, method: 'OPTIONS', handler: automaticOptions(allow) } as unknown as RouteOptions);
  }

  // 405 for every other method Fastify knows, except those another route already serves here.
  const refused = app.supportedMethods.filter((m) => !table.has(m as HttpMethod) && !(m === 'OPTIONS' && automaticOptionsRoute)
    && !app.hasRoute({ method: m, url, constraints: routeOptions.constraints } as Parameters<FastifyInstance['hasRoute']>[0]));
  if (refused.length > 0) {
    own(refused, 'answers it 405');
    app.route({ ...automatic, method: refused, handler: refuseMethod(url, allow) } as unknown as RouteOptions);
  }
}

/**
 * A `View` is one route for all its methods. A `MethodView` is one route per verb, each with
 * the view's options merged with its own (`static verbOptions` and `@schema`), and an
 * `operationId` for OpenAPI made from the view name and the verb.
 */
function viewRoutes(viewClass: ViewClass, name: string, table: HandlerTable, impliedHead: boolean, viewOptions: Record<string, unknown>): ViewRoute[] {
  const served = [...table.keys()].filter((m) => !(m === 'HEAD' && impliedHead));
  if (!(viewClass.prototype instanceof MethodView)) {
    return served.length === 0 ? [] : [{ methods: served, handler: table.get(served[0])!, options: viewOptions }];
  }
  const dispatch = viewClass.prototype.dispatchRequest;
  // An overridden dispatchRequest runs around every verb; the verb handler is then its business.
  const overridden = dispatch !== MethodView.prototype.dispatchRequest;
  const verbOptions = (viewClass as unknown as typeof MethodView).verbOptions;
  return served.map((m) => {
    const handler = table.get(m)!;
    const verb = m.toLowerCase() as Verb;
    const own = [verbOptions?.[verb], verbMetadata(handler)];
    own.forEach((layer) => checkRouteOptions(layer, `the ${verb} options of view '${name}'`, verb));
    const options = mergeRouteOptions({ schema: { operationId: operationId(name, verb) } }, viewOptions, ...own);
    return { methods: [m], handler: overridden ? dispatch : handler, options };
  });
}

/** `getUser` for view `user` and verb `get`; `postUserList` for `user-list` and `post`. */
function operationId(name: string, verb: string): string {
  return verb + name.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('');
}

/**
 * The per-request part: an instance (or the shared one) and the handler through the context's
 * dispatcher. With the default dispatcher, three shapes so the common cases pay for no spread,
 * no bind and no branch; a replacement dispatcher is called per request with a bound handler.
 */
function bindView(viewClass: ViewClass, args: readonly unknown[], shared: View | undefined, factory: ViewFactory | undefined, handler: Function, ensure: EnsureSync): ViewHandler {
  if (ensure !== defaultEnsureSync) {
    const dispatch = (self: unknown, request: FastifyRequest, reply: FastifyReply) => ensure(handler.bind(self) as ViewHandler)(request, reply);
    return function dispatchedView(request, reply) {
      const self = shared ?? (factory ? factory(request) : instantiate(viewClass, args));
      return isThenable(self) ? callOnPendingView(self, handler, (view) => dispatch(view, request, reply), reply) : dispatch(self, request, reply);
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
  return function viewWithArguments(request, reply) {
    return callHandler(handler, new viewClass(...args), request, reply);
  };
}

function automaticOptions(allow: string) {
  return function automaticOptions(_request: FastifyRequest, reply: FastifyReply): void {
    reply.header('allow', allow).send();
  };
}

function refuseMethod(url: string, allow: string) {
  return function methodNotAllowedRoute(request: FastifyRequest, reply: FastifyReply): never {
    reply.header('allow', allow);
    throw methodNotAllowed(request.method, url, allow);
  };
}

type OnSend = NonNullable<RouteShorthandOptions['onSend']>;
type OnSendHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: Error | null, payload?: unknown) => void) => void;

/** `HEAD` through `get`: the same headers, `Content-Length` of the body GET would send, no body (RFC 9110 §9.3.2). */
function withBodyDropped(onSend: RouteShorthandOptions['onSend']): OnSend {
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
