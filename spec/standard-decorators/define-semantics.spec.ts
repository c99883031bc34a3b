// This folder compiles as esbuild, SWC and TypeScript's ES2022 default do: standard decorators
// and `useDefineForClassFields`, where `static methods = …` defines an own property.
import { FastifyReply, FastifyRequest } from 'fastify';
import Fastify from 'fastify';
import fastifyViews, { MethodView, VerbOptions } from '../../src';

class Resource extends MethodView {
  static override verbOptions: VerbOptions = { post: { schema: { body: { type: 'object', required: ['name'] } } } };
  get() {
    return 'GET';
  }
  post(_request: FastifyRequest, reply: FastifyReply) {
    return reply.code(201).send('POST');
  }
}
class ReadOnly extends Resource {
  static override methods = ['GET'] as const;
}
class ReadAndDelete extends ReadOnly {
  delete() {
    return 'DELETE';
  }
}

describe('views under define semantics for class fields', () => {
  it('routes by the derived methods and per-verb options', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    app.addView('/r', Resource.asView('resource'));
    app.addView('/ro', ReadOnly.asView('read-only'));
    app.addView('/rd', ReadAndDelete.asView('read-delete'));
    expect((await app.inject({ method: 'POST', url: '/r', payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/r', payload: { name: 'x' } })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/ro' })).headers.allow).toBe('GET, HEAD, OPTIONS');
    expect((await app.inject({ method: 'OPTIONS', url: '/rd' })).headers.allow).toBe('DELETE, GET, HEAD, OPTIONS, POST');
    expect((await app.inject({ method: 'DELETE', url: '/rd' })).body).toBe('DELETE');
  });

  it('derives the static methods of each class once its methods are used', () => {
    expect([...ReadAndDelete.asView('x').methods].sort()).toEqual(['DELETE', 'GET', 'POST']);
    expect(ReadOnly.methods).toEqual(['GET']);
    expect([...(ReadAndDelete.methods ?? [])].sort()).toEqual(['DELETE', 'GET', 'POST']);
  });
});
