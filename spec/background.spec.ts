import { Writable } from 'node:stream';
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { FastifyViewsOptions, MethodView } from '../src';

/** An app whose log lines are kept, to see what background failures leave behind. */
async function appWithLog(options: FastifyViewsOptions = {}) {
  const lines: Array<{ level: number; msg: string; err?: { message: string } }> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const app = Fastify({ logger: { level: 'warn', stream } });
  await app.register(fastifyViews, options);
  return { app, lines };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('reply.background', () => {
  it('runs the task after the response is sent, in the order tasks were scheduled', async () => {
    const events: string[] = [];
    class Signup extends MethodView {
      async post(_request: FastifyRequest, reply: FastifyReply) {
        reply.background(() => void events.push(`first, sent=${reply.sent}`));
        reply.background(async () => {
          await tick();
          events.push('second');
        });
        events.push('handler');
        return reply.code(201).send({ ok: true });
      }
    }
    const { app } = await appWithLog();
    app.addView('/signup', Signup.asView('signup'));
    const response = await app.inject({ method: 'POST', url: '/signup' });
    events.push('response');
    expect(response.statusCode).toBe(201);
    await app.close();
    expect(events[0]).toBe('handler');
    expect(events.filter((event) => event !== 'response')).toEqual(['handler', 'first, sent=true', 'second']);
  });

  it('logs a failing task and never lets it crash the process or change the response', async () => {
    class Failing extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.background(() => {
          throw new Error('sync task failure');
        });
        reply.background(() => Promise.reject(new Error('async task failure')));
        return 'fine';
      }
    }
    const { app, lines } = await appWithLog();
    app.addView('/', Failing.asView('failing'));
    const response = await app.inject('/');
    expect([response.statusCode, response.body]).toEqual([200, 'fine']);
    await app.close();
    const failures = lines.filter((line) => line.msg === 'background task failed').map((line) => line.err?.message);
    expect(failures).toEqual(['sync task failure', 'async task failure']);
  });

  it('makes app.close() wait for pending tasks', async () => {
    let finished = false;
    class Slow extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.background(async () => {
          await new Promise((resolve) => setTimeout(resolve, 100));
          finished = true;
        });
        return 'accepted';
      }
    }
    const { app } = await appWithLog();
    app.addView('/', Slow.asView('slow'));
    await app.inject('/');
    expect(finished).toBe(false);
    await app.close();
    expect(finished).toBe(true);
  });

  it('stops waiting at backgroundTimeout and says so', async () => {
    class Stuck extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.background(() => new Promise(() => undefined));
        return 'accepted';
      }
    }
    const { app, lines } = await appWithLog({ backgroundTimeout: 50 });
    app.addView('/', Stuck.asView('stuck'));
    await app.inject('/');
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(lines.map((line) => line.msg).join('\n')).toMatch(/closing with 1 background task run\(s\) still pending after 50 ms/);
  });

  it('runs a task scheduled after the response has already gone', async () => {
    const ran: string[] = [];
    class Late extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.send('early');
        reply.raw.once('close', () => reply.background(() => void ran.push('late task')));
      }
    }
    const { app } = await appWithLog();
    app.addView('/', Late.asView('late'));
    await app.inject('/');
    await new Promise((resolve) => setTimeout(resolve, 20));
    await app.close();
    expect(ran).toEqual(['late task']);
  });

  it('rejects a task that is not a function', async () => {
    class Wrong extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.background('not a task' as never);
        return 'never';
      }
    }
    const { app } = await appWithLog();
    app.addView('/', Wrong.asView('wrong'));
    const response = await app.inject('/');
    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe('FCV_ERR_INVALID_OPTION');
  });

  it('rejects a bad backgroundTimeout option', async () => {
    await expect(appWithLog({ backgroundTimeout: -1 })).rejects.toMatchObject({ code: 'FCV_ERR_INVALID_OPTION' });
  });
});
