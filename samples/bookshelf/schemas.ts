/**
 * The API's JSON shapes, written once as JSON Schema: Fastify validates requests and serialises
 * replies with them, @fastify/swagger publishes them, and `FromSchema` (json-schema-to-ts, the
 * engine of @fastify/type-provider-json-schema-to-ts) derives the TypeScript types the store
 * and the views use. Plain objects `as const`, so they load anywhere, jest included.
 */
import type { FromSchema } from 'json-schema-to-ts';

/** Ids are Postgres `integer`s: the bounds keep an out-of-range id a 400, not a database error. */
const id = { type: 'integer', minimum: 1, maximum: 2147483647 } as const;

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

/** An author with their first books and how many there are (GET /authors/:id). */
export const AuthorDetail = {
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
export type Page = FromSchema<typeof PageQuery>;

/** The books list also filters by author (`?authorId=`). */
export const BookQuery = { type: 'object', properties: { ...page, authorId: id } } as const;
export type BookFilter = { authorId?: number };

/** A page of a list, with the total so that clients can show "21–40 of 57". */
export function pageOf<const Item extends object>(item: Item) {
  return {
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

/** Fastify's own error shape (its default error handler sends it), used for every 4xx. */
export const ErrorReply = {
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
