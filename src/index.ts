/**
 * fastify-class-views: class-based, pluggable views for Fastify, after Flask's `View` and
 * `MethodView`. The one public entry; the testing helpers are `fastify-class-views/testing`.
 */
import { fastifyViews } from './plugin';

export { fastifyViews };
export { viewsPlugin } from './plugin';
export type { FastifyViewsOptions, ViewEntry, ViewRegistration } from './plugin';
export { route, schema } from './decorators';
export type { RouteDecoratorOptions, RouteMetadata } from './decorators';
export { View, HTTP_METHODS } from './view';
export type { HttpMethod, ViewClass, ViewDecorator, ViewFactory, ViewFunction, ViewHandler, ViewStatics } from './view';
export { MethodView, VERBS } from './method-view';
export type { Verb, VerbHandler, VerbOptions } from './method-view';
export { ensureSync } from './ensure-sync';
export type { EnsureSync } from './ensure-sync';
export type { ViewRouteOptions, VerbRouteOptions } from './route-options';
export type { UrlParams } from './endpoints';
export { errors } from './errors';
export type { BackgroundTask } from './background';

export default fastifyViews;
export type { ViewReply, ViewRequest } from './typed-handlers';
