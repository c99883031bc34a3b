import type { RouteShorthandOptions } from 'fastify';
import { errors } from './errors';
import type { HttpMethod } from './http';
import type { EventStreamOptions } from './event-stream';

/**
 * Fastify route options for a view's routes (`schema`, hooks, `config`, `constraints`,
 * `handlerTimeout`, `bodyLimit`, `logLevel`, `errorHandler`, …), plus `method` to replace the
 * view's own list of methods.
 */
export interface ViewRouteOptions extends Omit<RouteShorthandOptions, 'exposeHeadRoute'> {
  /** Serve these methods instead of the view's `methods`. */
  method?: HttpMethod | readonly HttpMethod[];
  /**
   * The handler's result (an async generator, any iterable of events) is sent as a stream of
   * server-sent events (`text/event-stream`), documented so in OpenAPI; `true` for the defaults.
   */
  eventStream?: true | EventStreamOptions;
}

/**
 * Route options for one verb of a `MethodView`: its own `schema`, hooks, `config`,
 * `handlerTimeout`… They win over the view's options (hooks run after the view's).
 */
export type VerbRouteOptions = Omit<ViewRouteOptions, 'method' | 'constraints' | 'prefixTrailingSlash'>;

/** The lifecycle hooks a route option may carry; layers add to them instead of replacing them. */
const HOOKS = new Set(['onRequest', 'preParsing', 'preValidation', 'preHandler', 'preSerialization', 'onSend', 'onResponse', 'onTimeout', 'onError', 'onRequestAbort']);

/** Options that make no sense on a view, each with the reason given to the user. */
const REFUSED: Record<string, string> = {
  handler: 'the view is the handler; pass the view function as the second argument of addView',
  url: 'the path is the first argument of addView',
  path: 'the path is the first argument of addView',
  exposeHeadRoute: 'views answer HEAD themselves (through head(), or get() with the body dropped)',
  websocket: 'a view answers WebSockets by extending WebSocketView (onConnect, onMessage, onClose)',
  wsHandler: 'a view answers WebSockets by extending WebSocketView (onConnect, onMessage, onClose)',
};

/** Set once per view: every route of a view shares its path, so these cannot differ per verb. */
const VIEW_ONLY = new Set(['method', 'constraints', 'prefixTrailingSlash']);

/** Throws `FCV_ERR_INVALID_OPTION` for an option a view cannot honour; `where` names the layer. */
export function checkRouteOptions(options: unknown, where: string, verb?: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new errors.FCV_ERR_INVALID_OPTION(where, 'route options must be an object');
  }
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (key in REFUSED) throw new errors.FCV_ERR_INVALID_OPTION(key, `${REFUSED[key]} (in ${where})`);
    if (verb && VIEW_ONLY.has(key)) {
      throw new errors.FCV_ERR_INVALID_OPTION(key, `set it on the view (addView options or viewOptions), not on the verb '${verb}' (in ${where})`);
    }
  }
}

/**
 * Merges route-option layers, later layers winning: hooks are concatenated (earlier layers run
 * first), `config` and `schema` are merged key by key (a schema's `response` status by status),
 * anything else is replaced.
 */
export function mergeRouteOptions(...layers: Array<object | undefined>): Record<string, unknown> {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      if (HOOKS.has(key)) merged[key] = [...asArray(merged[key]), ...asArray(value)];
      else if (key === 'schema') merged[key] = mergeSchemas(merged[key] as Record<string, unknown> | undefined, value as Record<string, unknown>);
      else if (key === 'config') merged[key] = { ...(merged[key] as object), ...(value as object) };
      else merged[key] = value;
    }
  }
  return merged;
}

/** Key by key; `response` status by status, so a view-level 404 survives a verb's 200. */
function mergeSchemas(base: Record<string, unknown> | undefined, over: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base, ...over };
  if (base?.response && over.response) merged.response = { ...(base.response as object), ...(over.response as object) };
  return merged;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
