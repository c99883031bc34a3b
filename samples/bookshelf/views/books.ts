import type { FastifyRequest } from 'fastify';
import { Action, ActionOptions, RepositoryResource } from '../../../src'; // in your app: 'fastify-class-views'
import { notFound } from '../errors';
import { BookFeed, booksIn } from '../repositories';
import { Book, BookInput, BookPatch, BookQuery, Location, NewETag, NoContent, PageLinks, PageQuery, errorReplies, id, pageOf, publicAccess } from '../schemas';
import type { Store } from '../store';
import { apiKeySecurity, requireApiKey } from './api-key';
import { serverTiming } from './server-timing';

// The operationIds are written out: generated clients name their methods after them, and they
// stay what they were before these views became resources.
const listBooks = {
  operationId: 'getBooks', summary: 'List books', description: 'Paginated, optionally of one author; `Link` gives the next and previous pages.',
  security: publicAccess,
  querystring: BookQuery,
  response: { 200: { ...pageOf(Book, 'Book'), headers: PageLinks }, ...errorReplies(400) },
};
const createBook = {
  operationId: 'postBooks', summary: 'Add a book', description: '409 for an ISBN already on the shelf, 422 for an unknown author.',
  security: apiKeySecurity,
  body: BookInput,
  response: { 201: { ...Book, headers: { ...Location, ...NewETag } }, ...errorReplies(400, 401, 409, 415, 422) },
};
const readBook = { operationId: 'getBook', summary: 'Read a book', security: publicAccess, response: { 200: Book, ...errorReplies(400, 404) } };
const updateBook = {
  operationId: 'patchBook', summary: 'Change some fields of a book', security: apiKeySecurity,
  body: BookPatch,
  response: { 200: { ...Book, headers: NewETag }, ...errorReplies(400, 401, 404, 409, 415, 422) },
};
const deleteBook = { operationId: 'deleteBook', summary: 'Delete a book', security: apiKeySecurity, response: { 204: NoContent, ...errorReplies(400, 401, 404) } };

/**
 * `/books` and `/books/:id`: the books, a page at a time (`?authorId=` for one author's), and
 * one book. `RepositoryResource` does the work — pagination with `Link`, `201` + `Location`,
 * `404`, `204`, and the book's version as its `ETag` (`If-None-Match` → 304, a stale `If-Match`
 * → 412, so two clients editing one book cannot overwrite each other's change unseen).
 */
export class Books extends RepositoryResource<Book> {
  static override decorators = [serverTiming];
  // No PUT: a book is changed with PATCH, some fields at a time.
  static override actions = ['list', 'create', 'retrieve', 'partialUpdate', 'destroy'] satisfies Action[];
  static override itemParam = { name: 'id', schema: id };
  // The write actions alone check the API key, before their body is parsed.
  static override actionOptions = {
    list: { schema: listBooks },
    create: { schema: createBook, onRequest: requireApiKey },
    retrieve: { schema: readBook },
    partialUpdate: { schema: updateBook, onRequest: requireApiKey },
    destroy: { schema: deleteBook, onRequest: requireApiKey },
  } satisfies ActionOptions;

  constructor(store: Store, feed?: BookFeed) {
    super(booksIn(store, feed));
  }

  override notFound(request: FastifyRequest): Error {
    return notFound('book', this.idFrom(request));
  }
}

const listAuthorBooks = {
  operationId: 'getAuthorBooks', tags: ['books'], summary: "List an author's books", description: 'Paginated; 404 for an unknown author.',
  security: publicAccess,
  querystring: PageQuery,
  response: { 200: { ...pageOf(Book, 'Book'), headers: PageLinks }, ...errorReplies(400, 404) },
};

/** `/authors/:authorId/books`: one author's books, a page at a time; 404 when there is no such author. */
export class AuthorBooks extends RepositoryResource<Book> {
  static override parent = { name: 'authorId', schema: id };
  static override actions = ['list'] satisfies Action[];
  static override decorators = [serverTiming];
  static override actionOptions = { list: { schema: listAuthorBooks } } satisfies ActionOptions;

  constructor(private readonly store: Store) {
    super(booksIn(store));
  }

  async parentExists(request: FastifyRequest<{ Params: { authorId: number } }>): Promise<boolean> {
    return (await this.store.getAuthor(request.params.authorId)) !== undefined;
  }

  override parentNotFound(request: FastifyRequest<{ Params: { authorId: number } }>): Error {
    return notFound('author', request.params.authorId);
  }

  override filterFrom(request: FastifyRequest<{ Params: { authorId: number } }>) {
    return { authorId: request.params.authorId };
  }
}
