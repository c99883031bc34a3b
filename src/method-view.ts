import type { FastifyReply, FastifyRequest } from 'fastify';
import { dispatchThrough, dispatcherOf, ensureSync } from './ensure-sync';
import { methodNotAllowed } from './errors';
import type { VerbRouteOptions } from './route-options';
import {
  DERIVE_METHODS, DIRECT_HANDLERS, DirectHandlers, HANDLER_TABLE, HandlerTable, HttpMethod, View, ViewClass, ViewStatics, allowHeader, methodsOf,
} from './view';

/** The handler names a `MethodView` may define, one per HTTP verb. Dispatch calls nothing else. */
export const VERBS = ['get', 'post', 'put', 'patch', 'delete', 'head', 'options', 'trace'] as const;

/** One of the eight handler names. */
export type Verb = (typeof VERBS)[number];

/** Route options for each verb of a `MethodView` (`static verbOptions`). */
export type VerbOptions = Partial<Record<Verb, VerbRouteOptions>>;

/** A verb handler: sync or async, `(request, reply)`; its return value is the reply payload. */
export type VerbHandler = (request: FastifyRequest, reply: FastifyReply) => unknown;

// A null-prototype table, so that a request method such as `__PROTO__` or `CONSTRUCTOR` finds nothing.
const VERB_OF: Readonly<Record<string, Verb | undefined>> = Object.assign(
  Object.create(null),
  Object.fromEntries(VERBS.map((verb) => [verb.toUpperCase(), verb])),
);

/**
 * A view with one handler per HTTP verb (`get`, `post`, …), like Flask's `MethodView`. Its
 * `methods` are derived from the handlers it (or an ancestor) defines, plus those of its bases,
 * unless it sets `static methods` itself. `HEAD` falls back to `get`.
 *
 * @example
 * class UserAPI extends MethodView {
 *   constructor(private readonly db: Db) { super(); }
 *   get(request: FastifyRequest<{ Params: { id: string } }>) { return this.db.user(request.params.id); }
 *   async post(request: FastifyRequest, reply: FastifyReply) { reply.code(201); return this.db.add(request.body); }
 * }
 * app.addView('/users/:id', UserAPI.asView('user', db));
 */
export abstract class MethodView extends View {
  /**
   * Route options per verb (schema, hooks, config, `handlerTimeout`…), merged over the view's.
   *
   * @example
   * static override verbOptions = {
   *   get: { schema: { params: IdParams, response: { 200: User } } },
   *   post: { schema: { body: NewUser }, onRequest: requireApiKey },
   * } satisfies VerbOptions;
   */
  static verbOptions?: VerbOptions;

  /** Handles `GET` (and `HEAD`, unless `head` is defined). */
  get?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `POST`. */
  post?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `PUT`. */
  put?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `PATCH`. */
  patch?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `DELETE`. */
  delete?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `HEAD`; without it, `HEAD` runs `get` and drops the body. */
  head?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `OPTIONS`, replacing the automatic answer. */
  options?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `TRACE`. */
  trace?(request: FastifyRequest, reply: FastifyReply): unknown;

  /**
   * Runs the handler for `request.method` through the context's `ensureSync`; a method with
   * no handler gets `FCV_ERR_METHOD_NOT_ALLOWED` (405 with `Allow`). Routes registered by
   * `addView` call the verb handlers directly; this serves the stand-alone view function, and
   * is the place to override when something must run around every verb.
   */
  dispatchRequest(request: FastifyRequest, reply: FastifyReply): unknown {
    const viewClass = this.constructor as ViewClass;
    const handler = verbTable(viewClass).get(request.method as HttpMethod);
    if (handler === undefined) {
      const allow = allowHeader(viewClass, verbTable(viewClass));
      reply.header('allow', allow);
      throw methodNotAllowed(request.method, request.url, allow);
    }
    const dispatcher = dispatcherOf(request.server);
    // With the default dispatcher, whoever called dispatchRequest through it checks the result
    // already: calling the verb directly saves a second Promise per async call.
    if (dispatcher === ensureSync) return handler.call(this, request, reply);
    return dispatchThrough(dispatcher, handler, this, request, reply);
  }

  /** @internal Flask's derivation: own `static methods` win; else the bases' methods plus every defined handler. */
  static override [DERIVE_METHODS](this: ViewClass & ViewStatics): readonly HttpMethod[] {
    let methods = derived.get(this);
    if (methods === undefined) {
      // Set through the accessor, or (under define semantics for class fields) an own data
      // property, which is turned into the accessor so that subclasses derive their own again.
      const field = Object.getOwnPropertyDescriptor(this, 'methods');
      if (field && 'value' in field && field.value !== undefined) {
        declaredMethods.set(this, field.value as readonly HttpMethod[]);
        Object.defineProperty(this, 'methods', methodsAccessor);
      }
      methods = declaredMethods.get(this) ?? deriveFromHandlers(this);
      derived.set(this, methods);
    }
    return methods;
  }

  /** @internal The verb handlers by method, unless the class overrides `dispatchRequest`. */
  static override [DIRECT_HANDLERS](this: ViewClass): DirectHandlers | undefined {
    if (this.prototype.dispatchRequest !== MethodView.prototype.dispatchRequest) return undefined;
    return Object.assign(Object.create(null), Object.fromEntries(verbTable(this))) as DirectHandlers;
  }

  /** @internal Each accepted method goes to its verb's handler; `HEAD` falls back to `get`. */
  static override [HANDLER_TABLE](this: ViewClass, methods: readonly HttpMethod[]): HandlerTable {
    const table = new Map<HttpMethod, Function>();
    for (const method of methods) {
      const verb = VERB_OF[method];
      const handler = verb && findHandler(this.prototype, verb);
      if (handler) table.set(method, handler);
    }
    // HEAD comes with GET, served by head() when the class has one (as Flask does), else by get().
    const get = table.get('GET');
    if (get && !table.has('HEAD')) table.set('HEAD', findHandler(this.prototype, 'head') ?? get);
    return table;
  }
}

// Flask sets `methods` on every MethodView subclass when the class is made; JavaScript has no
// such hook, so `SomeView.methods` is an accessor that derives on read. Assigning it (what
// `static methods = …` does) records the class's own list, which then wins for that class
// while its subclasses still derive theirs.
const declaredMethods = new WeakMap<Function, readonly HttpMethod[]>();
const methodsAccessor: PropertyDescriptor = {
  configurable: true,
  get(this: ViewClass) {
    return methodsOf(this);
  },
  set(this: ViewClass, methods: readonly HttpMethod[]) {
    declaredMethods.set(this, methods);
    derived.delete(this);
    tables.delete(this);
    if (!Object.hasOwn(this, 'methods')) Object.defineProperty(this, 'methods', methodsAccessor);
  },
};
Object.defineProperty(MethodView, 'methods', methodsAccessor);

const derived = new WeakMap<Function, readonly HttpMethod[]>();

function deriveFromHandlers(viewClass: ViewClass): readonly HttpMethod[] {
  const methods = new Set<HttpMethod>();
  const base = Object.getPrototypeOf(viewClass) as ViewClass;
  if (base.prototype instanceof MethodView) for (const method of methodsOf(base)) methods.add(method);
  for (const verb of VERBS) {
    if (findHandler(viewClass.prototype, verb)) methods.add(verb.toUpperCase() as HttpMethod);
  }
  return Object.freeze([...methods]);
}

/**
 * The verb's method on the class or an ancestor. Reads property descriptors, so a getter is
 * never run and an instance field (e.g. `post = 'x'`) is never mistaken for a handler.
 */
function findHandler(prototype: object, verb: Verb): Function | undefined {
  for (let proto = prototype; proto && proto !== MethodView.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, verb);
    if (descriptor) return typeof descriptor.value === 'function' ? descriptor.value : undefined;
  }
  return undefined;
}

const tables = new WeakMap<Function, HandlerTable>();

/** The class's own handler table, built once per class (dispatch reads it per request). */
function verbTable(viewClass: ViewClass): HandlerTable {
  let table = tables.get(viewClass);
  if (table === undefined) {
    table = (viewClass as unknown as typeof MethodView)[HANDLER_TABLE].call(viewClass, methodsOf(viewClass));
    tables.set(viewClass, table);
  }
  return table;
}
