import 'reflect-metadata';
import type { FastifySchema } from 'fastify';
import { errors } from './errors';
import type { VerbRouteOptions, ViewRouteOptions } from './route-options';

/**
 * Optional decorators, sugar over the static form (`viewOptions`, `verbOptions`, `addView`).
 * They work under `experimentalDecorators` and under TC39 standard decorators alike: each
 * tells the two apart by its arguments, and keeps what it was given with reflect-metadata on
 * the class or on the handler function itself, which both kinds hand over at definition time.
 */

const ROUTE = Symbol.for('fastify-class-views:route');
const VERB = Symbol.for('fastify-class-views:verb');

/** What `@route` records on a class: where and under which name the `views` option registers it. */
export interface RouteMetadata {
  path: string;
  name: string;
  options: ViewRouteOptions;
}

/** `@route` options: the view's route options, and its endpoint name (default: the class name). */
export interface RouteDecoratorOptions extends ViewRouteOptions {
  /** The endpoint name for `urlFor`; defaults to the class name. */
  name?: string;
}

/**
 * Class decorator: the path, endpoint name and view-level route options of a view, so that
 * `views: [UserAPI]` (or `viewsPlugin(UserAPI)`) registers it.
 *
 * @example
 * @route('/users/:id', { name: 'user', schema: { tags: ['users'] } })
 * class UserAPI extends MethodView { … }
 */
export function route(path: string, options: RouteDecoratorOptions = {}) {
  if (typeof path !== 'string') throw new errors.FCV_ERR_INVALID_OPTION('path', `@route needs a path string, got ${typeof path}`);
  return function routeDecorator<C extends abstract new (...args: never[]) => unknown>(target: C, _context?: ClassDecoratorContext<C>): void {
    const { name, ...viewOptions } = options;
    const metadata: RouteMetadata = { path, name: name ?? target.name, options: viewOptions };
    Reflect.defineMetadata(ROUTE, metadata, target);
  };
}

/**
 * Method decorator: the schema (and any other route options) of one verb handler.
 *
 * @example
 * @schema({ params: IdParams, response: { 200: User } })
 * get(request: ViewRequest<…>) { … }
 */
export function schema(verbSchema: FastifySchema, options: VerbRouteOptions = {}) {
  return function schemaDecorator(
    target: object,
    keyOrContext: string | symbol | ClassMethodDecoratorContext,
    descriptor?: PropertyDescriptor,
  ): void {
    // TC39 decorators pass (method, context); experimentalDecorators pass (prototype, key, descriptor).
    const handler = typeof keyOrContext === 'object' ? target : descriptor?.value;
    if (typeof handler !== 'function') {
      throw new errors.FCV_ERR_INVALID_OPTION('@schema', 'decorates a handler method (get, post, …), not a field or accessor');
    }
    const previous = verbMetadata(handler) ?? {};
    const merged: VerbRouteOptions = { ...previous, ...options, schema: { ...previous.schema, ...options.schema, ...verbSchema } };
    Reflect.defineMetadata(VERB, merged, handler);
  };
}

/** The `@route` metadata of a class (own, not inherited), if any. */
export function routeMetadata(viewClass: Function): RouteMetadata | undefined {
  return Reflect.getOwnMetadata(ROUTE, viewClass) as RouteMetadata | undefined;
}

/** The `@schema` metadata of a handler function, if any. */
export function verbMetadata(handler: Function): VerbRouteOptions | undefined {
  return Reflect.getOwnMetadata(VERB, handler) as VerbRouteOptions | undefined;
}
