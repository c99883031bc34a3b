import type { FastifyReply, FastifyRequest } from 'fastify';
import { callHandler, callOnPendingView, dispatchThrough, dispatcherOf, ensureSync, isThenable } from './ensure-sync';
import { errors } from './errors';
import type { ViewRouteOptions } from './route-options';

/** HTTP's method names, as Node's `http.METHODS` lists them. */
export const HTTP_METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST',
  'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE',
  'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
] as const;

/**
 * One HTTP method name. Unlike Fastify's `HTTPMethods` (which accepts any string), a typo
 * such as `'GTE'` fails `tsc`.
 */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/**
 * Class-level hooks `MethodView` overrides: how the accepted methods are derived, and which
 * function serves each method. Symbols, so they never collide with a user's statics.
 */
export const DERIVE_METHODS = Symbol('fastify-class-views.deriveMethods');
export const HANDLER_TABLE = Symbol('fastify-class-views.handlerTable');
export const DIRECT_HANDLERS = Symbol('fastify-class-views.directHandlers');

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
}

/**
 * What `asView()` returns: a Fastify route handler (usable with `addView`, or directly with
 * `app.get(path, fn)`) that carries the view's identity.
 */
export interface ViewFunction<C extends ViewClass = ViewClass> {
  // Generic in its result so that it fits typed routes (`app.get<{ Reply: … }>`, type providers),
  // whose handler type demands a specific return type.
  <Result = unknown>(request: FastifyRequest, reply: FastifyReply): Result;
  /** The class that serves requests. Writable: replace it before registration to swap the class (e.g. in tests). */
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
  /** Wrappers applied by `asView`, in order: the first is the innermost, the last the outermost. */
  static decorators: ViewDecorator[] = [];
  /** Answer `OPTIONS` with `Allow` automatically; unset means "unless the view accepts OPTIONS itself". */
  static provideAutomaticOptions?: boolean;
  /** `true`: a new instance per request. `false`: one instance, built by `asView`, serves every request. */
  static initEveryRequest = true;
  /** Fastify route options for every route of the view (schema, hooks, config…); `addView` options win. */
  static viewOptions?: ViewRouteOptions;

  /** The handler: its return value (or what its Promise resolves to) is the reply payload. */
  abstract dispatchRequest(request: FastifyRequest, reply: FastifyReply): unknown;

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

  /** @internal A `View` is always served through its `dispatchRequest`. */
  static [DIRECT_HANDLERS](): DirectHandlers | undefined {
    return undefined;
  }

  /** @internal `View` accepts `static methods`, or `GET`. */
  static [DERIVE_METHODS](this: ViewStatics): readonly HttpMethod[] {
    return this.methods ?? DEFAULT_METHODS;
  }

  /** @internal Every accepted method (and `HEAD` with `GET`) goes to `dispatchRequest`. */
  static [HANDLER_TABLE](this: ViewClass, methods: readonly HttpMethod[]): HandlerTable {
    const dispatch = this.prototype.dispatchRequest;
    if (typeof dispatch !== 'function') {
      throw new errors.FCV_ERR_INVALID_VIEW_CLASS(this.name, 'its prototype has no dispatchRequest method');
    }
    const table = new Map<HttpMethod, Function>(methods.map((method) => [method, dispatch]));
    if (table.has('GET') && !table.has('HEAD')) table.set('HEAD', dispatch);
    return table;
  }
}

/** Method → handler, for calling a verb handler without going through `dispatchRequest`. */
export type DirectHandlers = Readonly<Record<string, Function | undefined>>;

/** The handlers a view's function may call directly, or `undefined`: call `dispatchRequest`. */
export function directHandlers(viewClass: ViewClass): DirectHandlers | undefined {
  return (viewClass as unknown as ViewHooks)[DIRECT_HANDLERS]();
}

/** What serves each accepted method; `HEAD` is included when `GET` implies it. */
export type HandlerTable = ReadonlyMap<HttpMethod, Function>;

/** The methods a view class accepts: `static methods`, `GET` by default, derived for `MethodView`. */
export function methodsOf(viewClass: ViewClass): readonly HttpMethod[] {
  return (viewClass as unknown as ViewHooks)[DERIVE_METHODS]();
}

/** The handler table for `methods` (the class's own unless a route overrides them). */
export function handlersOf(viewClass: ViewClass, methods: readonly HttpMethod[] = methodsOf(viewClass)): HandlerTable {
  return (viewClass as unknown as ViewHooks)[HANDLER_TABLE](methods);
}

interface ViewHooks {
  [DIRECT_HANDLERS](): DirectHandlers | undefined;
  [DERIVE_METHODS](): readonly HttpMethod[];
  [HANDLER_TABLE](methods: readonly HttpMethod[]): HandlerTable;
}

const DEFAULT_METHODS: readonly HttpMethod[] = Object.freeze(['GET']);

/** Flask's rule: automatic OPTIONS unless the class says otherwise or handles OPTIONS itself. */
export function providesAutomaticOptions(viewClass: ViewClass, table: HandlerTable = handlersOf(viewClass)): boolean {
  return viewClass.provideAutomaticOptions ?? !table.has('OPTIONS');
}

/** The `Allow` header value: what the view serves, plus the automatic `OPTIONS`, sorted. */
export function allowHeader(viewClass: ViewClass, table: HandlerTable): string {
  const allowed = new Set<string>(table.keys());
  if (providesAutomaticOptions(viewClass, table)) allowed.add('OPTIONS');
  return [...allowed].sort().join(', ');
}

/** Applies a class's `decorators` around a handler, first innermost. */
export function decorate(viewClass: ViewClass, name: string, handler: ViewHandler): ViewHandler {
  let view = handler;
  for (const decorator of viewClass.decorators ?? []) {
    view = decorator(view);
    if (typeof view !== 'function') {
      throw new errors.FCV_ERR_INVALID_VIEW_CLASS(name, `a decorator of ${viewClass.name} returned ${typeof view}, not a function`);
    }
  }
  return view;
}

/** Builds one instance: per request, or once for `initEveryRequest = false`. */
export function instantiate<V>(viewClass: new (...args: never[]) => V, args: readonly unknown[]): V {
  return args.length === 0 ? new viewClass() : new (viewClass as new (...a: unknown[]) => V)(...args);
}

/** Where a view function keeps its `initEveryRequest = false` instance, for `addView` to reuse. */
export const SHARED = Symbol('fastify-class-views.sharedInstance');
/** Where a view function from `asViewFrom` keeps its factory. */
export const FACTORY = Symbol('fastify-class-views.factory');
/** Whether `asView` wrapped the view function in its class's `decorators`. */
export const DECORATED = Symbol('fastify-class-views.decorated');

function createViewFunction<C extends ViewClass>(viewClass: C, name: string, args: readonly unknown[], factory: ViewFactory | undefined): ViewFunction<C> {
  if (typeof name !== 'string' || name.length === 0) {
    throw new errors.FCV_ERR_INVALID_VIEW_NAME(JSON.stringify(name) ?? String(name));
  }
  // Flask builds the shared instance here, so a throwing constructor fails at registration.
  let shared: { of: ViewClass; instance: View } | undefined;
  if (viewClass.initEveryRequest === false) shared = { of: viewClass, instance: instantiate(viewClass, args) };

  // The stand-alone path, for `app.get(path, fn)`, decorators and tests: it reads `viewClass`
  // and the context's dispatcher per call. `addView` builds faster per-route handlers instead.
  const view: ViewHandler = function view(request, reply) {
    const current = fn.viewClass;
    let self: View;
    if (factory !== undefined) {
      const built = factory(request);
      if (isThenable(built)) {
        return callOnPendingView(built, view, (instance) => dispatchThrough(dispatcherOf(request.server), (instance as View).dispatchRequest, instance, request, reply), reply);
      }
      self = built;
    } else if (current.initEveryRequest === false) {
      if (shared?.of !== current) shared = { of: current, instance: instantiate(current, args) };
      self = shared.instance;
    } else {
      self = instantiate(current, args);
    }
    const dispatcher = dispatcherOf(request.server);
    if (dispatcher === ensureSync) {
      // The default dispatcher's body, straight to the verb handler where the class allows it
      // (a MethodView that keeps MethodView's dispatchRequest): no second dispatch per call.
      if (current !== routed) verbs = directHandlers((routed = current));
      return callHandler(verbs?.[request.method] ?? self.dispatchRequest, self, request, reply);
    }
    return dispatchThrough(dispatcher, self.dispatchRequest, self, request, reply);
  };
  let routed: ViewClass | undefined;
  let verbs: DirectHandlers | undefined;
  const fn = decorate(viewClass, name, view) as unknown as ViewFunction<C>;
  Object.defineProperties(fn, {
    viewClass: { value: viewClass, writable: true, enumerable: true },
    viewName: { value: name, enumerable: true },
    viewArgs: { value: Object.freeze([...args]), enumerable: true },
    methods: { get: () => methodsOf(fn.viewClass), enumerable: true },
    provideAutomaticOptions: { get: () => providesAutomaticOptions(fn.viewClass), enumerable: true },
    [SHARED]: { get: () => (shared?.of === fn.viewClass ? shared.instance : undefined) },
    [FACTORY]: { value: factory },
    [DECORATED]: { value: fn !== (view as unknown) },
  });
  return fn;
}

/** True for what `asView()` returned. */
export function isViewFunction(value: unknown): value is ViewFunction {
  return typeof value === 'function' && typeof (value as Partial<ViewFunction>).viewClass === 'function'
    && typeof (value as Partial<ViewFunction>).viewName === 'string';
}
