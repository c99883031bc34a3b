import swagger from '@fastify/swagger';
import Fastify, { FastifyInstance } from 'fastify';
import fastifyViews, { MethodView } from '../src';
import * as decorated from './fixtures/library-legacy-decorators';
import { libraryApp, openapi } from './fixtures/library-api';
import { registerStatic } from './fixtures/library-static';
import { author, createAuthor, idParams } from './fixtures/library-schemas';

type Operation = { operationId?: string; summary?: string; description?: string; tags?: string[]; parameters?: Array<{ name: string; in: string }>; requestBody?: unknown; responses?: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, Operation>> };

describe('OpenAPI with @fastify/swagger', () => {
  it('lists every view verb as an operation, and no HEAD, OPTIONS or 405 route', async () => {
    const doc = openapi(await libraryApp({ register: registerStatic })) as Document;
    expect(Object.keys(doc.paths).sort()).toEqual(['/authors', '/authors/{id}']);
    expect(Object.keys(doc.paths['/authors']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/authors/{id}']).sort()).toEqual(['delete', 'get']);
  });

  it('derives operationIds from the view name and the verb', async () => {
    const doc = openapi(await libraryApp({ register: registerStatic })) as Document;
    const ids = Object.values(doc.paths).flatMap((operations) => Object.values(operations).map((operation) => operation.operationId));
    expect(ids.sort()).toEqual(['deleteAuthorItem', 'getAuthorItem', 'getAuthorList', 'postAuthorList']);
  });

  it('carries each verb schema, summary, description and the view tags', async () => {
    const doc = openapi(await libraryApp({ register: registerStatic })) as Document;
    const read = doc.paths['/authors/{id}'].get;
    expect(read).toMatchObject({ summary: 'Read an author', description: 'One author by id.', tags: ['authors'] });
    expect(read.parameters).toEqual([expect.objectContaining({ name: 'id', in: 'path', schema: idParams.properties.id })]);
    expect(read.responses?.['200']).toMatchObject({ content: { 'application/json': { schema: author } } });
    const create = doc.paths['/authors'].post;
    expect(create).toMatchObject({ summary: 'Create an author', tags: ['authors'] });
    expect(create.requestBody).toMatchObject({ content: { 'application/json': { schema: createAuthor.body } } });
    expect(create.responses?.['201']).toBeDefined();
  });

  it('keeps an operationId given in the schema', async () => {
    class Ping extends MethodView {
      static override verbOptions = { get: { schema: { operationId: 'healthCheck' } } };
      get() {
        return 'pong';
      }
    }
    const doc = openapi(await libraryApp({ register: async (app) => void app.addView('/ping', Ping.asView('ping')) })) as Document;
    expect(doc.paths['/ping'].get.operationId).toBe('healthCheck');
  });
});

describe('the decorator form (experimentalDecorators)', () => {
  it('is really compiled as legacy decorators', () => {
    expect(decorated.decoratorMode).toEqual(['legacy']);
  });

  it('produces the same OpenAPI document as the static form', async () => {
    const fromStatic = openapi(await libraryApp({ register: registerStatic }));
    const fromDecorators = openapi(await libraryApp({ entries: [decorated.AuthorList, decorated.AuthorItem] }));
    expect(fromDecorators).toEqual(fromStatic);
  });

  it('produces the same routes as the static form', async () => {
    const fromStatic = await libraryApp({ register: registerStatic });
    const fromDecorators = await libraryApp({ entries: [decorated.AuthorList, decorated.AuthorItem] });
    expect(fromDecorators.printRoutes({ commonPrefix: false })).toBe(fromStatic.printRoutes({ commonPrefix: false }));
    expect((await fromDecorators.inject('/authors/x')).statusCode).toBe(400);
    expect((await fromDecorators.inject({ method: 'POST', url: '/authors', payload: { name: 'Octavia' } })).json()).toEqual({ id: 2, name: 'Octavia' });
    expect(fromDecorators.urlFor('AuthorItem', { id: 1 })).toBe('/authors/1');
  });
});

class Getter extends MethodView {
  get() {
    return 'got';
  }
}

describe('operationIds', () => {
  it('stay unique when the same views are registered under two prefixes', async () => {
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(fastifyViews);
    const routes = async (api: FastifyInstance) => {
      api.addView('/g', Getter.asView('g'));
    };
    await app.register(routes, { prefix: '/v1' });
    await app.register(routes, { prefix: '/v2' });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, { get: { operationId: string } }> };
    expect([doc.paths['/v1/g'].get.operationId, doc.paths['/v2/g'].get.operationId]).toEqual(['getG', 'getGV2']);
  });

  it('append the verb to a view-level operationId', async () => {
    class Two extends MethodView {
      static override viewOptions = { schema: { operationId: 'things' } };
      get() {
        return '';
      }
      post() {
        return '';
      }
    }
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
    await app.register(fastifyViews, { views: [{ path: '/t', view: Two.asView('two') }] });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string }>> };
    expect([doc.paths['/t'].get.operationId, doc.paths['/t'].post.operationId]).toEqual(['thingsGet', 'thingsPost']);
  });
});

describe('OpenAPI for a view with validators', () => {
  it('documents the conditional request headers and the 304, 412 and 428 answers', async () => {
    class Item extends MethodView {
      static override requirePreconditions = ['PUT'] as const;
      static override verbOptions = {
        get: { schema: { response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } },
        put: { schema: { response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } },
      };
      validators() {
        return { etag: '"1"' };
      }
      get() {
        return { id: 1 };
      }
      put() {
        return { id: 1 };
      }
    }
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 'Items', version: '1.0.0' } } });
    await app.register(fastifyViews);
    app.addView('/items/:id', Item.asView('item'));
    await app.ready();
    const doc = JSON.parse(JSON.stringify(app.swagger())) as Document;
    const { get, put } = doc.paths['/items/{id}'];
    expect(Object.keys(get.responses ?? {}).sort()).toEqual(['200', '304', '412']);
    expect(Object.keys(put.responses ?? {}).sort()).toEqual(['200', '412', '428']);
    expect(get.parameters?.filter((p) => p.in === 'header').map((p) => p.name).sort()).toEqual(['if-match', 'if-modified-since', 'if-none-match', 'if-unmodified-since']);
    // Described, not constrained: the view still answers as before.
    expect((await app.inject({ url: '/items/1', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    expect((await app.inject('/items/1')).json()).toEqual({ id: 1 });
    expect((await app.inject({ method: 'PUT', url: '/items/1' })).statusCode).toBe(428);
    await app.close();
  });
});
