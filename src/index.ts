/**
 * fastify-class-views: class-based, pluggable views for Fastify, after Flask's `View` and
 * `MethodView`. The one public entry; the testing helpers are `fastify-class-views/testing`.
 */
import { fastifyViews } from './plugin';

export { fastifyViews };
export type { FastifyViewsOptions, ViewRegistration } from './plugin';
export { View, HTTP_METHODS } from './view';
export type { HttpMethod, ViewClass, ViewDecorator, ViewFunction, ViewHandler, ViewStatics } from './view';
export { MethodView, VERBS } from './method-view';
export type { Verb, VerbHandler } from './method-view';
export { ensureSync } from './ensure-sync';
export type { EnsureSync } from './ensure-sync';
export type { ViewRouteOptions } from './routes';
export type { UrlParams } from './endpoints';
export { errors } from './errors';

export default fastifyViews;
