import { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, VerbOptions, View } from '../src';
import { runView } from '../src/testing';

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
