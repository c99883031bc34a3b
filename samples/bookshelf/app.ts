/**
 * The bookshelf API as a Fastify app. `main.ts` serves it; tests build it with any `Store`.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Ajv from 'ajv';
import { createServer } from 'node:http';
import Fastify, { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaValidationError, FastifyServerOptions } from 'fastify';
import fastifyViews, { EventChannel, componentName } from '../../src'; // in your app: 'fastify-class-views'
import type { Store } from './store';
import { Authors } from './views/authors';
import { AuthorBooks, Books } from './views/books';
import { BookEvents } from './views/events';
import { Home } from './views/home';
import type { BookFeed } from './repositories';

export interface BookshelfOptions {
  /** Where the data lives: views get it as a constructor argument. */
  store: Store;
  /** The key write requests must send in the `x-api-key` header. */
  apiKey: string;
  /** Fastify's `logger` option (default: off). */
  logger?: FastifyServerOptions['logger'];
  /** Serve the OpenAPI UI at `/docs` (default: yes; its document is served either way, at `/docs/json` only with the UI). */
  docs?: boolean;
  /** How long a client may take to send a whole request, headers and body, in ms (default 10 s). */
  requestTimeout?: number;
  /** Where clients reach the API, for the OpenAPI document's `servers` (default `http://127.0.0.1:3000`, as `npm start`). */
  serverUrl?: string;
}

/**
 * How requests are validated. Query strings and path parameters are text, so they are coerced
 * (`?limit=5` is the integer 5). Bodies are JSON and are taken as sent: `{"year":null}` or
 * `{"title":true}` is a 400, never silently turned into `0` or `"true"`, and an unknown field is
 * a 400 naming it, not silently dropped (Fastify's defaults do both).
 */
function validators() {
  const strict = new Ajv({ coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  const coercing = new Ajv({ coerceTypes: 'array', removeAdditional: false, useDefaults: true, allErrors: false, strict: false });
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? strict : coercing).compile(schema);
}

/** Where the OpenAPI UI is served (its JSON document is at `${DOCS}/json`). */
export const DOCS = '/docs';

export async function buildApp({ store, apiKey, logger = false, docs = true, requestTimeout = 10_000, serverUrl = 'http://127.0.0.1:3000' }: BookshelfOptions): Promise<FastifyInstance> {
  if (!apiKey) throw new Error('buildApp needs a non-empty apiKey');
  const app = Fastify({
    logger,
    // `/books/` is the list, as `/books` is (not `/books/:id` with an empty id).
    routerOptions: { ignoreTrailingSlash: true },
    // Node's defaults let a client hold a socket forever once its headers are in (a body that
    // never ends, or one byte a second): bound the whole request, checked every second (Node's
    // default interval is 30 s), and idle sockets.
    requestTimeout,
    serverFactory: (handler) => {
      const server = createServer({ requestTimeout, headersTimeout: requestTimeout, connectionsCheckingInterval: 1_000 }, handler);
      // With a serverFactory, Fastify leaves these to the server: its defaults, set here.
      server.setTimeout(60_000);
      server.keepAliveTimeout = 72_000;
      return server;
    },
  });
  app.decorate('bookshelfApiKey', apiKey);
  app.setValidatorCompiler(validators());
  app.setSchemaErrorFormatter(describeInvalid);
  // Every body is JSON: anything else is a 415, not a string that then fails validation as a 400.
  app.removeContentTypeParser(['text/plain']);
  app.setErrorHandler(answerError);

  // Before the views: @fastify/swagger collects routes as they are added.
  // Components are named by their schema's `$id` (`Book`), not `def-0`.
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Bookshelf', version: '1.0.0', description: 'Authors and their books, built from fastify-class-views.',
        license: { name: 'MIT', url: 'https://opensource.org/license/mit' },
      },
      servers: [{ url: serverUrl, description: 'This server' }],
      tags: [
        { name: 'meta', description: 'Where to start' },
        { name: 'authors', description: 'The authors on the shelf' },
        { name: 'books', description: 'The books on the shelf, each by one author' },
      ],
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'Needed by every write' } } },
    },
    refResolver: { buildLocalReference: componentName },
  });
  // Serves the Swagger UI files from the package itself: works offline.
  if (docs) await app.register(swaggerUi, { routePrefix: DOCS });

  await app.register(fastifyViews);
  app.addView('/', Home.asView('home', DOCS));
  app.addResource('/authors', Authors.asResource('authors', store));
  app.addResource('/authors/:authorId/books', AuthorBooks.asResource('authorBooks', store));
  // Book changes made through this app, live at /events (another process's writes are not seen).
  const feed: BookFeed = new EventChannel({ history: 100, name: 'book events' });
  app.addResource('/books', Books.asResource('books', store, feed));
  app.addView('/events', BookEvents.asView('events', feed));
  return app;
}

/**
 * A 4xx says what was wrong, as Fastify's default does. An unexpected error (a 5xx, e.g. the
 * database failing) is logged once with its details and answered with a generic message and the
 * request id to quote: a database message or SQLSTATE never reaches the client.
 */
function answerError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const status = error.statusCode ?? 500;
  if (status < 500) return reply.send(error);
  request.log.error({ err: error }, 'unexpected error');
  return reply.code(status).send({
    statusCode: status,
    code: 'BOOKSHELF_INTERNAL',
    error: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
    message: `unexpected error; quote request id ${request.id} when you report it`,
  });
}

/**
 * Fastify's message for invalid input (`body/year must be integer`), naming the field an
 * unknown-property error is about, which Ajv's own message leaves out.
 */
function describeInvalid(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const text = errors.map((error) => {
    const extra = error.keyword === 'additionalProperties' ? ` ('${String((error.params as { additionalProperty?: unknown }).additionalProperty)}')` : '';
    return `${dataVar}${error.instancePath} ${error.message}${extra}`;
  });
  return new Error(text.join(', '));
}
