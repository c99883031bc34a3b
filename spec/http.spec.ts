import cors from '@fastify/cors';
import Fastify, { FastifyReply, FastifyRequest, InjectOptions, RouteOptions } from 'fastify';
import fastifyViews, { MethodView, VerbOptions, View } from '../src';
import { appWithViews } from './helpers';

class Items extends MethodView {
  get() {
    return [{ id: 1 }];
  }
  async post(request: FastifyRequest, reply: FastifyReply) {
    reply.code(201);
    return request.body;
  }
}

describe('405 Method Not Allowed', () => {
  it('answers a method the view does not accept with 405 and Allow', async () => {
    const app = await appWithViews();
    app.addView('/items', Items.asView('items'));
    for (const method of ['PUT', 'PATCH', 'DELETE', 'TRACE'] as const) {
      const response = await app.inject({ method, url: '/items' });
      expect([method, response.statusCode, response.headers.allow]).toEqual([method, 405, 'GET, HEAD, OPTIONS, POST']);
    }
  });

  it('answers QUERY 405 too', async () => {
    const app = await appWithViews();
    app.addView('/items', Items.asView('items'));
    const response = await app.inject({ method: 'QUERY' as never, url: '/items', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(response.statusCode).toBe(405);
  });

  it('goes through setErrorHandler, so a custom error shape applies and sees Allow', async () => {
    const app = await appWithViews();
    app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, _request, reply) => {
      reply.code(error.statusCode ?? 500).send({ problem: error.code, allow: reply.getHeader('allow') });
    });
    app.addView('/items', Items.asView('items'));
    const response = await app.inject({ method: 'DELETE', url: '/items' });
    expect(response.statusCode).toBe(405);
    expect(response.json()).toEqual({ problem: 'FCV_ERR_METHOD_NOT_ALLOWED', allow: 'GET, HEAD, OPTIONS, POST' });
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('names the method, the path and what is allowed in the message', async () => {
    const app = await appWithViews();
    app.addView('/items', Items.asView('items'));
    const response = await app.inject({ method: 'DELETE', url: '/items' });
    expect(response.json().message).toBe("Method 'DELETE' is not allowed on '/items'. Allowed: GET, HEAD, OPTIONS, POST");
  });

  it('keeps the 405 and OPTIONS routes out of the OpenAPI document (schema.hide)', async () => {
    const app = await appWithViews();
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => {
      routes.push(route);
    });
    app.addView('/items', Items.asView('items'));
    await app.ready();
    const hidden = routes.filter((route) => (route.schema as { hide?: boolean } | undefined)?.hide === true);
    expect(hidden.flatMap((route) => route.method).sort()).toEqual(['DELETE', 'OPTIONS', 'PATCH', 'PUT', 'QUERY', 'TRACE']);
    const visible = routes.filter((route) => !(route.schema as { hide?: boolean } | undefined)?.hide);
    expect(visible.flatMap((route) => route.method).sort()).toEqual(['GET', 'HEAD', 'POST']);
  });
});

describe('OPTIONS', () => {
  it('answers 200 with Allow and an empty body', async () => {
    const app = await appWithViews();
    app.addView('/items', Items.asView('items'));
    const response = await app.inject({ method: 'OPTIONS', url: '/items' });
    expect(response.statusCode).toBe(200);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect(response.body).toBe('');
  });

  it('answers 405 when the view sets provideAutomaticOptions = false', async () => {
    class Quiet extends Items {
      static override provideAutomaticOptions = false;
    }
    const app = await appWithViews();
    app.addView('/items', Quiet.asView('quiet'));
    const response = await app.inject({ method: 'OPTIONS', url: '/items' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, POST');
  });

  it('answers automatically when provideAutomaticOptions is true, even for a view that lists OPTIONS (as Flask)', async () => {
    class OptionsOnly extends View {
      static override methods = ['OPTIONS'] as const;
      static override provideAutomaticOptions = true;
      dispatchRequest() {
        return 'Hello World!';
      }
    }
    const app = await appWithViews();
    app.addView('/o', OptionsOnly.asView('options-only'));
    const response = await app.inject({ method: 'OPTIONS', url: '/o' });
    expect([response.statusCode, response.headers.allow, response.body]).toEqual([200, 'OPTIONS', '']);
  });

  it('runs the view own options handler when it defines one', async () => {
    class Custom extends Items {
      options(_request: FastifyRequest, reply: FastifyReply) {
        return reply.header('allow', 'GET').send({ custom: true });
      }
    }
    const app = await appWithViews();
    app.addView('/items', Custom.asView('custom'));
    const response = await app.inject({ method: 'OPTIONS', url: '/items' });
    expect(response.json()).toEqual({ custom: true });
  });

  describe('with @fastify/cors', () => {
    for (const order of ['before', 'after'] as const) {
      it(`lets cors answer a preflight with its headers when registered ${order} the views`, async () => {
        const app = Fastify();
        if (order === 'before') await app.register(cors, { origin: 'https://client.example' });
        await app.register(fastifyViews, { views: [{ path: '/items', view: Items.asView('items') }] });
        if (order === 'after') await app.register(cors, { origin: 'https://client.example' });
        const preflight = await app.inject({
          method: 'OPTIONS',
          url: '/items',
          headers: { origin: 'https://client.example', 'access-control-request-method': 'POST' },
        });
        expect(preflight.statusCode).toBe(204);
        expect(preflight.headers['access-control-allow-origin']).toBe('https://client.example');
        const get = await app.inject({ url: '/items', headers: { origin: 'https://client.example' } });
        expect(get.headers['access-control-allow-origin']).toBe('https://client.example');
      });
    }

    it('gives a plain OPTIONS what strictPreflight says: 400 when true', async () => {
      const app = Fastify();
      await app.register(cors, { origin: '*', strictPreflight: true });
      await app.register(fastifyViews, { views: [{ path: '/items', view: Items.asView('items') }] });
      const response = await app.inject({ method: 'OPTIONS', url: '/items' });
      expect(response.statusCode).toBe(400);
    });

    it('gives a plain OPTIONS cors headers when strictPreflight is false', async () => {
      const app = Fastify();
      await app.register(cors, { origin: '*', strictPreflight: false });
      await app.register(fastifyViews, { views: [{ path: '/items', view: Items.asView('items') }] });
      const response = await app.inject({ method: 'OPTIONS', url: '/items' });
      expect(response.statusCode).toBe(204);
      expect(response.headers['access-control-allow-origin']).toBe('*');
    });
  });
});

describe('HEAD', () => {
  it('answers like GET with no body and the same headers', async () => {
    const app = await appWithViews();
    app.addView('/items', Items.asView('items'));
    const get = await app.inject('/items');
    const head = await app.inject({ method: 'HEAD', url: '/items' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
  });

  it('keeps the status and headers of a web Response that get() returns', async () => {
    class Fetched extends MethodView {
      get() {
        return new Response('hello', { status: 203, headers: { 'x-from-response': '1', 'content-type': 'text/plain' } });
      }
    }
    const app = await appWithViews();
    app.addView('/r', Fetched.asView('fetched'));
    const head = await app.inject({ method: 'HEAD', url: '/r' });
    expect([head.statusCode, head.headers['x-from-response'], head.headers['content-type'], head.body]).toEqual([203, '1', 'text/plain', '']);
  });

  it('runs the hooks GET runs', async () => {
    const app = await appWithViews();
    const seen: string[] = [];
    app.addView('/items', Items.asView('items'), { preHandler: async (request) => void seen.push(request.method) });
    await app.inject({ method: 'HEAD', url: '/items' });
    expect(seen).toEqual(['HEAD']);
  });
});

describe('faults in user code', () => {
  let unhandled: unknown[];
  const record = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', record);
  });
  afterEach(() => {
    process.off('unhandledRejection', record);
  });

  it('sends every thrown or rejected error to the error handler and leaves no unhandled rejection', async () => {
    class Faulty extends MethodView {
      get() {
        throw new Error('sync throw');
      }
      async post() {
        throw new Error('async throw');
      }
      put() {
        return { then: (_resolve: unknown, reject: (error: Error) => void) => reject(new Error('thenable reject')) };
      }
    }
    const app = await appWithViews();
    const caught: string[] = [];
    app.setErrorHandler((error: Error, _request, reply) => {
      caught.push(error.message);
      reply.code(500).send({ error: error.message });
    });
    app.addView('/faulty', Faulty.asView('faulty'));
    for (const method of ['GET', 'POST', 'PUT'] as const) {
      expect((await app.inject({ method, url: '/faulty' })).statusCode).toBe(500);
    }
    await new Promise((resolve) => setImmediate(resolve));
    expect(caught).toEqual(['sync throw', 'async throw', 'thenable reject']);
    expect(unhandled).toEqual([]);
  });
});

describe('concurrency', () => {
  it('keeps request data stored on this apart across awaits for 1,000 concurrent requests', async () => {
    class Profile extends MethodView {
      private user = '';
      private trail: string[] = [];
      async get(request: FastifyRequest<{ Params: { user: string } }>) {
        this.user = request.params.user;
        for (let step = 0; step < 3; step++) {
          await new Promise((resolve) => setImmediate(resolve));
          this.trail.push(`${this.user}:${step}`);
        }
        return { user: this.user, trail: this.trail };
      }
    }
    const app = await appWithViews();
    app.addView('/profiles/:user', Profile.asView('profile'));
    const users = Array.from({ length: 1000 }, (_, i) => `u${i}`);
    const answers = await Promise.all(users.map((user) => app.inject(`/profiles/${user}`)));
    answers.forEach((answer, i) => {
      expect(answer.json()).toEqual({ user: users[i], trail: [0, 1, 2].map((step) => `${users[i]}:${step}`) });
    });
  });

  it('shares one instance, and so its fields, when initEveryRequest is false (as the README warns)', async () => {
    class Counter extends MethodView {
      static override initEveryRequest = false;
      private hits = 0;
      async get() {
        this.hits += 1;
        await new Promise((resolve) => setImmediate(resolve));
        return { hits: this.hits };
      }
    }
    const app = await appWithViews();
    app.addView('/', Counter.asView('counter'));
    const answers = await Promise.all(Array.from({ length: 10 }, () => app.inject('/')));
    expect(answers.map((answer) => answer.json().hits)).toEqual(Array(10).fill(10));
  });

  it('keeps per-request state apart across 200 concurrent requests to an async view', async () => {
    class Echo extends View {
      private id = '';
      async dispatchRequest(request: FastifyRequest<{ Params: { id: string } }>) {
        this.id = request.params.id;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5));
        return { id: this.id };
      }
    }
    const app = await appWithViews();
    app.addView('/echo/:id', Echo.asView('echo'));
    const ids = Array.from({ length: 200 }, (_, i) => String(i));
    const responses = await Promise.all(ids.map((id) => app.inject(`/echo/${id}`)));
    expect(responses.map((response) => response.json().id)).toEqual(ids);
  });
});

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
