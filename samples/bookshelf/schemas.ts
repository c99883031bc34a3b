/**
 * The API's JSON shapes, written once as JSON Schema: Fastify validates requests and serialises
 * replies with them, @fastify/swagger publishes them, and `FromSchema` (json-schema-to-ts, the
 * engine of @fastify/type-provider-json-schema-to-ts) derives the TypeScript types the store
 * and the views use. Plain objects `as const`, so they load anywhere, jest included.
 *
 * The reply shapes have an `$id`: fastify-class-views makes each a shared schema, so that the
 * OpenAPI document has them as named components (`Book`, `BookPage`) and generated clients get
 * named types. The request shapes stay inline: this app validates with its own compiler (below,
 * in app.ts), which does not resolve shared schemas.
 */
import type { FromSchema } from 'json-schema-to-ts';

/** Ids are Postgres `integer`s: the bounds keep an out-of-range id a 400, not a database error. */
export const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;

export const IdParams = {
  type: 'object',
  properties: { id },
  required: ['id'],
} as const;

/**
 * Text a person typed: Postgres `text` cannot hold a NUL character, so it is refused here with a
 * 400 naming the field, not met in the database as a 500. Nor can it hold a lone UTF-16 surrogate
 * (JSON allows `"\ud800"`; UTF-8 has no encoding for it, and the driver would silently store
 * U+FFFD instead), so one is refused too; a surrogate pair (an emoji, say) is one character and
 * is fine. The pattern reads the same with or without the regex `u` flag (Ajv uses it; other
 * readers of the OpenAPI document may not).
 */
const text = (maxLength: number) =>
  ({ type: 'string', minLength: 1, maxLength, pattern: '^(?:[^\\u0000\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$' }) as const;

export const AuthorInput = {
  type: 'object',
  properties: { name: text(200) },
  required: ['name'],
  additionalProperties: false,
} as const;
export type AuthorInput = FromSchema<typeof AuthorInput>;

export const Author = {
  $id: 'Author',
  description: 'An author',
  type: 'object',
  properties: { id: { type: 'integer' }, name: { type: 'string' } },
  required: ['id', 'name'],
  additionalProperties: false,
} as const;
export type Author = FromSchema<typeof Author>;

const bookFields = {
  title: text(300),
  isbn: { type: 'string', pattern: '^(?:[0-9]{9}[0-9X]|[0-9]{13})$', description: 'ISBN-10 or ISBN-13, digits only' },
  year: { type: 'integer', minimum: -3000, maximum: 3000 },
  authorId: id,
} as const;

export const BookInput = {
  type: 'object',
  properties: bookFields,
  required: ['title', 'isbn', 'year', 'authorId'],
  additionalProperties: false,
} as const;
export type BookInput = FromSchema<typeof BookInput>;

/** PATCH: any of the fields, at least one. */
export const BookPatch = {
  type: 'object',
  properties: bookFields,
  minProperties: 1,
  additionalProperties: false,
} as const;
export type BookPatch = FromSchema<typeof BookPatch>;

export const Book = {
  $id: 'Book',
  description: 'A book on the shelf',
  type: 'object',
  properties: {
    id: { type: 'integer' },
    title: { type: 'string' },
    isbn: { type: 'string' },
    year: { type: 'integer' },
    authorId: { type: 'integer' },
  },
  required: ['id', 'title', 'isbn', 'year', 'authorId'],
  additionalProperties: false,
} as const;
export type Book = FromSchema<typeof Book>;

/** The data of an event on `GET /events`: the book as it now is (`book.added`, `book.changed`), or its id (`book.deleted`). */
export const BookEventData = {
  description: '`book.added` and `book.changed`: the Book as it now is; `book.deleted`: `{ id }`',
  type: 'object',
  properties: { ...Book.properties },
  required: ['id'],
} as const;

/** An author with their first books and how many there are (GET /authors/:id). */
export const AuthorDetail = {
  $id: 'AuthorDetail',
  description: 'An author with their first books',
  type: 'object',
  properties: {
    ...Author.properties,
    bookCount: { type: 'integer' },
    books: { type: 'array', items: Book },
    booksUrl: { type: 'string' },
  },
  required: [...Author.required, 'bookCount', 'books', 'booksUrl'],
  additionalProperties: false,
} as const;
export type AuthorDetail = FromSchema<typeof AuthorDetail>;

/**
 * `?limit=&offset=`: bounded, with defaults, so a client cannot ask for the whole table at once.
 * Not `required`: Fastify fills in the defaults, and FromSchema types defaulted fields as present.
 */
const page = {
  limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
  // Bounded like the ids: a larger offset is a 400, not a Postgres "out of range" error.
  offset: { type: 'integer', minimum: 0, maximum: 2147483647, default: 0 },
} as const;

export const PageQuery = { type: 'object', properties: page } as const;
/** Which rows of a list: `?limit=&offset=` once validated (with their defaults). */
export type Page = { limit: number; offset: number };

/** The books list also filters by author (`?authorId=`). */
export const BookQuery = { type: 'object', properties: { ...page, authorId: id } } as const;
export type BookFilter = { authorId?: number };

/** A page of a list, with the total so that clients can show "21–40 of 57"; named `${name}Page`. */
export function pageOf<const Item extends object, const Name extends string>(item: Item, name: Name) {
  return {
    $id: `${name}Page` as `${Name}Page`,
    description: `A page of ${name.toLowerCase()}s`,
    type: 'object',
    properties: {
      items: { type: 'array', items: item },
      total: { type: 'integer' },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
    required: ['items', 'total', 'limit', 'offset'],
  } as const;
}

/**
 * Fastify's own error shape (its default error handler sends it), used for every 4xx. No
 * `description`: each error response is then described by its status (`Not Found`).
 */
export const ErrorReply = {
  $id: 'ErrorReply',
  type: 'object',
  properties: {
    statusCode: { type: 'integer' },
    code: { type: 'string' },
    error: { type: 'string' },
    message: { type: 'string' },
  },
  required: ['statusCode', 'error', 'message'],
} as const;

/** The 204 of a DELETE: no body. */
export const NoContent = { type: 'null', description: 'Deleted' } as const;

/** The error answers of an operation, one per status, so that clients can tell a 404 from a 409. */
export function errorReplies<const Status extends number>(...statuses: Status[]): Record<Status, typeof ErrorReply> {
  return Object.fromEntries(statuses.map((status) => [status, ErrorReply])) as Record<Status, typeof ErrorReply>;
}

/** Response headers, documented beside the status that sends them (`{ ...Book, headers: Location }`). */
export const Location = { Location: { type: 'string', description: 'The URL of what was just created' } } as const;
export const PageLinks = { Link: { type: 'string', description: 'RFC 8288 links to the next and previous pages (rel="next", rel="prev"), when there are some' } } as const;
export const NewETag = { ETag: { type: 'string', description: 'The new version: send it in If-Match to change the resource again' } } as const;

/** For `schema.security` of the operations anyone may call (the document says so: no lock). */
export const publicAccess = [];
