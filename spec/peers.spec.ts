// Behaviour ported from the peers' own test suites — Flask (tests/test_views.py), Werkzeug
// (tests/test_routing.py), Starlette (tests/test_endpoints.py) and Django
// (tests/generic_views/test_base.py, tests/async/tests.py) — wherever this library claims the
// same behaviour (README: API, HTTP behaviour, urlFor and endpoint names; shared/DESIGN.md).
// Every test talks to a real server on 127.0.0.1 through the global fetch, not only app.inject.
//
// Not ported here: Werkzeug's allowed-methods union (test_allowed_methods_querying) and the
// url-building choice among rules (test_defaults, test_method_fallback's tie), already in
// spec/shared-urls.spec.ts and spec/url-for.spec.ts; what has no counterpart (WSGI environ,
// subdomains and hosts, converters, strict-slash redirects, websocket rules, Django's
// as_view(**initkwargs), template and redirect views, Django's "all handlers sync or all async"
// rule, which we do not have: sync and async verbs mix freely).
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import fastifyViews, { FastifyViewsOptions, MethodView, View, ViewDecorator } from '../src';

// --- a real server per test or per group --------------------------------------------------

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  allow: string | null;
}

interface Served {
  app: FastifyInstance;
  base: string;
  call(method: string, path: string, init?: RequestInit): Promise<Answer>;
  close(): Promise<void>;
}

type Setup = (app: FastifyInstance) => void | Promise<void>;

/** Builds an app with the plugin, runs `setup`, listens on an ephemeral port of 127.0.0.1. */
async function serve(setup: Setup, plugin: FastifyViewsOptions = {}, server: FastifyServerOptions = {}): Promise<Served> {
  const app = Fastify(server);
  try {
    await app.register(fastifyViews, plugin);
    await setup(app);
    await app.listen({ port: 0, host: '127.0.0.1' });
  } catch (error) {
    await app.close();
    throw error;
  }
  const { port } = app.server.address() as { port: number };
  const base = `http://127.0.0.1:${port}`;
  return {
    app,
    base,
    async call(method, path, init = {}) {
      const response = await fetch(new URL(path, base), { ...init, method, redirect: 'manual', signal: AbortSignal.timeout(5000) });
      const text = await response.text();
      return { status: response.status, headers: response.headers, text, allow: response.headers.get('allow') };
    },
    close: () => app.close(),
  };
}

/** One server for one test, closed whatever happens. */
async function withServer(setup: Setup, run: (served: Served) => Promise<void>, plugin?: FastifyViewsOptions, server?: FastifyServerOptions): Promise<void> {
  const served = await serve(setup, plugin, server);
  try {
    await run(served);
  } finally {
    await served.close();
  }
}

/** The error code and message of what `fn` throws (or `['no error']`). */
function thrown(fn: () => unknown): [string | undefined, string] {
  try {
    fn();
  } catch (error) {
    return [(error as { code?: string }).code, (error as Error).message];
  }
  return [undefined, 'no error'];
}

/** The methods of an Allow field, as a set-like sorted list (Werkzeug's parse_set_header). */
const methodsOf = (allow: string | null) => (allow ?? '').split(',').map((m) => m.trim()).filter(Boolean).sort();

/** Flask's common_test: GET and POST answered, PUT refused, OPTIONS listing GET, HEAD, OPTIONS, POST. */
async function commonTest(served: Served): Promise<void> {
  expect((await served.call('GET', '/')).text).toBe('GET');
  expect((await served.call('POST', '/')).text).toBe('POST');
  expect((await served.call('PUT', '/')).status).toBe(405);
  const options = await served.call('OPTIONS', '/');
  expect(methodsOf(options.allow)).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
}

// Mixins stand in for Python's multiple inheritance (JavaScript classes have one base).
type MethodViewClass = new (...args: any[]) => MethodView; // eslint-disable-line @typescript-eslint/no-explicit-any
function WithDelete<B extends MethodViewClass>(Base: B) {
  return class extends Base {
    delete() {
      return 'DELETE';
    }
  };
}
function WithPost<B extends MethodViewClass>(Base: B) {
  return class extends Base {
    post() {
      return 'POST';
    }
  };
}

// --- Flask: tests/test_views.py -------------------------------------------------------------

describe('Flask views, over HTTP', () => {
  it('serves GET and POST from a View that lists them, refuses PUT, and lists both in OPTIONS', async () => {
    // flask tests/test_views.py::test_basic_view
    class Index extends View {
      static override methods = ['GET', 'POST'] as const;
      dispatchRequest(request: FastifyRequest) {
        return request.method;
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), commonTest);
  });

  it('serves GET and POST from the handlers of a MethodView, refuses PUT, and lists both in OPTIONS', async () => {
    // flask tests/test_views.py::test_method_based_view
    class Index extends MethodView {
      get() {
        return 'GET';
      }
      post() {
        return 'POST';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), commonTest);
  });

  it('serves the class put into viewClass before the view is registered', async () => {
    // flask tests/test_views.py::test_view_patching
    class Index extends MethodView {
      get(): unknown {
        throw new Error('the original class must not serve');
      }
      post(): unknown {
        throw new Error('the original class must not serve');
      }
    }
    class Other extends Index {
      override get() {
        return 'GET';
      }
      override post() {
        return 'POST';
      }
    }
    const view = Index.asView('index');
    view.viewClass = Other;
    await withServer((app) => void app.addView('/', view), commonTest);
  });

  it('lists the verbs a subclass adds together with the inherited ones', async () => {
    // flask tests/test_views.py::test_view_inheritance
    class Index extends MethodView {
      get() {
        return 'GET';
      }
      post() {
        return 'POST';
      }
    }
    class BetterIndex extends Index {
      delete() {
        return 'DELETE';
      }
    }
    await withServer((app) => void app.addView('/', BetterIndex.asView('index')), async (served) => {
      const options = await served.call('OPTIONS', '/');
      expect(methodsOf(options.allow)).toEqual(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST']);
      expect((await served.call('DELETE', '/')).text).toBe('DELETE');
    });
  });

  it('runs the class decorators around the view: the header they add reaches the client', async () => {
    // flask tests/test_views.py::test_view_decorators (plus HEAD, which shares GET's decorated handler)
    const addXParachute: ViewDecorator = (view) => (request, reply) => {
      reply.header('x-parachute', 'awesome');
      return request.server.ensureSync(view)(request, reply);
    };
    class Index extends View {
      static override decorators = [addXParachute];
      dispatchRequest() {
        return 'Awesome';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const get = await served.call('GET', '/');
      expect([get.status, get.headers.get('x-parachute'), get.text]).toEqual([200, 'awesome', 'Awesome']);
      const head = await served.call('HEAD', '/');
      expect([head.status, head.headers.get('x-parachute'), head.text]).toEqual([200, 'awesome', '']);
    });
  });

  it('answers OPTIONS with 405 when the class turns automatic OPTIONS off', async () => {
    // flask tests/test_views.py::test_view_provide_automatic_options_attr_disable
    class Index extends View {
      static override provideAutomaticOptions = false;
      dispatchRequest() {
        return 'Hello World!';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const options = await served.call('OPTIONS', '/');
      expect(options.status).toBe(405);
      // Ours: the 405's Allow no longer lists OPTIONS.
      expect(options.allow).toBe('GET, HEAD');
    });
  });

  it('answers OPTIONS with GET, HEAD, OPTIONS when the class turns automatic OPTIONS on', async () => {
    // flask tests/test_views.py::test_view_provide_automatic_options_attr_enable
    // (no app-wide PROVIDE_AUTOMATIC_OPTIONS setting here: the class attribute alone is ported)
    class Index extends View {
      static override provideAutomaticOptions = true;
      dispatchRequest() {
        return 'Hello World!';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const options = await served.call('OPTIONS', '/');
      expect([options.status, options.allow, options.text]).toEqual([200, 'GET, HEAD, OPTIONS', '']);
    });
  });

  it('lets a view that lists OPTIONS answer it itself instead of the automatic answer', async () => {
    // flask tests/test_views.py::test_provide_automatic_options_method_disable
    class Index extends View {
      static override methods = ['OPTIONS'] as const;
      dispatchRequest(_request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-test', 'test');
        return '';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const options = await served.call('OPTIONS', '/');
      expect([options.status, options.headers.get('x-test')]).toEqual([200, 'test']);
    });
  });

  it('answers HEAD through get(): same headers, request.method is HEAD, no body', async () => {
    // flask tests/test_views.py::test_implicit_head (get() sets the header on the reply)
    class Index extends MethodView {
      get(request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-method', request.method);
        return 'Blub';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const get = await served.call('GET', '/');
      expect([get.text, get.headers.get('x-method')]).toEqual(['Blub', 'GET']);
      const head = await served.call('HEAD', '/');
      expect([head.status, head.text, head.headers.get('x-method'), head.headers.get('content-length')]).toEqual([200, '', 'HEAD', '4']);
    });
  });

  it('answers HEAD through get() that returns a web Response: its headers, no body', async () => {
    // flask tests/test_views.py::test_implicit_head (get() returns a response object, as Flask's does)
    class Index extends MethodView {
      get(request: FastifyRequest) {
        return new Response('Blub', { headers: { 'x-method': request.method } });
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      const get = await served.call('GET', '/');
      expect([get.status, get.text, get.headers.get('x-method')]).toEqual([200, 'Blub', 'GET']);
      const head = await served.call('HEAD', '/');
      expect([head.status, head.text, head.headers.get('x-method')]).toEqual([200, '', 'HEAD']);
    });
  });

  it('answers HEAD with head() when the class defines it', async () => {
    // flask tests/test_views.py::test_explicit_head
    let getCalls = 0;
    class Index extends MethodView {
      get() {
        getCalls++;
        return 'GET';
      }
      head(_request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-method', 'HEAD');
        return '';
      }
    }
    await withServer((app) => void app.addView('/', Index.asView('index')), async (served) => {
      expect((await served.call('GET', '/')).text).toBe('GET');
      const head = await served.call('HEAD', '/');
      expect([head.status, head.text, head.headers.get('x-method')]).toEqual([200, '', 'HEAD']);
      expect(getCalls).toBe(1);
    });
  });

  it('refuses a second view function under a taken endpoint name, and keeps serving the first', async () => {
    // flask tests/test_views.py::test_endpoint_override (Flask raises AssertionError; ours FCV_ERR_DUPLICATE_ENDPOINT)
    class Index extends View {
      static override methods = ['GET', 'POST'] as const;
      dispatchRequest(request: FastifyRequest) {
        return request.method;
      }
    }
    let refusal: [string | undefined, string] = [undefined, ''];
    await withServer(
      (app) => {
        app.addView('/', Index.asView('index'));
        refusal = thrown(() => app.addView('/other', Index.asView('index')));
      },
      async (served) => {
        expect(refusal[0]).toBe('FCV_ERR_DUPLICATE_ENDPOINT');
        expect(refusal[1]).toContain('index');
        await commonTest(served);
        expect((await served.call('GET', '/other')).status).toBe(404); // a refused view leaves nothing behind
      },
    );
  });

  it('keeps a base class’s listed method without a handler for it: 405, and a warning at registration', async () => {
    // flask tests/test_views.py::test_methods_var_inheritance — ours differs by design: dispatch
    // only calls the eight verb handlers, so propfind() never serves PROPFIND (405), and the
    // derived `methods` still keeps the base's list, as Flask's does.
    class BaseView extends MethodView {
      static override methods = ['GET', 'PROPFIND'] as const;
    }
    let propfindCalls = 0;
    class ChildView extends BaseView {
      get() {
        return 'GET';
      }
      propfind() {
        propfindCalls++;
        return 'PROPFIND';
      }
    }
    const warnings: string[] = [];
    const logger = { level: 'warn', stream: { write: (line: string) => void warnings.push(String(JSON.parse(line).msg)) } };
    await withServer(
      (app) => {
        app.addHttpMethod('PROPFIND', { hasBody: true });
        app.addView('/', ChildView.asView('index'));
      },
      async (served) => {
        expect((await served.call('GET', '/')).text).toBe('GET');
        const propfind = await served.call('PROPFIND', '/');
        expect([propfind.status, propfind.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
        expect(propfindCalls).toBe(0);
        expect([...ChildView.methods!].sort()).toEqual(['GET', 'PROPFIND']);
        expect(warnings.some((msg) => msg.includes("view 'index' lists PROPFIND but has no handler"))).toBe(true);
      },
      {},
      { logger },
    );
  });

  it('serves the verbs of every mixed-in base and derives its methods from all of them', async () => {
    // flask tests/test_views.py::test_multiple_inheritance (a mixin chain, JavaScript's single-inheritance counterpart)
    class GetView extends MethodView {
      get() {
        return 'GET';
      }
    }
    class GetDeleteView extends WithDelete(GetView) {}
    await withServer((app) => void app.addView('/', GetDeleteView.asView('index')), async (served) => {
      expect((await served.call('GET', '/')).text).toBe('GET');
      expect((await served.call('DELETE', '/')).text).toBe('DELETE');
      expect([...GetDeleteView.methods!].sort()).toEqual(['DELETE', 'GET']);
    });
  });

  it('removes an inherited verb when the class sets its own methods', async () => {
    // flask tests/test_views.py::test_remove_method_from_parent (View(GetView, OtherView) as a mixin chain)
    class GetView extends MethodView {
      get() {
        return 'GET';
      }
    }
    class OnlyGet extends WithPost(GetView) {
      static override methods = ['GET'] as const;
    }
    await withServer((app) => void app.addView('/', OnlyGet.asView('index')), async (served) => {
      expect((await served.call('GET', '/')).text).toBe('GET');
      const post = await served.call('POST', '/');
      expect([post.status, post.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
      expect([...OnlyGet.methods!].sort()).toEqual(['GET']);
    });
  });

  it('builds one instance in asView and shares it across requests when initEveryRequest is false', async () => {
    // flask tests/test_views.py::test_init_once
    let n = 0;
    class CountInit extends View {
      static override initEveryRequest = false;
      constructor() {
        super();
        n += 1;
      }
      dispatchRequest() {
        return String(n);
      }
    }
    await withServer((app) => void app.addView('/', CountInit.asView('index')), async (served) => {
      expect((await served.call('GET', '/')).text).toBe('1');
      expect((await served.call('GET', '/')).text).toBe('1');
    });
  });
});

// --- Werkzeug: tests/test_routing.py ----------------------------------------------------------

describe('Werkzeug routing, over HTTP', () => {
  it('answers HEAD through GET, and 405 for HEAD on a view that has no GET', async () => {
    // werkzeug tests/test_routing.py::test_implicit_head
    class A extends MethodView {
      get() {
        return 'a';
      }
    }
    class B extends MethodView {
      post() {
        return 'b';
      }
    }
    await withServer(
      (app) => {
        app.addView('/get', A.asView('a'));
        app.addView('/post', B.asView('b'));
      },
      async (served) => {
        const head = await served.call('HEAD', '/get');
        expect([head.status, head.headers.get('content-length'), head.text]).toEqual([200, '1', '']);
        const refused = await served.call('HEAD', '/post');
        expect([refused.status, refused.allow]).toEqual([405, 'OPTIONS, POST']);
      },
    );
  });

  it('answers 405 across a trailing slash: /bar/ and /bar are two paths with their own methods', async () => {
    // werkzeug tests/test_routing.py::test_strict_slashes_redirect — ours differs: Fastify does not
    // redirect /bar to /bar/ (GET /bar is the POST view's 405); the 405s are ported as they are.
    class Get extends MethodView {
      get() {
        return 'get';
      }
    }
    class Post extends MethodView {
      post() {
        return 'post';
      }
    }
    await withServer(
      (app) => {
        app.addView('/bar/', Get.asView('get'));
        app.addView('/bar', Post.asView('post'));
      },
      async (served) => {
        expect((await served.call('GET', '/bar/')).text).toBe('get');
        expect((await served.call('POST', '/bar')).text).toBe('post');
        const postSlash = await served.call('POST', '/bar/');
        expect([postSlash.status, postSlash.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
        const getBare = await served.call('GET', '/bar');
        expect([getBare.status, getBare.allow]).toEqual([405, 'OPTIONS, POST']);
      },
    );
  });

  it('refuses a second view on a path and method the first one serves, naming the first', async () => {
    // werkzeug tests/test_routing.py::test_duplicate_method_overlap (DuplicateRuleError; ours FCV_ERR_ROUTE_OWNED_BY_VIEW)
    class GetPost extends View {
      static override methods = ['GET', 'POST'] as const;
      dispatchRequest() {
        return 'a';
      }
    }
    class PostPut extends View {
      static override methods = ['POST', 'PUT'] as const;
      dispatchRequest() {
        return 'b';
      }
    }
    let refusal: [string | undefined, string] = [undefined, ''];
    await withServer(
      (app) => {
        app.addView('/', GetPost.asView('a'));
        refusal = thrown(() => app.addView('/', PostPut.asView('b')));
      },
      async (served) => {
        expect(refusal[0]).toBe('FCV_ERR_ROUTE_OWNED_BY_VIEW');
        expect(refusal[1]).toContain("'a'");
        expect((await served.call('POST', '/')).text).toBe('a');
        expect((await served.call('PUT', '/')).status).toBe(405);
      },
    );
  });

  it('refuses a second view on the same path even with other methods: the first owns its 405s', async () => {
    // werkzeug tests/test_routing.py::test_no_duplicate_head_options — ours differs by design
    // (README, HTTP behaviour): a view owns the methods it answers 405 for, so two views on one
    // exact path are refused; to serve another method there, add it to the view.
    class GetView extends MethodView {
      get() {
        return 'a';
      }
    }
    class PostView extends MethodView {
      post() {
        return 'b';
      }
    }
    let refusal: [string | undefined, string] = [undefined, ''];
    await withServer(
      (app) => {
        app.addView('/', GetView.asView('a'));
        refusal = thrown(() => app.addView('/', PostView.asView('b')));
      },
      async (served) => {
        expect(refusal[0]).toBe('FCV_ERR_ROUTE_OWNED_BY_VIEW');
        expect((await served.call('GET', '/')).text).toBe('a');
        const post = await served.call('POST', '/');
        expect([post.status, post.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
      },
    );
  });

  describe('urlFor builds URLs that reach their view', () => {
    class Echo extends View {
      dispatchRequest(request: FastifyRequest) {
        return { name: request.routeOptions.url, params: request.params, query: request.query };
      }
    }
    const views = () => [
      { path: '/', view: Echo.asView('index') },
      { path: '/foo', view: Echo.asView('foo') },
      { path: '/bar/:baz', view: Echo.asView('bar') },
      { path: '/files/*', view: Echo.asView('barp') },
    ];

    it.each([
      ['without a prefix', undefined, ''],
      ['under the prefix /test', '/test', '/test'],
    ] as const)('builds each endpoint %s, and every built URL is served by that endpoint', async (_label, prefix, root) => {
      // werkzeug tests/test_routing.py::test_basic_building (the script root ported as the plugin's prefix)
      await withServer(
        () => undefined,
        async (served) => {
          const { app } = served;
          expect(app.urlFor('foo')).toBe(`${root}/foo`);
          expect(app.urlFor('bar', { baz: 'blub' })).toBe(`${root}/bar/blub`);
          expect(app.urlFor('barp', { '*': 'la/di' })).toBe(`${root}/files/la/di`);
          expect(app.urlFor('index')).toBe(root === '' ? '/' : root); // Fastify serves a prefixed '/' at /test and /test/
          expect(thrown(() => app.urlFor('urks'))[0]).toBe('FCV_ERR_UNKNOWN_ENDPOINT');
          const cases: Array<[string, string, unknown]> = [
            [app.urlFor('index'), root === '' ? '/' : root, {}],
            [app.urlFor('foo'), `${root}/foo`, {}],
            [app.urlFor('bar', { baz: 'blub' }), `${root}/bar/:baz`, { baz: 'blub' }],
            [app.urlFor('barp', { '*': 'la/di' }), `${root}/files/*`, { '*': 'la/di' }],
          ];
          for (const [url, route, params] of cases) {
            const answer = await served.call('GET', url);
            expect(answer.status).toBe(200);
            expect(JSON.parse(answer.text)).toMatchObject({ name: route, params });
          }
        },
        { prefix, views: views() },
      );
    });
  });

  describe('urlFor parameters, round-tripped through a real request', () => {
    let served: Served;
    class Echo extends View {
      dispatchRequest(request: FastifyRequest) {
        return { params: request.params, query: request.query };
      }
    }
    beforeAll(async () => {
      served = await serve((app) => {
        app.addView('/', Echo.asView('a'));
        app.addView('/flob/:flub', Echo.asView('endp'));
        app.addView('/x/:foo', Echo.asView('x'));
        app.addView('/foo/:class', Echo.asView('keyword'));
        app.addView('/self/:constructor', Echo.asView('proto-name'));
      });
    });
    afterAll(() => served?.close());

    const get = async (url: string) => {
      const answer = await served.call('GET', url);
      expect(answer.status).toBe(200);
      return JSON.parse(answer.text) as { params: Record<string, string>; query: Record<string, string> };
    };

    it.each([
      [undefined, '/'],
      [null, '/'],
      ['', '/?v='],
      [0, '/?v=0'],
      [1.5, '/?v=1.5'],
      [true, '/?v=true'],
      ['1+2', '/?v=1%2B2'],
    ] as const)('appends the unknown value %p as the query string: %p', async (value, expected) => {
      // werkzeug tests/test_routing.py::test_build_append_unknown_dict (lists have no counterpart: UrlParams are scalars)
      const url = served.app.urlFor('a', { v: value });
      expect(url).toBe(expected);
      const { query } = await get(url);
      if (value === undefined || value === null) expect(query).toEqual({});
      else expect(query).toEqual({ v: String(value) });
    });

    it('keeps a query value with a space and a plus sign intact on the way to the view', async () => {
      // werkzeug tests/test_routing.py::test_build_append_unknown_dict ("1+2" → %2B), end to end
      const { query } = await get(served.app.urlFor('a', { v: 'a b+c&d=e' }));
      expect(query).toEqual({ v: 'a b+c&d=e' });
    });

    it('drops null query values and refuses a null path parameter as missing', async () => {
      // werkzeug tests/test_routing.py::test_build_drop_none
      const [code] = thrown(() => served.app.urlFor('endp', { flub: null, flop: null }));
      expect(code).toBe('FCV_ERR_MISSING_URL_PARAM');
      const url = served.app.urlFor('endp', { flub: 'x', flop: null });
      expect(url).not.toContain('flop');
      expect(await get(url)).toEqual({ params: { flub: 'x' }, query: {} });
    });

    it('builds a value with a colon as a path on this server, not as a URL scheme', async () => {
      // werkzeug tests/test_routing.py::test_protocol_joining_bug
      const url = served.app.urlFor('x', { foo: 'x:y' });
      expect(url.startsWith('/x/')).toBe(true);
      expect(new URL(url, served.base).origin).toBe(served.base);
      expect((await get(url)).params).toEqual({ foo: 'x:y' });
    });

    it('builds a parameter named like a keyword', async () => {
      // werkzeug tests/test_routing.py::test_build_url_with_arg_keyword
      const url = served.app.urlFor('keyword', { class: 'bar' });
      expect(url).toBe('/foo/bar');
      expect((await get(url)).params).toEqual({ class: 'bar' });
    });

    it('builds a parameter named like an Object.prototype member, and reports it missing when not given', async () => {
      // werkzeug tests/test_routing.py::test_build_url_with_arg_self (JavaScript's counterpart of a
      // parameter clashing with the builder's own names: `constructor` is on every plain object)
      const url = served.app.urlFor('proto-name', { constructor: 'bar' });
      expect(url).toBe('/self/bar');
      expect((await get(url)).params).toEqual({ constructor: 'bar' });
      expect(thrown(() => served.app.urlFor('proto-name', {}))[0]).toBe('FCV_ERR_MISSING_URL_PARAM');
    });

    it('names the endpoint it does not know, and the parameter that is missing', () => {
      // werkzeug tests/test_routing.py::test_error_message_suggestion and ::test_error_message_without_suggested_rule
      const [unknown, unknownMessage] = thrown(() => served.app.urlFor('urks'));
      expect([unknown, unknownMessage.includes('urks')]).toEqual(['FCV_ERR_UNKNOWN_ENDPOINT', true]);
      const [missing, missingMessage] = thrown(() => served.app.urlFor('endp'));
      expect([missing, missingMessage.includes('flub')]).toEqual(['FCV_ERR_MISSING_URL_PARAM', true]);
    });
  });
});

// --- Starlette: tests/test_endpoints.py ----------------------------------------------------------

describe('Starlette HTTPEndpoint, over HTTP', () => {
  class Homepage extends MethodView {
    async get(request: FastifyRequest<{ Params: { username?: string } }>) {
      const { username } = request.params;
      return username === undefined ? 'Hello, world!' : `Hello, ${username}!`;
    }
  }
  let served: Served;
  beforeAll(async () => {
    const view = Homepage.asView('homepage');
    served = await serve((app) => {
      app.addView('/', view);
      app.addView('/:username', view);
    });
  });
  afterAll(() => served?.close());

  it('serves GET from the class on a plain path', async () => {
    // starlette tests/test_endpoints.py::test_http_endpoint_route
    const answer = await served.call('GET', '/');
    expect([answer.status, answer.text]).toEqual([200, 'Hello, world!']);
  });

  it('serves the same view function on a path with a parameter', async () => {
    // starlette tests/test_endpoints.py::test_http_endpoint_route_path_params
    const answer = await served.call('GET', '/tomchristie');
    expect([answer.status, answer.text]).toEqual([200, 'Hello, tomchristie!']);
  });

  it('answers HEAD through get() on a path with a parameter: GET’s length, no body', async () => {
    // starlette starlette/endpoints.py::HTTPEndpoint.dispatch (HEAD falls back to get; no test of its own there)
    const answer = await served.call('HEAD', '/tomchristie');
    expect([answer.status, answer.text, answer.headers.get('content-length')]).toEqual([200, '', String('Hello, tomchristie!'.length)]);
  });

  it('answers 405 with Allow for a method the class has no handler for', async () => {
    // starlette tests/test_endpoints.py::test_http_endpoint_route_method — ours differs as
    // documented: Allow is sorted and lists HEAD and the automatic OPTIONS (Starlette: "GET"),
    // and the body is the error handler's JSON for FCV_ERR_METHOD_NOT_ALLOWED, not plain text.
    const answer = await served.call('POST', '/');
    expect([answer.status, answer.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect(JSON.parse(answer.text)).toMatchObject({ statusCode: 405, code: 'FCV_ERR_METHOD_NOT_ALLOWED' });
  });

  it('hands the 405 to the app’s error handler, which shapes the answer, Allow kept', async () => {
    // starlette starlette/endpoints.py::HTTPEndpoint.method_not_allowed ("raise an exception so that
    // the configurable exception handler can deal with returning the response")
    await withServer(
      (app) => {
        app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
          return reply.code(error.statusCode ?? 500).send({ custom: true, code: error.code });
        });
        app.addView('/', Homepage.asView('homepage'));
      },
      async (custom) => {
        const answer = await custom.call('POST', '/');
        expect([answer.status, answer.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
        expect(JSON.parse(answer.text)).toEqual({ custom: true, code: 'FCV_ERR_METHOD_NOT_ALLOWED' });
      },
    );
  });
});

// --- Django: tests/generic_views/test_base.py, tests/async/tests.py -------------------------

describe('Django View, over HTTP', () => {
  class SimpleView extends MethodView {
    get() {
      return 'This is a simple view';
    }
  }
  class SimplePostView extends SimpleView {}
  SimplePostView.prototype.post = SimpleView.prototype.get; // Django's `post = SimpleView.get`
  class PostOnlyView extends MethodView {
    post() {
      return 'This view only accepts POST';
    }
  }
  let helperCalls = 0;
  class WithHelpers extends MethodView {
    get() {
      return 'This is a simple view';
    }
    // Helpers named like HTTP methods the app knows: dispatch must never reach them.
    search() {
      helperCalls++;
      return 'helper';
    }
    lock() {
      helperCalls++;
      return 'helper';
    }
  }
  let instances = 0;
  class InstanceView extends MethodView {
    readonly id = ++instances;
    get() {
      return { id: this.id };
    }
  }
  class AsyncGet extends MethodView {
    async get() {
      return 'Hello (async) world!';
    }
  }
  class AsyncPostOnly extends MethodView {
    async post() {
      return 'async post';
    }
  }

  let served: Served;
  beforeAll(async () => {
    served = await serve((app) => {
      app.addHttpMethod('SEARCH', { hasBody: true });
      app.addHttpMethod('LOCK', { hasBody: true });
      app.addView('/simple', SimpleView.asView('simple'));
      app.addView('/simple-post', SimplePostView.asView('simple-post'));
      app.addView('/post-only', PostOnlyView.asView('post-only'));
      app.addView('/helpers', WithHelpers.asView('helpers'));
      app.addView('/instance', InstanceView.asView('instance'));
      app.addView('/async', AsyncGet.asView('async'));
      app.addView('/async-post-only', AsyncPostOnly.asView('async-post-only'));
      // Django's test_direct_instantiation: the view used without as_view, inside a plain route.
      app.head('/direct', (request, reply) => new PostOnlyView().dispatchRequest(request, reply));
    });
  });
  afterAll(() => served?.close());

  it('serves GET and refuses POST and a method the view does not know', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_get_only (FAKE → QUERY, a method Fastify knows)
    const get = await served.call('GET', '/simple');
    expect([get.status, get.text]).toEqual([200, 'This is a simple view']);
    expect((await served.call('POST', '/simple')).status).toBe(405);
    expect((await served.call('QUERY', '/simple')).status).toBe(405);
  });

  it('never calls a helper method named like the request method', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_pathological_http_method
    // (DISPATCH cannot cross Node's HTTP parser; SEARCH and LOCK are real methods named like helpers)
    for (const method of ['SEARCH', 'LOCK']) {
      const answer = await served.call(method, '/helpers');
      expect([method, answer.status, answer.allow]).toEqual([method, 405, 'GET, HEAD, OPTIONS']);
    }
    expect(helperCalls).toBe(0);
  });

  it('answers HEAD on a view that serves GET', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_get_and_head
    const head = await served.call('HEAD', '/simple');
    expect([head.status, head.text]).toEqual([200, '']);
  });

  it('answers HEAD with 405 on a view without GET', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_head_no_get
    const head = await served.call('HEAD', '/post-only');
    expect([head.status, head.allow]).toEqual([405, 'OPTIONS, POST']);
  });

  it('serves GET and POST from one function assigned to both verbs', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_get_and_post
    for (const method of ['GET', 'POST']) {
      const answer = await served.call(method, '/simple-post');
      expect([method, answer.status, answer.text]).toEqual([method, 200, 'This is a simple view']);
    }
    expect((await served.call('QUERY', '/simple-post')).status).toBe(405);
  });

  it('builds a new instance for every request', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_calling_more_than_once
    const first = JSON.parse((await served.call('GET', '/instance')).text);
    const second = JSON.parse((await served.call('GET', '/instance')).text);
    expect(first.id).not.toBe(second.id);
  });

  it('answers OPTIONS with 200 and an Allow header', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_options
    const options = await served.call('OPTIONS', '/simple');
    expect(options.status).toBe(200);
    expect(options.allow).toBeTruthy();
  });

  it.each([
    ['a GET view', '/simple', 'GET, HEAD, OPTIONS', 'test_options_for_get_view'],
    ['a GET and POST view', '/simple-post', 'GET, HEAD, OPTIONS, POST', 'test_options_for_get_and_post_view'],
    ['a POST view', '/post-only', 'OPTIONS, POST', 'test_options_for_post_view'],
  ])('lists in OPTIONS exactly what %s implements, plus OPTIONS', async (_label, path, allow) => {
    // django tests/generic_views/test_base.py::ViewTest::test_options_for_{get,get_and_post,post}_view
    const options = await served.call('OPTIONS', path);
    expect([options.status, options.allow, options.text]).toEqual([200, allow, '']);
  });

  it('answers 405 when the view is instantiated directly and dispatched a HEAD it has no GET for', async () => {
    // django tests/generic_views/test_base.py::ViewTest::test_direct_instantiation
    // Ours differs: called as a plain handler, the view has no automatic OPTIONS route, so Allow
    // lists only its handlers.
    const head = await served.call('HEAD', '/direct');
    expect([head.status, head.allow]).toEqual([405, 'POST']);
  });

  it('answers 405 (not a 500) for async views, whichever verb they lack', async () => {
    // django tests/async/tests.py::ViewTests::test_http_method_not_allowed_responds_correctly (and ticket #34062)
    const post = await served.call('POST', '/async');
    expect([post.status, post.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    const get = await served.call('GET', '/async-post-only');
    expect([get.status, get.allow]).toEqual([405, 'OPTIONS, POST']);
    expect((await served.call('GET', '/async')).text).toBe('Hello (async) world!');
  });

  it('answers the automatic OPTIONS for async views too', async () => {
    // django tests/async/tests.py::ViewTests::test_options_handler_responds_correctly
    const options = await served.call('OPTIONS', '/async');
    expect([options.status, options.allow]).toEqual([200, 'GET, HEAD, OPTIONS']);
  });
});

describe('an overridden methodNotAllowed, over HTTP', () => {
  // Django's View.http_method_not_allowed and Starlette's HTTPEndpoint.method_not_allowed are
  // overridable methods; their tests call them (tests/async/tests.py::ViewTests::
  // test_http_method_not_allowed_responds_correctly), ported here as an override that answers.
  class Books extends MethodView {
    get() {
      return 'books';
    }
    override methodNotAllowed(request: FastifyRequest, reply: FastifyReply) {
      return { error: `${request.method} is not served here`, status: reply.statusCode, allow: reply.getHeader('allow') };
    }
  }
  class AsyncBooks extends MethodView {
    get() {
      return 'books';
    }
    override async methodNotAllowed(request: FastifyRequest) {
      await new Promise((resolve) => setImmediate(resolve));
      return { error: `${request.method} is refused, asynchronously` };
    }
  }
  let served: Served;
  beforeAll(async () => {
    served = await serve((app) => {
      app.addView('/books', Books.asView('books'));
      app.addView('/async-books', AsyncBooks.asView('async-books'));
    });
  });
  afterAll(() => served?.close());

  it('sends what the override returns, with status 405 and Allow already set', async () => {
    // django tests/async/tests.py::ViewTests::test_http_method_not_allowed_responds_correctly (sync view)
    const answer = await served.call('DELETE', '/books');
    expect([answer.status, answer.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect(JSON.parse(answer.text)).toEqual({ error: 'DELETE is not served here', status: 405, allow: 'GET, HEAD, OPTIONS' });
  });

  it('sends what an async override resolves to', async () => {
    // django tests/async/tests.py::ViewTests::test_http_method_not_allowed_responds_correctly (async view)
    const answer = await served.call('POST', '/async-books');
    expect([answer.status, answer.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect(JSON.parse(answer.text)).toEqual({ error: 'POST is refused, asynchronously' });
  });

  it('answers a POST with a body the app cannot parse with the override’s 405, not a 415', async () => {
    // django django/views/generic/base.py::View.dispatch refuses before anything reads the body
    // (README: the 405 is answered in onRequest, before content-type checks and body parsing)
    const answer = await served.call('POST', '/books', { body: 'x=1', headers: { 'content-type': 'application/x-unknown' } });
    expect(answer.status).toBe(405);
    expect(JSON.parse(answer.text)).toMatchObject({ error: 'POST is not served here' });
  });
});
