import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, VerbOptions, ViewRequest, strongETag } from '../../../src'; // in your app: 'fastify-class-views'
import { notFound } from '../errors';
import { Book, BookInput, BookPatch, BookQuery, IdParams, Location, NewETag, NoContent, PageLinks, errorReplies, pageOf, publicAccess } from '../schemas';
import type { Store } from '../store';
import { apiKeySecurity, requireApiKey } from './api-key';
import { pageLinks } from './pagination';
import { serverTiming } from './server-timing';
import { setVersion } from './versions';

const tags = ['books'];

const listBooks = {
  tags, summary: 'List books', description: 'Paginated, optionally of one author; `Link` gives the next and previous pages.',
  security: publicAccess,
  querystring: BookQuery,
  response: { 200: { ...pageOf(Book, 'Book'), headers: PageLinks }, ...errorReplies(400) },
};
const createBook = {
  tags, summary: 'Add a book', description: '409 for an ISBN already on the shelf, 422 for an unknown author.',
  security: apiKeySecurity,
  body: BookInput,
  response: { 201: { ...Book, headers: Location }, ...errorReplies(400, 401, 409, 415, 422) },
};

/** `/books`: the books, a page at a time (`?authorId=` for one author's), and where new ones are added. */
export class BookList extends MethodView {
  static override decorators = [serverTiming];
  static override verbOptions = {
    get: { schema: listBooks },
    post: { schema: createBook, onRequest: requireApiKey },
  } satisfies VerbOptions;

  constructor(private readonly store: Store) {
    super();
  }

  override async get(request: ViewRequest<typeof listBooks, JsonSchemaToTsProvider>, reply: FastifyReply) {
    const { limit, offset, authorId } = request.query;
    const [items, total] = await Promise.all([
      this.store.listBooks({ authorId }, { limit, offset }),
      this.store.countBooks({ authorId }),
    ]);
    const link = pageLinks(request, 'books', { authorId }, { limit, offset }, total);
    if (link) reply.header('link', link);
    return { items, total, limit, offset };
  }

  override async post(request: ViewRequest<typeof createBook, JsonSchemaToTsProvider>, reply: FastifyReply): Promise<Book> {
    const book = await this.store.createBook(request.body);
    reply.code(201).header('location', request.server.urlFor('book', { id: book.id }));
    return book;
  }
}

const readBook = {
  tags, summary: 'Read a book', security: publicAccess,
  params: IdParams,
  response: { 200: Book, ...errorReplies(400, 404) },
};
const updateBook = {
  tags, summary: 'Change some fields of a book', security: apiKeySecurity,
  params: IdParams, body: BookPatch,
  response: { 200: { ...Book, headers: NewETag }, ...errorReplies(400, 401, 404, 409, 415, 422) },
};
const deleteBook = {
  tags, summary: 'Delete a book', security: apiKeySecurity,
  params: IdParams,
  response: { 204: NoContent, ...errorReplies(400, 401, 404) },
};

/** `/books/:id`: one book. */
export class BookItem extends MethodView {
  static override decorators = [serverTiming];
  static override verbOptions = {
    get: { schema: readBook },
    patch: { schema: updateBook, onRequest: requireApiKey },
    delete: { schema: deleteBook, onRequest: requireApiKey },
  } satisfies VerbOptions;

  constructor(private readonly store: Store) {
    super();
  }

  /**
   * The book's version as its ETag: `GET` with a matching `If-None-Match` is a 304, and `PATCH`
   * or `DELETE` with a stale `If-Match` a 412 — two clients editing one book cannot overwrite
   * each other's change unseen.
   */
  override async validators(request: FastifyRequest<{ Params: { id: number } }>) {
    const version = await this.store.versionOf('books', request.params.id);
    return version === undefined ? undefined : { etag: strongETag(version) };
  }

  override async get(request: ViewRequest<typeof readBook, JsonSchemaToTsProvider>): Promise<Book> {
    const book = await this.store.getBook(request.params.id);
    if (!book) throw notFound('book', request.params.id);
    return book;
  }

  override async patch(request: ViewRequest<typeof updateBook, JsonSchemaToTsProvider>, reply: FastifyReply): Promise<Book> {
    const book = await this.store.updateBook(request.params.id, request.body);
    if (!book) throw notFound('book', request.params.id);
    await setVersion(reply, this.store, 'books', book.id);
    return book;
  }

  override async delete(request: ViewRequest<typeof deleteBook, JsonSchemaToTsProvider>, reply: FastifyReply) {
    if (!(await this.store.deleteBook(request.params.id))) throw notFound('book', request.params.id);
    return reply.code(204).send();
  }
}
