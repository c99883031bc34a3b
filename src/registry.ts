import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import { errors } from './errors';
import { allowHeader } from './http';
import { problemDetailsHandler } from './problem-details';
import { PathRules, PathShape, UrlParams, fillPath, pathShape, routeShape, shadows, sharePaths } from './paths';
import type { ViewFunction } from './view';

/** Who owns a method on a path: the view's name and how (serves it, answers it 405…). */
export interface Owner {
  view: string;
  role: string;
}

interface Endpoint {
  readonly name: string;
  readonly view: ViewFunction;
  readonly context: FastifyInstance;
  readonly urls: string[];
}

/** A route the registry has seen: a view's, or any other registered after the plugin. */
interface RouteRecord {
  readonly url: string;
  readonly shape: PathShape;
  readonly methods: readonly string[];
  readonly constraints: Readonly<Record<string, unknown>>;
  /** The view's name, for the routes of a view. */
  readonly view?: string;
  /** The methods a view answers 405 for here: for a warning when a later route would need them. */
  readonly refused?: readonly string[];
}

const NONE: Readonly<Record<string, unknown>> = Object.freeze({});
const NOBODY = (): Owner | undefined => undefined;

/** Constraints as a key: sorted, a RegExp by its source (JSON would make every RegExp `{}`). */
function constraintKey(constraints: unknown): string {
  const entries = Object.entries((constraints ?? {}) as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return entries.map(([key, value]) => `${key}=${value instanceof RegExp ? value.toString() : JSON.stringify(value)}`).join('&');
}

function sameConstraints(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  return constraintKey(a) === constraintKey(b);
}

/**
 * Whether one request can match both routes' constraints. A value both constrain must be the
 * same; `version` must be on both or neither (find-my-way never lets an unversioned route answer
 * a versioned request, nor the reverse); a `host` (or custom) constraint on one side only still
 * competes with the unconstrained route, which serves the requests it does not match.
 */
function compete(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): boolean {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (key in a && key in b) {
      if (String(a[key]) !== String(b[key])) return false;
    } else if (key === 'version') {
      return false;
    }
  }
  return true;
}

/**
 * What one app's views have claimed, shared by every context of the app: endpoint names (for
 * `urlFor`), the routes seen and the method+URL pairs each view owns (for the route guards and
 * the `Allow` of URLs several routes match), and the OpenAPI operationIds handed out.
 */
export class ViewRegistry {
  readonly rules: PathRules;
  // Fastify makes a child context with `Object.create(parent)`, so contexts are objects whose
  // prototype chain is the chain of their parents.
  private readonly byContext = new WeakMap<object, Map<string, Endpoint>>();
  private readonly byName = new Map<string, Endpoint[]>();
  /**
   * Owners by path (and constraints): the methods and their owners side by side. A view owns
   * every method Fastify knows at each of its URLs, and a `Map` of them per URL was the
   * largest part of the registry.
   */
  private readonly owned = new Map<string, { readonly methods: readonly string[]; readonly owners: readonly Owner[] }>();
  private readonly routes: RouteRecord[] = [];
  /**
   * The same records by first segment (`''` for one that is not plain text): a view only ever
   * competes with routes that start as it does, or with a parameter or wildcard. Not by method
   * too: that was an entry and a list per method and path.
   */
  private readonly index = new Map<string, RouteRecord[]>();
  private readonly operationIds = new Set<string>();

  /** The route-level error handler of `problemDetails: true`, or `undefined`. */
  readonly problemHandler: ((...args: never[]) => unknown) | undefined;

  constructor(app: FastifyInstance, readonly problemDetails = false) {
    // Fastify's own default handler is one function for every instance; a context that set
    // its own has another. Set on the root before this plugin: every context has its own.
    const fastifyDefault = app.errorHandler.name === 'defaultErrorHandler' ? app.errorHandler : undefined;
    this.problemHandler = problemDetails ? problemDetailsHandler(fastifyDefault) : undefined;
    // The router's own matching rules decide what counts as the same path.
    const config = app.initialConfig as { routerOptions?: { ignoreTrailingSlash?: boolean; caseSensitive?: boolean }; ignoreTrailingSlash?: boolean; caseSensitive?: boolean };
    this.rules = {
      ignoreTrailingSlash: Boolean(config.routerOptions?.ignoreTrailingSlash ?? config.ignoreTrailingSlash),
      caseInsensitive: (config.routerOptions?.caseSensitive ?? config.caseSensitive) === false,
    };
  }

  // --- endpoints ---

  /** Throws if `context` already has a different view under the name of `view`. */
  checkEndpoint(context: FastifyInstance, view: ViewFunction, url: string): void {
    const taken = this.byContext.get(context)?.get(view.viewName);
    if (taken !== undefined && taken.view !== view) {
      throw new errors.FCV_ERR_DUPLICATE_ENDPOINT(view.viewName, taken.urls.join("', '"), url);
    }
  }

  /** Records `view` as its name at `url` in `context` (after `checkEndpoint`). */
  claimEndpoint(context: FastifyInstance, view: ViewFunction, url: string): void {
    this.checkEndpoint(context, view, url);
    const name = view.viewName;
    let names = this.byContext.get(context);
    if (names === undefined) this.byContext.set(context, (names = new Map()));
    const taken = names.get(name);
    if (taken === undefined) {
      const endpoint: Endpoint = { name, view, context, urls: [url] };
      names.set(name, endpoint);
      const same = this.byName.get(name);
      if (same === undefined) this.byName.set(name, [endpoint]);
      else same.push(endpoint);
    } else if (!taken.urls.includes(url)) {
      taken.urls.push(url); // one view under several paths, as in Flask
    }
  }

  /**
   * The URL of endpoint `name` as seen from `from`: its own context first, then its parents,
   * then (if exactly one defines it) its children, then any context of the app.
   */
  urlFor(from: FastifyInstance, name: string, params: UrlParams = {}): string {
    for (let context: object | null = from; context !== null; context = Object.getPrototypeOf(context)) {
      const endpoint = this.byContext.get(context)?.get(name);
      if (endpoint) return build(endpoint, params);
    }
    const everywhere = this.byName.get(name) ?? [];
    const below = everywhere.filter((endpoint) => Object.prototype.isPrototypeOf.call(from, endpoint.context));
    for (const candidates of [below, everywhere]) {
      if (candidates.length === 1) return build(candidates[0], params);
      if (candidates.length > 1) {
        throw new errors.FCV_ERR_AMBIGUOUS_ENDPOINT(name, candidates.map((endpoint) => endpoint.urls[0]).join(', '));
      }
    }
    throw new errors.FCV_ERR_UNKNOWN_ENDPOINT(name);
  }

  // --- routes ---

  /**
   * Who owns each method at `url` under `constraints`, if a view does: the path is looked up
   * once for all the methods of a route (a view asks for every method Fastify knows).
   */
  ownersAt(url: string, constraints: unknown): (method: string) => Owner | undefined {
    const owned = this.owned.get(this.key(url, constraints));
    if (owned === undefined) return NOBODY;
    // From the end: a method owned again belongs to its latest owner.
    return (method) => {
      const i = owned.methods.lastIndexOf(method.toUpperCase());
      return i === -1 ? undefined : owned.owners[i];
    };
  }

  own(methods: readonly string[], url: string, constraints: unknown, owner: Owner): void {
    const key = this.key(url, constraints);
    const known = this.owned.get(key);
    const added = upperCase(methods);
    const owners = added.map(() => owner);
    // `concat` makes lists of their exact length, where `push` leaves room for more.
    this.owned.set(key, known === undefined ? { methods: added, owners } : { methods: known.methods.concat(added), owners: known.owners.concat(owners) });
  }

  /** Remembers a route (a view's, or one registered after the plugin) for the checks below. */
  record(url: string, methods: readonly string[], constraints: unknown, view?: string, refused?: readonly string[]): void {
    const route: RouteRecord = { url, shape: this.shapeOf(url), methods: upperCase(methods), constraints: (constraints ?? NONE) as Record<string, unknown>, view, refused };
    this.routes.push(route);
    const key = route.shape.first ?? '';
    const list = this.index.get(key);
    if (list === undefined) this.index.set(key, [route]);
    else list.push(route);
  }

  private readonly shapes = new Map<string, PathShape>();

  /** Each path compiled once (registration compares every view with the routes near it). */
  private shapeOf(url: string): PathShape {
    let shape = this.shapes.get(url);
    if (shape === undefined) this.shapes.set(url, (shape = pathShape(url, this.rules)));
    return shape;
  }

  /** The recorded routes that may share a path with `shape`. */
  private near(shape: PathShape): RouteRecord[][] {
    const open = this.index.get('') ?? [];
    // A leading parameter never wins over a static segment: only the open routes can lose to it.
    return shape.first === undefined ? [open] : [this.index.get(shape.first) ?? [], open];
  }

  /**
   * The methods a route seen so far serves for some URL of `url` where the router would pick
   * `url`: a 405 route there would hide them, so the view leaves them to the router. Each
   * route near `url` is compared once, not once per method the view refuses.
   */
  servedElsewhere(url: string, constraints: unknown, view: string): Set<string> {
    const mine = (constraints ?? {}) as Record<string, unknown>;
    const shape = this.shapeOf(url);
    const served = new Set<string>();
    for (const routes of this.near(shape)) {
      for (const route of routes) {
        // Another route on this very URL counts too when its constraints differ (an exact twin
        // was refused or left out at registration): the view's own routes do not.
        if (route.url === url && (route.view === view || sameConstraints(mine, route.constraints))) continue;
        if (compete(mine, route.constraints) && shadows(shape, route.shape)) for (const m of route.methods) served.add(m);
      }
    }
    return served;
  }

  /**
   * The `Allow` for a request to `path` on a view's route at `url`: the view's own `allow`, plus
   * what the other routes matching that path serve (Werkzeug's union) — except the methods the
   * view answers 405 for here where its route wins over theirs (those do not reach them).
   */
  allowFor(url: string, allow: string, refused: readonly string[], constraints: unknown, view: string): (path: string) => string {
    let related: Array<{ route: RouteRecord; hidden: boolean }> | undefined;
    return (path) => {
      // Built at the first request, once every route is known (none can be added after start).
      if (related === undefined) {
        const mine = (constraints ?? {}) as Record<string, unknown>;
        const shape = this.shapeOf(url);
        related = this.routes
          .filter((route) => !(route.url === url && route.view === view) && compete(mine, route.constraints) && sharePaths(shape, route.shape))
          .map((route) => ({ route, hidden: shadows(shape, route.shape) }));
      }
      if (related.length === 0) return allow;
      const methods = allow ? allow.split(', ') : [];
      for (const { route, hidden } of related) {
        if (!route.shape.matcher.test(path)) continue;
        for (const m of route.methods) if (!(hidden && refused.includes(m))) methods.push(m);
      }
      return allowHeader(methods);
    };
  }

  /** Warns when `methods` at `url`, registered after a view, are hidden by that view's 405 for some URLs. */
  warnIfHidden(log: FastifyBaseLogger, url: string, methods: readonly string[], constraints: unknown): void {
    const theirs = (constraints ?? {}) as Record<string, unknown>;
    const shape = this.shapeOf(url);
    for (const route of this.routes) {
      if (route.refused === undefined || route.refused.length === 0 || route.url === url || !compete(route.constraints, theirs)) continue;
      const hidden = methods.filter((m) => route.refused!.includes(m.toUpperCase()));
      if (hidden.length > 0 && shadows(route.shape, shape)) {
        log.warn(`view '${route.view}' answers ${hidden.join(', ')} on '${route.url}' with 405, so the route ${hidden.join(', ')} '${url}', registered after it, is not reached for the URLs both match: register that route before the view`);
      }
    }
  }

  private readonly pending = new Map<FastifyInstance, Array<() => void>>();

  /**
   * Runs `step` in Fastify's `after` of `context`: once the code registering views there has
   * run. One `after` per context and batch, however many views it adds.
   */
  later(context: FastifyInstance, step: () => void): void {
    const steps = this.pending.get(context);
    if (steps !== undefined) return void steps.push(step);
    this.pending.set(context, [step]);
    // No parameter: an earlier error keeps propagating, and one thrown here fails `ready()`.
    context.after(async () => {
      const batch = this.pending.get(context) ?? [];
      this.pending.delete(context);
      for (const run of batch) run();
    });
  }

  /** `wanted` if no operation has it yet, else a variant that is unique in the app. */
  uniqueOperationId(wanted: string, prefix: string): string {
    let id = wanted;
    if (this.operationIds.has(id)) {
      const qualifier = pascal(prefix); // only on a clash: most ids are free
      if (qualifier) id = wanted + qualifier;
      for (let n = 2; this.operationIds.has(id); n++) id = `${wanted}${qualifier}${n}`;
    }
    this.operationIds.add(id);
    return id;
  }

  private readonly pathKeys = new Map<string, string>();

  /** What makes two routes' paths the same for the router (each path worked out once). */
  private key(url: string, constraints: unknown): string {
    let path = this.pathKeys.get(url);
    if (path === undefined) {
      path = routeShape(url);
      if (this.rules.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
      if (this.rules.caseInsensitive) path = path.toLowerCase();
      this.pathKeys.set(url, path);
    }
    const constrained = constraints === undefined ? '' : constraintKey(constraints);
    return constrained === '' ? path : `${path} ${constrained}`;
  }
}

/**
 * `methods` in upper case, as a list of its own and of its exact length: the registry keeps
 * them, and a list built by a spread or `filter` has room for more entries than it holds.
 */
function upperCase(methods: readonly string[]): readonly string[] {
  // Upper-cased only when needed: `toUpperCase` makes a new string even of an upper-case one.
  return methods.every((m) => m === m.toUpperCase()) ? methods.slice() : methods.map((m) => m.toUpperCase());
}

/**
 * Werkzeug's rule, as Litestar's `route_reverse`: of the endpoint's URLs whose parameters are
 * all given, the one that uses the most of them (the first registered on a tie).
 */
function build(endpoint: Endpoint, params: UrlParams): string {
  let best: { url: string; used: number } | undefined;
  let missing: Error | undefined;
  for (const url of endpoint.urls) {
    try {
      const filled = fillPath(endpoint.name, url, params);
      if (best === undefined || filled.used > best.used) best = filled;
    } catch (error) {
      if ((error as { code?: string }).code !== 'FCV_ERR_MISSING_URL_PARAM') throw error;
      missing ??= error as Error;
    }
  }
  if (best === undefined) throw missing;
  return best.url;
}

/** `UserList` from `user-list`, `V2` from `/v2`. */
export function pascal(text: string): string {
  return text.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('');
}
