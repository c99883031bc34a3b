import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { BackgroundWork } from './background';
import { EnsureSync, VIEW_NAME, ensureSync as defaultEnsureSync } from './ensure-sync';
import { errors } from './errors';
import type { UrlParams } from './paths';
import { ViewRegistry } from './registry';
import type { ViewRouteOptions } from './route-options';
import { addViewRoutes } from './routes';
import { addResourceRoutes, ResourceViews } from './resource';
import { OPEN_STREAMS, OpenStreams } from './event-stream';
import { routeMetadata } from './decorators';
import { ViewClass, ViewFunction, isViewFunction } from './view';

/** A view to register: where, which view function, with which route options. */
export interface ViewRegistration {
  /** The path; may be left out when the view's class has `@route(path)`. */
  path?: string;
  view: ViewFunction;
  options?: ViewRouteOptions;
}

/** What the `views` option and `viewsPlugin` take: a registration, or a class decorated with `@route`. */
export type ViewEntry = ViewRegistration | ViewClass;

/** Options of the `fastifyViews` plugin. */
export interface FastifyViewsOptions {
  /** Views to register now, in a child context of the caller (so `prefix` applies to them). */
  views?: readonly ViewEntry[];
  /** Path prefix for `views`, as with any `register`. */
  prefix?: string;
  /** Replaces the default dispatcher for every view handler call (tracing, timeouts, async context…). */
  ensureSync?: EnsureSync;
  /** How long `app.close()` waits for pending `reply.background` tasks, in ms (default 10 000). */
  backgroundTimeout?: number;
  /**
   * Answer errors on view routes as `application/problem+json` (RFC 9457), with a route-level
   * error handler; an error handler set on a view, a verb or the view's context wins.
   */
  problemDetails?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Registers a view at `path` in this encapsulation context (its prefix, hooks and
     * decorators apply). `options` are Fastify route options, applied to every verb.
     */
    addView(path: string, view: ViewFunction, options?: ViewRouteOptions): FastifyInstance;
    /**
     * Registers a resource (`Books.asResource('books', store)`): its collection view at `path`
     * (endpoint `books`) and its item view at `path/:id` (endpoint `books.item`).
     */
    addResource(path: string, resource: ResourceViews, options?: ViewRouteOptions): FastifyInstance;
    /** The URL of the view registered as `name`: parameters fill the path, the rest become the query string. */
    urlFor(name: string, params?: UrlParams): string;
    /** The dispatcher views in this app run through (the `ensureSync` option, or the default). */
    ensureSync: EnsureSync;
  }
}

/** Where an app keeps its registry, so that a second `register(fastifyViews, …)` shares it. */
const REGISTRY = Symbol.for('fastify-class-views.registry');

const plugin: FastifyPluginAsync<FastifyViewsOptions> = async function fastifyViews(fastify, options) {
  const { views = [], prefix, ensureSync, backgroundTimeout = 10_000, problemDetails } = options;
  if (problemDetails !== undefined && typeof problemDetails !== 'boolean') {
    throw new errors.FCV_ERR_INVALID_OPTION('problemDetails', `expected true or false, got ${typeof problemDetails}`);
  }
  if (ensureSync !== undefined && typeof ensureSync !== 'function') {
    throw new errors.FCV_ERR_INVALID_OPTION('ensureSync', `expected a function, got ${typeof ensureSync}`);
  }
  if (!Array.isArray(views)) {
    throw new errors.FCV_ERR_INVALID_OPTION('views', 'expected an array of { path, view, options }');
  }
  if (typeof backgroundTimeout !== 'number' || !(backgroundTimeout >= 0)) {
    throw new errors.FCV_ERR_INVALID_OPTION('backgroundTimeout', `expected a number of milliseconds >= 0, got ${String(backgroundTimeout)}`);
  }
  if (fastify.hasDecorator('addView')) {
    // Registered again (say once per API version, each with its views and prefix): the app
    // keeps its one registry and dispatcher.
    if (ensureSync !== undefined && ensureSync !== fastify.ensureSync) {
      throw new errors.FCV_ERR_INVALID_OPTION('ensureSync', 'the dispatcher is set once, by the first register(fastifyViews)');
    }
    const registry = (fastify as unknown as Record<symbol, ViewRegistry>)[REGISTRY];
    if (problemDetails !== undefined && problemDetails !== registry.problemDetails) {
      throw new errors.FCV_ERR_INVALID_OPTION('problemDetails', 'it is set once, by the first register(fastifyViews)');
    }
  } else {
    setUp(fastify, ensureSync ?? defaultEnsureSync, backgroundTimeout, problemDetails === true);
  }
  if (views.length === 0) return;
  if (prefix) {
    // fastify-plugin shares the caller's context, where `prefix` would be ignored: a child context honours it.
    await fastify.register(async function viewsUnderPrefix(child) {
      addEntries(child, views);
    }, { prefix });
  } else {
    addEntries(fastify, views);
  }
};

/** Decorates the app with `addView`, `urlFor`, `ensureSync` and `reply.background`, once. */
function setUp(fastify: FastifyInstance, ensureSync: EnsureSync, backgroundTimeout: number, problemDetails: boolean): void {
  const registry = new ViewRegistry(fastify, problemDetails);
  const background = new BackgroundWork(backgroundTimeout);
  fastify.decorate(REGISTRY, registry);
  fastify.decorateReply('background', background.schedule());
  fastify.addHook('onClose', (app) => background.drain(app));
  // Before the server stops listening and waits for its connections: an open event stream
  // would hold `app.close()` until its client hung up.
  const streams = new OpenStreams();
  fastify.decorate(OPEN_STREAMS, streams);
  fastify.addHook('preClose', function endEventStreams(done) {
    streams.endAll();
    done();
  });

  fastify.decorate('ensureSync', ensureSync);
  fastify.decorate('addView', function addView(this: FastifyInstance, path: string, view: ViewFunction, routeOptions?: ViewRouteOptions) {
    addViewRoutes(this, registry, path, view, routeOptions);
    return this;
  });
  fastify.decorate('addResource', function addResource(this: FastifyInstance, path: string, resource: ResourceViews, routeOptions?: ViewRouteOptions) {
    addResourceRoutes(this, path, resource, routeOptions);
    return this;
  });
  fastify.decorate('urlFor', function urlFor(this: FastifyInstance, name: string, params?: UrlParams) {
    return registry.urlFor(this, name, params);
  });

  // Registration time only, never per request: a later route on a method+path a view owns
  // gets an error naming the view instead of find-my-way's bare duplicate-route error; the
  // others are remembered, so that a view added later leaves them the methods they serve.
  fastify.addHook('onRoute', function guardViewRoutes(this: FastifyInstance, route: RouteOptions) {
    if ((route.config as Record<PropertyKey, unknown> | undefined)?.[VIEW_NAME] !== undefined) return;
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const ownerOf = registry.ownersAt(route.url, route.constraints);
    for (const method of methods) {
      const owner = ownerOf(method);
      if (owner) throw new errors.FCV_ERR_ROUTE_OWNED_BY_VIEW(method, route.url, owner.view, owner.role);
    }
    registry.warnIfHidden(this.log, route.url, methods, route.constraints);
    registry.record(route.url, methods, route.constraints);
  });
}

/**
 * The Fastify plugin: decorates the app with `addView`, `urlFor` and `ensureSync`
 * (visible in every context, through fastify-plugin) and registers the `views` option.
 *
 * @example
 * await app.register(fastifyViews, { views: [{ path: '/users/:id', view: UserAPI.asView('user', db) }] });
 * app.addView('/users', UserList.asView('users', db));
 * app.urlFor('user', { id: 42 }); // '/users/42'
 */
export const fastifyViews = fp(plugin, { fastify: '5.x', name: 'fastify-class-views' });

/**
 * Turns views into a Fastify plugin (encapsulated, so `register`'s `prefix` and hooks apply),
 * e.g. one file per resource for `@fastify/autoload`. Register `fastifyViews` first, at the root.
 *
 * @example
 * // routes/users.ts, loaded by @fastify/autoload
 * export default viewsPlugin(UserList, { path: '/:id', view: UserAPI.asView('user') });
 */
export function viewsPlugin(...entries: ViewEntry[]): FastifyPluginAsync {
  return async function views(app) {
    addEntries(app, entries);
  };
}

function addEntries(app: FastifyInstance, entries: readonly ViewEntry[]): void {
  if (typeof (app as Partial<FastifyInstance>).addView !== 'function') {
    throw new errors.FCV_ERR_PLUGIN_NOT_REGISTERED('viewsPlugin');
  }
  for (const entry of entries) {
    const { path, view, options } = resolveEntry(entry);
    app.addView(path, view, options);
  }
}

/** A `@route` class becomes `Class.asView(name)` at its path; a registration may take its path from `@route`. */
function resolveEntry(entry: ViewEntry): { path: string; view: ViewFunction; options?: ViewRouteOptions } {
  if (typeof entry === 'function' && !isViewFunction(entry)) {
    const metadata = routeMetadata(entry);
    if (metadata === undefined) {
      throw new errors.FCV_ERR_INVALID_VIEW(entry.name, 'a class without @route(path): list { path, view: Class.asView(name) } instead');
    }
    if (entry.length > 0) {
      throw new errors.FCV_ERR_INVALID_VIEW(metadata.path, `class ${entry.name}, whose constructor takes arguments: list { view: ${entry.name}.asView('${metadata.name}', …arguments) } instead`);
    }
    return { path: metadata.path, view: (entry as ViewClass & { asView(name: string): ViewFunction }).asView(metadata.name) };
  }
  const registration = (isViewFunction(entry) ? { view: entry } : entry) as ViewRegistration;
  const path = registration?.path ?? (isViewFunction(registration?.view) ? routeMetadata(registration.view.viewClass)?.path : undefined);
  if (path === undefined) {
    throw new errors.FCV_ERR_INVALID_OPTION('views', `an entry for view '${String(registration?.view?.viewName)}' has no path, and its class no @route(path)`);
  }
  return { path, view: registration.view, options: registration.options };
}
