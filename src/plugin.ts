import type { FastifyInstance, FastifyPluginAsync, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { Endpoints, UrlParams } from './endpoints';
import { EnsureSync, VIEW_NAME, ensureSync as defaultEnsureSync } from './ensure-sync';
import { errors } from './errors';
import { ViewRegistry, ViewRouteOptions, addViewRoutes } from './routes';
import type { ViewFunction } from './view';

/** One entry of the plugin's `views` option. */
export interface ViewRegistration {
  path: string;
  view: ViewFunction;
  options?: ViewRouteOptions;
}

/** Options of the `fastifyViews` plugin. */
export interface FastifyViewsOptions {
  /** Views to register now, in a child context of the caller (so `prefix` applies to them). */
  views?: readonly ViewRegistration[];
  /** Path prefix for `views`, as with any `register`. */
  prefix?: string;
  /** Replaces the default dispatcher for every view handler call (tracing, timeouts, async context…). */
  ensureSync?: EnsureSync;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Registers a view at `path` in this encapsulation context (its prefix, hooks and
     * decorators apply). `options` are Fastify route options, applied to every verb.
     */
    addView(path: string, view: ViewFunction, options?: ViewRouteOptions): FastifyInstance;
    /** The URL of the view registered as `name`: parameters fill the path, the rest become the query string. */
    urlFor(name: string, params?: UrlParams): string;
    /** The dispatcher views in this app run through (the `ensureSync` option, or the default). */
    ensureSync: EnsureSync;
  }
}

const plugin: FastifyPluginAsync<FastifyViewsOptions> = async function fastifyViews(fastify, options) {
  const { views = [], prefix, ensureSync = defaultEnsureSync } = options;
  if (typeof ensureSync !== 'function') {
    throw new errors.FCV_ERR_INVALID_OPTION('ensureSync', `expected a function, got ${typeof ensureSync}`);
  }
  if (!Array.isArray(views)) {
    throw new errors.FCV_ERR_INVALID_OPTION('views', 'expected an array of { path, view, options }');
  }
  const registry: ViewRegistry = { endpoints: new Endpoints(), owned: new Map() };

  fastify.decorate('ensureSync', ensureSync);
  fastify.decorate('addView', function addView(this: FastifyInstance, path: string, view: ViewFunction, routeOptions?: ViewRouteOptions) {
    addViewRoutes(this, registry, path, view, routeOptions);
    return this;
  });
  fastify.decorate('urlFor', function urlFor(this: FastifyInstance, name: string, params?: UrlParams) {
    return registry.endpoints.urlFor(this, name, params);
  });

  // Registration time only, never per request: a later route on a method+path a view owns
  // gets an error naming the view instead of find-my-way's bare duplicate-route error.
  fastify.addHook('onRoute', function guardViewRoutes(route: RouteOptions) {
    if ((route.config as Record<PropertyKey, unknown> | undefined)?.[VIEW_NAME] !== undefined) return;
    const constraints = JSON.stringify(route.constraints ?? {});
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) {
      const owner = registry.owned.get(`${method} ${route.url} ${constraints}`);
      if (owner) throw new errors.FCV_ERR_ROUTE_OWNED_BY_VIEW(method, route.url, owner.view, owner.role);
    }
  });

  if (views.length > 0) {
    // fastify-plugin shares the caller's context, where `prefix` would be ignored: a child context honours it.
    await fastify.register(async function views_(child) {
      for (const entry of views) child.addView(entry?.path, entry?.view, entry?.options);
    }, { prefix });
  }
};

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
