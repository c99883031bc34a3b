import Fastify, { FastifyInstance, FastifyReply, FastifyRequest, InjectOptions } from 'fastify';
import swagger from '@fastify/swagger';
import fastifyViews, { EnsureSync, MethodView, VerbOptions, ViewDecorator, route } from '../src';
import { runView } from '../src/testing';
import { appWithViews } from './helpers';

class Getter extends MethodView {
  get() {
    return 'got';
  }
}

describe('405 before any body handling', () => {
  const cases: Array<[string, InjectOptions]> = [
    ['QUERY without a content type', { method: 'QUERY' as never, url: '/x' }],
    ['a content type no parser knows', { method: 'POST' as const, url: '/x', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }],
    ['malformed JSON', { method: 'POST', url: '/x', headers: { 'content-type': 'application/json' }, payload: '{bad' }],
    ['a body over the limit', { method: 'PUT', url: '/x', headers: { 'content-type': 'application/json' }, payload: `"${'x'.repeat(1_100_000)}"` }],
  ];
  for (const [what, request] of cases) {
    it(`answers 405 with Allow for ${what}`, async () => {
      const app = await appWithViews();
      app.addView('/x', Getter.asView('getter'));
      const response = await app.inject(request);
      expect([response.statusCode, response.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    });
  }

  it('answers the automatic OPTIONS whatever body it carries', async () => {
    const app = await appWithViews();
    app.addView('/x', Getter.asView('getter'));
    const response = await app.inject({ method: 'OPTIONS', url: '/x', headers: { 'content-type': 'application/xml' }, payload: '<a/>' });
    expect([response.statusCode, response.headers.allow]).toEqual([200, 'GET, HEAD, OPTIONS']);
  });
});

describe('MethodView.methods', () => {
  it('reads the derived methods from the class, as Flask sets them', () => {
    class Resource extends MethodView {
      get() {
        return '';
      }
      post() {
        return '';
      }
    }
    class ReadOnly extends Resource {
      static override methods = ['GET'] as const;
    }
    class ReadPut extends ReadOnly {
      put() {
        return '';
      }
    }
    expect([...(Resource.methods ?? [])].sort()).toEqual(['GET', 'POST']);
    expect(ReadOnly.methods).toEqual(['GET']);
    expect([...(ReadPut.methods ?? [])].sort()).toEqual(['GET', 'POST', 'PUT']);
  });
});

describe('route conflicts that involve a view', () => {
  it('names the first view when a second view takes its path', async () => {
    class Poster extends MethodView {
      post() {
        return 'posted';
      }
    }
    const app = await appWithViews();
    const getter = Getter.asView('getter');
    app.addView('/x', getter);
    expect(() => app.addView('/x', Poster.asView('poster'))).toThrow(/Method 'POST' on '\/x' is owned by view 'getter' \(it answers it 405\)/);
    expect(() => app.addView('/x', getter)).toThrow(/Method 'GET' on '\/x' is owned by view 'getter' \(it serves it\)/);
  });

  it('names the view when an earlier route already serves one of its methods', async () => {
    const app = await appWithViews();
    app.get('/x', () => 'plain');
    expect(() => app.addView('/x', Getter.asView('getter'))).toThrow(/View 'getter' cannot serve GET '\/x': another route already does/);
    expect(() => app.urlFor('getter')).toThrow(expect.objectContaining({ code: 'FCV_ERR_UNKNOWN_ENDPOINT' }));
  });

  it('treats /x/ as /x when the router ignores trailing slashes', async () => {
    const app = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
    await app.register(fastifyViews);
    app.addView('/x', Getter.asView('getter'));
    expect(() => app.post('/x/', () => 'other')).toThrow(expect.objectContaining({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' }));
  });

  it('claims no endpoint name for a view that could not be registered', async () => {
    const app = await appWithViews();
    await app.ready();
    expect(() => app.addView('/late', Getter.asView('late'))).toThrow();
    expect(() => app.urlFor('late')).toThrow(expect.objectContaining({ code: 'FCV_ERR_UNKNOWN_ENDPOINT' }));
  });
});

describe('registering the plugin', () => {
  it('puts views given without a prefix in the caller context, where every route can link to them', async () => {
    const app = Fastify();
    await app.register(fastifyViews, { views: [{ path: '/g/:id', view: Getter.asView('g') }] });
    await app.register(async (other) => {
      other.get('/link', (request) => request.server.urlFor('g', { id: 1 }));
    });
    expect((await app.inject('/link')).body).toBe('/g/1');
    expect(() => app.addView('/other', Getter.asView('g'))).toThrow(expect.objectContaining({ code: 'FCV_ERR_DUPLICATE_ENDPOINT' }));
  });

  it('resolves a name defined in one sibling context from another, as Flask’s global url_for', async () => {
    const app = await appWithViews();
    await app.register(async (api) => {
      api.addView('/items/:id', Getter.asView('item'));
    }, { prefix: '/api' });
    await app.register(async (web) => {
      web.get('/page', (request) => request.server.urlFor('item', { id: 2 }));
    });
    expect((await app.inject('/page')).body).toBe('/api/items/2');
  });

  it('can be registered once per group of views, each with its prefix', async () => {
    const app = Fastify();
    await app.register(fastifyViews, { prefix: '/v1', views: [{ path: '/g', view: Getter.asView('g') }] });
    await app.register(fastifyViews, { prefix: '/v2', views: [{ path: '/g', view: Getter.asView('g') }] });
    expect((await app.inject('/v1/g')).body).toBe('got');
    expect((await app.inject('/v2/g')).body).toBe('got');
    expect((await app.inject({ method: 'PUT', url: '/v2/g' })).statusCode).toBe(405);
  });

  it('refuses a second, different dispatcher', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    const other: EnsureSync = (handler) => handler;
    await expect(app.register(fastifyViews, { ensureSync: other })).rejects.toMatchObject({ code: 'FCV_ERR_INVALID_OPTION' });
  });

  it('refuses, at registration, a @route class whose constructor needs arguments', async () => {
    @route('/needs')
    class Needs extends MethodView {
      constructor(private readonly db: string) {
        super();
      }
      get() {
        return this.db;
      }
    }
    await expect(appWithViews({ views: [Needs] })).rejects.toThrow(/list \{ view: Needs\.asView\('Needs', …arguments\) \} instead/);
  });
});

describe('decorators', () => {
  it('are applied once per view, as in Flask, and share their state across verbs', async () => {
    let applications = 0;
    const counted: ViewDecorator = (view) => {
      applications += 1;
      let calls = 0;
      return (request, reply) => {
        reply.header('x-calls', String(++calls));
        return request.server.ensureSync(view)(request, reply);
      };
    };
    class Counted extends MethodView {
      static override decorators = [counted];
      get() {
        return 'get';
      }
      async post() {
        return 'post';
      }
    }
    const app = await appWithViews();
    app.addView('/c', Counted.asView('counted'));
    expect(applications).toBe(1);
    expect((await app.inject('/c')).headers['x-calls']).toBe('1');
    expect((await app.inject({ method: 'POST', url: '/c' })).headers['x-calls']).toBe('2');
    const head = await app.inject({ method: 'HEAD', url: '/c' });
    expect([head.statusCode, head.body, head.headers['x-calls']]).toEqual([200, '', '3']);
  });
});

describe('operationIds', () => {
  it('stay unique when the same views are registered under two prefixes', async () => {
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(fastifyViews);
    const routes = async (api: FastifyInstance) => {
      api.addView('/g', Getter.asView('g'));
    };
    await app.register(routes, { prefix: '/v1' });
    await app.register(routes, { prefix: '/v2' });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, { get: { operationId: string } }> };
    expect([doc.paths['/v1/g'].get.operationId, doc.paths['/v2/g'].get.operationId]).toEqual(['getG', 'getGV2']);
  });

  it('append the verb to a view-level operationId', async () => {
    class Two extends MethodView {
      static override viewOptions = { schema: { operationId: 'things' } };
      get() {
        return '';
      }
      post() {
        return '';
      }
    }
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(fastifyViews, { views: [{ path: '/t', view: Two.asView('two') }] });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string }>> };
    expect([doc.paths['/t'].get.operationId, doc.paths['/t'].post.operationId]).toEqual(['thingsGet', 'thingsPost']);
  });
});

describe('HEAD', () => {
  it('runs head() when defined, even if static methods lists only GET', async () => {
    class WithHead extends MethodView {
      static override methods = ['GET'] as const;
      get() {
        return 'body';
      }
      head(_request: FastifyRequest, reply: FastifyReply) {
        return reply.header('x-from', 'head').send();
      }
    }
    const app = await appWithViews();
    app.addView('/h', WithHead.asView('with-head'));
    expect((await app.inject({ method: 'HEAD', url: '/h' })).headers['x-from']).toBe('head');
  });

  it('keeps GET options and hooks when HEAD is listed without a head()', async () => {
    class Listed extends MethodView {
      static override methods = ['GET', 'HEAD'] as const;
      static override verbOptions: VerbOptions = {
        get: { onSend: async (_request: FastifyRequest, reply: FastifyReply) => void reply.header('x-get', 'yes') },
      };
      get() {
        return 'body';
      }
    }
    const app = await appWithViews();
    app.addView('/h', Listed.asView('listed'));
    const head = await app.inject({ method: 'HEAD', url: '/h' });
    expect([head.statusCode, head.body, head.headers['x-get'], head.headers['content-length']]).toEqual([200, '', 'yes', '4']);
  });
});

describe('schemas', () => {
  it('merge response status by status across layers', async () => {
    class Both extends MethodView {
      static override viewOptions = { schema: { response: { 404: { type: 'object', properties: { error: { type: 'string' } } } } } };
      static override verbOptions: VerbOptions = { get: { schema: { response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } } };
      get(request: FastifyRequest<{ Querystring: { missing?: string } }>, reply: FastifyReply) {
        if (request.query.missing) return reply.code(404).send({ error: 'gone', extra: 'dropped' });
        return { id: 1, extra: 'dropped' };
      }
    }
    const app = await appWithViews();
    app.addView('/b', Both.asView('both'));
    expect((await app.inject('/b')).json()).toEqual({ id: 1 });
    expect((await app.inject('/b?missing=1')).json()).toEqual({ error: 'gone' });
  });
});

describe('a custom ensureSync', () => {
  it('still gets the 500 for an async handler that resolves to undefined without sending', async () => {
    class Forgetful extends MethodView {
      async get() {
        // nothing returned
      }
    }
    const passThrough: EnsureSync = (handler) => function (request, reply) {
      return handler.call(this, request, reply);
    };
    const app = await appWithViews({ ensureSync: passThrough });
    app.addView('/f', Forgetful.asView('forgetful'));
    const response = await app.inject('/f');
    expect([response.statusCode, response.json().code]).toEqual([500, 'FCV_ERR_NO_RESPONSE']);
  });

  it('forwards every argument through the default ensureSync', () => {
    const dispatch = ensureSyncThree();
    expect(dispatch).toEqual([1, 2, 3]);
  });
});

function ensureSyncThree(): unknown {
  const three = (a: number, b: number, c: number) => [a, b, c];
  const wrapped = (fastifyViews.ensureSync as unknown as (fn: typeof three) => typeof three)(three);
  return wrapped(1, 2, 3);
}

describe('runView', () => {
  it('leaves the view function as it was after a viewClass swap', async () => {
    class Fake extends Getter {
      override get() {
        return 'fake';
      }
    }
    const view = Getter.asView('getter');
    expect((await runView(view, { viewClass: Fake })).body).toBe('fake');
    expect(view.viewClass).toBe(Getter);
    expect((await runView(view)).body).toBe('got');
  });
});
