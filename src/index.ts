/**
 * fastify-class-views: class-based, pluggable views for Fastify, after Flask's `View` and
 * `MethodView`. The one public entry; the testing helpers are `fastify-class-views/testing`.
 *
 * Published the way Fastify's own plugins are: `require('fastify-class-views')` is the plugin
 * itself, with `.default`, `.fastifyViews` and the other named exports on it, and the typings are
 * `export =` that function merged with a namespace, so that `import fastifyViews from` and
 * `import { MethodView } from` work and type-check under node16/nodenext (ESM and CJS) and bundler.
 */
import fp from 'fastify-plugin';
import { fastifyViews as plugin, viewsPlugin } from './plugin';
import type { FastifyViewsOptions, ViewEntry, ViewRegistration } from './plugin';
import { route, schema } from './decorators';
import type { RouteDecoratorOptions, RouteMetadata } from './decorators';
import { View } from './view';
import { HTTP_METHODS } from './http';
import type { HttpMethod } from './http';
import type { ViewClass, ViewDecorator, ViewFactory, ViewFunction, ViewHandler, ViewStatics } from './view';
import { MethodView, VERBS } from './method-view';
import type { Verb, VerbHandler, VerbOptions } from './method-view';
import { ensureSync } from './ensure-sync';
import { strongETag } from './conditional';
import { componentName } from './openapi';
import { Resource, COLLECTION_ACTIONS, ITEM_ACTIONS } from './resource';
import { RepositoryResource } from './repository-resource';
import type { Page, PageRequest, Repository } from './repository-resource';
import type { Action, ActionOptions, ExtraAction, ExtraActions, ItemParam, ResourceViews } from './resource';
import type { Validators } from './conditional';
import type { EnsureSync } from './ensure-sync';
import type { ViewRouteOptions, VerbRouteOptions } from './route-options';
import type { UrlParams } from './paths';
import { errors } from './errors';
import { sendEvents, lastEventId, EncodedEvent, EVENT_STREAM_DEFAULTS } from './event-stream';
import type { EventStreamOptions, EventStreamSource, ServerSentEvent } from './event-stream';
import { EventChannel } from './event-channel';
import { WebSocketView, CLOSE_CODES } from './websocket-view';
import type { MessageFormat, SocketClose, ViewSocket } from './websocket-view';
import type { EventChannelOptions, Subscriber } from './event-channel';
import type { BackgroundTask } from './background';
import type { ViewReply, ViewRequest } from './typed-handlers';

/**
 * The Fastify plugin (see ./plugin). A function declaration, so that the namespace below can
 * merge with it; fastify-plugin marks this function itself (fp returns its argument).
 */
function fastifyViews(...args: Parameters<typeof plugin>): ReturnType<typeof plugin> {
  return plugin(...args);
}
fp(fastifyViews, { fastify: '5.x', name: 'fastify-class-views' });

declare namespace fastifyViews {
  export { fastifyViews, fastifyViews as default };
  export { viewsPlugin, route, schema, View, HTTP_METHODS, MethodView, VERBS, ensureSync, errors, strongETag, componentName, Resource, COLLECTION_ACTIONS, ITEM_ACTIONS, RepositoryResource, sendEvents, lastEventId, EncodedEvent, EVENT_STREAM_DEFAULTS, EventChannel, WebSocketView, CLOSE_CODES };
  export type {
    FastifyViewsOptions, ViewEntry, ViewRegistration, RouteDecoratorOptions, RouteMetadata,
    HttpMethod, ViewClass, ViewDecorator, ViewFactory, ViewFunction, ViewHandler, ViewStatics,
    Verb, VerbHandler, VerbOptions, EnsureSync, ViewRouteOptions, VerbRouteOptions, UrlParams,
    BackgroundTask, ViewReply, ViewRequest, Validators, Action, ActionOptions, ExtraAction, ExtraActions, ItemParam, ResourceViews, Page, PageRequest, Repository,
    EventStreamOptions, EventStreamSource, ServerSentEvent, EventChannelOptions, Subscriber, MessageFormat, SocketClose, ViewSocket,
  };
}

// Runtime side of the above. Written as `module.exports.NAME = …` because that is what Node's CJS
// lexer detects: these are the names an ESM `import { … } from 'fastify-class-views'` can use.
module.exports = fastifyViews;
module.exports.default = fastifyViews;
module.exports.fastifyViews = fastifyViews;
module.exports.viewsPlugin = viewsPlugin;
module.exports.route = route;
module.exports.schema = schema;
module.exports.View = View;
module.exports.HTTP_METHODS = HTTP_METHODS;
module.exports.MethodView = MethodView;
module.exports.VERBS = VERBS;
module.exports.ensureSync = ensureSync;
module.exports.errors = errors;
module.exports.strongETag = strongETag;
module.exports.componentName = componentName;
module.exports.Resource = Resource;
module.exports.COLLECTION_ACTIONS = COLLECTION_ACTIONS;
module.exports.ITEM_ACTIONS = ITEM_ACTIONS;
module.exports.RepositoryResource = RepositoryResource;
module.exports.sendEvents = sendEvents;
module.exports.lastEventId = lastEventId;
module.exports.EncodedEvent = EncodedEvent;
module.exports.EVENT_STREAM_DEFAULTS = EVENT_STREAM_DEFAULTS;
module.exports.EventChannel = EventChannel;
module.exports.WebSocketView = WebSocketView;
module.exports.CLOSE_CODES = CLOSE_CODES;
export = fastifyViews;
