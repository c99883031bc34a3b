// TypeScript consumer, `module: nodenext`, CommonJS mode (.cts): compiles to require().
import Fastify, { type FastifyRequest } from 'fastify';
import fastifyViews, { fastifyViews as namedViews, MethodView } from 'fastify-class-views';
import * as testing from 'fastify-class-views/testing';

class UserAPI extends MethodView {
  get(request: FastifyRequest<{ Params: { id: string } }>) {
    return { id: request.params.id };
  }
}

export async function build() {
  const app = Fastify();
  await app.register(fastifyViews);
  await app.register(namedViews, { prefix: '/v2' });
  app.addView('/users/:id', UserAPI.asView('user'));
  const testingEntry: object = testing;
  return { app, testingEntry };
}
