import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions, RouteShorthandOptions } from 'fastify';
import { Endpoints, prefixed } from './endpoints';
import { EnsureSync, VIEW_NAME, callHandler, dispatcherOf, ensureSync as defaultEnsureSync } from './ensure-sync';
import { errors, methodNotAllowed } from './errors';
import { MethodView } from './method-view';
import {
  HTTP_METHODS, HandlerTable, HttpMethod, SHARED, View, ViewClass, ViewFunction, ViewHandler, allowHeader, answersOptions,
  decorate, handlersOf, instantiate, isViewFunction, methodsOf,
} from './view';

/**
 * Fastify route options for a view's routes (`schema`, hooks, `config`, `constraints`,
 * `handlerTimeout`, …), plus `method` to replace the view's own list of methods.
 */
export interface ViewRouteOptions extends Omit<RouteShorthandOptions, 'exposeHeadRoute'> {
  /** Serve these methods instead of the view's `methods`. */
  method?: HttpMethod | readonly HttpMethod[];
}

/** What the plugin keeps per registration: endpoint names, and which method+URL each view owns. */
export interface ViewRegistry {
  readonly endpoints: Endpoints;
  /** `METHOD url constraints` → how the view owns it, for the guard against later routes. */
  readonly owned: Map<string, { view: string; role: string }>;
}

/** Options that make no sense on a view, each with the reason given to the user. */
const REFUSED_OPTIONS: Record<string, string> = {
  handler: 'the view is the handler; pass the view function as the second argument',
  url: 'the path is the first argument of addView',
  path: 'the path is the first argument of addView',
  exposeHeadRoute: 'views answer HEAD themselves (through head(), or get() with the body dropped)',
  websocket: 'a view answers HTTP requests; register WebSocket routes with @fastify/websocket directly',
  wsHandler: 'a view answers HTTP requests; register WebSocket routes with @fastify/websocket directly',
};

/** Options the automatic OPTIONS and 405 routes share with the view; its hooks and schema do not apply there. */
const AUTOMATIC_ROUTE_OPTIONS = ['constraints', 'prefixTrailingSlash', 'config', 'logLevel', 'logSerializers', 'errorHandler', 'childLoggerFactory'] as const;

/**
 * Registers `view` at `path` on `app` (its encapsulation context): one route per verb for a
 * `MethodView` (one for all methods for a `View`), `HEAD`, the automatic `OPTIONS`, and a 405
 * route for every other method Fastify knows. Everything is computed here, once.
 */
export function addViewRoutes(app: FastifyInstance, registry: ViewRegistry, path: string, view: ViewFunction, options: ViewRouteOptions = {}): void {
  if (!isViewFunction(view)) {
    throw new errors.FCV_ERR_INVALID_VIEW(String(path), view === null ? 'null' : typeof view);
  }
  if (typeof options !== 'object' || options === null) {
    throw new errors.FCV_ERR_INVALID_OPTION('options', `addView('${path}') takes Fastify route options as an object`);
  }
  for (const key of Object.keys(options)) {
    if (key in REFUSED_OPTIONS && (options as Record<string, unknown>)[key] !== undefined) {
      throw new errors.FCV_ERR_INVALID_OPTION(key, REFUSED_OPTIONS[key]);
    }
  }
  const { method, ...routeOptions } = options;
  const viewClass = view.viewClass;
  const name = view.viewName;
  const declared = method === undefined ? methodsOf(viewClass) : normalizeMethods(name, method);
  const table = handlersOf(viewClass, declared);
  checkMethods(app, name, table);
  for (const m of declared) {
    if (!table.has(m)) app.log.warn(`view '${name}' lists ${m} but has no handler for it: ${m} is answered 405`);
  }

  const url = prefixed(app.prefix, path, routeOptions.prefixTrailingSlash);
  registry.endpoints.claim(app, view, url);

  const ensure = dispatcherOf(app);
  const instance = viewClass.initEveryRequest === false ? ((view as unknown as Record<symbol, View | undefined>)[SHARED] ?? instantiate(viewClass, view.viewArgs)) : undefined;
  const overridden = viewClass.prototype instanceof MethodView && viewClass.prototype.dispatchRequest !== MethodView.prototype.dispatchRequest;
  const allow = allowHeader(viewClass, table);
  const config = { ...routeOptions.config, [VIEW_NAME]: name };
  const constraintsKey = JSON.stringify(routeOptions.constraints ?? {});
  const own = (methods: readonly string[], role: string): void => {
    for (const m of methods) registry.owned.set(`${m} ${url} ${constraintsKey}`, { view: name, role });
  };

  // One route per distinct handler: a View's methods share dispatchRequest, a MethodView's verbs do not.
  const byHandler = new Map<Function, HttpMethod[]>();
  for (const [m, handler] of table) {
    if (m === 'HEAD' && !declared.includes('HEAD')) continue; // the implied HEAD gets its own route below
    const target = overridden ? viewClass.prototype.dispatchRequest : handler;
    byHandler.set(target, [...(byHandler.get(target) ?? []), m]);
  }
  const routeHandlers = new Map<Function, ViewHandler>();
  for (const [handler, methods] of byHandler) {
    const routeHandler = decorate(viewClass, name, bindView(viewClass, view.viewArgs, instance, handler, ensure));
    routeHandlers.set(handler, routeHandler);
    own(methods, 'serves it');
    app.route({ ...routeOptions, method: methods, url: path, handler: routeHandler, exposeHeadRoute: false, config } as RouteOptions);
  }

  const impliedHead = table.get('HEAD');
  if (impliedHead && !declared.includes('HEAD')) {
    const handler = routeHandlers.get(overridden ? viewClass.prototype.dispatchRequest : impliedHead)!;
    own(['HEAD'], 'serves it through GET');
    app.route({ ...routeOptions, method: 'HEAD', url: path, handler, exposeHeadRoute: false, config, onSend: withBodyDropped(routeOptions.onSend) } as RouteOptions);
  }

  const automatic: Record<string, unknown> = { url: path, exposeHeadRoute: false, config, schema: { hide: true } };
  for (const key of AUTOMATIC_ROUTE_OPTIONS) if (routeOptions[key] !== undefined && key !== 'config') automatic[key] = routeOptions[key];

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
 * The per-request part: an instance (or the shared one) and the handler through the context's
 * dispatcher. With the default dispatcher, three shapes so the common cases pay for no spread,
 * no bind and no branch; a replacement dispatcher is called per request with a bound handler.
 */
function bindView(viewClass: ViewClass, args: readonly unknown[], shared: View | undefined, handler: Function, ensure: EnsureSync): ViewHandler {
  if (ensure !== defaultEnsureSync) {
    return function dispatchedView(request, reply) {
      const self = shared ?? instantiate(viewClass, args);
      return ensure(handler.bind(self) as ViewHandler)(request, reply);
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
