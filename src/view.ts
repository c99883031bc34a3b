import type { FastifyReply, FastifyRequest } from 'fastify';
import { EnsureSync, VIEW_NAME, checked, dispatch, dispatcherOf, ensureSync, isThenable } from './ensure-sync';
import { errors } from './errors';
import { HttpMethod, allowHeader, methodNotAllowedError } from './http';
import type { Validators } from './conditional';
import type { ViewRouteOptions } from './route-options';

/** A Fastify-style handler as views and decorators see it: sync or async, `(request, reply)`. */
export type ViewHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

/**
 * Wraps a view handler, like a Flask view decorator. Listed in `static decorators`; the first
 * is the innermost. To work on sync and async views alike, call the wrapped view through
 * `request.server.ensureSync(view)`.
 *
 * @example
 * const poweredBy: ViewDecorator = (view) => (request, reply) => {
 *   reply.header('x-powered-by', 'views');
 *   return request.server.ensureSync(view)(request, reply);
 * };
 */
export type ViewDecorator = (view: ViewHandler) => ViewHandler;

/** Builds the view instance for one request (see `asViewFrom`), sync or async. */
export type ViewFactory<V extends View = View> = (request: FastifyRequest) => V | PromiseLike<V>;

/** Any concrete view class (what `asView` can build from), whatever its constructor takes. */
export type ViewClass<V extends View = View> = (new (...args: never[]) => V) & ViewStatics;

/** The static side every view class has (declared on `View`). */
export interface ViewStatics {
  readonly methods?: readonly HttpMethod[];
  readonly decorators: readonly ViewDecorator[];
  readonly provideAutomaticOptions?: boolean;
  readonly initEveryRequest: boolean;
  readonly viewOptions?: ViewRouteOptions;
  readonly requirePreconditions?: readonly HttpMethod[];
  allowedMethods(): readonly HttpMethod[];
  handlerFor(method: HttpMethod): Function | undefined;
}

/**
 * What `asView()` returns: a Fastify route handler (usable with `addView`, or directly with
 * `app.get(path, fn)`) that carries the view's identity.
 */
export interface ViewFunction<C extends ViewClass = ViewClass> {
  // Generic in its result so that it fits typed routes (`app.get<{ Reply: … }>`, type providers),
  // whose handler type demands a specific return type.
  <Result = unknown>(request: FastifyRequest, reply: FastifyReply): Result;
  /**
   * The class that serves requests. Writable: `addView` reads it when it registers the view, so
   * replace it before that to swap the class (e.g. in tests); the function itself, called as a
   * plain handler, serves the class it holds at each call.
   */
  get viewClass(): C;
  // Any view class may be put in (a fake in a test need not share the original's static types).
  set viewClass(viewClass: ViewClass);
  /** The endpoint name given to `asView`, used by `urlFor`. */
  readonly viewName: string;
  /** The methods the view accepts (from `viewClass`). */
  readonly methods: readonly HttpMethod[];
  /** Whether `OPTIONS` is answered automatically (from `viewClass`). */
  readonly provideAutomaticOptions: boolean;
  /** The constructor arguments given to `asView`, passed to every instance. */
  readonly viewArgs: readonly unknown[];
}

/**
 * A class-based view: subclass it, implement `dispatchRequest`, register `YourView.asView(name)`.
 *
 * @example
 * class Hello extends View {
 *   static override methods = ['GET', 'POST'] as const;
 *   dispatchRequest(request: FastifyRequest) { return `Hello ${request.method}`; }
 * }
 * app.addView('/hello', Hello.asView('hello'));
 */
export abstract class View {
  /** The methods the view accepts; unset means `GET` (and so `HEAD` and `OPTIONS`), as in Flask. */
  static methods?: readonly HttpMethod[];
  /** Wrappers applied once per registration, in order: the first is the innermost, the last the outermost. */
  static decorators: ViewDecorator[] = [];
  /** Answer `OPTIONS` with `Allow` automatically; unset means "unless the view accepts OPTIONS itself". */
  static provideAutomaticOptions?: boolean;
  /** `true`: a new instance per request. `false`: one instance, built by `asView`, serves every request. */
  static initEveryRequest = true;
  /** Fastify route options for every route of the view (schema, hooks, config…); `addView` options win. */
  static viewOptions?: ViewRouteOptions;
  /** Methods that must come with `If-Match` or `If-Unmodified-Since` (else 428); needs `validators`. */
  static requirePreconditions?: readonly HttpMethod[];

  /**
   * The current `etag` and/or `lastModified` of the resource the request targets, or
   * `undefined` when it does not exist (sync or async, through the dispatcher). When a class
   * defines it, conditional requests are answered for it (RFC 9110 §13): 304, 412, 428, and
   * `ETag` / `Last-Modified` on a 2xx GET or HEAD. Runs on its own instance of the view, after
   * validation and the route's earlier hooks, before the handler and its decorators.
   *
   * @example
   * async validators(request: FastifyRequest<{ Params: { id: number } }>) {
   *   const book = await this.store.getBook(request.params.id);
   *   return book && { etag: strongETag(book.version) };
   * }
   */
  validators?(request: FastifyRequest, reply: FastifyReply): Validators | undefined | PromiseLike<Validators | undefined>;

  /** The handler: its return value (or what its Promise resolves to) is the reply payload. */
  abstract dispatchRequest(request: FastifyRequest, reply: FastifyReply): unknown;

  /**
   * Answers a method the view does not accept (Django's `http_method_not_allowed`, Starlette's
   * `method_not_allowed`). The reply already has status 405 and `Allow`; the default throws
   * `FCV_ERR_METHOD_NOT_ALLOWED`, so the error handler shapes the body. Override it to answer
   * otherwise: return the payload (or a Promise of it), or throw. On `addView` routes it runs in
   * `onRequest`, before body parsing and validation, and without the class's decorators.
   *
   * @example
   * override methodNotAllowed(request: FastifyRequest) { return { error: `${request.method} is not served here` }; }
   */
  methodNotAllowed(request: FastifyRequest, reply: FastifyReply): unknown {
    throw methodNotAllowedError(request.method, request.routeOptions?.url ?? request.url, String(reply.getHeader('allow') ?? ''));
  }

  /** The methods the class accepts, read once per registration: `methods`, or `GET` (MethodView derives them). */
  static allowedMethods(this: ViewStatics): readonly HttpMethod[] {
    return this.methods ?? DEFAULT_METHODS;
  }

  /**
   * The prototype method that serves `method` when the view accepts it, read once per route at
   * registration: `dispatchRequest` for a `View`; a `MethodView` answers its verb handler.
   * `undefined` means the method is answered by `methodNotAllowed`.
   */
  static handlerFor(this: { prototype: View }, method: HttpMethod): Function | undefined {
    void method; // a View serves every method it accepts through dispatchRequest
    return this.prototype.dispatchRequest;
  }

  /**
   * Turns the class into a route handler named `name`; the remaining arguments are passed to
   * the constructor of every instance and are typed from it.
   *
   * @example
   * app.addView('/users/:id', UserAPI.asView('user', db));
   */
  static asView<C extends ViewClass>(this: C, name: string, ...args: ConstructorParameters<C>): ViewFunction<C> {
    return createViewFunction(this, name, args, undefined);
  }

  /**
   * Like `asView`, but every request builds its instance with `factory(request)`: for
   * per-request dependencies (a DI scope, the user, a transaction).
   *
   * @example
   * app.addView('/users/:id', UserAPI.asViewFrom('user', (request) => new UserAPI(request.diScope.resolve('db'))));
   */
  static asViewFrom<C extends ViewClass>(this: C, name: string, factory: ViewFactory<InstanceType<C>>): ViewFunction<C> {
    if (typeof factory !== 'function') {
      throw new errors.FCV_ERR_INVALID_VIEW_CLASS(String(name), `asViewFrom needs a factory function (request) => instance, got ${typeof factory}`);
    }
    if (this.initEveryRequest === false) {
      throw new errors.FCV_ERR_INVALID_VIEW_CLASS(String(name), 'a factory builds an instance per request, which initEveryRequest = false forbids');
    }
    return createViewFunction(this, name, [], factory);
  }
}

const DEFAULT_METHODS: readonly HttpMethod[] = Object.freeze(['GET']);

/** What serves each accepted method (`HEAD` included when `GET` implies it), and the `Allow` that follows. */
export interface ViewPlan {
  readonly handlers: ReadonlyMap<HttpMethod, Function>;
  /** Flask's rule: automatic `OPTIONS` unless the class says otherwise or handles `OPTIONS` itself. */
  readonly automaticOptions: boolean;
  readonly allow: string;
}

/** The plan for `methods` (the class's own unless a route overrides them). */
export function planView(viewClass: ViewClass, methods: readonly HttpMethod[] = viewClass.allowedMethods()): ViewPlan {
  const handlers = new Map<HttpMethod, Function>();
  for (const method of methods) {
    const handler = viewClass.handlerFor(method);
    if (typeof handler === 'function') handlers.set(method, handler);
  }
  const get = handlers.get('GET');
  if (get && !handlers.has('HEAD')) handlers.set('HEAD', viewClass.handlerFor('HEAD') ?? get);
  const automaticOptions = viewClass.provideAutomaticOptions ?? !handlers.has('OPTIONS');
  const allow = allowHeader(automaticOptions ? [...handlers.keys(), 'OPTIONS'] : handlers.keys());
  return { handlers, automaticOptions, allow };
}

/** Builds one instance: per request, or once for `initEveryRequest = false`. */
function instantiate<V>(viewClass: new (...args: never[]) => V, args: readonly unknown[]): V {
  return args.length === 0 ? new viewClass() : new (viewClass as new (...a: unknown[]) => V)(...args);
}

/** What a view function keeps for serving, private to this module. */
interface ViewState {
  readonly factory: ViewFactory | undefined;
  shared?: { readonly of: ViewClass; readonly instance: View };
  decorated?: { readonly of: ViewClass; readonly handler: ViewHandler };
}
const states = new WeakMap<Function, ViewState>();

/**
 * The properties of a view function read from its class, one getter each for every view
 * function: V8 then gives them all one shape, where a getter per function made a shape, and two
 * closures, per view.
 */
const DERIVED: PropertyDescriptorMap = {
  methods: { get(this: ViewFunction) { return this.viewClass.allowedMethods(); }, enumerable: true },
  provideAutomaticOptions: { get(this: ViewFunction) { return planView(this.viewClass).automaticOptions; }, enumerable: true },
};

function createViewFunction<C extends ViewClass>(viewClass: C, name: string, args: readonly unknown[], factory: ViewFactory | undefined): ViewFunction<C> {
  if (typeof name !== 'string' || name.length === 0) throw new errors.FCV_ERR_INVALID_VIEW_NAME(JSON.stringify(name) ?? String(name));
  // As a plain handler (`app.get(path, fn)`) there is no registration step of ours: the function
  // serves the class and dispatcher of each call, compiled again only when one of them changes.
  let servedClass: ViewClass | undefined;
  let servedBy: EnsureSync | undefined;
  let serve: ViewHandler = () => undefined;
  const fn = function view(request: FastifyRequest, reply: FastifyReply): unknown {
    const dispatcher = dispatcherOf(request.server);
    if (servedBy !== dispatcher || servedClass !== fn.viewClass) [serve, servedBy, servedClass] = [serveView(fn, dispatcher), dispatcher, fn.viewClass];
    return serve(request, reply);
  } as unknown as ViewFunction<C>;
  Object.defineProperties(fn, {
    viewClass: { value: viewClass, writable: true, enumerable: true },
    viewName: { value: name, enumerable: true },
    viewArgs: { value: Object.freeze([...args]), enumerable: true },
    ...DERIVED,
  });
  const state: ViewState = { factory };
  states.set(fn, state);
  // As Flask's as_view: the shared instance is built and the decorators applied here, so a
  // throwing constructor or a bad decorator fails at registration.
  sharedInstance(state, viewClass, args);
  if ((viewClass.decorators ?? []).length > 0) serveView(fn, ensureSync);
  return fn;
}

/**
 * Turns a view into the Fastify handler that serves it: the one place where an instance is
 * built, a handler called through the dispatcher and its result checked. With `handler`, that
 * prototype method is called (a route's verb, `methodNotAllowed`); without, the handler for the
 * request's method, inside the class's `decorators`; `viewClass` is the one registered (by
 * default, the one the function holds now). The shape is chosen here, once: per
 * request only the instance is made (and, on the async path, one `then`).
 */
export function serveView(fn: ViewFunction, dispatcher: EnsureSync, handler?: Function, viewClass: ViewClass = fn.viewClass): ViewHandler {
  const state = states.get(fn);
  if (state === undefined) throw new errors.FCV_ERR_INVALID_VIEW(fn.viewName, 'a function that was not made by asView()');
  if (handler !== undefined || (viewClass.decorators ?? []).length === 0) return compile(fn, state, viewClass, dispatcher, handler);
  if (state.decorated?.of === viewClass) return state.decorated.handler;
  // Decorated once per class, whatever the dispatcher: the view they wrap serves with the
  // dispatcher of each request's context.
  let innerBy: EnsureSync | undefined;
  let inner: ViewHandler = () => undefined;
  const view = function view(request: FastifyRequest, reply: FastifyReply): unknown {
    const by = dispatcherOf(request.server);
    if (by !== innerBy) [inner, innerBy] = [compile(fn, state, viewClass, by, undefined), by];
    return inner(request, reply);
  };
  (view as { [VIEW_NAME]?: string })[VIEW_NAME] = fn.viewName; // so that a decorator's ensureSync(view) names the view
  const decorated = decorate(viewClass, fn.viewName, view);
  const served: ViewHandler = (request, reply) => checked(decorated(request, reply), reply, decorated, viewClass, fn.viewName);
  state.decorated = { of: viewClass, handler: served };
  return served;
}

/** How the registered class's instance for one request is made (sync, or a thenable from an async factory). */
export function instanceBuilder(fn: ViewFunction, viewClass: ViewClass): (request: FastifyRequest) => View | PromiseLike<View> {
  const state = states.get(fn)!;
  const shared = sharedInstance(state, viewClass, fn.viewArgs);
  return state.factory ?? (shared ? () => shared : () => instantiate(viewClass, fn.viewArgs));
}

function sharedInstance(state: ViewState, viewClass: ViewClass, args: readonly unknown[]): View | undefined {
  if (viewClass.initEveryRequest !== false || state.factory !== undefined) return undefined;
  if (state.shared?.of !== viewClass) state.shared = { of: viewClass, instance: instantiate(viewClass, args) };
  return state.shared.instance;
}

function compile(fn: ViewFunction, state: ViewState, viewClass: ViewClass, dispatcher: EnsureSync, handler: Function | undefined): ViewHandler {
  const { viewName: name, viewArgs: args } = fn;
  const { factory } = state;
  const shared = sharedInstance(state, viewClass, args);
  const Class = viewClass as unknown as Instance;
  const fallback = viewClass.prototype.dispatchRequest;
  const verbs = handler === undefined ? byMethod(viewClass) : undefined;
  // The 405 takes the general path: V8 keeps one type feedback per closure literal, so the hot
  // shapes' call sites stay monomorphic when they only ever call verb handlers.
  const refusing = handler !== undefined && handler === viewClass.prototype.methodNotAllowed;
  if (factory === undefined && dispatcher === ensureSync && !refusing) {
    // The common shapes, spelled out: no spread, no bind, no closure call per request.
    if (verbs !== undefined) return servedByVerb(verbs, fallback, shared, Class, args, name);
    // A route's own handler: its config carries the endpoint name, for the 500's message.
    if (shared) return servedShared(handler!, shared);
    return args.length === 0 ? servedNew(handler!, Class, viewClass) : servedNewWithArguments(handler!, Class, args, viewClass);
  }
  return servedThrough(dispatcher, instanceBuilder(fn, viewClass), handler, verbs, fallback, viewClass, name);
}

// The handlers `compile` returns, each made by a function of its own: a closure keeps the whole
// scope it was made in, and a view's routes keep one handler each.

type Instance = new (...args: readonly unknown[]) => View;

function servedByVerb(verbs: Readonly<Record<string, Function | undefined>>, fallback: Function, self: View | undefined, Class: Instance, args: readonly unknown[], name: string): ViewHandler {
  return function view(request, reply) {
    const target = verbs[request.method] ?? fallback;
    const view = self ?? (args.length === 0 ? new Class() : new Class(...args));
    return checked(target.call(view, request, reply), reply, target, view, name);
  };
}

function servedShared(target: Function, self: View): ViewHandler {
  return function sharedView(request, reply) { return checked(target.call(self, request, reply), reply, target, self); };
}

function servedNew(target: Function, Class: Instance, viewClass: ViewClass): ViewHandler {
  return function view(request, reply) { return checked(target.call(new Class(), request, reply), reply, target, viewClass); };
}

function servedNewWithArguments(target: Function, Class: Instance, args: readonly unknown[], viewClass: ViewClass): ViewHandler {
  return function viewWithArguments(request, reply) { return checked(target.call(new Class(...args), request, reply), reply, target, viewClass); };
}

function servedThrough(dispatcher: EnsureSync, build: (request: FastifyRequest) => View | PromiseLike<View>, handler: Function | undefined, verbs: Readonly<Record<string, Function | undefined>> | undefined, fallback: Function, viewClass: ViewClass, name: string): ViewHandler {
  return function servedView(request, reply) {
    const target = handler ?? verbs![request.method] ?? fallback;
    const self = build(request);
    // An async factory (e.g. one that opens a transaction) makes the call async.
    const result = isThenable(self)
      ? Promise.resolve(self).then((view) => dispatch(dispatcher, target, view, request, reply, name))
      : dispatch(dispatcher, target, self, request, reply, name);
    return checked(result, reply, target, viewClass, name);
  };
}

/** Request method → handler, null-prototype so that `__proto__` or `constructor` find nothing. */
function byMethod(viewClass: ViewClass): Readonly<Record<string, Function | undefined>> {
  const verbs: Record<string, Function | undefined> = Object.create(null);
  for (const [method, verb] of planView(viewClass).handlers) verbs[method] = verb;
  return verbs;
}

/** Applies a class's `decorators` around a handler, first innermost. */
function decorate(viewClass: ViewClass, name: string, handler: ViewHandler): ViewHandler {
  let view = handler;
  for (const decorator of viewClass.decorators ?? []) {
    view = decorator(view);
    if (typeof view !== 'function') {
      throw new errors.FCV_ERR_INVALID_VIEW_CLASS(name, `a decorator of ${viewClass.name} returned ${typeof view}, not a function`);
    }
  }
  return view;
}

/** True for what `asView()` returned. */
export function isViewFunction(value: unknown): value is ViewFunction {
  return typeof value === 'function' && states.has(value);
}

/**
 * The 405 outside a 405 route of its own (the stand-alone function, or `dispatchRequest` called
 * for a method without a handler): `Allow` lists the handlers (no automatic `OPTIONS` route
 * answers there), and `methodNotAllowed` runs through the dispatcher like any handler.
 */
export function refuseMethod(view: View, request: FastifyRequest, reply: FastifyReply): unknown {
  reply.code(405).header('allow', allowHeader(planView(view.constructor as ViewClass).handlers.keys()));
  return dispatch(dispatcherOf(request.server), view.methodNotAllowed, view, request, reply);
}
