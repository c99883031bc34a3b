import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { MethodView } from '../src'; // in your app: from 'fastify-class-views'

const users = new Map([['1', { id: '1', name: 'Ada' }]]);

class UserAPI extends MethodView {
  constructor(private readonly db: Map<string, { id: string; name: string }>) { super(); }
  get(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    return this.db.get(request.params.id) ?? reply.code(404).send({ error: 'not found' });
  }
  async delete(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    this.db.delete(request.params.id);
    return reply.code(204).send();
  }
}

export async function main(port = 3000) {
  const app = Fastify();
  await app.register(fastifyViews, { views: [{ path: '/users/:id', view: UserAPI.asView('user', users) }] });
  await app.listen({ port, host: '127.0.0.1' });
  return app;
}
// GET /users/1 → 200 {"id":"1","name":"Ada"}   PUT /users/1 → 405, Allow: DELETE, GET, HEAD, OPTIONS
// app.urlFor('user', { id: 1 }) → '/users/1'

if (require.main === module) void main();
