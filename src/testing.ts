import Fastify, { FastifyInstance, InjectOptions } from 'fastify';
import { UrlParams, fillPath } from './paths';
import type { EnsureSync } from './ensure-sync';
import { fastifyViews } from './plugin';
import type { ViewRouteOptions } from './route-options';
import { View, ViewClass, ViewFunction, isViewFunction } from './view';

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
  const viewFunction = isViewFunction(view)
    ? view
    : (view as C & typeof View).asView(request.name ?? (view.name || 'view'), ...((request.args ?? []) as ConstructorParameters<C>));
  // The swap lasts for this run only: the caller's view function is left as it was.
  const originalClass = viewFunction.viewClass;
  if (request.viewClass) (viewFunction as ViewFunction).viewClass = request.viewClass;

  const params = request.params ?? {};
  const endpoints = request.endpoints ?? {};
  const path = request.path ?? endpoints[viewFunction.viewName] ?? ('/' + Object.keys(params).map((key) => `:${key}`).join('/'));
  const app = Fastify();
  try {
    await app.register(fastifyViews, request.ensureSync ? { ensureSync: request.ensureSync } : {});
    await request.setup?.(app);
    for (const [name, endpointPath] of Object.entries(endpoints)) {
      if (name !== viewFunction.viewName) app.addView(endpointPath, StandIn.asView(name));
    }
    app.addView(path, viewFunction as ViewFunction, request.options);
    const body = request.body;
    const json = body !== undefined && typeof body !== 'string' && !Buffer.isBuffer(body);
    const response = await app.inject({
      method: request.method ?? 'GET',
      url: fillPath(viewFunction.viewName, path, params, false).url, // a test may send an empty id on purpose
      query: request.query as InjectOptions['query'],
      headers: { ...(json ? { 'content-type': 'application/json' } : {}), ...request.headers },
      payload: json ? JSON.stringify(body) : (body as string | Buffer | undefined),
    });
    const isJson = String(response.headers['content-type'] ?? '').includes('json') && response.body.length > 0;
    return { status: response.statusCode, headers: response.headers, body: isJson ? JSON.parse(response.body) : response.body, text: response.body };
  } finally {
    (viewFunction as ViewFunction).viewClass = originalClass;
    await app.close();
  }
}

/** Serves an endpoint a view under test links to, so that `urlFor` can build its URL. */
class StandIn extends View {
  dispatchRequest(): string {
    return 'stand-in endpoint of runView';
  }
}
