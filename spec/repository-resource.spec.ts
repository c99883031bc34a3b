import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { ExtraActions, Repository, RepositoryResource } from '../src';

interface Book {
  id: number;
  title: string;
  version: number;
}

/** An in-memory repository: versions count the writes. */
class Books implements Repository<Book> {
  rows = new Map<number, Book>();
  next = 1;
  list(filter: Record<string, unknown>, { limit, offset }: { limit: number; offset: number }) {
    return this.matching(filter).slice(offset, offset + limit);
  }
  count(filter: Record<string, unknown>) {
    return this.matching(filter).length;
  }
  get(id: number) {
    return this.rows.get(id);
  }
  create(data: unknown) {
    const book = { ...(data as { title: string }), id: this.next++, version: 1 };
    this.rows.set(book.id, book);
    return book;
  }
  async update(id: number, data: unknown) {
    const current = this.rows.get(id);
    if (!current) return undefined;
    const book = { ...current, ...(data as object), id, version: current.version + 1 };
    this.rows.set(id, book);
    return book;
  }
  delete(id: number) {
    return this.rows.delete(id);
  }
  version(id: number) {
    return this.rows.get(id)?.version;
  }
  private matching(filter: Record<string, unknown>) {
    return [...this.rows.values()].filter((b) => filter.title === undefined || b.title === filter.title);
  }
}

class BookResource extends RepositoryResource<Book> {}

describe('a RepositoryResource', () => {
  let app: FastifyInstance;
  let books: Books;
  beforeEach(async () => {
    books = new Books();
    for (const title of ['A', 'B', 'C']) books.create({ title });
    app = Fastify();
    await app.register(fastifyViews);
    app.addResource('/books', BookResource.asResource('books', books));
    await app.ready();
  });
  afterEach(() => app.close());

  it('lists a page with the total, and Link to the next and previous pages', async () => {
    const reply = await app.inject('/books?limit=1&offset=1');
    expect(reply.json()).toEqual({ items: [expect.objectContaining({ title: 'B' })], total: 3, limit: 1, offset: 1 });
    expect(reply.headers.link).toBe('</books?limit=1&offset=2>; rel="next", </books?limit=1&offset=0>; rel="prev"');
    expect((await app.inject('/books')).headers.link).toBeUndefined();
    expect((await app.inject('/books?limit=500')).statusCode).toBe(400);
  });

  it('links past the end back to the last page that has items', async () => {
    const reply = await app.inject('/books?limit=2&offset=10');
    expect([reply.json().items, reply.headers.link]).toEqual([[], '</books?limit=2&offset=2>; rel="prev"']);
  });

  it('serves only the actions listed in static actions: the others are 405', async () => {
    class ReadOnlyBooks extends RepositoryResource<Book> {
      static override actions = ['list', 'retrieve'] as const;
    }
    const other = Fastify();
    await other.register(fastifyViews);
    other.addResource('/ro', ReadOnlyBooks.asResource('ro', books));
    expect((await other.inject('/ro/1')).statusCode).toBe(200);
    const put = await other.inject({ method: 'PUT', url: '/ro/1', payload: { title: 'x' } });
    expect([put.statusCode, put.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    expect((await other.inject({ method: 'POST', url: '/ro', payload: { title: 'x' } })).headers.allow).toBe('GET, HEAD, OPTIONS');
    await other.close();
  });

  it('keeps the filter in the page links', async () => {
    books.create({ title: 'A' });
    const reply = await app.inject('/books?title=A&limit=1');
    expect([reply.json().total, reply.headers.link]).toEqual([2, '</books?title=A&limit=1&offset=1>; rel="next"']);
  });

  it('creates with 201, Location from urlFor and the new ETag', async () => {
    const reply = await app.inject({ method: 'POST', url: '/books', payload: { title: 'D' } });
    expect([reply.statusCode, reply.headers.location, reply.headers.etag]).toEqual([201, '/books/4', '"1"']);
  });

  it('answers 404 FCV_ERR_NOT_FOUND for a missing item, on every item verb', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE'] as const) {
      const reply = await app.inject({ method, url: '/books/99', ...(method === 'PUT' || method === 'PATCH' ? { payload: { title: 'x' } } : {}) });
      expect([method, reply.statusCode, reply.json().code]).toEqual([method, 404, 'FCV_ERR_NOT_FOUND']);
    }
  });

  it('updates, patches (merging when the repository has no patch) and deletes with 204', async () => {
    expect((await app.inject({ method: 'PATCH', url: '/books/1', payload: { title: 'A2' } })).json()).toEqual({ id: 1, title: 'A2', version: 2 });
    const put = await app.inject({ method: 'PUT', url: '/books/1', payload: { title: 'A3' } });
    expect([put.json().title, put.headers.etag]).toEqual(['A3', '"3"']);
    expect((await app.inject({ method: 'DELETE', url: '/books/1' })).statusCode).toBe(204);
    expect(books.rows.has(1)).toBe(false);
  });

  it('answers conditional requests from the version: ETag, 304, 412', async () => {
    const read = await app.inject('/books/2');
    expect(read.headers.etag).toBe('"1"');
    expect((await app.inject({ url: '/books/2', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    await app.inject({ method: 'PATCH', url: '/books/2', payload: { title: 'B2' } });
    const stale = await app.inject({ method: 'PATCH', url: '/books/2', headers: { 'if-match': '"1"' }, payload: { title: 'lost' } });
    expect(stale.statusCode).toBe(412);
    expect(books.rows.get(2)?.title).toBe('B2');
  });

  it("builds Location from the resource's name in an extra action too", async () => {
    class Importing extends RepositoryResource<Book> {
      static override extraActions = { import: { on: 'collection', methods: ['POST'] } } satisfies ExtraActions;
      import(request: FastifyRequest, reply: FastifyReply) {
        return this.create(request, reply);
      }
    }
    const other = Fastify();
    await other.register(fastifyViews);
    other.addResource('/shelf', Importing.asResource('shelf', books));
    const reply = await other.inject({ method: 'POST', url: '/shelf/import', payload: { title: 'E' } });
    expect([reply.statusCode, reply.headers.location]).toEqual([201, '/shelf/4']);
    await other.close();
  });

  it('lets a subclass override one step', async () => {
    class Titled extends RepositoryResource<Book> {
      override idOf(book: Book) {
        return book.id * 100;
      }
    }
    const other = Fastify();
    await other.register(fastifyViews);
    other.addResource('/t', Titled.asResource('t', books));
    const reply = await other.inject({ method: 'POST', url: '/t', payload: { title: 'E' } });
    expect(reply.headers.location).toBe('/t/400');
    await other.close();
  });
});
