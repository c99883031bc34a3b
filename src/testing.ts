import Fastify, { FastifyInstance, InjectOptions } from 'fastify';
import { UrlParams, fillPath } from './paths';
import type { EnsureSync } from './ensure-sync';
import { fastifyViews } from './plugin';
import type { ViewRouteOptions } from './route-options';
import { errors } from './errors';
import { Action, COLLECTION_ACTIONS, ExtraActionView, ITEM_ACTIONS, Resource, ResourceViews, resourcePaths } from './resource';
import { View, ViewClass, ViewFunction, isViewFunction } from './view';
import { SocketClose, ViewSocket, isWebSocketView } from './websocket-view';

/** What a test sends to a view. Everything is optional: a bare call is `GET /`. */
export interface ViewTestRequest<C extends ViewClass = ViewClass> {
  method?: InjectOptions['method'];
  /** The route path the view is served at; default: one `/:name` segment per `params` key. */
  path?: string;
  params?: UrlParams;
  query?: Record<string, string | number | boolean | readonly (string | number | boolean)[]>;
  headers?: Record<string, string>;
  /** A JSON value (sent as `application/json`), a string or a Buffer. */
  body?: unknown;
  /** Constructor arguments, when a class is given. */
  args?: ConstructorParameters<C>;
  /** The endpoint name, when a class is given (default: the class name). */
  name?: string;
  /**
   * Other endpoints the view links to with `urlFor`, by name and path: they are served by
   * stand-ins, so that `Location` and `Link` headers can be built. The view's own name here
   * gives its default `path`.
   */
  endpoints?: Record<string, string>;
  /** Serve with this class instead of the view function's own (`viewClass` swap). */
  viewClass?: ViewClass;
  /** Route options, as for `addView` (schemas apply, so validation can be tested too). */
  options?: ViewRouteOptions;
  /** A dispatcher to use instead of the default `ensureSync`. */
  ensureSync?: EnsureSync;
  /** Prepares the throwaway app before the view is added: decorators, hooks, an error handler. */
  setup?: (app: FastifyInstance) => void | Promise<void>;
}

/** What the view answered. */
export interface ViewTestResponse {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The body parsed as JSON when the view sent JSON, the text otherwise. */
  body: unknown;
  /** The body as text. */
  text: string;
}

/**
 * Runs one view in isolation — no application, none of its plugins, no network port — and
 * returns what it answered. Pass a view class (with `args`) or a view function from `asView`.
 *
 * @example
 * import { runView } from 'fastify-class-views/testing';
 * const res = await runView(BookAPI, { params: { id: 7 }, args: [fakeStore] });
 * expect(res.status).toBe(200);
 * expect(res.body).toEqual({ id: 7, title: 'Dune' });
 */
export async function runView<C extends ViewClass>(view: C | ViewFunction<C>, request: ViewTestRequest<C> = {}): Promise<ViewTestResponse> {
  const { viewFunction, path, url } = viewUnderTest(view, request);
  // The swap lasts for this run only: the caller's view function is left as it was.
  const originalClass = viewFunction.viewClass;
  if (request.viewClass) viewFunction.viewClass = request.viewClass;
  try {
    return await serve(request, [viewFunction.viewName], (app) => app.addView(path, viewFunction, request.options), request.method ?? 'GET', url);
  } finally {
    viewFunction.viewClass = originalClass;
  }
}

/** The view function a test runs (the given one, or the class's `asView` with `name` and `args`), its route path and the URL to send to. */
function viewUnderTest<C extends ViewClass>(view: C | ViewFunction<C>, request: SocketTestRequest<C>): { viewFunction: ViewFunction; path: string; url: string } {
  const viewFunction = (isViewFunction(view)
    ? view
    : (view as C & typeof View).asView(request.name ?? (view.name || 'view'), ...((request.args ?? []) as ConstructorParameters<C>))) as ViewFunction;
  const params = request.params ?? {};
  const path = request.path ?? request.endpoints?.[viewFunction.viewName] ?? ('/' + Object.keys(params).map((key) => `:${key}`).join('/'));
  return { viewFunction, path, url: fillPath(viewFunction.viewName, path, params, false).url };
}

/** What a test sends to a resource: as for `runView`, and which action it is for. */
export interface ResourceTestRequest<C extends ViewClass = ViewClass> extends Omit<ViewTestRequest<C>, 'viewClass'> {
  /**
   * The action the request is for — `list`, `retrieve`, … or an extra action's name: it picks
   * the URL (collection, item, or the extra action's) and the method (the action's verb; an
   * extra action's first method) unless `method` is given. Without it, the request goes to the
   * item URL when `params` has the item parameter, else to the collection.
   */
  action?: Action | (string & {});
  /**
   * The collection's route path; default: the resource's entry in `endpoints`, else `/name`
   * (`/:parent/name` for a nested resource).
   */
  path?: string;
}

/**
 * `runView` for a `Resource`: registers the whole resource (collection, item and extra actions,
 * as `addResource` does) on a throwaway app and sends one request, to the action named by
 * `action` or to the URL `params` point at. Pass what `asResource` returns, or the class (with
 * `args` and `name`).
 *
 * @example
 * import { runResource } from 'fastify-class-views/testing';
 * const res = await runResource(Books.asResource('books', fakeStore), { action: 'retrieve', params: { id: 7 } });
 * expect(res.status).toBe(200);
 * await runResource(Books, { args: [fakeStore], action: 'create', body: { title: 'Emma' } });   // POST /books
 */
export async function runResource<C extends ViewClass<Resource>>(resource: C | ResourceViews, request: ResourceTestRequest<C> = {}): Promise<ViewTestResponse> {
  const views = isResourceViews(resource)
    ? resource
    : Resource.asResource.call(resource as never, request.name ?? (resource.name || 'resource'), ...((request.args ?? []) as never[]));
  const params = request.params ?? {};
  const path = request.path ?? request.endpoints?.[views.name] ?? (views.parent ? `/:${views.parent.name}/${views.name}` : `/${views.name}`);
  const paths = resourcePaths(path, views);
  const target = targetOf(views, request.action, Object.hasOwn(params, views.itemParam.name));
  const url = target.extra ? paths.of(target.extra) : target.on === 'item' ? paths.item : paths.collection;
  const own = [views.name, `${views.name}.item`, ...views.extra.map((extra) => extra.view.viewName)];
  return serve(request, own, (app) => app.addResource(path, views, request.options), request.method ?? target.method, fillPath(views.name, url, params, false).url);
}

function isResourceViews(value: unknown): value is ResourceViews {
  return typeof value === 'object' && value !== null && (value as ResourceViews).kind === 'resource';
}

/** Where an action is served: on the collection or an item (or as an extra action), and its method. */
function targetOf(views: ResourceViews, action: string | undefined, hasItemParam: boolean): { on: 'collection' | 'item'; extra?: ExtraActionView; method: string } {
  if (action === undefined) return { on: hasItemParam ? 'item' : 'collection', method: 'GET' };
  if (Object.hasOwn(COLLECTION_ACTIONS, action)) return { on: 'collection', method: COLLECTION_ACTIONS[action as keyof typeof COLLECTION_ACTIONS].toUpperCase() };
  if (Object.hasOwn(ITEM_ACTIONS, action)) return { on: 'item', method: ITEM_ACTIONS[action as keyof typeof ITEM_ACTIONS].toUpperCase() };
  const extra = views.extra.find((candidate) => candidate.action === action);
  if (extra === undefined) {
    const known = [...views.actions, ...views.extra.map((e) => e.action)];
    throw new errors.FCV_ERR_INVALID_OPTION('action', `resource '${views.name}' has no action '${action}' (its actions: ${known.join(', ')})`);
  }
  return { on: extra.on, extra, method: extra.view.methods[0] };
}

/**
 * Builds the throwaway app — the plugin, the test's `setup`, stand-ins for the other endpoints
 * — registers what is under test and sends one request.
 */
async function serve(request: ViewTestRequest<never> | ResourceTestRequest<never>, own: string[], register: (app: FastifyInstance) => void, method: string, url: string): Promise<ViewTestResponse> {
  const app = Fastify();
  try {
    await prepare(app, request, own);
    register(app);
    const body = request.body;
    const json = body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
    const response = await app.inject({
      method: method as InjectOptions['method'],
      url, // a test may send an empty id on purpose
      query: request.query as InjectOptions['query'],
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...request.headers },
      payload: json ? JSON.stringify(body) : (body as string | Buffer | undefined),
    });
    const isJson = String(response.headers['content-type'] ?? '').includes('json') && response.body.length > 0;
    return { status: response.statusCode, headers: response.headers, body: isJson ? JSON.parse(response.body) : response.body, text: response.body };
  } finally {
    await app.close();
  }
}

/** The throwaway app's set-up, before what is under test is registered: the plugin, the test's `setup`, stand-ins for the other endpoints. */
async function prepare(app: FastifyInstance, request: SocketTestRequest<never>, own: readonly string[]): Promise<void> {
  await app.register(fastifyViews, request.ensureSync ? { ensureSync: request.ensureSync } : {});
  await request.setup?.(app);
  for (const [name, endpointPath] of Object.entries(request.endpoints ?? {})) {
    if (!own.includes(name)) app.addView(endpointPath, StandIn.asView(name));
  }
}

/** Serves an endpoint a view under test links to, so that `urlFor` can build its URL. */
class StandIn extends View {
  dispatchRequest(): string {
    return 'stand-in endpoint of runView';
  }
}

/** What a test opens a WebSocket view with: as for `runView`, without a body or method. */
export type SocketTestRequest<C extends ViewClass = ViewClass> = Omit<ViewTestRequest<C>, 'method' | 'body' | 'query' | 'viewClass'>;

/** A client connected to a WebSocket view under test (through `@fastify/websocket`'s `injectWS`). */
export interface SocketTest {
  /** The client's socket (a `ws` WebSocket): `send` to the view, `close` it. */
  readonly socket: ViewSocket;
  /** The throwaway app serving the view. */
  readonly app: FastifyInstance;
  /** The next message the view sent (as text; Buffers for binary frames), waiting at most `timeoutMs`. */
  nextMessage(timeoutMs?: number): Promise<string | Buffer>;
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<SocketClose>;
  /** Closes the socket and the app. */
  close(): Promise<void>;
}

/**
 * Connects to one WebSocket view in isolation: a throwaway app with the plugin and
 * `@fastify/websocket` (an optional peer, needed for this), no network port: the client is
 * `injectWS`'s. Pass a view class (with `args`) or a view function from `asView`; close the
 * returned test when done. Rejects when the handshake is refused (a hook answering 401, say),
 * with the status in the message.
 *
 * @example
 * import { connectView } from 'fastify-class-views/testing';
 * const chat = await connectView(Echo);
 * chat.socket.send(JSON.stringify({ text: 'hi' }));
 * expect(JSON.parse(String(await chat.nextMessage()))).toEqual({ echo: 'hi' });
 * await chat.close();
 */
export async function connectView<C extends ViewClass>(view: C | ViewFunction<C>, request: SocketTestRequest<C> = {}): Promise<SocketTest> {
  const { viewFunction, path, url } = viewUnderTest(view, request);
  if (!isWebSocketView(viewFunction.viewClass)) {
    throw new errors.FCV_ERR_INVALID_VIEW_CLASS(viewFunction.viewName, 'connectView connects to a WebSocketView; test an HTTP view with runView');
  }
  const plugin = loadWebSocketPlugin(viewFunction.viewName);
  const app = Fastify();
  try {
    await app.register(plugin);
    await prepare(app, request, [viewFunction.viewName]);
    app.addView(path, viewFunction, request.options);
    await app.ready();
    let test: SocketTest | undefined;
    const injectWS = (app as unknown as { injectWS: InjectWS }).injectWS;
    // Listening from the client's first moment (onInit): what onConnect sends may come with the handshake.
    await injectWS.call(app, url, { headers: request.headers ?? {} }, { onInit: (client) => (test = socketTest(app, client)) });
    return test!;
  } catch (err) {
    await app.close();
    throw err;
  }
}

type InjectWS = (path: string, context: { headers: Record<string, string> }, options: { onInit(client: ViewSocket): void }) => Promise<ViewSocket>;

function socketTest(app: FastifyInstance, socket: ViewSocket): SocketTest {
  const received: Array<string | Buffer> = [];
  const waiting: Array<() => void> = [];
  socket.on('message', ((data: Buffer, isBinary: boolean) => {
    received.push(isBinary ? data : data.toString('utf8'));
    waiting.splice(0).forEach((wake) => wake());
  }) as never);
  const closed = new Promise<SocketClose>((resolve) => {
    socket.on('close', ((code: number, reason: Buffer) => {
      resolve({ code, reason: reason.toString('utf8') });
      waiting.splice(0).forEach((wake) => wake());
    }) as never);
  });
  let isClosed = false;
  void closed.then(() => (isClosed = true));
  const nextMessage = async (timeoutMs = 2000): Promise<string | Buffer> => {
    const deadline = Date.now() + timeoutMs;
    while (received.length === 0) {
      if (isClosed) throw new Error('the socket closed before the next message');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message within ${timeoutMs} ms`);
      await new Promise<void>((wake) => {
        const timer = setTimeout(wake, left);
        waiting.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
    return received.shift()!;
  };
  return {
    socket, app, nextMessage, closed,
    async close() {
      // Not a closing handshake: over injectWS's in-memory streams neither side sees the stream
      // end, and each side's 30 s close timer would keep the process alive. Both are terminated
      // (a view's onClose that has not run yet runs, with 1006).
      socket.terminate();
      const server = (app as unknown as { websocketServer?: { clients: Set<ViewSocket> } }).websocketServer;
      for (const client of server?.clients ?? []) client.terminate();
      await app.close();
    },
  };
}

/** `@fastify/websocket`, loaded only here: it is an optional peer dependency. */
function loadWebSocketPlugin(name: string): Parameters<FastifyInstance['register']>[0] {
  try {
    return require('@fastify/websocket');
  } catch {
    throw new errors.FCV_ERR_WEBSOCKET_NOT_REGISTERED(name);
  }
}
