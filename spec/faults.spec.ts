import { Writable } from 'node:stream';
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { EnsureSync, MethodView, ViewDecorator, ViewFunction, ViewRouteOptions } from '../src';

// Every piece of user code a view runs, made to fail in every way it can. Each case states the
// outcome the README promises: an error through setErrorHandler, a 503 from handlerTimeout, or
// (when the reply was already sent) the first answer standing and the fault logged.

type Fault = 'throws' | 'rejects' | 'rejecting thenable' | 'never settles';
const boom = () => new Error('boom');
function fail(fault: Fault): unknown {
  switch (fault) {
    case 'throws':
      throw boom();
    case 'rejects':
      return Promise.reject(boom());
    case 'rejecting thenable':
      return { then: (_resolve: unknown, reject: (error: Error) => void) => reject(boom()) };
    case 'never settles':
      return new Promise(() => undefined);
  }
}
const FAULTS: Fault[] = ['throws', 'rejects', 'rejecting thenable', 'never settles'];
const expected = (fault: Fault) => (fault === 'never settles' ? { status: 503, code: 'FST_ERR_HANDLER_TIMEOUT' } : { status: 500, caught: 'boom' });

async function serve(view: ViewFunction, options: ViewRouteOptions = {}, ensureSync?: EnsureSync) {
  const logs: Array<{ msg: string; err?: { message?: string } }> = [];
  const stream = new Writable({
    write: (chunk, _encoding, done) => {
      logs.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({ logger: { level: 'warn', stream } });
  await app.register(fastifyViews, ensureSync ? { ensureSync } : {});
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
    reply.code(error.statusCode ?? 500).send({ caught: error.message, code: error.code });
  });
  app.addView('/', view, { handlerTimeout: 50, ...options });
  return { app, logs };
}

async function outcome(view: ViewFunction, options?: ViewRouteOptions, ensureSync?: EnsureSync) {
  const { app } = await serve(view, options, ensureSync);
  const response = await app.inject('/');
  const body = response.json();
  return response.statusCode === 503 ? { status: 503, code: body.code } : { status: response.statusCode, caught: body.caught };
}

let unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);
beforeEach(() => {
  unhandled = [];
  process.on('unhandledRejection', record);
});
afterEach(async () => {
  await new Promise((resolve) => setTimeout(resolve, 10));
  process.off('unhandledRejection', record);
  expect(unhandled).toEqual([]);
});

describe.each(FAULTS)('a fault that %s', (fault) => {
  it('in a handler reaches the error handler (or the timeout)', async () => {
    class Faulty extends MethodView {
      get() {
        return fail(fault);
      }
    }
    expect(await outcome(Faulty.asView('faulty'))).toEqual(expected(fault));
  });

  it('in a decorator reaches the error handler (or the timeout)', async () => {
    const faulty: ViewDecorator = () => () => fail(fault);
    class Decorated extends MethodView {
      static override decorators = [faulty];
      get() {
        return 'never reached';
      }
    }
    expect(await outcome(Decorated.asView('decorated'))).toEqual(expected(fault));
  });

  it('in a custom ensureSync reaches the error handler (or the timeout)', async () => {
    class Plain extends MethodView {
      get() {
        return 'never reached';
      }
    }
    const faulty: EnsureSync = () => function () {
      return fail(fault) as never;
    };
    expect(await outcome(Plain.asView('plain'), {}, faulty)).toEqual(expected(fault));
  });

  it('in a view factory reaches the error handler (or the timeout)', async () => {
    class Built extends MethodView {
      get() {
        return 'never reached';
      }
    }
    expect(await outcome(Built.asViewFrom('built', () => fail(fault) as Built))).toEqual(expected(fault));
  });

  it('in an onRequest hook of the view reaches the error handler (or the timeout)', async () => {
    class Hooked extends MethodView {
      get() {
        return 'never reached';
      }
    }
    const hook = fault === 'throws'
      ? (_request: FastifyRequest, _reply: FastifyReply, _done: () => void) => {
          throw boom();
        }
      : async () => {
          await fail(fault);
        };
    expect(await outcome(Hooked.asView('hooked'), { onRequest: hook })).toEqual(expected(fault));
  });
});

describe('a constructor that throws', () => {
  it('reaches the error handler', async () => {
    class Broken extends MethodView {
      constructor() {
        super();
        throw boom();
      }
      get() {
        return 'never reached';
      }
    }
    expect(await outcome(Broken.asView('broken'))).toEqual({ status: 500, caught: 'boom' });
  });
});

describe('a handler that answers and then misbehaves', () => {
  it('keeps the first answer and logs a second send', async () => {
    class Twice extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.send('first');
        reply.send('second');
      }
    }
    const { app, logs } = await serve(Twice.asView('twice'));
    const response = await app.inject('/');
    expect([response.statusCode, response.body]).toEqual([200, 'first']);
    expect(logs.map((line) => line.err?.message ?? line.msg).join('\n')).toMatch(/Reply was already sent/);
  });

  it('keeps the first answer and logs an error thrown after sending', async () => {
    class SendThenThrow extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.send('sent');
        throw boom();
      }
    }
    const { app, logs } = await serve(SendThenThrow.asView('send-then-throw'));
    const response = await app.inject('/');
    expect([response.statusCode, response.body]).toEqual([200, 'sent']);
    expect(logs.length).toBeGreaterThan(0);
  });

  it('keeps the first answer and logs a rejection after sending', async () => {
    class SendThenReject extends MethodView {
      async get(_request: FastifyRequest, reply: FastifyReply) {
        reply.send('sent');
        throw boom();
      }
    }
    const { app, logs } = await serve(SendThenReject.asView('send-then-reject'));
    const response = await app.inject('/');
    expect([response.statusCode, response.body]).toEqual([200, 'sent']);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(logs.map((line) => line.err?.message).filter(Boolean)).toContain('boom');
  });
});
