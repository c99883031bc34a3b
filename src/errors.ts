import createError from '@fastify/error';

/**
 * Every error fastify-class-views raises, each with a stable `FCV_ERR_*` code, made with
 * `@fastify/error` like Fastify's own `FST_ERR_*`. Match on `err.code`, never on the message.
 *
 * Request-time errors (405, 500) carry a `statusCode` and reach your `setErrorHandler`;
 * registration-time errors are thrown by `addView`, `asView`, `urlFor` or `register`.
 *
 * @example
 * app.setErrorHandler((err, request, reply) => {
 *   if (err.code === 'FCV_ERR_METHOD_NOT_ALLOWED') return reply.code(405).send({ problem: 'method' });
 *   reply.send(err);
 * });
 */
export const errors = {
  /** 405: the view does not accept the request's method. The reply already carries `Allow`. */
  FCV_ERR_METHOD_NOT_ALLOWED: createError<'FCV_ERR_METHOD_NOT_ALLOWED', 405, [string, string, string]>(
    'FCV_ERR_METHOD_NOT_ALLOWED',
    "Method '%s' is not allowed on '%s'. Allowed: %s",
    405,
  ),
  /** 500: an async handler resolved to `undefined` without sending a reply (Flask's "did not return a valid response"). */
  FCV_ERR_NO_RESPONSE: createError<'FCV_ERR_NO_RESPONSE', 500, [string]>(
    'FCV_ERR_NO_RESPONSE',
    '%s resolved to undefined without sending a reply: return the payload, or call reply.send() and return reply',
    500,
  ),
  /** 412: a precondition (`If-Match`, `If-Unmodified-Since`, or `If-None-Match` on a write) is false for the resource's `validators` (RFC 9110 §13.1). */
  FCV_ERR_PRECONDITION_FAILED: createError<'FCV_ERR_PRECONDITION_FAILED', 412, [string, string]>(
    'FCV_ERR_PRECONDITION_FAILED',
    "Precondition failed for %s '%s': the resource has changed (or does not exist); read it again and retry with its current ETag",
    412,
  ),
  /** 428: a method listed in `requirePreconditions` came without `If-Match` or `If-Unmodified-Since` (RFC 6585 §3). */
  FCV_ERR_PRECONDITION_REQUIRED: createError<'FCV_ERR_PRECONDITION_REQUIRED', 428, [string, string]>(
    'FCV_ERR_PRECONDITION_REQUIRED',
    "%s '%s' must be conditional: send If-Match with the ETag you read (or If-Unmodified-Since)",
    428,
  ),
  /** Registration: `asView` was called without a usable endpoint name. */
  FCV_ERR_INVALID_VIEW_NAME: createError<'FCV_ERR_INVALID_VIEW_NAME', 500, [string]>(
    'FCV_ERR_INVALID_VIEW_NAME',
    'asView() needs the view name as a non-empty string as its first argument, got %s',
    500,
  ),
  /** Registration: what was given to `addView` (or the `views` option) is not a view function from `asView()`. */
  FCV_ERR_INVALID_VIEW: createError<'FCV_ERR_INVALID_VIEW', 500, [string, string]>(
    'FCV_ERR_INVALID_VIEW',
    "addView('%s') expects a view function made by SomeView.asView(name), got %s",
    500,
  ),
  /** Registration: a view class lacks what it needs to serve (no `dispatchRequest`, a decorator that returned no function). */
  FCV_ERR_INVALID_VIEW_CLASS: createError<'FCV_ERR_INVALID_VIEW_CLASS', 500, [string, string]>(
    'FCV_ERR_INVALID_VIEW_CLASS',
    "View '%s' cannot be served: %s",
    500,
  ),
  /** Registration: a view declares a method that is not an HTTP method, or one Fastify was not taught. */
  FCV_ERR_METHOD_NOT_SUPPORTED: createError<'FCV_ERR_METHOD_NOT_SUPPORTED', 500, [string, string, string]>(
    'FCV_ERR_METHOD_NOT_SUPPORTED',
    "View '%s' declares the method '%s', which %s",
    500,
  ),
  /** Registration: an endpoint name is already taken by another view in the same encapsulation context. */
  FCV_ERR_DUPLICATE_ENDPOINT: createError<'FCV_ERR_DUPLICATE_ENDPOINT', 500, [string, string, string]>(
    'FCV_ERR_DUPLICATE_ENDPOINT',
    "Endpoint '%s' is already taken in this context by another view serving '%s'; cannot use it for '%s'. Give one of them another name",
    500,
  ),
  /** Registration: a later route claims a method and path that a view already owns (serves, or answers 405 for). */
  FCV_ERR_ROUTE_OWNED_BY_VIEW: createError<'FCV_ERR_ROUTE_OWNED_BY_VIEW', 500, [string, string, string, string]>(
    'FCV_ERR_ROUTE_OWNED_BY_VIEW',
    "Method '%s' on '%s' is owned by view '%s' (it %s); to serve that method there, add it to the view",
    500,
  ),
  /** Registration: a view would serve a method and path that another, earlier route already serves. */
  FCV_ERR_ROUTE_TAKEN: createError<'FCV_ERR_ROUTE_TAKEN', 500, [string, string, string]>(
    'FCV_ERR_ROUTE_TAKEN',
    "View '%s' cannot serve %s '%s': another route already does; remove it, or serve the method from the view",
    500,
  ),
  /** `urlFor`: no view is registered under that endpoint name where it was asked. */
  FCV_ERR_UNKNOWN_ENDPOINT: createError<'FCV_ERR_UNKNOWN_ENDPOINT', 500, [string]>(
    'FCV_ERR_UNKNOWN_ENDPOINT',
    "urlFor: no view is registered under the endpoint '%s' in this context, its parents or its children",
    500,
  ),
  /** `urlFor`: the endpoint name is defined in several child contexts, so the root cannot choose. */
  FCV_ERR_AMBIGUOUS_ENDPOINT: createError<'FCV_ERR_AMBIGUOUS_ENDPOINT', 500, [string, string]>(
    'FCV_ERR_AMBIGUOUS_ENDPOINT',
    "urlFor: the endpoint '%s' is defined in several contexts (%s); call urlFor on the context that owns it, e.g. request.server.urlFor",
    500,
  ),
  /** `urlFor`: a path parameter was not given. */
  FCV_ERR_MISSING_URL_PARAM: createError<'FCV_ERR_MISSING_URL_PARAM', 500, [string, string, string]>(
    'FCV_ERR_MISSING_URL_PARAM',
    "urlFor('%s') needs the parameter '%s' to build '%s'",
    500,
  ),
  /** `urlFor`: a parameter value would build a URL that points elsewhere (empty, a dot segment, `//`) or cannot be encoded. */
  FCV_ERR_INVALID_URL_PARAM: createError<'FCV_ERR_INVALID_URL_PARAM', 500, [string, string, string]>(
    'FCV_ERR_INVALID_URL_PARAM',
    "urlFor('%s'): the parameter '%s' %s",
    500,
  ),
  /** Registration: `viewsPlugin` (or `addView`) used in an app where `fastifyViews` is not registered. */
  FCV_ERR_PLUGIN_NOT_REGISTERED: createError<'FCV_ERR_PLUGIN_NOT_REGISTERED', 500, [string]>(
    'FCV_ERR_PLUGIN_NOT_REGISTERED',
    '%s needs the fastifyViews plugin: register it first, at the root (await app.register(fastifyViews))',
    500,
  ),
  /** A `RepositoryResource` item the repository does not have. */
  FCV_ERR_NOT_FOUND: createError<'FCV_ERR_NOT_FOUND', 404, [string]>(
    'FCV_ERR_NOT_FOUND',
    "No item with id '%s'",
    404,
  ),
  /** A nested resource's parent (`static parent`) does not exist: answered before the action runs. */
  FCV_ERR_PARENT_NOT_FOUND: createError<'FCV_ERR_PARENT_NOT_FOUND', 404, [string, string, string]>(
    'FCV_ERR_PARENT_NOT_FOUND',
    "%s: no parent with %s '%s'",
    404,
  ),
  /** Registration: a schema in a view's route has an `$id` another, different schema of the context already has. */
  FCV_ERR_SCHEMA_ID_TAKEN: createError<'FCV_ERR_SCHEMA_ID_TAKEN', 500, [string, string]>(
    'FCV_ERR_SCHEMA_ID_TAKEN',
    "View '%s': the schema $id '%s' already names a different schema in this context; give one of them another $id",
    500,
  ),
  /** 500: an event stream's source gave something that is not a server-sent event (or an `eventStream` verb returned no iterable). */
  FCV_ERR_INVALID_EVENT: createError<'FCV_ERR_INVALID_EVENT', 500, [string, string]>(
    'FCV_ERR_INVALID_EVENT',
    '%s: %s',
    500,
  ),
  /** A client (of an event stream, an `EventChannel` or a WebSocket view) stopped reading and more than `bufferLimit` bytes waited for it: it is dropped. */
  FCV_ERR_SLOW_CLIENT: createError<'FCV_ERR_SLOW_CLIENT', 503, [string, number, number]>(
    'FCV_ERR_SLOW_CLIENT',
    'Dropped a client of %s: %d bytes were waiting for it, over the buffer limit of %d',
    503,
  ),
  /** A WebSocket message failed the view's `messageSchema` or was not JSON (the socket closes with 1007), or was binary where JSON was expected (1003). */
  FCV_ERR_INVALID_MESSAGE: createError<'FCV_ERR_INVALID_MESSAGE', 400, [string, string]>(
    'FCV_ERR_INVALID_MESSAGE',
    "Invalid message for '%s': %s",
    400,
  ),
  /** 426: a plain HTTP `GET` reached a WebSocket view, which only answers WebSocket upgrades. The reply carries `Upgrade: websocket`. */
  FCV_ERR_UPGRADE_REQUIRED: createError<'FCV_ERR_UPGRADE_REQUIRED', 426, [string, string]>(
    'FCV_ERR_UPGRADE_REQUIRED',
    "View '%s' on '%s' is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket)",
    426,
  ),
  /** Registration: a WebSocket view was added to an app without `@fastify/websocket`. */
  FCV_ERR_WEBSOCKET_NOT_REGISTERED: createError<'FCV_ERR_WEBSOCKET_NOT_REGISTERED', 500, [string]>(
    'FCV_ERR_WEBSOCKET_NOT_REGISTERED',
    "View '%s' is a WebSocket view: install @fastify/websocket and register it before the view (await app.register(websocket))",
    500,
  ),
  /** Registration: a plugin or `addView` option is wrong or cannot be honoured. */
  FCV_ERR_INVALID_OPTION: createError<'FCV_ERR_INVALID_OPTION', 500, [string, string]>(
    'FCV_ERR_INVALID_OPTION',
    "Invalid option '%s': %s",
    500,
  ),
};
