import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { routeMetadata, verbMetadata } from './decorators';
import { EnsureSync, VIEW_NAME, dispatcherOf } from './ensure-sync';
import { errors } from './errors';
import { HttpMethod, answerOptions, dropBody, isHttpMethod, pathOf, refuseInHook } from './http';
import { MethodView, Verb, verbFor } from './method-view';
import { prefixed } from './paths';
import { Owner, ViewRegistry, pascal } from './registry';
import { ViewRouteOptions, checkRouteOptions, mergeRouteOptions } from './route-options';
import { ViewClass, ViewFunction, ViewHandler, ViewPlan, instanceBuilder, isViewFunction, planView, serveView } from './view';
import { preconditionsHook, validatorHeaders } from './conditional';
import { describeRoute } from './openapi';
import { eventStreamHandler, eventStreamResponse, eventStreamSettings } from './event-stream';
import { isWebSocketView, webSocketRoute } from './websocket-view';

/** Options the automatic OPTIONS and 405 routes share with the view; its hooks and schema do not apply there. */
const AUTOMATIC_ROUTE_OPTIONS = ['constraints', 'prefixTrailingSlash', 'logLevel', 'logSerializers', 'errorHandler', 'childLoggerFactory'] as const;

/** One route of a view: its methods, the prototype method that serves them, its merged options. */
interface ViewRoute {
  methods: HttpMethod[];
  handler: Function;
  options: Record<string, unknown>;
}

/**
 * Registers `view` at `path` on `app` (its encapsulation context): one route per verb for a
 * `MethodView` (one for all methods for a `View`), `HEAD`, the automatic `OPTIONS`, and a 405
 * route for every other method Fastify knows. The view function's class is read here, once:
 * swapping it later changes nothing for these routes. Everything is computed and checked
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
  if (typeof viewClass !== 'function' || typeof viewClass.handlerFor !== 'function' || typeof viewClass.prototype?.dispatchRequest !== 'function') {
    throw new errors.FCV_ERR_INVALID_VIEW_CLASS(name, 'its viewClass is not a subclass of View with a dispatchRequest method');
  }
  const classOptions = [viewClass.viewOptions, routeMetadata(viewClass)?.options];
  classOptions.forEach((layer) => checkRouteOptions(layer, `the options of view '${name}'`));
  checkRouteOptions(options, `addView('${path}')`);
  const { method, ...viewOptions } = mergeRouteOptions(...classOptions, options) as ViewRouteOptions & Record<string, unknown>;

  const declared = method === undefined ? viewClass.allowedMethods() : normalizeMethods(name, method);
  const plan = planView(viewClass, declared);
  // Fastify builds this list anew at every read: read once per view.
  const supportedMethods = app.supportedMethods;
  checkMethods(supportedMethods, name, plan);
  for (const m of declared) {
    if (!plan.handlers.has(m)) app.log.warn(`view '${name}' lists ${m} but has no handler for it: ${m} is answered 405`);
  }
  const url = prefixed(app.prefix, path, viewOptions.prefixTrailingSlash);
  const constraints = viewOptions.constraints;
  registry.checkEndpoint(app, view, url);

  // Each route claims its methods first: a method another view owns, or that an earlier route
  // serves, fails here with the owner's name rather than deep in the router.
  const claims: Array<[readonly string[], Owner]> = [];
  const claim = (methods: readonly string[], role: string, mayShare: boolean): string[] => {
    const ownerOf = registry.ownersAt(url, constraints);
    const free = methods.filter((m) => {
      const owner = ownerOf(m);
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

  const dispatcher = dispatcherOf(app);
  // Decorators wrap the whole view once (as Flask's as_view does): every route shares that handler.
  const decorated = (viewClass.decorators ?? []).length > 0 ? serveView(view, dispatcher, undefined, viewClass) : undefined;
  const handlers = new Map<Function, ViewHandler>();
  const handlerFor = (handler: Function): ViewHandler => {
    if (decorated) return decorated;
    let served = handlers.get(handler);
    if (served === undefined) handlers.set(handler, (served = serveView(view, dispatcher, handler, viewClass)));
    return served;
  };

  // HEAD by get() follows GET's route; a View that lists HEAD serves it in its one route.
  const headFollowsGet = viewClass.prototype instanceof MethodView ? verbFor(viewClass.prototype, 'HEAD') === verbFor(viewClass.prototype, 'GET') : !declared.includes('HEAD');
  const served = [...plan.handlers.keys()].filter((m) => !(m === 'HEAD' && headFollowsGet) && !(m === 'OPTIONS' && plan.automaticOptions));
  let getRoute: RouteOptions | undefined;
  // Conditional requests only for a class that defines validators: the others get no hook.
  const conditional = typeof viewClass.prototype.validators === 'function'
    ? { preHandler: preconditionsHook(instanceBuilder(view, viewClass), dispatcher, viewClass.requirePreconditions ?? []), onSend: validatorHeaders }
    : undefined;
  for (const route of viewRoutes(app, registry, viewClass, name, plan, served, viewOptions)) {
    claim(route.methods, 'serves it', false);
    const { eventStream, ...own } = route.options;
    const stream = eventStream === undefined ? undefined : eventStreamSettings(eventStream as never, 'eventStream', `the ${route.methods.join(', ')} options of view '${name}'`);
    const hooks = conditional ? mergeRouteOptions(own, conditional) : own;
    if (stream) hooks.schema = eventStreamResponse(hooks.schema as Record<string, unknown> | undefined, stream);
    const described = describeRoute(app, hooks, {
      methods: route.methods, viewName: name, problemDetails: registry.problemDetails,
      conditional: conditional ? viewClass.requirePreconditions ?? [] : undefined,
    });
    const handler = stream ? eventStreamHandler(handlerFor(route.handler), stream) : handlerFor(route.handler);
    let options: Record<string, unknown> = { ...described, method: route.methods, url: path, handler, exposeHeadRoute: false, config: config(route.options) };
    // A WebSocket view's GET also answers upgrades (through @fastify/websocket); plain GETs get 426.
    if (route.methods.includes('GET') && isWebSocketView(viewClass)) options = mergeRouteOptions(options, webSocketRoute(app, view, viewClass, dispatcher, options.schema));
    if (route.methods.includes('GET')) getRoute = options as unknown as RouteOptions;
    routes.push(options as unknown as RouteOptions);
  }
  if (getRoute && headFollowsGet) {
    // HEAD through get(): GET's handler, options and hooks, the body dropped.
    claim(['HEAD'], 'serves it through GET', false);
    const onSend = getRoute.onSend === undefined ? [] : Array.isArray(getRoute.onSend) ? getRoute.onSend : [getRoute.onSend];
    // Fastify registers a prefixed '/' at both URLs, except for the string 'HEAD' (its own HEAD
    // routes): there it takes an array, kept out of OpenAPI as @fastify/swagger does for 'HEAD'.
    const head = path === '/' && app.prefix
      ? { method: ['HEAD'], schema: { ...(getRoute.schema as object), hide: true } }
      : { method: 'HEAD' };
    routes.push({ ...getRoute, ...head, onSend: [...onSend, dropBody] } as RouteOptions);
  }

  const automatic: Record<string, unknown> = { url: path, exposeHeadRoute: false, config: config(viewOptions), schema: { hide: true } };
  for (const key of AUTOMATIC_ROUTE_OPTIONS) if (viewOptions[key] !== undefined) automatic[key] = viewOptions[key];
  const answered = plan.automaticOptions && claim(['OPTIONS'], 'answers it automatically', false).length > 0;
  // Every other method Fastify knows is claimed now (a later route on exactly this path and
  // method is refused, naming the view); which of them get the 405 route is decided below.
  const unserved = claim(supportedMethods.filter((m) => !plan.handlers.has(m as HttpMethod) && !(m === 'OPTIONS' && plan.automaticOptions)), 'answers it 405', true);
  const refused: string[] = []; // filled below, once the neighbouring routes are known
  const allowAt = registry.allowFor(url, plan.allow, refused, constraints, name);
  if (answered) {
    // Answered in onRequest, before body parsing: whatever the request carries, OPTIONS gets Allow.
    const automaticOptions = optionsInHook(allowAt);
    routes.push({ ...automatic, method: 'OPTIONS', onRequest: automaticOptions, handler: automaticOptions } as unknown as RouteOptions);
  }

  // problemDetails: a route-level error handler on every route of the view that has none of its own.
  const withProblems = (route: RouteOptions) => (registry.problemHandler && route.errorHandler === undefined ? { ...route, errorHandler: registry.problemHandler } : route) as RouteOptions;
  for (const route of routes) app.route(withProblems(route));
  registry.claimEndpoint(app, view, url);
  // A prefixed '/' is registered by Fastify at both `/api` and `/api/` (prefixTrailingSlash 'both').
  const urls = path === '/' && app.prefix && (viewOptions.prefixTrailingSlash ?? 'both') === 'both' ? [url, `${url}/`] : [url];
  const servedHere = [...plan.handlers.keys(), ...(answered ? ['OPTIONS'] : [])];
  for (const owned of urls) {
    for (const [methods, owner] of claims) registry.own(methods, owned, constraints, owner);
    registry.record(owned, servedHere, constraints, name, refused);
  }

  // The 405 route waits until the code that registers this view has run (Fastify's `after`), so
  // that the routes registered next to it, before or after, are known. It leaves out the methods
  // another route serves for some URL of this path where a 405 route here would win: the router
  // then decides, as Werkzeug keeps searching past a route that matches the path but not the method.
  registry.later(app, () => {
    const servedElsewhere = registry.servedElsewhere(url, constraints, name);
    for (const m of unserved) if (!servedElsewhere.has(m)) refused.push(m);
    if (refused.length > 0) app.route(withProblems({ ...automatic, method: refused, ...refusal(view, viewClass, dispatcher, allowAt) } as unknown as RouteOptions));
  });
}

// The functions a view's automatic routes keep are made apart from `addViewRoutes`: a closure
// keeps its whole scope alive, and with thousands of views that scope adds up.

function optionsInHook(allowAt: (path: string) => string) {
  return (request: FastifyRequest, reply: FastifyReply) => answerOptions(reply, allowAt(pathOf(request.url)));
}

function refusal(view: ViewFunction, viewClass: ViewClass, dispatcher: EnsureSync, allowAt: (path: string) => string) {
  // Compiled at the first 405: most views never answer one.
  let methodNotAllowed: ViewHandler | undefined;
  const refuse = refuseInHook((request, reply) => (methodNotAllowed ??= serveView(view, dispatcher, viewClass.prototype.methodNotAllowed, viewClass))(request, reply), allowAt);
  return { onRequest: refuse, handler: refuse };
}

/**
 * One route per method. A `View`'s share its options and handler; a `MethodView`'s each have
 * the view's options merged with the verb's own (`static verbOptions` and `@schema`). Each
 * has an `operationId` for OpenAPI. `HEAD` by `get()` is not here: it follows GET's route.
 */
function viewRoutes(app: FastifyInstance, registry: ViewRegistry, viewClass: ViewClass, name: string, plan: ViewPlan, served: HttpMethod[], viewOptions: Record<string, unknown>): ViewRoute[] {
  const viewOperationId = (viewOptions.schema as { operationId?: string } | undefined)?.operationId;
  // One operationId per method, unique in the app (OpenAPI requires it): view name + verb, or
  // the view-level one + verb, qualified by the prefix when a sibling took it.
  let ofName: string | undefined; // the view's name in PascalCase, worked out once for all its verbs
  const operationId = (verb: string) => registry.uniqueOperationId(viewOperationId ? viewOperationId + pascal(verb) : verb + (ofName ??= pascal(name)), app.prefix);
  if (!(viewClass.prototype instanceof MethodView)) {
    // A View is one handler for all its methods, yet a route per method: each its operationId
    // (a View serving one method keeps the operationId it was given).
    const handler = served.length > 0 ? plan.handlers.get(served[0])! : undefined;
    return served.map((m) => {
      const schema = viewOptions.schema as Record<string, unknown> | undefined;
      const id = viewOperationId !== undefined && served.length === 1 ? viewOperationId : operationId(m.toLowerCase());
      return { methods: [m], handler: handler!, options: { ...viewOptions, schema: { ...schema, operationId: id } } };
    });
  }
  const verbOptions = (viewClass as unknown as typeof MethodView).verbOptions;
  return served.map((m) => {
    const handler = plan.handlers.get(m)!;
    const verb = m.toLowerCase() as Verb;
    const own = [verbOptions?.[verb], verbMetadata(verbFor(viewClass.prototype, m) ?? handler)];
    own.forEach((layer) => checkRouteOptions(layer, `the ${verb} options of view '${name}'`, verb));
    const options = mergeRouteOptions(viewOptions, ...own);
    const schema = options.schema as Record<string, unknown> | undefined;
    const ownOperationId = own.some((layer) => (layer?.schema as { operationId?: string } | undefined)?.operationId !== undefined);
    if (!ownOperationId) options.schema = { ...schema, operationId: operationId(verb) };
    return { methods: [m], handler, options };
  });
}

function normalizeMethods(name: string, method: HttpMethod | readonly HttpMethod[]): readonly HttpMethod[] {
  const list = (Array.isArray(method) ? method : [method]) as unknown[];
  return list.map((m) => {
    const upper = typeof m === 'string' ? m.toUpperCase() : m;
    if (!isHttpMethod(upper)) throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, String(m), 'is not an HTTP method');
    return upper;
  });
}

/** Fails at registration, naming the view, where Fastify would fail with a generic error. */
function checkMethods(supportedMethods: readonly string[], name: string, plan: ViewPlan): void {
  for (const m of plan.handlers.keys()) {
    if (!isHttpMethod(m)) throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, String(m), 'is not an HTTP method');
    if (!supportedMethods.includes(m)) {
      throw new errors.FCV_ERR_METHOD_NOT_SUPPORTED(name, m, `Fastify does not know yet: call fastify.addHttpMethod('${m}') before registering the view`);
    }
  }
}
