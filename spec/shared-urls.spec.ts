// Several routes that match one URL, after Werkzeug's and Starlette's routing tests: a route that
// matches the path but not the method does not end the search, and a 405's `Allow` is the union
// over the routes that match.
import { FastifyInstance, FastifyRequest } from 'fastify';
import { MethodView } from '../src';
import { appWithViews } from './helpers';

class ByName extends MethodView {
  get(request: FastifyRequest<{ Params: { name: string } }>) {
    return `by name: ${request.params.name}`;
  }
}
class PostOnly extends MethodView {
  post() {
    return 'posted';
  }
}

type Register = (app: FastifyInstance) => void;
const byNameView: Register = (app) => void app.addView('/:name', ByName.asView('by-name'));
const postOnlyView: Register = (app) => void app.addView('/foo', PostOnly.asView('post-only'));
const plainGet: Register = (app) => void app.get('/:name', async (request) => `plain: ${(request.params as { name: string }).name}`);

async function appWith(...steps: Register[]): Promise<FastifyInstance> {
  const app = await appWithViews();
  for (const step of steps) step(app);
  return app;
}

describe('a URL that several routes match', () => {
  describe.each([
    ['the parametric view first', [byNameView, postOnlyView]],
    ['the static view first', [postOnlyView, byNameView]],
  ] as const)('two views, %s', (_order, steps) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await appWith(...steps);
    });
    afterAll(() => app.close());

    it('serves GET from the view that accepts it instead of a 405', async () => {
      const response = await app.inject('/foo');
      expect([response.statusCode, response.body]).toEqual([200, 'by name: foo']);
    });

    it('serves POST from the view that accepts it', async () => {
      const response = await app.inject({ method: 'POST', url: '/foo' });
      expect([response.statusCode, response.body]).toEqual([200, 'posted']);
    });

    it('answers 405 with the union of what both views accept', async () => {
      const response = await app.inject({ method: 'PUT', url: '/foo' });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    });

    it('lists the union in the automatic OPTIONS answer', async () => {
      const response = await app.inject({ method: 'OPTIONS', url: '/foo' });
      expect([response.statusCode, response.headers.allow]).toEqual([200, 'GET, HEAD, OPTIONS, POST']);
    });

    it('keeps the 405 of the parametric view where only it matches', async () => {
      const response = await app.inject({ method: 'POST', url: '/bar' });
      expect([response.statusCode, response.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    });
  });

  describe.each([
    ['registered before the view', [plainGet, postOnlyView]],
    ['registered after the view, in the same step', [postOnlyView, plainGet]],
  ] as const)('a plain Fastify route %s', (_order, steps) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await appWith(...steps);
    });
    afterAll(() => app.close());

    it('serves the method the view does not accept, as plain Fastify would', async () => {
      const response = await app.inject('/foo');
      expect([response.statusCode, response.body]).toEqual([200, 'plain: foo']);
    });

    it('answers 405 for the others, Allow listing what the plain route serves too', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/foo' });
      expect([response.statusCode, response.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    });
  });

  it('leaves the method to a catch-all route registered before the views', async () => {
    const app = await appWithViews();
    app.get('/*', async () => 'index.html');
    app.addView('/api/books', PostOnly.asView('books'));
    expect((await app.inject('/api/books')).body).toBe('index.html');
    expect((await app.inject({ method: 'PATCH', url: '/api/books' })).statusCode).toBe(405);
    await app.close();
  });

  it('warns when a route registered in a later plugin is hidden by a view’s 405, and keeps the 405', async () => {
    const warnings: string[] = [];
    const app = await appWithViews({}, { logger: { level: 'warn', stream: { write: (line: string) => void warnings.push(JSON.parse(line).msg) } } });
    app.addView('/foo', PostOnly.asView('post-only'));
    await app.register(async (child) => {
      child.get('/:name', async () => 'plain');
    });
    expect((await app.inject('/foo')).statusCode).toBe(405);
    expect((await app.inject('/bar')).body).toBe('plain');
    expect(warnings.some((msg) => msg.includes("view 'post-only' answers GET") && msg.includes("'/:name'"))).toBe(true);
    await app.close();
  });

  it('keeps a view’s 405 when the other route is less specific only where it matches', async () => {
    class Numbered extends MethodView {
      get() {
        return 'numbered';
      }
    }
    const app = await appWithViews();
    app.delete('/items/:id(^\\d+)', async () => 'deleted');
    app.addView('/items/new', Numbered.asView('new-item'));
    // `/items/new` is not a number: the DELETE route never matches it, so the view keeps its 405.
    const response = await app.inject({ method: 'DELETE', url: '/items/new' });
    expect([response.statusCode, response.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    await app.close();
  });

  it('lists in Allow a method a more specific route serves, though the view refuses it', async () => {
    // GET-only view on /:name, POST served by a static route: POST /bar reaches that route.
    for (const order of ['route first', 'view first']) {
      const app = await appWithViews();
      const route = () => void app.post('/bar', async () => 'bar');
      if (order === 'route first') route();
      app.addView('/:name', ByName.asView('by-name'));
      if (order === 'view first') route();
      expect((await app.inject({ method: 'POST', url: '/bar' })).body).toBe('bar');
      const put = await app.inject({ method: 'PUT', url: '/bar' });
      expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
      expect((await app.inject({ method: 'OPTIONS', url: '/bar' })).headers.allow).toBe('GET, HEAD, OPTIONS, POST');
      await app.close();
    }
  });

  it.each([
    ['a regex parameter', '/foo/:id(^\\d+)', '/foo/12', '/foo/ab'],
    ['a parameter with a suffix', '/files/:name.json', '/files/a.json', '/files/a'],
  ])('keeps a plain parameter view’s 405 where %s route does not match', async (_kind, other, served, refusedUrl) => {
    const view = other.startsWith('/foo') ? '/foo/:id' : '/files/:name';
    const app = await appWithViews();
    app.addView(view, PostOnly.asView('post-only'));
    app.get(other, async () => 'other');
    expect((await app.inject(served)).body).toBe('other');
    const response = await app.inject(refusedUrl);
    expect([response.statusCode, response.headers.allow]).toEqual([405, 'OPTIONS, POST']);
    await app.close();
  });

  it('leaves a method to an unconstrained route when the view is constrained by host', async () => {
    const app = await appWithViews();
    app.get('/:name', async () => 'plain');
    app.addView('/foo', PostOnly.asView('post-only'), { constraints: { host: 'a.example' } });
    const response = await app.inject({ url: '/foo', headers: { host: 'a.example' } });
    expect([response.statusCode, response.body]).toEqual([200, 'plain']);
    const put = await app.inject({ method: 'PUT', url: '/foo', headers: { host: 'a.example' } });
    expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    await app.close();
  });

  it('keeps its 405 against a versioned route, which never answers an unversioned request', async () => {
    const app = await appWithViews();
    app.route({ method: 'GET', url: '/:name', constraints: { version: '1.0.0' }, handler: async () => 'v1' });
    app.addView('/foo', PostOnly.asView('post-only'));
    expect((await app.inject('/foo')).statusCode).toBe(405);
    expect((await app.inject({ url: '/foo', headers: { 'accept-version': '1.x' } })).body).toBe('v1');
    await app.close();
  });

  it('refuses a later route on the same path written with other parameter names, naming the view', async () => {
    class GetOnly extends MethodView {
      get() {
        return 'get';
      }
    }
    const app = await appWithViews();
    app.addView('/items/:id', GetOnly.asView('item'));
    for (const method of ['get', 'put'] as const) {
      expect(() => app[method]('/items/:itemId', async () => 'x')).toThrow(expect.objectContaining({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' }));
    }
    await app.close();
  });

  it('leaves a method to an unconstrained route on the same path when the view is constrained by host', async () => {
    const app = await appWithViews();
    app.get('/foo', async () => 'plain');
    app.addView('/foo', PostOnly.asView('post-only'), { constraints: { host: 'a.example' } });
    const response = await app.inject({ url: '/foo', headers: { host: 'a.example' } });
    expect([response.statusCode, response.body]).toEqual([200, 'plain']);
    await app.close();
  });

  it('keeps views apart whose host constraints are different regular expressions', async () => {
    const app = await appWithViews();
    app.addView('/bar', PostOnly.asView('a'), { constraints: { host: /^a\./ } });
    app.addView('/bar', ByName.asView('b'), { constraints: { host: /^b\./ } });
    expect((await app.inject({ method: 'POST', url: '/bar', headers: { host: 'a.example' } })).body).toBe('posted');
    expect((await app.inject({ url: '/bar', headers: { host: 'b.example' } })).statusCode).toBe(200);
    await app.close();
  });

  it('answers HEAD at a prefix for a view on its root, as GET is', async () => {
    const app = await appWithViews();
    await app.register(async (child) => void child.addView('/', ByName.asView('root')), { prefix: '/api' });
    for (const url of ['/api', '/api/']) {
      expect([(await app.inject(url)).statusCode, (await app.inject({ method: 'HEAD', url })).statusCode]).toEqual([200, 200]);
    }
    await app.close();
  });
});
