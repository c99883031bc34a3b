import swagger from '@fastify/swagger';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { ExtraActions, ItemParam, Resource, schema, strongETag } from '../src';
import { runView } from '../src/testing';

interface Book {
  id: number;
  title: string;
}

/** A store the resource is given through `asResource`, as a constructor argument. */
class Shelf {
  books = new Map<number, Book>([[1, { id: 1, title: 'Dune' }]]);
  next = 2;
}

const BookBody = { type: 'object', properties: { title: { type: 'string', minLength: 1 } }, required: ['title'], additionalProperties: false } as const;

class Books extends Resource {
  static override actionOptions = {
    create: { schema: { body: BookBody } },
    update: { schema: { body: BookBody } },
  };

  constructor(private readonly shelf: Shelf) {
    super();
  }

  list() {
    return [...this.shelf.books.values()];
  }

  async create(request: FastifyRequest<{ Body: { title: string } }>, reply: FastifyReply) {
    const book = { id: this.shelf.next++, title: request.body.title };
    this.shelf.books.set(book.id, book);
    reply.code(201).header('location', request.server.urlFor('books.item', { id: book.id }));
    return book;
  }

  retrieve(request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply) {
    return this.shelf.books.get(request.params.id) ?? reply.code(404).send({ message: 'no such book' });
  }

  async update(request: FastifyRequest<{ Params: { id: number }; Body: { title: string } }>) {
    const book = { id: request.params.id, title: request.body.title };
    this.shelf.books.set(book.id, book);
    return book;
  }

  partialUpdate(request: FastifyRequest<{ Params: { id: number }; Body: { title?: string } }>) {
    const book = { ...this.shelf.books.get(request.params.id)!, ...request.body };
    this.shelf.books.set(book.id, book);
    return book;
  }

  destroy(request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply) {
    this.shelf.books.delete(request.params.id);
    return reply.code(204).send();
  }
}

async function appWith(register: (app: FastifyInstance) => void): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
  await app.register(fastifyViews);
  register(app);
  await app.ready();
  return app;
}

describe('a Resource registered with addResource', () => {
  let app: FastifyInstance;
  let shelf: Shelf;
  beforeEach(async () => {
    shelf = new Shelf();
    app = await appWith((app) => app.addResource('/books', Books.asResource('books', shelf)));
  });
  afterEach(() => app.close());

  it('serves list and create on the collection URL', async () => {
    expect((await app.inject('/books')).json()).toEqual([{ id: 1, title: 'Dune' }]);
    const created = await app.inject({ method: 'POST', url: '/books', payload: { title: 'Emma' } });
    expect([created.statusCode, created.headers.location, created.json()]).toEqual([201, '/books/2', { id: 2, title: 'Emma' }]);
  });

  it('serves retrieve, update, partialUpdate and destroy on the item URL', async () => {
    expect((await app.inject('/books/1')).json()).toEqual({ id: 1, title: 'Dune' });
    expect((await app.inject({ method: 'PUT', url: '/books/1', payload: { title: 'Dune Messiah' } })).json()).toEqual({ id: 1, title: 'Dune Messiah' });
    expect((await app.inject({ method: 'PATCH', url: '/books/1', payload: { title: 'Children of Dune' } })).json()).toEqual({ id: 1, title: 'Children of Dune' });
    expect((await app.inject({ method: 'DELETE', url: '/books/1' })).statusCode).toBe(204);
    expect(shelf.books.size).toBe(0);
  });

  it('answers 405 with the Allow of each URL', async () => {
    const collection = await app.inject({ method: 'DELETE', url: '/books' });
    expect([collection.statusCode, collection.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
    const item = await app.inject({ method: 'POST', url: '/books/1' });
    expect([item.statusCode, item.headers.allow]).toEqual([405, 'DELETE, GET, HEAD, OPTIONS, PATCH, PUT']);
  });

  it('answers OPTIONS and HEAD on both URLs', async () => {
    expect((await app.inject({ method: 'OPTIONS', url: '/books' })).headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect((await app.inject({ method: 'OPTIONS', url: '/books/1' })).headers.allow).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, PUT');
    const head = await app.inject({ method: 'HEAD', url: '/books/1' });
    expect([head.statusCode, head.body]).toEqual([200, '']);
  });

  it('names the collection and the item for urlFor: books and books.item', () => {
    expect(app.urlFor('books', { page: 2 })).toBe('/books?page=2');
    expect(app.urlFor('books.item', { id: 7 })).toBe('/books/7');
  });

  it('validates the item parameter as a positive integer by default', async () => {
    const reply = await app.inject('/books/abc');
    expect([reply.statusCode, reply.json().message]).toEqual([400, 'params/id must be integer']);
    expect((await app.inject('/books/0')).statusCode).toBe(400);
  });

  it("applies each action's schema to its verb only", async () => {
    expect((await app.inject({ method: 'POST', url: '/books', payload: {} })).statusCode).toBe(400);
    expect((await app.inject({ method: 'PATCH', url: '/books/1', payload: {} })).statusCode).toBe(200);
  });

  it('gives every action an operation with a unique operationId, tagged with the resource name', () => {
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string; tags: string[] }>> };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => `${method} ${path} ${op.operationId} ${op.tags}`));
    expect(operations.sort()).toEqual([
      'delete /books/{id} deleteBooksItem books', 'get /books getBooks books', 'get /books/{id} getBooksItem books',
      'patch /books/{id} patchBooksItem books', 'post /books postBooks books', 'put /books/{id} putBooksItem books',
    ]);
  });
});

describe('Resource options', () => {
  it('names the item parameter and its schema with static itemParam', async () => {
    class Pages extends Resource {
      static override itemParam = { name: 'slug', schema: { type: 'string', pattern: '^[a-z-]+$' } };
      retrieve(request: FastifyRequest<{ Params: { slug: string } }>) {
        return { slug: request.params.slug };
      }
    }
    const app = await appWith((app) => app.addResource('/pages/', Pages.asResource('pages')));
    expect((await app.inject('/pages/about-us')).json()).toEqual({ slug: 'about-us' });
    expect((await app.inject('/pages/About')).statusCode).toBe(400);
    expect(app.urlFor('pages.item', { slug: 'faq' })).toBe('/pages/faq');
    await app.close();
  });

  it('refuses static actions naming an action the class does not define', () => {
    class Feed extends Resource {
      static override actions = ['list', 'destroy'] as const;
      list() {
        return [];
      }
    }
    expect(() => Feed.asResource('feed')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining('lists destroy, which it does not define') }));
  });

  it('registers only the URLs it has actions for', async () => {
    class Feed extends Resource {
      list() {
        return [];
      }
    }
    const app = await appWith((app) => app.addResource('/feed', Feed.asResource('feed')));
    expect((await app.inject('/feed')).json()).toEqual([]);
    expect((await app.inject('/feed/1')).statusCode).toBe(404);
    expect(() => app.urlFor('feed.item', { id: 1 })).toThrow(expect.objectContaining({ code: 'FCV_ERR_UNKNOWN_ENDPOINT' }));
    await app.close();
  });

  it('answers conditional requests on the item URL from validators, not on the collection', async () => {
    class Versioned extends Resource {
      static override requirePreconditions = ['DELETE'] as const;
      validators() {
        return { etag: strongETag(3) };
      }
      list() {
        return [];
      }
      create(_request: FastifyRequest, reply: FastifyReply) {
        return reply.code(201).send({});
      }
      retrieve() {
        return { id: 1 };
      }
      destroy(_request: FastifyRequest, reply: FastifyReply) {
        return reply.code(204).send();
      }
    }
    const app = await appWith((app) => app.addResource('/v', Versioned.asResource('v')));
    expect((await app.inject({ url: '/v/1', headers: { 'if-none-match': '"3"' } })).statusCode).toBe(304);
    expect((await app.inject({ method: 'DELETE', url: '/v/1' })).statusCode).toBe(428);
    expect((await app.inject({ method: 'DELETE', url: '/v/1', headers: { 'if-match': '"2"' } })).statusCode).toBe(412);
    expect((await app.inject({ url: '/v', headers: { 'if-none-match': '"3"' } })).statusCode).toBe(200);
    expect((await app.inject('/v')).headers.etag).toBeUndefined();
    expect((await app.inject({ method: 'POST', url: '/v', headers: { 'if-match': '"2"' } })).statusCode).toBe(201);
    await app.close();
  });

  it('takes an action schema from @schema on the action method', async () => {
    class Tagged extends Resource {
      @schema({ querystring: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } })
      list(request: FastifyRequest<{ Querystring: { n: number } }>) {
        return { n: request.query.n };
      }
    }
    const app = await appWith((app) => app.addResource('/t', Tagged.asResource('t')));
    expect((await app.inject('/t')).statusCode).toBe(400);
    expect((await app.inject('/t?n=2')).json()).toEqual({ n: 2 });
    await app.close();
  });

  it('runs one URL of a resource in isolation with runView', async () => {
    const shelf = new Shelf();
    const { item } = Books.asResource('books', shelf);
    const reply = await runView(item!, { params: { id: 1 } });
    expect([reply.status, reply.body]).toEqual([200, { id: 1, title: 'Dune' }]);
    expect((await runView(item!, { method: 'POST', params: { id: 1 } })).status).toBe(405);
  });

  it('refuses a resource that defines verbs instead of actions', async () => {
    class Wrong extends Resource {
      get() {
        return {};
      }
    }
    expect(() => Wrong.asResource('wrong')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW_CLASS', message: expect.stringContaining('rename get') }));
  });

  it('refuses what is not a resource, naming the path', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    expect(() => app.addResource('/x', {} as never)).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW', message: expect.stringContaining('/x') }));
  });

  it('builds each instance with the constructor arguments given to asResource, an instance of the class', async () => {
    const seen: unknown[] = [];
    class Probe extends Resource {
      constructor(readonly label: string) {
        super();
      }
      list() {
        seen.push(this instanceof Probe, this.label);
        return [];
      }
    }
    const app = await appWith((app) => app.addResource('/p', Probe.asResource('p', 'hello')));
    await app.inject('/p');
    expect(seen).toEqual([true, 'hello']);
    await app.close();
  });
});

describe('extra actions', () => {
  class Loans extends Resource {
    static override extraActions = {
      checkout: { on: 'item', methods: ['POST'], schema: { body: { type: 'object', properties: { days: { type: 'integer', maximum: 30 } }, required: ['days'] } } },
      search: { on: 'collection', methods: ['GET', 'POST'], path: 'find' },
    } satisfies ExtraActions;
    static override requirePreconditions = ['POST'] as const;
    validators() {
      return { etag: '"1"' };
    }
    retrieve(request: FastifyRequest<{ Params: { id: number } }>) {
      return { id: request.params.id };
    }
    checkout(request: FastifyRequest<{ Params: { id: number }; Body: { days: number } }>) {
      return { id: request.params.id, days: request.body.days };
    }
    search(request: FastifyRequest) {
      return { method: request.method };
    }
  }

  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWith((app) => app.addResource('/loans', Loans.asResource('loans')));
  });
  afterAll(() => app.close());

  it('serve an item action at the item URL + its name, with the item parameter typed', async () => {
    const reply = await app.inject({ method: 'POST', url: '/loans/4/checkout', headers: { 'if-match': '"1"' }, payload: { days: 7 } });
    expect(reply.json()).toEqual({ id: 4, days: 7 });
    expect((await app.inject({ method: 'POST', url: '/loans/x/checkout', headers: { 'if-match': '"1"' }, payload: { days: 7 } })).statusCode).toBe(400);
  });

  it("apply their own schema and the item's preconditions", async () => {
    expect((await app.inject({ method: 'POST', url: '/loans/4/checkout', headers: { 'if-match': '"1"' }, payload: { days: 99 } })).statusCode).toBe(400);
    expect((await app.inject({ method: 'POST', url: '/loans/4/checkout', payload: { days: 7 } })).statusCode).toBe(428);
  });

  it('serve a collection action at its path, for each of its methods, and 405 the others', async () => {
    expect((await app.inject('/loans/find')).json()).toEqual({ method: 'GET' });
    expect((await app.inject({ method: 'POST', url: '/loans/find' })).json()).toEqual({ method: 'POST' });
    const refused = await app.inject({ method: 'DELETE', url: '/loans/find' });
    expect([refused.statusCode, refused.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
  });

  it('are named resource.action for urlFor, and are operations of their own', () => {
    expect(app.urlFor('loans.checkout', { id: 3 })).toBe('/loans/3/checkout');
    expect(app.urlFor('loans.search')).toBe('/loans/find');
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { operationId: string }>> };
    expect(doc.paths['/loans/{id}/checkout'].post.operationId).toBe('postLoansCheckout');
    expect(Object.keys(doc.paths['/loans/find']).sort()).toEqual(['get', 'post']);
  });

  it('are refused when named like one of the six actions', () => {
    class Clash extends Resource {
      static override extraActions = { list: { on: 'collection', methods: ['GET'] } } satisfies ExtraActions;
      list() {
        return [];
      }
    }
    expect(() => Clash.asResource('clash')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining('use actionOptions') }));
  });

  it('are refused when the method serving them is missing', () => {
    class Broken extends Resource {
      static override extraActions = { archive: { on: 'item', methods: ['POST'] } } satisfies ExtraActions;
    }
    expect(() => Broken.asResource('broken')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining('has no method archive()') }));
  });
});

describe('a nested resource', () => {
  const authors = new Set([1, 2]);
  const books = [{ id: 10, authorId: 1, title: 'The Dispossessed' }];
  let checks = 0;
  class AuthorBooks extends Resource {
    static override parent: ItemParam = { name: 'authorId', schema: { type: 'integer', minimum: 1 } };
    async parentExists(request: FastifyRequest<{ Params: { authorId: number } }>) {
      checks += 1;
      return authors.has(request.params.authorId);
    }
    list(request: FastifyRequest<{ Params: { authorId: number } }>) {
      return books.filter((b) => b.authorId === request.params.authorId);
    }
    retrieve(request: FastifyRequest<{ Params: { authorId: number; id: number } }>, reply: FastifyReply) {
      return books.find((b) => b.authorId === request.params.authorId && b.id === request.params.id) ?? reply.code(404).send({ message: 'no such book' });
    }
  }

  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWith((app) => app.addResource('/authors/:authorId/books', AuthorBooks.asResource('authors.books')));
  });
  afterAll(() => app.close());
  beforeEach(() => {
    checks = 0;
  });

  it("gives the actions the parent's id, typed by its schema", async () => {
    expect((await app.inject('/authors/1/books')).json()).toEqual(books);
    expect((await app.inject('/authors/1/books/10')).json()).toEqual(books[0]);
    expect((await app.inject('/authors/2/books')).json()).toEqual([]);
    expect((await app.inject('/authors/x/books')).statusCode).toBe(400);
  });

  it('answers 404 for a parent that does not exist, checked once, before the action', async () => {
    const reply = await app.inject('/authors/9/books/10');
    expect([reply.statusCode, reply.json().code, reply.json().message]).toEqual([404, 'FCV_ERR_PARENT_NOT_FOUND', "authors.books: no parent with authorId '9'"]);
    expect(checks).toBe(1);
    expect((await app.inject('/authors/9/books')).statusCode).toBe(404);
  });

  it("answers the subclass's own error from parentNotFound", async () => {
    class Owned extends AuthorBooks {
      override parentNotFound(request: FastifyRequest<{ Params: { authorId: number } }>) {
        return Object.assign(new Error(`author ${request.params.authorId} does not exist`), { statusCode: 404, code: 'NO_AUTHOR' });
      }
    }
    const other = await appWith((app) => app.addResource('/a/:authorId/b', Owned.asResource('owned')));
    const reply = await other.inject('/a/9/b');
    expect([reply.statusCode, reply.json().code, reply.json().message]).toEqual([404, 'NO_AUTHOR', 'author 9 does not exist']);
    await other.close();
  });

  it('names its URLs for urlFor with both parameters', () => {
    expect(app.urlFor('authors.books', { authorId: 1 })).toBe('/authors/1/books');
    expect(app.urlFor('authors.books.item', { authorId: 1, id: 10 })).toBe('/authors/1/books/10');
  });

  it('is refused without parentExists, or at a path without the parent parameter', async () => {
    class Orphan extends Resource {
      static override parent = { name: 'authorId', schema: { type: 'integer' } };
      list() {
        return [];
      }
    }
    expect(() => Orphan.asResource('orphan')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining('parentExists') }));
    class SameName extends AuthorBooks {
      static override parent = { name: 'id', schema: { type: 'integer' } };
    }
    expect(() => SameName.asResource('same')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining("both ':id'") }));
    const other = Fastify();
    await other.register(fastifyViews);
    expect(() => other.addResource('/books', AuthorBooks.asResource('b'))).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining(':authorId') }));
  });
});
