// The same API with decorators, compiled as TC39 standard decorators (spec/standard-decorators/tsconfig.json).
import { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, route, schema } from '../../src';
import { AUTHORS, createAuthor, deleteAuthor, listAuthors, readAuthor } from '../fixtures/library-schemas';

@route('/authors', { schema: { tags: ['authors'] } })
export class AuthorList extends MethodView {
  @schema(listAuthors)
  get() {
    return AUTHORS;
  }
  @schema(createAuthor)
  post(request: FastifyRequest<{ Body: { name: string } }>, reply: FastifyReply) {
    return reply.code(201).send({ id: 2, name: request.body.name });
  }
}

@route('/authors/:id', { schema: { tags: ['authors'] } })
export class AuthorItem extends MethodView {
  @schema(readAuthor)
  get(request: FastifyRequest<{ Params: { id: number } }>) {
    return AUTHORS.find((a) => a.id === request.params.id) ?? { id: request.params.id, name: '?' };
  }
  @schema(deleteAuthor)
  delete(_request: FastifyRequest, reply: FastifyReply) {
    return reply.code(204).send();
  }
}

/** What the compiler handed a method decorator here: a context object (TC39) or a property key (legacy). */
export const decoratorMode: string[] = [];
function probe(_target: unknown, keyOrContext: unknown): void {
  decoratorMode.push(typeof keyOrContext === 'object' ? 'tc39' : 'legacy');
}
export class Probe {
  @probe
  method(): void {}
}
