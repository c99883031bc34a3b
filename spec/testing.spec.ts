import { FastifyReply, FastifyRequest } from 'fastify';
import { ExtraActions, MethodView, Resource, VerbOptions, View } from '../src';
import { runResource, runView } from '../src/testing';

interface Store {
  find(id: number): { id: number; title: string } | undefined;
}

class BookAPI extends MethodView {
  static override verbOptions = {
    get: { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } },
  } satisfies VerbOptions;
  constructor(private readonly store: Store) {
    super();
  }
  get(request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply) {
    const book = this.store.find(request.params.id);
    return book ?? reply.code(404).send({ error: 'no such book' });
  }
  async post(request: FastifyRequest<{ Body: { title: string } }>, reply: FastifyReply) {
    reply.code(201).header('location', `/books/9?by=${request.headers['x-user']}`);
    return { id: 9, title: request.body.title };
  }
}

const fakeStore: Store = { find: (id) => (id === 7 ? { id: 7, title: 'Dune' } : undefined) };

describe('runView (fastify-class-views/testing)', () => {
  it('runs a view class with constructor arguments and params, returning status, headers and parsed body', async () => {
    const res = await runView(BookAPI, { params: { id: 7 }, args: [fakeStore] });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/json/);
    expect(res.body).toEqual({ id: 7, title: 'Dune' });
  });

  it('answers what the view answers for a missing item', async () => {
    const res = await runView(BookAPI, { params: { id: 8 }, args: [fakeStore] });
    expect([res.status, res.body]).toEqual([404, { error: 'no such book' }]);
  });

  it('sends a JSON body and headers', async () => {
    const res = await runView(BookAPI, { method: 'POST', body: { title: 'Emma' }, headers: { 'x-user': 'ann' }, args: [fakeStore] });
    expect([res.status, res.headers.location, res.body]).toEqual([201, '/books/9?by=ann', { id: 9, title: 'Emma' }]);
  });

  it('applies the view schemas, so validation is tested too', async () => {
    const res = await runView(BookAPI, { params: { id: 'seven' }, args: [fakeStore] });
    expect(res.status).toBe(400);
  });

  it('runs a view function from asView, with its own arguments', async () => {
    const res = await runView(BookAPI.asView('book', fakeStore), { path: '/books/:id', params: { id: 7 } });
    expect(res.body).toEqual({ id: 7, title: 'Dune' });
  });

  it('swaps the view class', async () => {
    class FakeBookAPI extends BookAPI {
      override get() {
        return { id: 0, title: 'fake' };
      }
    }
    const res = await runView(BookAPI.asView('book', fakeStore), { params: { id: 1 }, viewClass: FakeBookAPI });
    expect(res.body).toEqual({ id: 0, title: 'fake' });
  });

  it('passes a query string and returns text for a non-JSON answer', async () => {
    class Search extends View {
      dispatchRequest(request: FastifyRequest<{ Querystring: { q: string } }>) {
        return `searching ${request.query.q}`;
      }
    }
    const res = await runView(Search, { query: { q: 'dune' } });
    expect([res.status, res.body, res.text]).toEqual([200, 'searching dune', 'searching dune']);
  });

  it('answers 405 with Allow as the real app would', async () => {
    const res = await runView(BookAPI, { method: 'DELETE', args: [fakeStore] });
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
  });

  it('lets a setup step decorate the throwaway app', async () => {
    class WhoAmI extends View {
      dispatchRequest(request: FastifyRequest) {
        return { user: (request as FastifyRequest & { user: string }).user };
      }
    }
    const res = await runView(WhoAmI, {
      setup: (app) => {
        app.decorateRequest('user', 'tester');
      },
    });
    expect(res.body).toEqual({ user: 'tester' });
  });

  it('names the endpoint and serves the endpoints a view links to, so urlFor works', async () => {
    class Created extends MethodView {
      post(request: FastifyRequest, reply: FastifyReply) {
        return reply.code(201).header('location', request.server.urlFor('book', { id: 3 })).send({ list: request.server.urlFor('books') });
      }
    }
    const res = await runView(Created, { method: 'POST', name: 'books', endpoints: { books: '/books', book: '/books/:id' } });
    expect([res.status, res.headers.location, res.body]).toEqual([201, '/books/3', { list: '/books' }]);
  });

  it('leaves the handlers callable as plain methods', () => {
    const view = new BookAPI(fakeStore);
    const reply = { code: jest.fn().mockReturnThis(), send: jest.fn((body) => body) } as unknown as FastifyReply;
    expect(view.get({ params: { id: 7 } } as FastifyRequest<{ Params: { id: number } }>, reply)).toEqual({ id: 7, title: 'Dune' });
  });
});

class Getter extends MethodView {
  get() {
    return 'got';
  }
}

describe('runView and viewClass', () => {
  it('leaves the view function as it was after a viewClass swap', async () => {
    class Fake extends Getter {
      override get() {
        return 'fake';
      }
    }
    const view = Getter.asView('getter');
    expect((await runView(view, { viewClass: Fake })).body).toBe('fake');
    expect(view.viewClass).toBe(Getter);
    expect((await runView(view)).body).toBe('got');
  });
});

describe('runView with values urlFor would refuse', () => {
  it('sends an empty path parameter as is, so a test can check how the view answers it', async () => {
    class Named extends View {
      dispatchRequest(request: FastifyRequest<{ Params: { name: string } }>) {
        return `name: [${request.params.name}]`;
      }
    }
    const res = await runView(Named, { path: '/files/:name', params: { name: '' } });
    expect([res.status, res.text]).toEqual([200, 'name: []']);
  });
});

class Shelf extends Resource {
  static override extraActions = { checkout: { on: 'item', methods: ['POST'] }, search: { on: 'collection', methods: ['GET'], path: 'find' } } satisfies ExtraActions;
  constructor(private readonly store: Store) {
    super();
  }
  list() {
    return [this.store.find(7)];
  }
  create(request: FastifyRequest<{ Body: { title: string } }>, reply: FastifyReply) {
    reply.code(201).header('location', request.server.urlFor('shelf.item', { id: 9 }));
    return { id: 9, title: request.body.title };
  }
  retrieve(request: FastifyRequest<{ Params: { id: number } }>, reply: FastifyReply) {
    return this.store.find(request.params.id) ?? reply.code(404).send({ error: 'no such book' });
  }
  checkout(request: FastifyRequest<{ Params: { id: number } }>) {
    return { lent: request.params.id };
  }
  search(request: FastifyRequest<{ Querystring: { q: string } }>) {
    return { q: request.query.q };
  }
}

class ShelfOfAuthor extends Resource {
  static override parent = { name: 'authorId', schema: { type: 'integer' } };
  parentExists(request: FastifyRequest<{ Params: { authorId: number } }>) {
    return request.params.authorId === 1;
  }
  list(request: FastifyRequest<{ Params: { authorId: number } }>) {
    return { of: request.params.authorId };
  }
}

describe('runResource (fastify-class-views/testing)', () => {
  it("runs one action: its verb at its URL, with the resource's constructor arguments", async () => {
    const res = await runResource(Shelf.asResource('shelf', fakeStore), { action: 'retrieve', params: { id: 7 } });
    expect([res.status, res.body]).toEqual([200, { id: 7, title: 'Dune' }]);
  });

  it('takes the class with args and name, and a body for a write action', async () => {
    const res = await runResource(Shelf, { name: 'shelf', args: [fakeStore], action: 'create', body: { title: 'Emma' } });
    expect([res.status, res.headers.location, res.body]).toEqual([201, '/shelf/9', { id: 9, title: 'Emma' }]);
  });

  it('goes to the item URL when params has the item parameter, else to the collection', async () => {
    const views = Shelf.asResource('shelf', fakeStore);
    expect((await runResource(views)).body).toEqual([{ id: 7, title: 'Dune' }]);
    expect((await runResource(views, { params: { id: 8 } })).status).toBe(404);
  });

  it('runs an extra action at its own path, with its first method', async () => {
    const views = Shelf.asResource('shelf', fakeStore);
    expect((await runResource(views, { action: 'checkout', params: { id: 3 } })).body).toEqual({ lent: 3 });
    expect((await runResource(views, { action: 'search', query: { q: 'dune' } })).body).toEqual({ q: 'dune' });
  });

  it('answers 405 with Allow for a method the URL does not serve, as the app would', async () => {
    const res = await runResource(Shelf.asResource('shelf', fakeStore), { method: 'DELETE', params: { id: 7 } });
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });

  it('serves a nested resource under its parent parameter, checking the parent', async () => {
    const views = ShelfOfAuthor.asResource('books');
    expect((await runResource(views, { params: { authorId: 1 } })).body).toEqual({ of: 1 });
    expect((await runResource(views, { params: { authorId: 2 } })).status).toBe(404);
  });

  it('refuses an action the resource does not have, naming the ones it has', async () => {
    await expect(runResource(Shelf.asResource('shelf', fakeStore), { action: 'archive' })).rejects.toMatchObject({
      code: 'FCV_ERR_INVALID_OPTION',
      message: expect.stringContaining('(its actions: list, create, retrieve, checkout, search)'),
    });
  });
});
