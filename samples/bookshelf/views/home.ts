import type { FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { View } from '../../../src'; // in your app: 'fastify-class-views'
import { serverTiming } from './server-timing';

const Index = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    links: {
      type: 'object',
      properties: { authors: { type: 'string' }, books: { type: 'string' }, docs: { type: 'string' } },
      required: ['authors', 'books', 'docs'],
    },
  },
  required: ['name', 'links'],
} as const;

/**
 * `/`: what this API is and where to go next. A plain `View` whose `dispatchRequest` is sync —
 * no I/O, so no Promise, no extra tick; `ensureSync` (and so `serverTiming`) keeps it that way.
 * Stateless, so one instance serves every request (`initEveryRequest = false`).
 */
export class Home extends View {
  static override initEveryRequest = false;
  static override decorators = [serverTiming];
  static override viewOptions = { schema: { tags: ['meta'], summary: 'Where to start', response: { 200: Index } } };

  constructor(private readonly docsUrl: string) {
    super();
  }

  dispatchRequest(request: FastifyRequest): FromSchema<typeof Index> {
    return {
      name: 'bookshelf',
      links: { authors: request.server.urlFor('authors'), books: request.server.urlFor('books'), docs: this.docsUrl },
    };
  }
}
