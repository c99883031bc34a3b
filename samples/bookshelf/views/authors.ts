import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, VerbOptions, ViewRequest, strongETag } from '../../../src'; // in your app: 'fastify-class-views'
import { notFound } from '../errors';
import { Author, AuthorDetail, AuthorInput, IdParams, Location, NewETag, NoContent, PageLinks, PageQuery, errorReplies, pageOf, publicAccess } from '../schemas';
import type { Store } from '../store';
import { apiKeySecurity, requireApiKey } from './api-key';
import { pageLinks } from './pagination';
import { serverTiming } from './server-timing';
import { setVersion } from './versions';

const tags = ['authors'];

const listAuthors = {
  tags, summary: 'List authors', description: 'Paginated; `Link` gives the next and previous pages.',
  security: publicAccess,
  querystring: PageQuery,
  response: { 200: { ...pageOf(Author, 'Author'), headers: PageLinks }, ...errorReplies(400) },
};
const createAuthor = {
  tags, summary: 'Add an author', security: apiKeySecurity,
  body: AuthorInput,
  response: { 201: { ...Author, headers: Location }, ...errorReplies(400, 401, 415) },
};

/** `/authors`: the authors, a page at a time, and where new ones are added. */
export class AuthorList extends MethodView {
  static override decorators = [serverTiming];
  // One schema per verb; the write verb alone checks the API key, before its body is parsed.
  static override verbOptions = {
    get: { schema: listAuthors },
    post: { schema: createAuthor, onRequest: requireApiKey },
  } satisfies VerbOptions;

  constructor(private readonly store: Store) {
    super();
  }

  override async get(request: ViewRequest<typeof listAuthors, JsonSchemaToTsProvider>, reply: FastifyReply) {
    const { limit, offset } = request.query;
    const [items, total] = await Promise.all([this.store.listAuthors({ limit, offset }), this.store.countAuthors()]);
    const link = pageLinks(request, 'authors', {}, { limit, offset }, total);
    if (link) reply.header('link', link);
    return { items, total, limit, offset };
  }

  override async post(request: ViewRequest<typeof createAuthor, JsonSchemaToTsProvider>, reply: FastifyReply): Promise<Author> {
    const author = await this.store.createAuthor(request.body);
    reply.code(201).header('location', request.server.urlFor('author', { id: author.id }));
    return author;
  }
}

const readAuthor = {
  tags, summary: 'Read an author', description: 'With their first books and how many there are.', security: publicAccess,
  params: IdParams,
  response: { 200: AuthorDetail, ...errorReplies(400, 404) },
};
const renameAuthor = {
  tags, summary: 'Rename an author', security: apiKeySecurity,
  params: IdParams, body: AuthorInput,
  response: { 200: { ...Author, headers: NewETag }, ...errorReplies(400, 401, 404, 415) },
};
const deleteAuthor = {
  tags, summary: 'Delete an author', description: '409 while the author still has books.', security: apiKeySecurity,
  params: IdParams,
  response: { 204: NoContent, ...errorReplies(400, 401, 404, 409) },
};

/** `/authors/:id`: one author. */
export class AuthorItem extends MethodView {
  /** How many books `GET` embeds; `booksUrl` lists them all. */
  static firstBooks = 10;
  static override decorators = [serverTiming];
  static override verbOptions = {
    get: { schema: readAuthor },
    put: { schema: renameAuthor, onRequest: requireApiKey },
    delete: { schema: deleteAuthor, onRequest: requireApiKey },
  } satisfies VerbOptions;

  constructor(private readonly store: Store) {
    super();
  }

  /**
   * The author's version, for `PUT` and `DELETE` with `If-Match` (a stale one is a 412). Not for
   * `GET`: its answer embeds the author's books, whose changes the author's version does not see.
   */
  override async validators(request: FastifyRequest<{ Params: { id: number } }>) {
    if (request.method === 'GET' || request.method === 'HEAD') return undefined;
    const version = await this.store.versionOf('authors', request.params.id);
    return version === undefined ? undefined : { etag: strongETag(version) };
  }

  override async get(request: ViewRequest<typeof readAuthor, JsonSchemaToTsProvider>): Promise<AuthorDetail> {
    const { id } = request.params;
    // Three independent queries, started together: the reply waits for the slowest, not the sum.
    const [author, books, bookCount] = await Promise.all([
      this.store.getAuthor(id),
      this.store.listBooks({ authorId: id }, { limit: AuthorItem.firstBooks, offset: 0 }),
      this.store.countBooks({ authorId: id }),
    ]);
    if (!author) throw notFound('author', id);
    return { ...author, bookCount, books, booksUrl: request.server.urlFor('books', { authorId: id }) };
  }

  override async put(request: ViewRequest<typeof renameAuthor, JsonSchemaToTsProvider>, reply: FastifyReply): Promise<Author> {
    const author = await this.store.updateAuthor(request.params.id, request.body);
    if (!author) throw notFound('author', request.params.id);
    await setVersion(reply, this.store, 'authors', author.id);
    return author;
  }

  override async delete(request: ViewRequest<typeof deleteAuthor, JsonSchemaToTsProvider>, reply: FastifyReply) {
    if (!(await this.store.deleteAuthor(request.params.id))) throw notFound('author', request.params.id);
    return reply.code(204).send();
  }
}
