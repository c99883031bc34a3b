// TypeScript consumer, `module: esnext` + `moduleResolution: bundler`.
// Type-checked only, by spec/consumers/run.sh; not part of the repo's own tsconfig or jest.
import Fastify, { type FastifyRequest } from 'fastify';
import fastifyViews, { fastifyViews as namedViews, MethodView, View, ensureSync } from 'fastify-class-views';
import * as testing from 'fastify-class-views/testing';

class UserAPI extends MethodView {
  get(request: FastifyRequest<{ Params: { id: string } }>) {
    return { id: request.params.id };
  }
}

class Hello extends View {
  dispatchRequest(request: FastifyRequest) {
    return `Hello ${request.method}`;
  }
}

const app = Fastify();
await app.register(fastifyViews);
await app.register(namedViews, { prefix: '/v2' });
app.addView('/users/:id', UserAPI.asView('user'));
app.addView('/hello', Hello.asView('hello'));
const add = ensureSync((a: number, b: number) => a + b);
const testingEntry: object = testing;

export { app, add, testingEntry };
