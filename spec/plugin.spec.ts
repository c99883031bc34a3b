import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { EnsureSync, MethodView, View, fastifyViews as named, route } from '../src';
import { appWithViews } from './helpers';

class UserAPI extends MethodView {
  get(request: FastifyRequest<{ Params: { id: string } }>) {
    return { id: request.params.id, self: request.server.urlFor('user', { id: request.params.id }) };
  }
}

class UserList extends MethodView {
  get() {
    return [];
  }
  post(_request: FastifyRequest, reply: FastifyReply) {
    return reply.code(201).header('location', reply.server.urlFor('user', { id: 1 })).send({ id: 1 });
  }
}

describe('the fastifyViews plugin', () => {
  it('is the default export and the named export fastifyViews', () => {
    expect(fastifyViews).toBe(named);
  });

  it('registers the views option', async () => {
    const app = await appWithViews({ views: [{ path: '/users/:id', view: UserAPI.asView('user') }] });
    expect((await app.inject('/users/3')).json()).toEqual({ id: '3', self: '/users/3' });
  });

  it('puts the views option under the register prefix', async () => {
    const app = Fastify();
    await app.register(fastifyViews, { prefix: '/api', views: [{ path: '/users/:id', view: UserAPI.asView('user') }] });
    expect((await app.inject('/api/users/3')).json()).toEqual({ id: '3', self: '/api/users/3' });
    expect((await app.inject('/users/3')).statusCode).toBe(404);
    expect(app.urlFor('user', { id: 9 })).toBe('/api/users/9');
  });

  it('registers addView routes in the calling context, with its prefix and hooks', async () => {
    const app = await appWithViews();
    await app.register(async (api) => {
      api.addHook('onRequest', async (_request, reply) => {
        reply.header('x-api', 'yes');
      });
      api.addView('/users', UserList.asView('users'));
      api.addView('/users/:id', UserAPI.asView('user'));
    }, { prefix: '/api' });
    app.get('/outside', () => 'outside');
    const created = await app.inject({ method: 'POST', url: '/api/users' });
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/api/users/1');
    expect(created.headers['x-api']).toBe('yes');
    expect((await app.inject('/outside')).headers['x-api']).toBeUndefined();
  });

  it('applies addView route options to every verb', async () => {
    const app = await appWithViews();
    const seen: string[] = [];
    app.addView('/users', UserList.asView('users'), {
      onRequest: async (request) => {
        seen.push(request.method);
      },
      config: { tag: 'users' },
    });
    await app.inject('/users');
    await app.inject({ method: 'POST', url: '/users' });
    expect(seen).toEqual(['GET', 'POST']);
  });

  it('serves the methods given in the method option instead of the view list', async () => {
    const app = await appWithViews();
    app.addView('/users', UserList.asView('users'), { method: ['GET'] });
    expect((await app.inject('/users')).statusCode).toBe(200);
    const post = await app.inject({ method: 'POST', url: '/users' });
    expect([post.statusCode, post.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });

  it('rejects something that is not a view function, naming the path', async () => {
    const app = await appWithViews();
    expect(() => app.addView('/x', (() => 'plain') as never)).toThrow(/addView\('\/x'\) expects a view function/);
    expect(() => app.addView('/x', undefined as never)).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW' }));
  });

  it('rejects route options it cannot honour', async () => {
    const app = await appWithViews();
    expect(() => app.addView('/x', UserList.asView('x'), { handler: () => 'x' } as never)).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION' }));
    expect(() => app.addView('/x', UserList.asView('x'), { websocket: true } as never)).toThrow(/Invalid option 'websocket'.*extending WebSocketView/);
    expect(() => app.addView('/x', UserList.asView('x'), { method: ['GTE'] } as never)).toThrow(/'GTE', which is not an HTTP method/);
  });

  it('rejects a views option that is not an array', async () => {
    await expect(appWithViews({ views: {} as never })).rejects.toMatchObject({ code: 'FCV_ERR_INVALID_OPTION' });
  });

  it('adds nothing to routes that are not views: no hook, no not-found handler', async () => {
    const bare = Fastify();
    bare.get('/raw', () => 'raw');
    const app = await appWithViews();
    app.get('/raw', () => 'raw');
    app.addView('/users', UserList.asView('users'));
    await Promise.all([bare.ready(), app.ready()]);
    // The raw route's entry (with its hooks) reads the same as in an app without the plugin.
    const rawEntry = (instance: FastifyInstance) => {
      const lines = instance.printRoutes({ includeHooks: true, commonPrefix: false }).split('\n');
      let inRaw = false;
      return lines.filter((line) => {
        if (line.includes('/')) inRaw = line.includes('/raw');
        return inRaw;
      }).map((line) => line.replace(/^\W+/, '')).filter(Boolean).join('\n');
    };
    expect(rawEntry(app)).toContain('onSend'); // the check sees hooks: Fastify's own HEAD hook is there
    expect(rawEntry(app)).toBe(rawEntry(bare));
    const missing = await app.inject('/missing');
    const bareMissing = await bare.inject('/missing');
    expect([missing.statusCode, missing.json()]).toEqual([bareMissing.statusCode, bareMissing.json()]);
    const rawMethod = await app.inject({ method: 'POST', url: '/raw' });
    expect(rawMethod.statusCode).toBe(404); // Fastify's own answer for a route that is not a view
  });
});

describe('endpoint names', () => {
  it('rejects a different view under a name taken in the same context, naming the endpoint and its path', async () => {
    const app = await appWithViews();
    app.addView('/users/:id', UserAPI.asView('user'));
    expect(() => app.addView('/people/:id', UserList.asView('user'))).toThrow(
      /Endpoint 'user' is already taken in this context by another view serving '\/users\/:id'; cannot use it for '\/people\/:id'/,
    );
  });

  it('accepts the same view function under two paths, as Flask does', async () => {
    const app = await appWithViews();
    const view = UserAPI.asView('user');
    app.addView('/users/:id', view);
    app.addView('/people/:id', view);
    expect((await app.inject('/people/2')).statusCode).toBe(200);
    expect(app.urlFor('user', { id: 2 })).toBe('/users/2');
  });

  it('accepts the same routes plugin under /v1 and /v2, each resolving its own URLs', async () => {
    const routes = async (api: FastifyInstance) => {
      api.addView('/users/:id', UserAPI.asView('user'));
    };
    const app = await appWithViews();
    await app.register(routes, { prefix: '/v1' });
    await app.register(routes, { prefix: '/v2' });
    expect((await app.inject('/v1/users/5')).json().self).toBe('/v1/users/5');
    expect((await app.inject('/v2/users/5')).json().self).toBe('/v2/users/5');
    expect(() => app.urlFor('user', { id: 5 })).toThrow(/endpoint 'user' is defined in several contexts \(\/v1\/users\/:id, \/v2\/users\/:id\)/);
  });

  it('resolves a name from a child context through its parents', async () => {
    const app = await appWithViews();
    app.addView('/users/:id', UserAPI.asView('user'));
    let fromChild = '';
    await app.register(async (child) => {
      fromChild = child.urlFor('user', { id: 1 });
    }, { prefix: '/child' });
    expect(fromChild).toBe('/users/1');
  });

  it('finds a name defined once in a child context from the root', async () => {
    const app = await appWithViews();
    await app.register(async (child) => {
      child.addView('/users/:id', UserAPI.asView('user'));
    }, { prefix: '/api' });
    expect(app.urlFor('user', { id: 3 })).toBe('/api/users/3');
  });
});

describe('urlFor', () => {
  async function withPath(path: string) {
    const app = await appWithViews();
    class Any extends View {
      dispatchRequest() {
        return '';
      }
    }
    app.addView(path, Any.asView('target'));
    return app;
  }

  it('fills path parameters and encodes them', async () => {
    const app = await withPath('/users/:id/files/:name');
    expect(app.urlFor('target', { id: 4, name: 'a b/c' })).toBe('/users/4/files/a%20b%2Fc');
  });

  it('puts extra values in the query string', async () => {
    const app = await withPath('/users/:id');
    expect(app.urlFor('target', { id: 4, page: 2, q: 'x y' })).toBe('/users/4?page=2&q=x+y');
  });

  it('fills regex, multi-parameter, wildcard and escaped-colon paths', async () => {
    expect((await withPath('/users/:id(^\\d+)')).urlFor('target', { id: 12 })).toBe('/users/12');
    expect((await withPath('/near/:lat-:lng/radius')).urlFor('target', { lat: 1.5, lng: 2 })).toBe('/near/1.5-2/radius');
    expect((await withPath('/files/*')).urlFor('target', { '*': 'a/b c' })).toBe('/files/a/b%20c');
    expect((await withPath('/name::verb')).urlFor('target')).toBe('/name:verb');
    expect((await withPath('/posts/:id?')).urlFor('target')).toBe('/posts');
  });

  it('names the missing parameter', async () => {
    const app = await withPath('/users/:id');
    expect(() => app.urlFor('target')).toThrow(/urlFor\('target'\) needs the parameter 'id' to build '\/users\/:id'/);
  });

  it('names an unknown endpoint', async () => {
    const app = await withPath('/users/:id');
    expect(() => app.urlFor('nope')).toThrow(expect.objectContaining({ code: 'FCV_ERR_UNKNOWN_ENDPOINT' }));
  });

  it('builds the root of a prefixed context', async () => {
    const app = await appWithViews();
    await app.register(async (api) => {
      api.addView('/', UserList.asView('home'));
    }, { prefix: '/api' });
    expect(app.urlFor('home')).toBe('/api');
    expect((await app.inject('/api')).statusCode).toBe(200);
    expect((await app.inject('/api/')).statusCode).toBe(200);
  });
});

describe('routes owned by a view', () => {
  it('rejects a later route on a method the view serves, naming the view', async () => {
    const app = await appWithViews();
    app.addView('/users', UserList.asView('users'));
    expect(() => app.get('/users', () => 'other')).toThrow(/Method 'GET' on '\/users' is owned by view 'users' \(it serves it\)/);
  });

  it('rejects a later route on a method the view answers 405 for', async () => {
    const app = await appWithViews();
    app.addView('/users', UserList.asView('users'));
    expect(() => app.delete('/users', () => 'other')).toThrow(expect.objectContaining({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' }));
    expect(() => app.route({ method: ['PUT', 'PATCH'], url: '/users', handler: () => 'x' })).toThrow(/owned by view 'users' \(it answers it 405\)/);
  });

  it('owns both /api and /api/ for a view at / under a prefix', async () => {
    const app = await appWithViews();
    await app.register(async (api) => {
      api.addView('/', UserList.asView('home'));
    }, { prefix: '/api' });
    expect(() => app.delete('/api/', () => 'x')).toThrow(expect.objectContaining({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' }));
    expect(() => app.delete('/api', () => 'x')).toThrow(expect.objectContaining({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' }));
  });

  it('rejects a later route in a child context under the same full path', async () => {
    const app = await appWithViews();
    app.addView('/api/users', UserList.asView('users'));
    await expect(app.register(async (api) => {
      api.put('/users', () => 'x');
    }, { prefix: '/api' })).rejects.toMatchObject({ code: 'FCV_ERR_ROUTE_OWNED_BY_VIEW' });
  });

  it('leaves alone a method an earlier route already serves on the path', async () => {
    const app = await appWithViews();
    app.delete('/users', () => 'deleted by a plain route');
    app.addView('/users', UserList.asView('users'));
    expect((await app.inject({ method: 'DELETE', url: '/users' })).body).toBe('deleted by a plain route');
    expect((await app.inject({ method: 'PUT', url: '/users' })).statusCode).toBe(405);
  });

  it('allows a later route with other constraints on the same path', async () => {
    const app = await appWithViews();
    app.addView('/users', UserList.asView('users'));
    app.get('/users', { constraints: { version: '2.0.0' } }, () => 'v2');
    expect((await app.inject({ url: '/users', headers: { 'accept-version': '2.0.0' } })).body).toBe('v2');
    expect((await app.inject('/users')).body).toBe('[]');
  });
});

class Getter extends MethodView {
  get() {
    return 'got';
  }
}

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
