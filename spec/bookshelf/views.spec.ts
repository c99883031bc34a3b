// The bookshelf sample's views and resources, each run alone (runView, runResource) with a fake store: no database, no app.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnsureSync, ResourceViews, ViewFunction, ensureSync } from '../../src';
import { ResourceTestRequest, runResource, runView } from '../../src/testing';
import { Authors } from '../../samples/bookshelf/views/authors';
import { AuthorBooks, Books } from '../../samples/bookshelf/views/books';
import { Home } from '../../samples/bookshelf/views/home';
import { serverTiming } from '../../samples/bookshelf/views/server-timing';
import { FakeStore } from './fake-store';

const KEY = 'test-key';
const withKey = { 'x-api-key': KEY };

const leGuin = { id: 1, name: 'Ursula K. Le Guin' };
const butler = { id: 2, name: 'Octavia E. Butler' };
const dispossessed = { id: 1, title: 'The Dispossessed', isbn: '9780061054884', year: 1974, authorId: 1 };
const earthsea = { id: 2, title: 'A Wizard of Earthsea', isbn: '9780547773742', year: 1968, authorId: 1 };
const kindred = { id: 3, title: 'Kindred', isbn: '9780807083697', year: 1979, authorId: 2 };
/** A book as a client sends it: without an id. */
const input = ({ id: _id, ...book }: typeof kindred) => book;

/** Where the app serves each endpoint the views link to with `request.server.urlFor`. */
const ENDPOINTS: Record<string, string> = { authors: '/authors', books: '/books', authorBooks: '/authors/:authorId/books' };

/**
 * Runs a view or a resource at its real path, as `buildApp` would: the app knows the API key,
 * and the other endpoints exist. A resource request goes to the item URL when it has `params.id`.
 */
function run(view: ViewFunction | ResourceViews, request: ResourceTestRequest = {}) {
  const test = { endpoints: ENDPOINTS, ...request, setup: (app: FastifyInstance) => void app.decorate('bookshelfApiKey', KEY) };
  return 'kind' in view ? runResource(view, test) : runView(view, test);
}

describe('Authors (/authors)', () => {
  it('lists one page with the total, and links the next page', async () => {
    const store = FakeStore.with([leGuin, butler]);
    const res = await run(Authors.asResource('authors', store), { query: { limit: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [leGuin], total: 2, limit: 1, offset: 0 });
    expect(res.headers.link).toBe('</authors?limit=1&offset=1>; rel="next"');
  });

  it('links the previous page, and no next one on the last page', async () => {
    const store = FakeStore.with([leGuin, butler]);
    const res = await run(Authors.asResource('authors', store), { query: { limit: 1, offset: 1 } });
    expect(res.body).toEqual({ items: [butler], total: 2, limit: 1, offset: 1 });
    expect(res.headers.link).toBe('</authors?limit=1&offset=0>; rel="prev"');
  });

  it('bounds the page size through its query schema', async () => {
    const resource = Authors.asResource('authors', new FakeStore());
    expect((await run(resource, { query: { limit: 101 } })).status).toBe(400);
    expect((await run(resource, { query: { limit: 0 } })).status).toBe(400);
    expect((await run(resource, { query: { offset: -1 } })).status).toBe(400);
  });

  it('adds an author: 201, Location built with urlFor, the new author as body', async () => {
    const store = FakeStore.with([leGuin]);
    const res = await run(Authors.asResource('authors', store), { method: 'POST', headers: withKey, body: { name: 'Octavia E. Butler' } });
    expect([res.status, res.headers.location, res.body]).toEqual([201, '/authors/2', butler]);
    expect(store.authors).toEqual([leGuin, butler]);
  });

  it('refuses a write without the API key with 401 before looking at the body', async () => {
    const resource = Authors.asResource('authors', new FakeStore());
    const anonymous = await run(resource, { method: 'POST', body: { unexpected: true } });
    expect([anonymous.status, anonymous.headers['www-authenticate']]).toEqual([401, 'ApiKey header="x-api-key"']);
    const wrongKey = await run(resource, { method: 'POST', headers: { 'x-api-key': 'guess' }, body: { name: 'Anyone' } });
    expect(wrongKey.status).toBe(401);
    const badBody = await run(resource, { method: 'POST', headers: withKey, body: { unexpected: true } });
    expect([badBody.status, (badBody.body as { message: string }).message]).toEqual([400, "body must have required property 'name'"]);
  });

  it('reads without a key', async () => {
    expect((await run(Authors.asResource('authors', new FakeStore()))).status).toBe(200);
  });

  it('answers 405 with Allow for a method it lacks', async () => {
    const res = await run(Authors.asResource('authors', new FakeStore()), { method: 'DELETE', headers: withKey });
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS, POST']);
  });
});

describe('Authors (/authors/:id)', () => {
  it('returns the author with their first books, the count and a link to all of them', async () => {
    const store = FakeStore.with([leGuin, butler], [dispossessed, earthsea, kindred]);
    const res = await run(Authors.asResource('authors', store), { params: { id: 1 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...leGuin, bookCount: 2, books: [dispossessed, earthsea], booksUrl: '/books?authorId=1' });
  });

  it('runs its three queries concurrently', async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    await run(Authors.asResource('authors', store), { params: { id: 1 } });
    expect(store.maxInFlight).toBe(3);
  });

  it('answers 404 for a missing author, and 400 for an id that is not one', async () => {
    const resource = Authors.asResource('authors', new FakeStore());
    const missing = await run(resource, { params: { id: 9 } });
    expect([missing.status, missing.body]).toEqual([404, { statusCode: 404, code: 'BOOKSHELF_NOT_FOUND', error: 'Not Found', message: 'author 9 does not exist' }]);
    expect((await run(resource, { params: { id: 'nine' } })).status).toBe(400);
  });

  it('renames an author', async () => {
    const store = FakeStore.with([leGuin]);
    const res = await run(Authors.asResource('authors', store), { method: 'PUT', params: { id: 1 }, headers: withKey, body: { name: 'Ursula Le Guin' } });
    expect([res.status, res.body]).toEqual([200, { id: 1, name: 'Ursula Le Guin' }]);
  });

  it('answers 409 when deleting an author who still has books, 204 once they have none', async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    const resource = Authors.asResource('authors', store);
    const refused = await run(resource, { method: 'DELETE', params: { id: 1 }, headers: withKey });
    expect([refused.status, (refused.body as { code: string }).code]).toEqual([409, 'BOOKSHELF_CONFLICT']);
    store.books = [];
    const deleted = await run(resource, { method: 'DELETE', params: { id: 1 }, headers: withKey });
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    expect(store.authors).toEqual([]);
  });

  it('needs the key for PUT and DELETE only', async () => {
    const resource = Authors.asResource('authors', FakeStore.with([leGuin]));
    expect((await run(resource, { method: 'PUT', params: { id: 1 }, body: { name: 'x' } })).status).toBe(401);
    expect((await run(resource, { method: 'DELETE', params: { id: 1 } })).status).toBe(401);
    expect((await run(resource, { params: { id: 1 } })).status).toBe(200);
  });
});

describe('Books (/books)', () => {
  it("lists one author's books, keeping the filter in the Link header", async () => {
    const store = FakeStore.with([leGuin, butler], [dispossessed, earthsea, kindred]);
    const res = await run(Books.asResource('books', store), { query: { authorId: 1, limit: 1 } });
    expect(res.body).toEqual({ items: [dispossessed], total: 2, limit: 1, offset: 0 });
    expect(res.headers.link).toBe('</books?authorId=1&limit=1&offset=1>; rel="next"');
  });

  it('adds a book with 201 and Location', async () => {
    const store = FakeStore.with([leGuin]);
    const res = await run(Books.asResource('books', store), { method: 'POST', headers: withKey, body: input(earthsea) });
    expect([res.status, res.headers.location, res.body]).toEqual([201, '/books/1', { ...earthsea, id: 1 }]);
  });

  it('answers 409 for an ISBN already on the shelf and 422 for an unknown author', async () => {
    const resource = Books.asResource('books', FakeStore.with([leGuin], [dispossessed]));
    const duplicate = await run(resource, { method: 'POST', headers: withKey, body: { ...input(dispossessed), title: 'Again' } });
    expect(duplicate.status).toBe(409);
    const orphan = await run(resource, { method: 'POST', headers: withKey, body: { ...input(kindred), authorId: 7 } });
    expect([orphan.status, (orphan.body as { message: string }).message]).toEqual([422, 'author 7 does not exist']);
  });

  it('validates the ISBN', async () => {
    const resource = Books.asResource('books', FakeStore.with([leGuin]));
    const res = await run(resource, { method: 'POST', headers: withKey, body: { title: 'X', isbn: '978-0-06-105488-4', year: 1974, authorId: 1 } });
    expect(res.status).toBe(400);
  });
});

describe('Books (/books/:id)', () => {
  it('changes only the fields a PATCH sends', async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    const res = await run(Books.asResource('books', store), { method: 'PATCH', params: { id: 1 }, headers: withKey, body: { year: 1975 } });
    expect([res.status, res.body]).toEqual([200, { ...dispossessed, year: 1975 }]);
  });

  it('refuses an empty PATCH, and drops unknown fields as Fastify does (removeAdditional)', async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    const resource = Books.asResource('books', store);
    expect((await run(resource, { method: 'PATCH', params: { id: 1 }, headers: withKey, body: {} })).status).toBe(400);
    const res = await run(resource, { method: 'PATCH', params: { id: 1 }, headers: withKey, body: { year: 1975, pages: 387 } });
    expect([res.status, res.body]).toEqual([200, { ...dispossessed, year: 1975 }]);
    expect(store.books[0]).not.toHaveProperty('pages');
  });

  it('answers 404 for a missing book on every verb', async () => {
    const resource = Books.asResource('books', new FakeStore());
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      const res = await run(resource, { method, params: { id: 5 }, headers: withKey, ...(method === 'PATCH' ? { body: { year: 1 } } : {}) });
      expect([method, res.status]).toEqual([method, 404]);
    }
  });

  it('has no PUT: a book is changed with PATCH', async () => {
    const res = await run(Books.asResource('books', FakeStore.with([leGuin], [dispossessed])), { action: 'update', params: { id: 1 }, headers: withKey, body: input(dispossessed) });
    expect([res.status, res.headers.allow]).toEqual([405, 'DELETE, GET, HEAD, OPTIONS, PATCH']);
  });

  it('answers 304 for an unchanged book and 412 for a stale If-Match, from its version', async () => {
    const resource = Books.asResource('books', FakeStore.with([leGuin], [dispossessed]));
    const read = await run(resource, { action: 'retrieve', params: { id: 1 } });
    const etag = String(read.headers.etag);
    expect((await run(resource, { params: { id: 1 }, headers: { 'if-none-match': etag } })).status).toBe(304);
    const stale = await run(resource, { action: 'destroy', params: { id: 1 }, headers: { ...withKey, 'if-match': '"0"' } });
    expect(stale.status).toBe(412);
  });

  it('deletes a book', async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    const res = await run(Books.asResource('books', store), { method: 'DELETE', params: { id: 1 }, headers: withKey });
    expect(res.status).toBe(204);
    expect(store.books).toEqual([]);
  });
});

describe('AuthorBooks (/authors/:authorId/books)', () => {
  it("lists one author's books, with Link to the next page under the author's URL", async () => {
    const store = FakeStore.with([leGuin, butler], [dispossessed, earthsea, kindred]);
    const res = await run(AuthorBooks.asResource('authorBooks', store), { action: 'list', params: { authorId: 1 }, query: { limit: 1 } });
    expect([res.status, res.body]).toEqual([200, { items: [dispossessed], total: 2, limit: 1, offset: 0 }]);
    expect(res.headers.link).toBe('</authors/1/books?limit=1&offset=1>; rel="next"');
  });

  it("answers the sample's 404 for an unknown author, before listing anything", async () => {
    const store = FakeStore.with([leGuin], [dispossessed]);
    const res = await run(AuthorBooks.asResource('authorBooks', store), { params: { authorId: 9 } });
    expect([res.status, res.body]).toEqual([404, { statusCode: 404, code: 'BOOKSHELF_NOT_FOUND', error: 'Not Found', message: 'author 9 does not exist' }]);
  });

  it('is read-only: a write is 405', async () => {
    const res = await run(AuthorBooks.asResource('authorBooks', FakeStore.with([leGuin])), { method: 'POST', params: { authorId: 1 }, headers: withKey, body: input(kindred) });
    expect([res.status, res.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });
});

describe('Home (/)', () => {
  it('answers synchronously: dispatchRequest returns the payload itself, not a Promise', () => {
    const request = { server: { urlFor: (name: string) => ENDPOINTS[name] } } as unknown as FastifyRequest;
    const payload = new Home('/docs').dispatchRequest(request);
    expect(payload).not.toBeInstanceOf(Promise);
    expect(payload).toEqual({ name: 'bookshelf', links: { authors: '/authors', books: '/books', docs: '/docs' } });
  });

  it('links the lists and the docs', async () => {
    const res = await run(Home.asView('home', '/docs'), { path: '/' });
    expect(res.body).toEqual({ name: 'bookshelf', links: { authors: '/authors', books: '/books', docs: '/docs' } });
  });
});

describe('serverTiming (a view decorator)', () => {
  const reply = () => ({ sent: false, header: jest.fn() }) as unknown as FastifyReply & { header: jest.Mock };
  const request = { server: { ensureSync } } as unknown as FastifyRequest;

  it('keeps a sync view sync and sets the header at once', () => {
    const r = reply();
    const result = serverTiming(() => 'sync')(request, r);
    expect(result).toBe('sync');
    expect(r.header).toHaveBeenCalledWith('server-timing', expect.stringMatching(/^view;dur=\d+\.\d\d$/));
  });

  it('sets the header when an async view settles', async () => {
    const r = reply();
    const result = serverTiming(async () => 'async')(request, r);
    expect(r.header).not.toHaveBeenCalled();
    await expect(result).resolves.toBe('async');
    expect(r.header).toHaveBeenCalledWith('server-timing', expect.stringMatching(/^view;dur=/));
  });

  it('is on every view, sync or async', async () => {
    const home = await run(Home.asView('home', '/docs'), { path: '/' });
    const authors = await run(Authors.asResource('authors', new FakeStore()));
    expect([home.headers['server-timing'], authors.headers['server-timing']]).toEqual([expect.stringMatching(/^view;dur=/), expect.stringMatching(/^view;dur=/)]);
  });

  it("calls the view through the app's dispatcher (request.server.ensureSync)", () => {
    const dispatched: string[] = [];
    const tracing: EnsureSync = (handler) => {
      dispatched.push(handler.name);
      return ensureSync(handler);
    };
    const tracedRequest = { server: { ensureSync: tracing } } as unknown as FastifyRequest;
    expect(serverTiming(function listBooks() { return []; })(tracedRequest, reply())).toEqual([]);
    expect(dispatched).toEqual(['listBooks']);
  });
});
