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
    if (arguments.length > 2) return checkResult(handler.apply(this, arguments as unknown as [Request, Reply]), reply, handler, this) as Result;
    return callHandler(handler, this, request, reply) as Result;
  };
};

/**
 * Calls `handler` on `view` through `dispatcher`. A replacement dispatcher is called per
 * call with a bound handler, as Flask passes bound methods, so it need not forward `this`;
 * the default needs neither the bind nor its wrapper, so the hot path allocates nothing.
 */
export function dispatchThrough(dispatcher: EnsureSync, handler: Function, view: unknown, request: unknown, reply: unknown): unknown {
  if (dispatcher === ensureSync) return callHandler(handler, view, request, reply);
  const result = dispatcher(handler.bind(view) as (request: unknown, reply: unknown) => unknown)(request, reply);
  return checkResult(result, reply, handler, view);
}

/** The dispatcher of the context that serves a request (`request.server`), or the default. */
export function dispatcherOf(server: unknown): EnsureSync {
  return (server as { ensureSync?: EnsureSync } | undefined)?.ensureSync ?? ensureSync;
}

/** The default dispatcher's body: a sync result as it is, a thenable settled and checked. */
export function callHandler(handler: Function, view: unknown, request: unknown, reply: unknown): unknown {
  return checkResult(handler.call(view, request, reply), reply, handler, view);
}

/** A sync result as it is; a thenable settled, and checked for an unsent `undefined`. */
export function checkResult(result: unknown, reply: unknown, handler: Function, view: unknown): unknown {
  return isThenable(result) ? settle(result, reply, handler, view) : result;
}

/** A duck test rather than `instanceof Promise`: any thenable counts, as in Fastify. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Runs `handler` on the view an async factory resolves to. The handler's result then always
 * arrives through a Promise, so it is checked like an async handler's.
 */
export function callOnPendingView(pending: PromiseLike<unknown>, handler: Function, run: (view: unknown) => unknown, reply: unknown): Promise<unknown> {
  return settle(Promise.resolve(pending).then(run), reply, handler, undefined);
}

export function settle(pending: PromiseLike<unknown>, reply: unknown, handler: Function, view: unknown): Promise<unknown> {
  // One `then` rather than an async function: a Promise and a microtask fewer per async call
  // (measured in bench/: about 20 ns).
  const check = (payload: unknown) => {
    if (payload === undefined && !hasAnswered(reply)) {
      throw new errors.FCV_ERR_NO_RESPONSE(describe(reply, handler, view));
    }
    return payload;
  };
  return pending instanceof Promise ? pending.then(check) : Promise.resolve(pending).then(check);
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
function describe(reply: unknown, handler: Function, view: unknown): string {
  const owner = typeof view === 'object' && view !== null ? view.constructor.name : '';
  const method = handler.name ? `${owner ? owner + '.' : ''}${handler.name}()` : 'the handler';
  if (!isFastifyReply(reply)) return `View ${method}`;
  const route = reply.request.routeOptions;
  const endpoint = (route.config as unknown as Record<PropertyKey, unknown> | undefined)?.[VIEW_NAME];
  const name = typeof endpoint === 'string' ? `View '${endpoint}' (${method})` : `View ${method}`;
  return `${name} on ${reply.request.method} ${route.url ?? reply.request.url}`;
}

/** Route `config` key under which the view's endpoint name travels with each of its routes. */
export const VIEW_NAME = Symbol.for('fastify-class-views.viewName');
