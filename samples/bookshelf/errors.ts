/**
 * The API's errors. Each carries a `statusCode`, so thrown anywhere (a store method, a view, a
 * hook) Fastify's error handler answers with that status and its usual JSON shape:
 * `{ statusCode, code, error, message }`.
 */
export class BookshelfError extends Error {
  constructor(readonly statusCode: number, readonly code: string, message: string) {
    super(message);
    this.name = 'BookshelfError';
  }
}

/** 404: no such author or book. */
export const notFound = (what: 'author' | 'book', id: number) =>
  new BookshelfError(404, 'BOOKSHELF_NOT_FOUND', `${what} ${id} does not exist`);

/** 409: the request contradicts what is stored (a duplicate ISBN, an author who still has books). */
export const conflict = (message: string) => new BookshelfError(409, 'BOOKSHELF_CONFLICT', message);

/** 422: the body is valid JSON of the right shape but names something that does not exist. */
export const unknownAuthor = (id: number) =>
  new BookshelfError(422, 'BOOKSHELF_UNKNOWN_AUTHOR', `author ${id} does not exist`);

/** 401: a write without the right `x-api-key` header. */
export const unauthorized = () =>
  new BookshelfError(401, 'BOOKSHELF_UNAUTHORIZED', 'this method needs a valid x-api-key header');
