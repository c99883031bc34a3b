import swagger from '@fastify/swagger';
import Ajv from 'ajv';
import Fastify, { FastifyInstance } from 'fastify';
import fastifyViews, { FastifyViewsOptions, MethodView, View, componentName } from '../src';

type Response = { description: string; headers?: Record<string, { schema: unknown; description?: string }>; content?: Record<string, { schema: Record<string, unknown> }> };
type Operation = { operationId?: string; requestBody?: { content: Record<string, { schema: Record<string, unknown> }> }; responses: Record<string, Response> };
type Document = { components: { schemas?: Record<string, Record<string, unknown>> }; paths: Record<string, Record<string, Operation>> };

/** An app with @fastify/swagger (components named by `$id`) and the views plugin, ready for `register`. */
async function documented(register: (app: FastifyInstance) => void, options: FastifyViewsOptions = {}) {
  const app = Fastify();
  await app.register(swagger, { openapi: { info: { title: 't', version: '1' } }, refResolver: { buildLocalReference: componentName } });
  await app.register(fastifyViews, options);
  register(app);
  await app.ready();
  return { app, doc: JSON.parse(JSON.stringify(app.swagger())) as Document };
}

const Thing = { type: 'object', properties: { id: { type: 'integer' } } } as const;

describe('response descriptions', () => {
  class Things extends MethodView {
    static override verbOptions = {
      get: { schema: { response: { 200: Thing, 404: Thing, '4xx': Thing, '5XX': Thing, default: Thing } } },
      post: { schema: { response: { 201: { ...Thing, description: 'The new thing' }, 409: { type: 'null' } } } },
    };
    get() {
      return { id: 1 };
    }
    post() {
      return { id: 1 };
    }
  }

  it('are the status reason phrase when the schema gives none', async () => {
    const { doc } = await documented((app) => app.addView('/things', Things.asView('things')));
    const get = doc.paths['/things'].get.responses;
    expect(Object.fromEntries(Object.entries(get).map(([status, r]) => [status, r.description]))).toEqual({
      200: 'OK', 404: 'Not Found', '4XX': 'Client Error', '5XX': 'Server Error', default: 'Any other response',
    });
    expect(doc.paths['/things'].post.responses['409'].description).toBe('Conflict');
  });

  it("are the schema's own description when it has one", async () => {
    const { doc } = await documented((app) => app.addView('/things', Things.asView('things')));
    expect(doc.paths['/things'].post.responses['201'].description).toBe('The new thing');
  });

  it("are the description of the shared schema a response refers to", async () => {
    class Ref extends MethodView {
      static override verbOptions = { get: { schema: { response: { 200: { $ref: 'Described#' }, 202: { $ref: 'Plain#' } } } } };
      get() {
        return {};
      }
    }
    const { doc } = await documented((app) => {
      app.addSchema({ $id: 'Described', description: 'A described thing', type: 'object' });
      app.addSchema({ $id: 'Plain', type: 'object' });
      app.addView('/ref', Ref.asView('ref'));
    });
    expect(doc.paths['/ref'].get.responses['200'].description).toBe('A described thing');
    expect(doc.paths['/ref'].get.responses['202'].description).toBe('Accepted');
  });

  it("are added without changing the view's own schema objects", async () => {
    const before = JSON.stringify(Things.verbOptions);
    await documented((app) => app.addView('/things', Things.asView('things')));
    expect(JSON.stringify(Things.verbOptions)).toBe(before);
  });
});

describe('operationIds of a View', () => {
  class Home extends View {
    static override viewOptions = { schema: { response: { 200: Thing } } };
    dispatchRequest() {
      return { id: 1 };
    }
  }
  class Form extends View {
    static override methods = ['GET', 'POST'] as const;
    dispatchRequest() {
      return { id: 1 };
    }
  }

  it('is the verb and the view name, as for a MethodView', async () => {
    const { doc } = await documented((app) => app.addView('/', Home.asView('home')));
    expect(doc.paths['/'].get.operationId).toBe('getHome');
  });

  it('differs for each method a View serves, and each method is still served', async () => {
    const { app, doc } = await documented((app) => app.addView('/form', Form.asView('form')));
    expect([doc.paths['/form'].get.operationId, doc.paths['/form'].post.operationId]).toEqual(['getForm', 'postForm']);
    expect((await app.inject({ method: 'POST', url: '/form' })).json()).toEqual({ id: 1 });
    expect((await app.inject('/form')).json()).toEqual({ id: 1 });
  });

  it('is the one given in the schema when the View serves one method', async () => {
    class Named extends View {
      static override viewOptions = { schema: { operationId: 'start' } };
      dispatchRequest() {
        return '';
      }
    }
    const { doc } = await documented((app) => app.addView('/', Named.asView('named')));
    expect(doc.paths['/'].get.operationId).toBe('start');
  });
});

describe('named schemas', () => {
  const Book = { $id: 'Book', type: 'object', properties: { title: { type: 'string' } }, required: ['title'], additionalProperties: false } as const;
  const Page = { type: 'object', properties: { items: { type: 'array', items: Book }, total: { type: 'integer' } } } as const;
  class Books extends MethodView {
    static override verbOptions = {
      get: { schema: { response: { 200: Page } } },
      post: { schema: { body: Book, response: { 201: Book } } },
    };
    get() {
      return { items: [{ title: 'Dune', secret: 'dropped' }], total: 1 };
    }
    post(request: { body: unknown }) {
      return request.body;
    }
  }

  it('appear once in components.schemas, referred to by the operations that use them', async () => {
    const { doc } = await documented((app) => app.addView('/books', Books.asView('books')));
    expect(doc.components.schemas?.Book).toMatchObject({ type: 'object', properties: { title: { type: 'string' } } });
    const { get, post } = doc.paths['/books'];
    expect(post.requestBody?.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Book' });
    expect(post.responses['201'].content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/Book' });
    expect(get.responses['200'].content?.['application/json'].schema).toMatchObject({ properties: { items: { items: { $ref: '#/components/schemas/Book' } } } });
  });

  it('still validate requests and shape replies', async () => {
    const { app } = await documented((app) => app.addView('/books', Books.asView('books')));
    const bad = await app.inject({ method: 'POST', url: '/books', payload: { name: 'Dune' } });
    expect(bad.json()).toMatchObject({ statusCode: 400, message: "body must have required property 'title'" });
    expect((await app.inject({ method: 'POST', url: '/books', payload: { title: 'Dune' } })).json()).toEqual({ title: 'Dune' });
    expect((await app.inject('/books')).json()).toEqual({ items: [{ title: 'Dune' }], total: 1 });
  });

  it('may be shared by several views', async () => {
    class Shelf extends MethodView {
      static override verbOptions = { get: { schema: { response: { 200: Book } } } };
      get() {
        return { title: 'Emma' };
      }
    }
    const { app, doc } = await documented((app) => {
      app.addView('/books', Books.asView('books'));
      app.addView('/shelf', Shelf.asView('shelf'));
    });
    expect(Object.keys(doc.components.schemas ?? {})).toEqual(['Book']);
    expect((await app.inject('/shelf')).json()).toEqual({ title: 'Emma' });
  });

  it('are still themselves in a response that adds headers or its own description', async () => {
    class Created extends MethodView {
      static override verbOptions = {
        post: { schema: { response: { 201: { ...Book, headers: { Location: { type: 'string' } } }, 200: { ...Book, description: 'Already there' } } } },
      };
      post() {
        return { title: 'Dune' };
      }
    }
    const { doc } = await documented((app) => {
      app.addView('/books', Books.asView('books'));
      app.addView('/created', Created.asView('created'));
    });
    const { responses } = doc.paths['/created'].post;
    expect(responses['201'].content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/Book' });
    expect(Object.keys(responses['201'].headers ?? {})).toEqual(['Location']);
    expect(responses['200'].description).toBe('Already there');
    expect(Object.keys(doc.components.schemas ?? {})).toEqual(['Book']);
  });

  it('may contain named schemas, each shared once', async () => {
    const Shelf = { $id: 'Shelf', type: 'object', properties: { books: { type: 'array', items: Book } } } as const;
    class Shelves extends MethodView {
      static override verbOptions = { get: { schema: { response: { 200: Shelf, 201: Book } } } };
      get() {
        return { books: [{ title: 'Emma', hidden: 1 }] };
      }
    }
    const { app, doc } = await documented((app) => app.addView('/shelves', Shelves.asView('shelves')));
    expect(Object.keys(doc.components.schemas ?? {}).sort()).toEqual(['Book', 'Shelf']);
    expect(doc.components.schemas?.Shelf).toMatchObject({ properties: { books: { items: { $ref: '#/components/schemas/Book' } } } });
    expect((await app.inject('/shelves')).json()).toEqual({ books: [{ title: 'Emma' }] });
  });

  it('are refused when one $id names two different schemas', async () => {
    class Other extends MethodView {
      static override verbOptions = { get: { schema: { response: { 200: { ...Book, properties: { name: { type: 'string' } } } } } } };
      get() {
        return {};
      }
    }
    await expect(documented((app) => {
      app.addView('/books', Books.asView('books'));
      app.addView('/other', Other.asView('other'));
    })).rejects.toMatchObject({ code: 'FCV_ERR_SCHEMA_ID_TAKEN', message: expect.stringContaining("'Book'") });
  });

  it('stay inline in request bodies when the context has its own validator compiler', async () => {
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: 't', version: '1' } }, refResolver: { buildLocalReference: componentName } });
    const ajv = new Ajv();
    app.setValidatorCompiler(({ schema }) => ajv.compile(schema));
    await app.register(fastifyViews);
    app.addView('/books', Books.asView('books'));
    await app.ready();
    const doc = JSON.parse(JSON.stringify(app.swagger())) as Document;
    expect(doc.paths['/books'].post.requestBody?.content['application/json'].schema).toMatchObject({ properties: { title: { type: 'string' } } });
    expect((await app.inject({ method: 'POST', url: '/books', payload: { title: 2 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/books', payload: { title: 'Dune' } })).statusCode).toBe(200);
  });
});

describe('response headers', () => {
  it('are declared per verb and status with `headers` in the response schema', async () => {
    class Created extends MethodView {
      static override verbOptions = {
        post: { schema: { response: { 201: { ...Thing, headers: { Location: { type: 'string', description: 'The new thing' } } } } } },
      };
      post(_request: unknown, reply: { code(n: number): unknown }) {
        reply.code(201);
        return { id: 7, extra: 1 };
      }
    }
    const { app, doc } = await documented((app) => app.addView('/created', Created.asView('created')));
    expect(doc.paths['/created'].post.responses['201'].headers).toEqual({ Location: { schema: { type: 'string' }, description: 'The new thing' } });
    expect((await app.inject({ method: 'POST', url: '/created' })).json()).toEqual({ id: 7 });
  });

  it('include ETag and Last-Modified on the success and 304 of a GET with validators', async () => {
    class Item extends MethodView {
      static override verbOptions = { get: { schema: { response: { 200: Thing } } }, put: { schema: { response: { 200: Thing } } } };
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
    const { doc } = await documented((app) => app.addView('/item', Item.asView('item')));
    const { get, put } = doc.paths['/item'];
    expect(Object.keys(get.responses['200'].headers ?? {})).toEqual(['ETag', 'Last-Modified']);
    expect(Object.keys(get.responses['304'].headers ?? {})).toEqual(['ETag', 'Last-Modified']);
    expect(put.responses['200'].headers).toBeUndefined();
  });
});

describe('with problemDetails: true', () => {
  class Item extends MethodView {
    static override requirePreconditions = ['DELETE'] as const;
    static override verbOptions = {
      get: { schema: { response: { 200: Thing, 404: { type: 'object', properties: { message: { type: 'string' } } } } } },
      delete: { schema: { response: { 204: { type: 'null' } } } },
    };
    validators() {
      return { etag: '"1"' };
    }
    get() {
      throw Object.assign(new Error('no such item'), { statusCode: 404 });
    }
    delete(_request: unknown, reply: { code(n: number): { send(): unknown } }) {
      return reply.code(204).send();
    }
  }

  it('documents every error response as application/problem+json', async () => {
    const { doc } = await documented((app) => app.addView('/item', Item.asView('item')), { problemDetails: true });
    const { get, delete: del } = doc.paths['/item'];
    for (const response of [get.responses['404'], get.responses['412'], del.responses['412'], del.responses['428']]) {
      expect(Object.keys(response.content ?? {})).toEqual(['application/problem+json']);
      expect(response.content?.['application/problem+json'].schema).toMatchObject({ properties: { type: {}, title: {}, status: {}, detail: {}, instance: {}, code: {} } });
    }
    expect(get.responses['404'].description).toBe('Not Found');
    expect(Object.keys(get.responses['200'].content ?? {})).toEqual(['application/json']);
  });

  it("answers the whole problem even where the verb's schema for that status has other fields", async () => {
    const { app } = await documented((app) => app.addView('/item', Item.asView('item')), { problemDetails: true });
    const reply = await app.inject('/item');
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.json()).toEqual({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'no such item', instance: '/item' });
  });

  it("documents Fastify's error shape without it", async () => {
    const { doc } = await documented((app) => app.addView('/item', Item.asView('item')));
    expect(Object.keys(doc.paths['/item'].delete.responses['428'].content ?? {})).toEqual(['application/json']);
    expect(doc.paths['/item'].delete.responses['428'].content?.['application/json'].schema).toMatchObject({ properties: { statusCode: {}, message: {} } });
  });
});
