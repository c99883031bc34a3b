import { diContainer, fastifyAwilixPlugin } from '@fastify/awilix';
import { asFunction, asValue, Lifetime } from 'awilix';
import Fastify, { FastifyRequest } from 'fastify';
import fastifyViews, { MethodView, View } from '../src';

// The per-request dependency, as @fastify/awilix resolves it from request.diScope.
interface Session {
  requestId: string;
  user: string;
}

declare module '@fastify/awilix' {
  interface Cradle {
    greeting: string;
  }
  interface RequestCradle {
    session: Session;
  }
}

class Profile extends MethodView {
  constructor(private readonly session: Session, private readonly greeting: string) {
    super();
  }
  async get() {
    await new Promise((resolve) => setImmediate(resolve));
    return { message: `${this.greeting}, ${this.session.user}`, requestId: this.session.requestId };
  }
}

async function appWithAwilix() {
  const app = Fastify();
  await app.register(fastifyAwilixPlugin, { disposeOnClose: true, disposeOnResponse: true, strictBooleanEnforced: true });
  diContainer.register({ greeting: asValue('Hello') });
  app.addHook('onRequest', async (request) => {
    request.diScope.register({
      session: asFunction(() => ({ requestId: request.id, user: String(request.headers['x-user'] ?? 'anonymous') }), { lifetime: Lifetime.SCOPED }),
    });
  });
  await app.register(fastifyViews);
  return app;
}

describe('views built per request by a factory (asViewFrom)', () => {
  it('builds each instance from the request, with @fastify/awilix request.diScope', async () => {
    const app = await appWithAwilix();
    app.addView('/me', Profile.asViewFrom('profile', (request) => new Profile(request.diScope.resolve('session'), request.diScope.resolve('greeting'))));
    const ann = await app.inject({ url: '/me', headers: { 'x-user': 'ann' } });
    expect(ann.json()).toEqual({ message: 'Hello, ann', requestId: expect.any(String) });
    const bob = await app.inject({ url: '/me', headers: { 'x-user': 'bob' } });
    expect(bob.json().message).toBe('Hello, bob');
    expect(bob.json().requestId).not.toBe(ann.json().requestId);
    await app.close();
  });

  it('keeps concurrent requests on their own scoped dependencies', async () => {
    const app = await appWithAwilix();
    app.addView('/me', Profile.asViewFrom('profile', (request) => new Profile(request.diScope.resolve('session'), 'Hi')));
    const users = Array.from({ length: 50 }, (_, i) => `user${i}`);
    const answers = await Promise.all(users.map((user) => app.inject({ url: '/me', headers: { 'x-user': user } })));
    expect(answers.map((answer) => answer.json().message)).toEqual(users.map((user) => `Hi, ${user}`));
    await app.close();
  });

  it('works for a plain View and through the stand-alone view function', async () => {
    class Who extends View {
      constructor(private readonly user: string) {
        super();
      }
      dispatchRequest() {
        return this.user;
      }
    }
    const view = Who.asViewFrom('who', (request: FastifyRequest) => new Who(String(request.headers['x-user'])));
    const app = Fastify();
    await app.register(fastifyViews);
    app.addView('/who', view);
    app.get('/plain-who', view);
    expect((await app.inject({ url: '/who', headers: { 'x-user': 'ann' } })).body).toBe('ann');
    expect((await app.inject({ url: '/plain-who', headers: { 'x-user': 'bob' } })).body).toBe('bob');
  });

  it('sends an error thrown by the factory to the error handler', async () => {
    class Who extends View {
      dispatchRequest() {
        return 'never';
      }
    }
    const app = Fastify();
    await app.register(fastifyViews);
    app.setErrorHandler((error: Error, _request, reply) => reply.code(503).send({ factory: error.message }));
    app.addView('/who', Who.asViewFrom('who', () => {
      throw new Error('no scope');
    }));
    const response = await app.inject('/who');
    expect([response.statusCode, response.json()]).toEqual([503, { factory: 'no scope' }]);
  });

  it('refuses a factory for a view shared across requests', () => {
    class Shared extends View {
      static override initEveryRequest = false;
      dispatchRequest() {
        return '';
      }
    }
    expect(() => Shared.asViewFrom('shared', () => new Shared())).toThrow(/initEveryRequest = false forbids/);
  });
});
