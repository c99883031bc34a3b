import type { FastifyReply, FastifyRequest } from 'fastify';
import { dispatch, dispatcherOf } from './ensure-sync';
import type { HttpMethod } from './http';
import type { VerbRouteOptions } from './route-options';
import { View, refuseMethod } from './view';

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

  /** Handles `GET` (and `HEAD`, unless `head` is defined). */ get?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `POST`. */ post?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `PUT`. */ put?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `PATCH`. */ patch?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `DELETE`. */ delete?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `HEAD`; without it, `HEAD` runs `get` and drops the body. */ head?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `OPTIONS`, replacing the automatic answer. */ options?(request: FastifyRequest, reply: FastifyReply): unknown;
  /** Handles `TRACE`. */ trace?(request: FastifyRequest, reply: FastifyReply): unknown;

  /**
   * Runs the handler for `request.method` through the context's `ensureSync`, or
   * `methodNotAllowed`. Routes from `addView` call the verb handlers directly while this is
   * MethodView's own; override it to run code around every verb (call
   * `super.dispatchRequest(request, reply)`).
   */
  dispatchRequest(request: FastifyRequest, reply: FastifyReply): unknown {
    const verb = verbsOf(this.constructor as typeof MethodView)[request.method];
    if (verb === undefined) return refuseMethod(this, request, reply);
    return dispatch(dispatcherOf(request.server), verb, this, request, reply);
  }

  /** Flask's derivation: the class's own `static methods` win; else its bases' methods plus every handler it has. */
  static override allowedMethods(this: typeof MethodView): readonly HttpMethod[] {
    const own = declaredMethods(this);
    if (own !== undefined) return own;
    const methods = new Set<HttpMethod>();
    const base = Object.getPrototypeOf(this) as typeof MethodView;
    if (base.prototype instanceof MethodView) for (const method of base.allowedMethods()) methods.add(method);
    for (const verb of VERBS) if (findVerb(this.prototype, verb)) methods.add(verb.toUpperCase() as HttpMethod);
    return Object.freeze([...methods]);
  }

  /**
   * The verb's handler (`HEAD`: `head`, else `get`), or `dispatchRequest` when the class
   * overrides it, so that it runs around every verb; `undefined` for a method with no handler.
   */
  static override handlerFor(this: { prototype: MethodView }, method: HttpMethod): Function | undefined {
    const handler = verbFor(this.prototype, method);
    if (handler === undefined) return undefined;
    const own = this.prototype.dispatchRequest;
    return own === MethodView.prototype.dispatchRequest ? handler : own;
  }
}

// Flask sets `methods` on every MethodView subclass when the class is made; JavaScript has no
// such hook, so `SomeView.methods` is an accessor that derives on read, never cached, so that
// a later assignment on a base shows in every subclass. Assigning it (what `static methods = …`
// does) records the class's own list.
const declared = new WeakMap<Function, readonly HttpMethod[]>();
let generation = 0; // bumped by every assignment: per-class verb tables are rebuilt after one

Object.defineProperty(MethodView, 'methods', {
  configurable: true,
  get(this: typeof MethodView) {
    return this.allowedMethods();
  },
  set(this: typeof MethodView, methods: readonly HttpMethod[]) {
    declared.set(this, methods);
    generation++;
  },
});

/**
 * The class's own `static methods`. Under define semantics for class fields (esbuild, SWC,
 * ES2022 targets) that is an own data property, which would hide the accessor from subclasses:
 * it is recorded and removed, so that they derive theirs again.
 */
function declaredMethods(viewClass: typeof MethodView): readonly HttpMethod[] | undefined {
  const field = Object.getOwnPropertyDescriptor(viewClass, 'methods');
  if (field && 'value' in field && field.configurable) {
    delete (viewClass as { methods?: unknown }).methods;
    if (field.value !== undefined) declared.set(viewClass, field.value as readonly HttpMethod[]);
    generation++;
  }
  return declared.get(viewClass);
}

/** The handler for `method`: its verb's, and for `HEAD` without `head`, `get`'s. */
export function verbFor(prototype: object, method: string): Function | undefined {
  const verb = VERB_OF[method];
  if (verb === undefined) return undefined;
  return findVerb(prototype, verb) ?? (verb === 'head' ? findVerb(prototype, 'get') : undefined);
}

/**
 * The verb's method on the class or an ancestor. Reads property descriptors, so a getter is
 * never run and an instance field (e.g. `post = 'x'`) is never mistaken for a handler.
 */
function findVerb(prototype: object, verb: Verb): Function | undefined {
  for (let proto = prototype; proto && proto !== MethodView.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, verb);
    if (descriptor) return typeof descriptor.value === 'function' ? descriptor.value : undefined;
  }
  return undefined;
}

const tables = new WeakMap<Function, { generation: number; verbs: Readonly<Record<string, Function | undefined>> }>();

/** Accepted method → verb handler, built once per class (an overridden `dispatchRequest` reads it per request). */
function verbsOf(viewClass: typeof MethodView): Readonly<Record<string, Function | undefined>> {
  let table = tables.get(viewClass);
  if (table === undefined || table.generation !== generation) {
    const verbs: Record<string, Function | undefined> = Object.create(null);
    const methods = viewClass.allowedMethods();
    // HEAD comes with GET, as in Flask.
    for (const method of methods.includes('GET') ? [...methods, 'HEAD'] : methods) {
      const handler = verbFor(viewClass.prototype, method);
      if (handler) verbs[method] = handler;
    }
    table = { generation, verbs };
    tables.set(viewClass, table);
  }
  return table.verbs;
}
