import type { FastifyReply } from 'fastify';
import { errors } from './errors';

/**
 * The one dispatcher every view handler call goes through (Flask's `ensure_sync`): given a
 * handler, it returns a function with the same `this` and arguments.
 *
 * A replacement (the plugin's `ensureSync` option) keeps the same shape: views hand it their
 * handler bound to the view instance (as Flask passes bound methods); it calls it with both
 * arguments and returns its result or a thenable of it. The 500 for an async handler that
 * resolved to `undefined` without sending is checked on what it returns.
 */
export type EnsureSync = <This, Request, Reply, Result>(
  handler: (this: This, request: Request, reply: Reply) => Result,
) => (this: This, request: Request, reply: Reply) => Result;

/**
 * The default dispatcher. For a sync handler it returns the handler's own value: no Promise,
 * no extra microtask, so a sync view costs what a raw Fastify handler costs. For a handler that
 * returns a thenable it returns a Promise, which rejects with `FCV_ERR_NO_RESPONSE` (500) when
 * the handler resolved to `undefined` without sending — where Fastify would answer an empty 200.
 *
 * @example
 * const dispatch = ensureSync(async function (request, reply) { return { ok: true }; });
 * await dispatch.call(viewInstance, request, reply); // { ok: true }
 */
export const ensureSync: EnsureSync = function ensureSync<This, Request, Reply, Result>(handler: (this: This, request: Request, reply: Reply) => Result) {
  return function dispatch(this: This, request: Request, reply: Reply): Result {
    // View handlers take (request, reply); anything else called through it keeps all its arguments.
    const result = arguments.length > 2 ? handler.apply(this, arguments as unknown as [Request, Reply]) : handler.call(this, request, reply);
    return checked(result, reply, handler, this) as Result;
  };
};

/**
 * Calls `handler` on `view` through `dispatcher`, unchecked (whoever serves the route checks
 * the final result, once). The default dispatcher's body is inlined: no bind, no wrapper, so the
 * hot path allocates nothing; a replacement gets the handler bound, as Flask passes bound methods.
 */
export function dispatch(dispatcher: EnsureSync, handler: Function, view: unknown, request: unknown, reply: unknown, name?: string): unknown {
  if (dispatcher === ensureSync) return handler.call(view, request, reply);
  const bound = handler.bind(view) as ((request: unknown, reply: unknown) => unknown) & { [VIEW_NAME]?: string };
  bound[VIEW_NAME] = name; // so that a check inside the dispatcher names the view
  return dispatcher(bound)(request, reply);
}

/** The dispatcher of the context that serves a request (`request.server`), or the default. */
export function dispatcherOf(server: unknown): EnsureSync {
  return (server as { ensureSync?: EnsureSync } | undefined)?.ensureSync ?? ensureSync;
}

/**
 * The result check, the only one: a sync result as it is; a thenable settled, rejecting with
 * `FCV_ERR_NO_RESPONSE` when it resolved to `undefined` and nothing was sent. `handler` and
 * `view` (and the endpoint `name`, when the route does not carry it) only name the culprit.
 */
export function checked(result: unknown, reply: unknown, handler: Function, view: unknown, name?: string): unknown {
  // No closure in this function: V8 would allocate its context on every call, sync ones too.
  return isThenable(result) ? settled(result, reply, handler, view, name) : result;
}

function settled(result: PromiseLike<unknown>, reply: unknown, handler: Function, view: unknown, name: string | undefined): Promise<unknown> {
  // One `then` rather than an async function: a Promise and a microtask fewer per async call.
  const check = (payload: unknown) => {
    if (payload === undefined && !hasAnswered(reply)) throw new errors.FCV_ERR_NO_RESPONSE(describe(reply, handler, view, name));
    return payload;
  };
  return result instanceof Promise ? result.then(check) : Promise.resolve(result).then(check);
}

/** A duck test rather than `instanceof Promise`: any thenable counts, as in Fastify. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/** True when there is nothing left for the handler's return value to say. */
function hasAnswered(reply: unknown): boolean {
  if (!isFastifyReply(reply)) return true; // not a request handler call: nothing to check
  const status = reply.statusCode;
  // 204 and 304 have no body by definition (RFC 9110 §15.3.5, §15.4.5): undefined is their payload.
  return reply.sent || reply.raw.headersSent || status === 204 || status === 304;
}

function isFastifyReply(value: unknown): value is FastifyReply {
  return typeof value === 'object' && value !== null && 'raw' in value && 'sent' in value;
}

/** Names the culprit as precisely as can be known: endpoint, handler, method and route. */
function describe(reply: unknown, handler: Function, view: unknown, viewName: string | undefined): string {
  const owner = typeof view === 'function' ? view.name : typeof view === 'object' && view !== null ? view.constructor.name : '';
  const handlerName = handler.name.replace(/^bound /, '');
  const method = handlerName ? `${owner ? owner + '.' : ''}${handlerName}()` : 'the handler';
  viewName ??= (handler as { [VIEW_NAME]?: string })[VIEW_NAME];
  if (!isFastifyReply(reply)) return viewName ? `View '${viewName}' (${method})` : `View ${method}`;
  const endpoint = viewName ?? endpointOf(reply.request);
  const name = endpoint !== undefined ? `View '${endpoint}' (${method})` : `View ${method}`;
  return `${name} on ${reply.request.method} ${reply.request.routeOptions.url ?? reply.request.url}`;
}

/** The endpoint name of the view whose route serves `request` (from the route's config), if a view's. */
export function endpointOf(request: { routeOptions?: { config?: unknown } }): string | undefined {
  const endpoint = (request.routeOptions?.config as Record<symbol, unknown> | undefined)?.[VIEW_NAME];
  return typeof endpoint === 'string' ? endpoint : undefined;
}

/** Route `config` key under which the view's endpoint name travels with each of its routes. */
export const VIEW_NAME = Symbol.for('fastify-class-views.viewName');
