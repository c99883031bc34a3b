import type { FastifyRequest } from 'fastify';
import { Action, ActionOptions, RepositoryResource } from '../../../src'; // in your app: 'fastify-class-views'
import { notFound } from '../errors';
import { authorsIn } from '../repositories';
import { Author, AuthorDetail, AuthorInput, Location, NewETag, NoContent, PageLinks, PageQuery, errorReplies, id, pageOf, publicAccess } from '../schemas';
import type { Store } from '../store';
import { apiKeySecurity, requireApiKey } from './api-key';
import { serverTiming } from './server-timing';

const listAuthors = {
  operationId: 'getAuthors', summary: 'List authors', description: 'Paginated; `Link` gives the next and previous pages.',
  security: publicAccess,
  querystring: PageQuery,
  response: { 200: { ...pageOf(Author, 'Author'), headers: PageLinks }, ...errorReplies(400) },
};
const createAuthor = {
  operationId: 'postAuthors', summary: 'Add an author', security: apiKeySecurity,
  body: AuthorInput,
  response: { 201: { ...Author, headers: { ...Location, ...NewETag } }, ...errorReplies(400, 401, 415) },
};
const readAuthor = {
  operationId: 'getAuthor', summary: 'Read an author', description: 'With their first books and how many there are.', security: publicAccess,
  response: { 200: AuthorDetail, ...errorReplies(400, 404) },
};
const renameAuthor = {
  operationId: 'putAuthor', summary: 'Rename an author', security: apiKeySecurity,
  body: AuthorInput,
  response: { 200: { ...Author, headers: NewETag }, ...errorReplies(400, 401, 404, 415) },
};
const deleteAuthor = {
  operationId: 'deleteAuthor', summary: 'Delete an author', description: '409 while the author still has books.', security: apiKeySecurity,
  response: { 204: NoContent, ...errorReplies(400, 401, 404, 409) },
};

/**
 * `/authors` and `/authors/:id`: the authors, a page at a time, and one author — renamed with
 * PUT, no PATCH. `RepositoryResource` does the work; `retrieve` is its own, as it embeds books.
 */
export class Authors extends RepositoryResource<Author> {
  /** How many books `retrieve` embeds; `booksUrl` lists them all. */
  static firstBooks = 10;
  static override decorators = [serverTiming];
  static override actions = ['list', 'create', 'retrieve', 'update', 'destroy'] satisfies Action[];
  static override itemParam = { name: 'id', schema: id };
  // One schema per action; the write actions alone check the API key, before their body is parsed.
  static override actionOptions = {
    list: { schema: listAuthors },
    create: { schema: createAuthor, onRequest: requireApiKey },
    retrieve: { schema: readAuthor },
    update: { schema: renameAuthor, onRequest: requireApiKey },
    destroy: { schema: deleteAuthor, onRequest: requireApiKey },
  } satisfies ActionOptions;

  constructor(private readonly store: Store) {
    super(authorsIn(store));
  }

  /**
   * The author's version, for `PUT` and `DELETE` with `If-Match` (a stale one is a 412). Not for
   * `GET`: its answer embeds the author's books, whose changes the author's version does not see.
   */
  override async validators(request: FastifyRequest) {
    return request.method === 'GET' || request.method === 'HEAD' ? undefined : super.validators(request);
  }

  override async retrieve(request: FastifyRequest<{ Params: { id: number } }>): Promise<AuthorDetail> {
    const { id } = request.params;
    // Three independent queries, started together: the reply waits for the slowest, not the sum.
    const [author, books, bookCount] = await Promise.all([
      this.store.getAuthor(id),
      this.store.listBooks({ authorId: id }, { limit: Authors.firstBooks, offset: 0 }),
      this.store.countBooks({ authorId: id }),
    ]);
    if (!author) throw notFound('author', id);
    return { ...author, bookCount, books, booksUrl: request.server.urlFor('books', { authorId: id }) };
  }

  override notFound(request: FastifyRequest): Error {
    return notFound('author', this.idFrom(request));
  }
}
