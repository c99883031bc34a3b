import { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, VerbOptions, route, schema } from '../src';
import { appWithViews } from './helpers';

const never = () => new Promise<never>(() => undefined);
const sleep = (ms: number, signal?: AbortSignal) => new Promise<void>((resolve, reject) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener('abort', () => {
    clearTimeout(timer);
    reject(signal.reason);
  }, { once: true });
});

describe('handlerTimeout on views', () => {
  it('answers 503 for a view-level timeout, on every verb', async () => {
    class Hanging extends MethodView {
      static override viewOptions = { handlerTimeout: 30 };
      get() {
        return never();
      }
      post() {
        return never();
      }
    }
    const app = await appWithViews();
    app.addView('/', Hanging.asView('hanging'));
    for (const method of ['GET', 'POST'] as const) {
      const response = await app.inject({ method, url: '/' });
      expect([response.statusCode, response.json().code]).toEqual([503, 'FST_ERR_HANDLER_TIMEOUT']);
    }
  });

  it('answers 503 for a per-verb timeout only on its verb', async () => {
    class Mixed extends MethodView {
      static override verbOptions: VerbOptions = { get: { handlerTimeout: 30 } };
      async get() {
        await sleep(200);
        return 'too late';
      }
      async post() {
        await sleep(60);
        return 'no timeout here';
      }
    }
    const app = await appWithViews();
    app.addView('/', Mixed.asView('mixed'));
    expect((await app.inject('/')).statusCode).toBe(503);
    expect((await app.inject({ method: 'POST', url: '/' })).body).toBe('no timeout here');
  });

  it('takes timeouts from @route and @schema', async () => {
    @route('/decorated', { handlerTimeout: 30 })
    class Decorated extends MethodView {
      get() {
        return never();
      }
      @schema({}, { handlerTimeout: 1000 })
      async post() {
        await sleep(60);
        return 'verb timeout wins';
      }
    }
    const app = await appWithViews({ views: [Decorated] });
    expect((await app.inject('/decorated')).statusCode).toBe(503);
    expect((await app.inject({ method: 'POST', url: '/decorated' })).body).toBe('verb timeout wins');
  });

  it('drops a late result safely after the 503', async () => {
    const finished: string[] = [];
    class Late extends MethodView {
      static override viewOptions = { handlerTimeout: 20 };
      async get(_request: FastifyRequest, reply: FastifyReply) {
        await sleep(80);
        finished.push('handler finished');
        return reply.send('late');
      }
    }
    const app = await appWithViews();
    app.addView('/', Late.asView('late'));
    const unhandled: unknown[] = [];
    const record = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', record);
    try {
      expect((await app.inject('/')).statusCode).toBe(503);
      await sleep(120);
      expect(finished).toEqual(['handler finished']);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', record);
    }
  });

  it('aborts request.signal, so a view that honours it stops its work', async () => {
    const steps: string[] = [];
    class Cooperative extends MethodView {
      static override viewOptions = { handlerTimeout: 30 };
      async get(request: FastifyRequest) {
        for (let step = 0; step < 10; step++) {
          await sleep(20, request.signal);
          steps.push(`step ${step}`);
        }
        return 'done';
      }
    }
    const app = await appWithViews();
    app.addView('/', Cooperative.asView('cooperative'));
    expect((await app.inject('/')).statusCode).toBe(503);
    await sleep(100);
    expect(steps.length).toBeLessThanOrEqual(2);
  });

  it('catches a sync view that never sends', async () => {
    class Silent extends MethodView {
      static override viewOptions = { handlerTimeout: 30 };
      get() {
        // callback style, but never calls reply.send
      }
    }
    const app = await appWithViews();
    app.addView('/', Silent.asView('silent'));
    expect((await app.inject('/')).statusCode).toBe(503);
  });
});
