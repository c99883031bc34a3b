/**
 * The bookshelf API as a Fastify app. `main.ts` serves it; tests build it with any `Store`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { FastifyInstance, FastifyServerOptions } from 'fastify';
import fastifyViews from '../../src'; // in your app: 'fastify-class-views'
import type { Store } from './store';
import { AuthorItem, AuthorList } from './views/authors';
import { BookItem, BookList } from './views/books';
import { Home } from './views/home';

export interface BookshelfOptions {
  /** Where the data lives: views get it as a constructor argument. */
  store: Store;
  /** The key write requests must send in the `x-api-key` header. */
  apiKey: string;
  /** Fastify's `logger` option (default: off). */
  logger?: FastifyServerOptions['logger'];
}

/** Where the OpenAPI UI is served (its JSON document is at `${DOCS}/json`). */
export const DOCS = '/docs';

export async function buildApp({ store, apiKey, logger = false }: BookshelfOptions): Promise<FastifyInstance> {
  if (!apiKey) throw new Error('buildApp needs a non-empty apiKey');
  const app = Fastify({ logger });
  app.decorate('bookshelfApiKey', apiKey);

  // Before the views: @fastify/swagger collects routes as they are added.
  await app.register(swagger, {
    openapi: {
      info: { title: 'Bookshelf', version: '1.0.0', description: 'Authors and their books, built from fastify-class-views.' },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } },
    },
  });
  // Serves the Swagger UI files from the package itself: works offline.
  await app.register(swaggerUi, { routePrefix: DOCS });

  await app.register(fastifyViews);
  app.addView('/', Home.asView('home', DOCS));
  app.addView('/authors', AuthorList.asView('authors', store));
  app.addView('/authors/:id', AuthorItem.asView('author', store));
  app.addView('/books', BookList.asView('books', store));
  app.addView('/books/:id', BookItem.asView('book', store));
  return app;
}
