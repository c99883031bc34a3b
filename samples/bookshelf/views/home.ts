import type { FastifyRequest } from 'fastify';
import type { FromSchema } from 'json-schema-to-ts';
import { createHash } from 'node:crypto';
import { View, strongETag } from '../../../src'; // in your app: 'fastify-class-views'
import { publicAccess } from '../schemas';
import { serverTiming } from './server-timing';

const Index = {
  description: 'Where the collections and the documentation are',
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
 * Stateless, so one instance serves every request (`initEveryRequest = false`). The index never
 * changes while the app runs: its digest is its ETag, so a client or cache revalidates it with
 * `If-None-Match` and gets a 304.
 */
export class Home extends View {
  static override initEveryRequest = false;
  static override decorators = [serverTiming];
  static override viewOptions = { schema: { tags: ['meta'], summary: 'Where to start', security: publicAccess, response: { 200: Index } } };
  private index?: { body: FromSchema<typeof Index>; etag: string };

  constructor(private readonly docsUrl: string) {
    super();
  }

  override validators(request: FastifyRequest) {
    return { etag: this.indexFor(request).etag };
  }

  dispatchRequest(request: FastifyRequest): FromSchema<typeof Index> {
    return this.indexFor(request).body;
  }

  /** Built at the first request: `urlFor` knows every view once the app is ready. */
  private indexFor(request: FastifyRequest) {
    if (this.index === undefined) {
      const { server } = request;
      const body = { name: 'bookshelf', links: { authors: server.urlFor('authors'), books: server.urlFor('books'), docs: this.docsUrl } };
      this.index = { body, etag: strongETag(createHash('sha256').update(JSON.stringify(body)).digest('base64url').slice(0, 16)) };
    }
    return this.index;
  }
}
