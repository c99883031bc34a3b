import { Readable } from 'node:stream';
import { FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { EnsureSync, MethodView, View, ViewDecorator, ensureSync } from '../src';
import { appWithViews } from './helpers';

describe('ensureSync', () => {
  it('returns the plain value of a sync handler, not a Promise', () => {
    const dispatch = ensureSync(function (this: { n: number }, a: number, b: number) {
      return this.n + a + b;
    });
    const result = dispatch.call({ n: 1 }, 2, 3);
    expect(result).toBe(6);
  });

  it('returns a Promise for a handler that returns a thenable', async () => {
    const dispatch = ensureSync(async (a: number, b: number) => a * b);
    const result = dispatch(6, 7);
    expect(result).toBeInstanceOf(Promise);
    await expect(result).resolves.toBe(42);
  });

  it('accepts any thenable, not only native Promises', async () => {
    const thenable = { then: (resolve: (value: string) => void) => resolve('from thenable') };
    const dispatch = ensureSync(() => thenable);
    await expect(dispatch(undefined, undefined)).resolves.toBe('from thenable');
  });

  it('answers 500 naming the view when an async handler resolves to undefined without sending', async () => {
    class Forgetful extends MethodView {
      async get() {
        // forgot to return
      }
    }
    const app = await appWithViews();
    const seen: string[] = [];
    app.setErrorHandler((error: Error & { code?: string }, _request, reply) => {
      seen.push(error.code ?? '');
      reply.code(500).send({ message: error.message });
    });
    app.addView('/forgetful', Forgetful.asView('forgetful'));
    const response = await app.inject('/forgetful');
    expect(response.statusCode).toBe(500);
    expect(seen).toEqual(['FCV_ERR_NO_RESPONSE']);
    expect(response.json().message).toMatch(/View 'forgetful' \(Forgetful\.get\(\)\) on GET \/forgetful resolved to undefined/);
  });

  it('accepts an async handler that sends itself and returns reply', async () => {
    class SendsItself extends MethodView {
      async get(_request: FastifyRequest, reply: FastifyReply) {
        return reply.code(202).send({ sent: true });
      }
      async post(_request: FastifyRequest, reply: FastifyReply) {
        reply.send({ sent: 'without return' });
      }
    }
    const app = await appWithViews();
    app.addView('/', SendsItself.asView('sends'));
    const get = await app.inject('/');
    expect([get.statusCode, get.json()]).toEqual([202, { sent: true }]);
    const post = await app.inject({ method: 'POST', url: '/' });
    expect([post.statusCode, post.json()]).toEqual([200, { sent: 'without return' }]);
  });

  it('accepts an async handler that resolves to undefined with status 204', async () => {
    class NoContent extends MethodView {
      async delete(_request: FastifyRequest, reply: FastifyReply) {
        reply.code(204);
      }
    }
    const app = await appWithViews();
    app.addView('/', NoContent.asView('no-content'));
    const response = await app.inject({ method: 'DELETE', url: '/' });
    expect(response.statusCode).toBe(204);
    expect(response.body).toBe('');
  });

  it('keeps the callback style for a sync handler that sends later', async () => {
    class Later extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        setImmediate(() => reply.send({ later: true }));
      }
    }
    const app = await appWithViews();
    app.addView('/', Later.asView('later'));
    expect((await app.inject('/')).json()).toEqual({ later: true });
  });

  it('leaves a hijacked reply to the handler', async () => {
    class Raw extends MethodView {
      async get(_request: FastifyRequest, reply: FastifyReply) {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/plain' });
        reply.raw.end('raw answer');
      }
    }
    const app = await appWithViews();
    app.addView('/', Raw.asView('raw'));
    const response = await app.inject('/');
    expect([response.statusCode, response.body]).toEqual([200, 'raw answer']);
  });

  it('streams a returned stream, and one sent with reply.send', async () => {
    class Streams extends MethodView {
      get() {
        return Readable.from(['a', 'b', 'c']);
      }
      async post(_request: FastifyRequest, reply: FastifyReply) {
        reply.header('content-type', 'text/plain');
        return reply.send(Readable.from(['x', 'y']));
      }
    }
    const app = await appWithViews();
    app.addView('/', Streams.asView('streams'));
    expect((await app.inject('/')).body).toBe('abc');
    expect((await app.inject({ method: 'POST', url: '/' })).body).toBe('xy');
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('uses the ensureSync option for every handler call and exposes it as app.ensureSync', async () => {
    const calls: string[] = [];
    const tracing: EnsureSync = (handler) => function traced(request, reply) {
      calls.push(handler.name.replace('bound ', ''));
      return ensureSync(handler).call(this, request, reply);
    };
    class Traced extends MethodView {
      constructor(private readonly label: string) {
        super();
      }
      get() {
        return `sync ${this.label}`;
      }
      async post() {
        return `async ${this.label}`;
      }
    }
    class Plain extends View {
      dispatchRequest() {
        return 'plain';
      }
    }
    const app = await appWithViews({ ensureSync: tracing });
    expect(app.ensureSync).toBe(tracing);
    app.addView('/traced', Traced.asView('traced', 'view'));
    app.addView('/plain', Plain.asView('plain'));
    app.get('/stand-alone', Plain.asView('stand-alone'));
    expect((await app.inject('/traced')).body).toBe('sync view');
    expect((await app.inject({ method: 'POST', url: '/traced' })).body).toBe('async view');
    expect((await app.inject('/plain')).body).toBe('plain');
    expect((await app.inject({ method: 'HEAD', url: '/traced' })).statusCode).toBe(200);
    expect((await app.inject('/stand-alone')).body).toBe('plain');
    expect(calls).toEqual(['get', 'post', 'dispatchRequest', 'get', 'dispatchRequest']);
  });

  it('lets a custom ensureSync keep state across an await (e.g. AsyncLocalStorage)', async () => {
    const { AsyncLocalStorage } = await import('node:async_hooks');
    const store = new AsyncLocalStorage<string>();
    const withContext: EnsureSync = (handler) => function (request, reply) {
      return store.run(`req-${(request as FastifyRequest).id}`, () => handler.call(this, request, reply));
    };
    class Contextual extends MethodView {
      async get() {
        await new Promise((resolve) => setImmediate(resolve));
        return { context: store.getStore() };
      }
    }
    const app = await appWithViews({ ensureSync: withContext });
    app.addView('/', Contextual.asView('contextual'));
    expect((await app.inject('/')).json().context).toMatch(/^req-/);
  });

  it('rejects an ensureSync option that is not a function', async () => {
    await expect(appWithViews({ ensureSync: 'nope' as unknown as EnsureSync })).rejects.toMatchObject({ code: 'FCV_ERR_INVALID_OPTION' });
  });

  it('lets an extension decorator built on request.server.ensureSync wrap sync and async views', async () => {
    const timing: ViewDecorator = (view) => function timed(request, reply) {
      const started = process.hrtime.bigint();
      const result = request.server.ensureSync(view)(request, reply);
      const finish = <T>(value: T): T => {
        reply.header('server-timing', `view;dur=${Number(process.hrtime.bigint() - started) / 1e6}`);
        return value;
      };
      return result instanceof Promise ? result.then(finish) : finish(result);
    };
    class Timed extends MethodView {
      static override decorators = [timing];
      get() {
        return 'sync';
      }
      async post() {
        await new Promise((resolve) => setImmediate(resolve));
        return 'async';
      }
      async put() {
        // resolves to undefined: the decorator must still surface the 500
      }
    }
    const app = await appWithViews();
    app.addView('/', Timed.asView('timed'));
    const get = await app.inject('/');
    expect([get.body, get.headers['server-timing']]).toEqual(['sync', expect.stringMatching(/^view;dur=/)]);
    const post = await app.inject({ method: 'POST', url: '/' });
    expect([post.body, post.headers['server-timing']]).toEqual(['async', expect.stringMatching(/^view;dur=/)]);
    expect((await app.inject({ method: 'PUT', url: '/' })).statusCode).toBe(500);
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
    app.get('/stand-alone', Forgetful.asView('stand-alone'));
    for (const url of ['/f', '/stand-alone']) {
      const response = await app.inject(url);
      expect([url, response.statusCode, response.json().code]).toEqual([url, 500, 'FCV_ERR_NO_RESPONSE']);
    }
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
