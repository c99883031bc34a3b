// The bookshelf app fuzzed from its own OpenAPI document: for every operation the document lists,
// fast-check generates valid requests (from the documented schemas) and invalid ones (each a
// valid request with one thing broken), sends them with `inject` to an app over a fake store whose
// contents are generated too, and checks the answers against the document and against a model of
// the store: no 5xx, only documented statuses, bodies that match their documented schema, valid
// input accepted (or a 404/409/422 the store's contents explain), invalid input refused with a 4xx
// and nothing changed.
//
// Seeded by fast-check: a failure names its operation and prints its seed and path; replay it with
// `FUZZ_ONLY='<operation>' FUZZ_SEED=<seed> FUZZ_PATH=<path> npx jest spec/bookshelf/openapi-fuzz.spec.ts -t '<test>'`.
// Run longer with `FUZZ_RUNS=<runs per operation and property>` (default 100).
import Ajv, { ValidateFunction } from 'ajv';
import fc from 'fast-check';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../samples/bookshelf/app';
import type { Author, Book } from '../../samples/bookshelf/schemas';
import { FakeStore } from './fake-store';

const KEY = 'fuzz-key';
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
const TIMEOUT = Math.max(60_000, RUNS * 500); // per test: FUZZ_RUNS=1500 takes about 40 s
/** `FUZZ_ONLY='PATCH /books/{id},GET /books'`: fuzz only these operations. */
const ONLY = process.env.FUZZ_ONLY?.split(',').map((key) => key.trim());
const params = (numRuns: number): fc.Parameters<unknown> => ({
  numRuns,
  ...(process.env.FUZZ_SEED ? { seed: Number(process.env.FUZZ_SEED) } : {}),
  ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
});

type Schema = { [keyword: string]: any };

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema: Schema;
}
interface Operation {
  key: string; // "PATCH /books/{id}"
  method: string;
  path: string;
  parameters: Parameter[];
  body?: { schema: Schema; required: boolean; validate: ValidateFunction };
  secured: boolean;
  responses: Record<string, { content?: Record<string, { schema?: Schema }>; validate?: ValidateFunction }>;
}

interface State {
  authors: Author[];
  books: Book[];
}

/** One generated request, with what it is made of (for the model) and why it is invalid (for the reader). */
interface Request {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
  pathValues: Record<string, number>;
  query: Record<string, number>;
  body?: unknown;
  invalid?: string;
  /** For an invalid body: whether the document's schema accepts it all the same (a gap in the document). */
  documentAccepts?: boolean;
}

// ---------------------------------------------------------------------------------------------
// The document

/** The document's own JSON Schemas are OpenAPI 3.0 schemas: Ajv with unknown keywords ignored. */
const docAjv = new Ajv({ strict: false, allErrors: true, coerceTypes: false, useDefaults: false });

/** Inlines `#/components/...` references (the sample has none today; a future one must still be checked). */
function deref(doc: Schema, schema: Schema, seen: string[] = []): Schema {
  if (Array.isArray(schema)) return schema.map((item) => deref(doc, item, seen));
  if (typeof schema !== 'object' || schema === null) return schema;
  if (typeof schema.$ref === 'string') {
    const ref: string = schema.$ref;
    if (!ref.startsWith('#/')) throw new Error(`cannot resolve ${ref}`);
    if (seen.includes(ref)) throw new Error(`recursive ${ref}: not supported by this spec`);
    const target = ref.slice(2).split('/').reduce<Schema | undefined>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (!target) throw new Error(`unresolved ${ref}`);
    return deref(doc, target, [...seen, ref]);
  }
  return Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, deref(doc, value, seen)]));
}

function operationsOf(doc: Schema): Operation[] {
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(doc.paths ?? {})) {
    if (path === '/docs' || path.startsWith('/docs/')) continue;
    for (const [method, raw] of Object.entries<Schema>(item)) {
      if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) continue;
      const op = deref(doc, raw);
      // A stream of server-sent events never ends by itself, and inject waits for the end: the
      // e2e spec follows GET /events with a real client instead.
      if (op.responses?.['200']?.content?.['text/event-stream']) continue;
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const responses: Operation['responses'] = {};
      for (const [status, response] of Object.entries<Schema>(op.responses ?? {})) {
        const schema = response.content?.['application/json']?.schema;
        responses[status.toUpperCase()] = { content: response.content, validate: schema ? docAjv.compile(schema) : undefined };
      }
      operations.push({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase(),
        path,
        parameters: [...(item.parameters ?? []), ...(op.parameters ?? [])].map((p) => deref(doc, p) as Parameter),
        body: bodySchema && { schema: bodySchema, required: op.requestBody.required === true, validate: docAjv.compile(bodySchema) },
        secured: (op.security ?? doc.security ?? []).length > 0,
        responses,
      });
    }
  }
  return operations;
}

/** The documented response for a status: the exact code, else its range (`4XX`), else `default`. */
function documented(op: Operation, status: number) {
  return op.responses[String(status)] ?? op.responses[`${Math.floor(status / 100)}XX`] ?? op.responses.DEFAULT;
}

// ---------------------------------------------------------------------------------------------
// JSON Schema → fast-check, for the subset the sample uses (anything else fails loudly)

const KEYWORDS = new Set(['type', 'properties', 'required', 'additionalProperties', 'minProperties', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum', 'default', 'description']);
const INT4 = { min: -2147483648, max: 2147483647 };

/** Any UTF-16 code unit sequence a JSON client can send: all code points, plus some lone surrogates. */
const anyChar = fc.oneof(
  { weight: 20, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((unit) => String.fromCharCode(unit)) },
);
const codePoints = (text: string) => [...text].length; // what Ajv's minLength/maxLength count

/** Whether a pattern lets most single characters through (then strings can be built from the characters it accepts). */
const acceptsMostChars = (re: RegExp) => fc.sample(anyChar, { numRuns: 100, seed: 42 }).filter((c) => re.test(c)).length >= 50;
const refusesMostText = (re: RegExp) => fc.sample(fc.string({ maxLength: 20 }), { numRuns: 100, seed: 42 }).filter((s) => re.test(s)).length <= 50;

/** Extra values for a named field, drawn from the store's contents (ids that exist, ISBNs on the shelf). */
type Hints = (name: string) => fc.Arbitrary<unknown> | undefined;

function arbitraryFor(schema: Schema, hints: Hints = () => undefined, name = ''): fc.Arbitrary<unknown> {
  for (const keyword of Object.keys(schema)) {
    if (!KEYWORDS.has(keyword)) throw new Error(`schema keyword "${keyword}" (of ${name || 'a body'}) is not supported by this spec's generator`);
  }
  const plain = plainArbitraryFor(schema, hints);
  const hint = name ? hints(name) : undefined;
  return hint ? fc.oneof({ weight: 2, arbitrary: hint }, { weight: 1, arbitrary: plain }) : plain;
}

function plainArbitraryFor(schema: Schema, hints: Hints): fc.Arbitrary<unknown> {
  switch (schema.type) {
    case 'integer':
      return fc.integer({ min: schema.minimum ?? Number.MIN_SAFE_INTEGER, max: schema.maximum ?? Number.MAX_SAFE_INTEGER });
    case 'string': {
      const min: number = schema.minLength ?? 0;
      const max: number = schema.maxLength ?? Math.max(min, 500);
      const re = schema.pattern === undefined ? undefined : new RegExp(schema.pattern, 'u'); // Ajv's `unicodeRegExp`
      const fits = (text: string) => codePoints(text) >= min && codePoints(text) <= max && (!re || re.test(text));
      const options: fc.Arbitrary<string>[] = [];
      // Free text (NUL, lone surrogates, astral characters) where the pattern lets most characters
      // through: it finds the ones it should not. Also padded to exactly `maxLength`.
      if (!re || acceptsMostChars(re)) {
        const char = re ? anyChar.filter((c) => re.test(c)) : anyChar;
        const short = fc.string({ unit: char, minLength: min, maxLength: Math.min(max, min + 30) });
        options.push(short.filter(fits));
        if (schema.maxLength !== undefined) options.push(short.map((s) => s + 'a'.repeat(Math.max(0, max - codePoints(s)))).filter(fits));
      }
      if (re) options.push(fc.stringMatching(re).filter(fits));
      // Cross-shrinking lets a failing value shrink into the first option's short strings.
      return fc.oneof({ withCrossShrink: true }, ...options);
    }
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {};
      const model = Object.fromEntries(Object.entries(properties).map(([key, sub]) => [key, arbitraryFor(sub, hints, key)]));
      const record = fc.record(model, { requiredKeys: schema.required ?? [] }) as fc.Arbitrary<Record<string, unknown>>;
      return schema.minProperties ? record.filter((value) => Object.keys(value).length >= schema.minProperties) : record;
    }
    default:
      throw new Error(`schema type ${JSON.stringify(schema.type)} is not supported by this spec's generator`);
  }
}

// ---------------------------------------------------------------------------------------------
// Invalid values: a valid one with one thing broken

type Broken = { value: unknown; note: string };
const broken = (value: unknown, note: string): Broken => ({ value, note });
const insertAt = (text: string, char: string) => fc.nat({ max: text.length }).map((at) => text.slice(0, at) + char + text.slice(at));

/** Values of the wrong type or out of bounds for a field of this schema (`current` is its valid value, if any). */
function wrongValues(field: string, schema: Schema, current: unknown): fc.Arbitrary<Broken>[] {
  const wrong: fc.Arbitrary<Broken>[] = [
    fc.constant(broken(null, `${field}: null`)),
    fc.constant(broken({}, `${field}: an object`)),
    fc.boolean().map((b) => broken(b, `${field}: a boolean`)),
  ];
  if (schema.type === 'string') {
    const text = typeof current === 'string' && current !== '' ? current : 'x';
    wrong.push(
      fc.integer().map((n) => broken(n, `${field}: a number`)),
      fc.constant(broken([text], `${field}: an array of the string`)),
      insertAt(text, '\u0000').map((s) => broken(s, `${field}: a NUL character`)),
      // Postgres text is UTF-8, which cannot hold a lone surrogate (it would become U+FFFD).
      fc.integer({ min: 0xd800, max: 0xdfff }).chain((unit) => insertAt(text, String.fromCharCode(unit))).map((s) => broken(s, `${field}: a lone surrogate`)),
    );
    if ((schema.minLength ?? 0) > 0) wrong.push(fc.constant(broken('', `${field}: empty`)));
    if (schema.maxLength !== undefined) wrong.push(fc.constant(broken('a'.repeat(schema.maxLength + 1), `${field}: maxLength + 1`)));
    // Text its pattern refuses, where random text mostly is (an ISBN; the NUL-free pattern is covered above).
    if (schema.pattern !== undefined && refusesMostText(new RegExp(schema.pattern, 'u'))) {
      const re = new RegExp(schema.pattern, 'u');
      wrong.push(fc.string({ maxLength: 20 }).filter((s) => !re.test(s) && codePoints(s) >= (schema.minLength ?? 0) && codePoints(s) <= (schema.maxLength ?? Infinity)).map((s) => broken(s, `${field}: not matching its pattern`)));
    }
  }
  if (schema.type === 'integer') {
    const n = typeof current === 'number' ? current : (schema.minimum ?? 1);
    wrong.push(
      fc.constant(broken(String(n), `${field}: the integer as a string`)),
      fc.constant(broken([n], `${field}: an array of the integer`)),
      fc.constant(broken(n + 0.5, `${field}: not an integer`)),
      fc.constantFrom(INT4.max + 1, INT4.min - 1, 2 ** 53, 1e21, -1e21).map((v) => broken(v, `${field}: beyond Postgres integer`)),
    );
    if (schema.minimum !== undefined) wrong.push(fc.integer({ min: INT4.min - 1, max: schema.minimum - 1 }).map((v) => broken(v, `${field}: below minimum`)));
    if (schema.maximum !== undefined) wrong.push(fc.integer({ min: schema.maximum + 1, max: INT4.max + 1 }).map((v) => broken(v, `${field}: above maximum`)));
  }
  return wrong;
}

/** A valid body with one thing broken: a required field dropped, a field mistyped or out of range, an unknown field. */
function brokenBodies(schema: Schema, valid: Record<string, unknown>): fc.Arbitrary<Broken> {
  const properties: Record<string, Schema> = schema.properties ?? {};
  const options: fc.Arbitrary<Broken>[] = [
    fc.constantFrom<Broken>(broken(null, 'body: null'), broken([], 'body: an array'), broken([valid], 'body: the object in an array'), broken('x', 'body: a string'), broken(42, 'body: a number'), broken(true, 'body: a boolean')),
  ];
  for (const key of schema.required ?? []) {
    const { [key]: _dropped, ...rest } = valid;
    options.push(fc.constant(broken(rest, `without required "${key}"`)));
  }
  for (const [key, sub] of Object.entries(properties)) {
    options.push(fc.oneof(...wrongValues(key, sub, valid[key])).map(({ value, note }) => broken({ ...valid, [key]: value }, note)));
  }
  if (schema.additionalProperties === false) {
    options.push(
      fc.tuple(fc.string({ minLength: 1, maxLength: 12 }).filter((key) => !(key in properties)), fc.jsonValue({ maxDepth: 1 }))
        .map(([key, value]) => broken({ ...valid, [key]: value }, `unknown field "${key}"`)),
    );
  }
  if (schema.minProperties) options.push(fc.constant(broken({}, 'body: no fields')));
  return fc.oneof(...options);
}

/** Parameter values (URL text) that an integer parameter must refuse. */
function brokenParameter(schema: Schema, where: 'path' | 'query'): fc.Arbitrary<string> {
  const texts = ['abc', '1.5', '1e21', 'NaN', 'Infinity', '%00', '%zz', '9223372036854775808', String(INT4.max + 1), String(INT4.min - 1), 'null', 'true', '[]'];
  if (where === 'query') texts.push('');
  const options: fc.Arbitrary<string>[] = [fc.constantFrom(...texts)];
  if (schema.type !== 'integer') throw new Error(`${where} parameter of type ${schema.type} is not supported by this spec's generator`);
  if (schema.minimum !== undefined) options.push(fc.integer({ min: INT4.min - 1, max: schema.minimum - 1 }).map(String));
  if (schema.maximum !== undefined) options.push(fc.integer({ min: schema.maximum + 1, max: 2 ** 53 }).map(String));
  return fc.oneof(...options);
}

// ---------------------------------------------------------------------------------------------
// Requests

/** A store to start from: a few authors, some with books (ids ascending, as the store returns them). */
const stateArbitrary: fc.Arbitrary<State> = fc
  .uniqueArray(fc.integer({ min: 1, max: 6 }), { maxLength: 4 })
  .chain((ids) => {
    const authorIds = [...ids].sort((a, b) => a - b);
    const authors = fc.tuple(...authorIds.map((id) => fc.string({ minLength: 1, maxLength: 12 }).map((name) => ({ id, name }))));
    type Row = Omit<Book, 'isbn'>;
    const books: fc.Arbitrary<Row[]> =
      authorIds.length === 0
        ? fc.constant<Row[]>([])
        : fc.uniqueArray(
            fc.record({ id: fc.integer({ min: 1, max: 8 }), title: fc.string({ minLength: 1, maxLength: 12 }), year: fc.integer({ min: -3000, max: 3000 }), authorId: fc.constantFrom(...authorIds) }),
            { selector: (book) => book.id, maxLength: 5 },
          );
    return fc.record({ authors, books }).map(({ authors, books }) => ({
      authors,
      books: books.map((book) => ({ ...book, isbn: String(9780000000000 + book.id) })).sort((a, b) => a.id - b.id),
    }));
  });

/** Values that exist in the store, mixed into the generated ones: else almost every id would be a 404. */
function hintsFor(state: State, path: string): Hints {
  const some = <T>(values: T[]) => (values.length > 0 ? fc.constantFrom(...values) : undefined);
  const authorIds = some(state.authors.map((a) => a.id));
  const bookIds = some(state.books.map((b) => b.id));
  const near = fc.integer({ min: 1, max: 10 }); // just past the existing ids
  return (name) => {
    if (name === 'authorId') return fc.oneof(...[authorIds, near].filter((a) => a !== undefined));
    if (name === 'isbn') return some(state.books.map((b) => b.isbn));
    if (name === 'path:id') return fc.oneof(...[path.startsWith('/books') ? bookIds : authorIds, near].filter((a) => a !== undefined));
    return undefined;
  };
}

const WRONG_KEYS = fc.oneof(fc.constant(''), fc.constant(KEY.toUpperCase()), fc.stringMatching(/^[!-~]{1,40}$/).filter((key) => key !== KEY));

function urlOf(op: Operation, pathText: Record<string, string>, queryText: Record<string, string>): string {
  const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => pathText[name]);
  const query = Object.entries(queryText).map(([name, value]) => `${encodeURIComponent(name)}=${value}`);
  return query.length > 0 ? `${path}?${query.join('&')}` : path;
}

/** A request the document says is valid, against `state`. */
function validRequest(op: Operation, state: State): fc.Arbitrary<Request> {
  const hints = hintsFor(state, op.path);
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  // Optional headers (the conditional request headers of views with validators) are left out.
  const unsupported = op.parameters.find((p) => p.in !== 'path' && p.in !== 'query' && !(p.in === 'header' && !p.required));
  if (unsupported) throw new Error(`${op.key}: ${unsupported.in} parameters are not supported by this spec's generator`);
  return fc
    .record({
      pathValues: fc.record(Object.fromEntries(pathParams.map((p) => [p.name, arbitraryFor(p.schema, hints, `path:${p.name}`)]))),
      query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, arbitraryFor(p.schema, hints, p.name)])), {
        requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name),
      }),
      body: op.body ? arbitraryFor(op.body.schema, hints) : fc.constant(undefined),
      key: op.secured ? fc.constant(KEY) : fc.option(fc.oneof(fc.constant(KEY), WRONG_KEYS), { nil: undefined }),
    })
    .map(({ pathValues, query, body, key }) => ({
      method: op.method,
      url: urlOf(op, mapValues(pathValues, String), mapValues(query, String)),
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(key !== undefined ? { 'x-api-key': key } : {}) },
      payload: body === undefined ? undefined : JSON.stringify(body),
      pathValues: pathValues as Record<string, number>,
      query: query as Record<string, number>,
      body,
    }));
}

/** A valid request with one thing broken: its body, a path parameter or a query parameter. */
function invalidRequest(op: Operation, state: State): fc.Arbitrary<Request> | undefined {
  const options: fc.Arbitrary<Request>[] = [];
  const valid = validRequest(op, state);
  if (op.body) {
    const { schema, validate } = op.body;
    options.push(
      valid.chain((request) =>
        brokenBodies(schema, request.body as Record<string, unknown>).map(({ value, note }) => {
          // The spec's own check (made in the property, where a failure gets a seed): what it calls invalid, the document must too.
          return { ...request, payload: JSON.stringify(value), body: value, invalid: note, documentAccepts: validate(value) };
        }),
      ),
      // Bodies that are not JSON values at all.
      valid.chain((request) =>
        fc.constantFrom(
          { ...request, payload: (request.payload ?? '{}').slice(0, -1), invalid: 'truncated JSON' },
          { ...request, payload: '', invalid: 'empty JSON body' },
          { ...request, payload: undefined, headers: omit(request.headers, 'content-type'), invalid: 'no body' },
          { ...request, headers: { ...request.headers, 'content-type': 'text/plain' }, invalid: 'text/plain body' },
          { ...request, payload: `{"__proto__":{"isAdmin":true},${(request.payload ?? '{}').slice(1)}`.replace(/,}$/, '}'), invalid: '__proto__ key' },
        ),
      ),
    );
  }
  for (const where of ['path', 'query'] as const) {
    for (const p of op.parameters.filter((param) => param.in === where)) {
      options.push(
        fc.tuple(valid, brokenParameter(p.schema, where)).map(([request, text]) => {
          const pathText = mapValues(request.pathValues, String);
          const queryText = mapValues(request.query, String);
          (where === 'path' ? pathText : queryText)[p.name] = text;
          return { ...request, url: urlOf(op, pathText, queryText), invalid: `${where} parameter ${p.name}=${JSON.stringify(text)}` };
        }),
      );
    }
    // The same query parameter twice is not one integer.
    if (where === 'query') {
      for (const p of op.parameters.filter((param) => param.in === 'query')) {
        options.push(valid.map((request) => ({ ...request, url: `${urlOf(op, mapValues(request.pathValues, String), {})}?${p.name}=1&${p.name}=2`, invalid: `${p.name} twice` })));
      }
    }
  }
  return options.length > 0 ? fc.oneof(...options) : undefined;
}

// ---------------------------------------------------------------------------------------------
// The model: what a valid request must do to the store

interface Outcome {
  status: number[];
  state?: State; // after the request (unknown for an operation the model does not know)
  body?: unknown; // the exact body of a 2xx, where the model knows it
}

const clone = (state: State): State => ({ authors: state.authors.map((a) => ({ ...a })), books: state.books.map((b) => ({ ...b })) });
const nextId = (rows: { id: number }[]) => rows.reduce((max, row) => Math.max(max, row.id), 0) + 1;

function expected(op: Operation, before: State, request: Request): Outcome {
  const state = clone(before);
  const same = (...status: number[]): Outcome => ({ status, state: before });
  const defaults = Object.fromEntries(op.parameters.filter((p) => p.schema.default !== undefined).map((p) => [p.name, p.schema.default]));
  const query = { ...defaults, ...request.query };
  const id = request.pathValues.id;
  const body = request.body as any;
  const page = <T>(rows: T[]) => ({ items: rows.slice(query.offset, query.offset + query.limit), total: rows.length, limit: query.limit, offset: query.offset });
  const author = state.authors.find((a) => a.id === id);
  const book = state.books.find((b) => b.id === id);
  const bookProblem = (fields: Partial<Book>, self?: number): number[] => {
    const duplicate = fields.isbn !== undefined && state.books.some((b) => b.isbn === fields.isbn && b.id !== self);
    const unknown = fields.authorId !== undefined && !state.authors.some((a) => a.id === fields.authorId);
    return [...(duplicate ? [409] : []), ...(unknown ? [422] : [])]; // either may win when both apply
  };
  switch (op.key) {
    case 'GET /':
      return same(200);
    case 'GET /authors':
      return { status: [200], state, body: page(state.authors) };
    case 'POST /authors': {
      const created = { id: nextId(state.authors), ...body };
      state.authors.push(created);
      return { status: [201], state, body: created };
    }
    case 'GET /authors/{id}': {
      if (!author) return same(404);
      const books = state.books.filter((b) => b.authorId === id);
      return { status: [200], state, body: { ...author, bookCount: books.length, books: books.slice(0, 10), booksUrl: `/books?authorId=${id}` } };
    }
    case 'PUT /authors/{id}':
      if (!author) return same(404);
      Object.assign(author, body);
      return { status: [200], state, body: author };
    case 'DELETE /authors/{id}':
      if (!author) return same(404);
      if (state.books.some((b) => b.authorId === id)) return same(409);
      state.authors = state.authors.filter((a) => a.id !== id);
      return { status: [204], state };
    case 'GET /books':
      return { status: [200], state, body: page(query.authorId === undefined ? state.books : state.books.filter((b) => b.authorId === query.authorId)) };
    case 'POST /books': {
      const problems = bookProblem(body);
      if (problems.length > 0) return same(...problems);
      const created = { id: nextId(state.books), ...body };
      state.books.push(created);
      return { status: [201], state, body: created };
    }
    case 'GET /books/{id}':
      return book ? { status: [200], state, body: book } : same(404);
    case 'PATCH /books/{id}': {
      if (!book) return same(404);
      const problems = bookProblem(body, id);
      if (problems.length > 0) return same(...problems);
      Object.assign(book, body);
      return { status: [200], state, body: book };
    }
    case 'DELETE /books/{id}':
      if (!book) return same(404);
      state.books = state.books.filter((b) => b.id !== id);
      return { status: [204], state };
    default:
      // An operation added to the app after this spec: still fuzzed, judged by the document alone.
      return { status: [200, 201, 202, 204, 404, 409, 422] };
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

/** What the document promises about any answer: no 5xx, a documented status, a body of its schema. */
function conforms(op: Operation, response: LightMyRequestResponse): void {
  const where = `${op.key} answered ${response.statusCode} ${response.body.slice(0, 300)}`;
  if (response.statusCode >= 500) throw new Error(`5xx: ${where}`);
  const doc = documented(op, response.statusCode);
  if (!doc) throw new Error(`undocumented status (documented: ${Object.keys(op.responses).join(', ')}): ${where}`);
  if (doc.content?.['application/json']) {
    if (!String(response.headers['content-type']).startsWith('application/json')) throw new Error(`not JSON (${response.headers['content-type']}): ${where}`);
    const body = JSON.parse(response.body);
    if (doc.validate && !doc.validate(body)) throw new Error(`body outside its documented schema (${docAjv.errorsText(doc.validate.errors)}): ${where}`);
  } else if (response.body !== '') {
    throw new Error(`a body where the document has none: ${where}`);
  }
}

/** Postgres `text` holds UTF-8 without NUL: a string it cannot hold as sent must never be accepted. */
function storableAsSent(value: unknown): boolean {
  if (typeof value === 'string') return !value.includes('\u0000') && Buffer.from(value, 'utf8').toString('utf8') === value;
  if (Array.isArray(value)) return value.every(storableAsSent);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(storableAsSent);
  return true;
}

// ---------------------------------------------------------------------------------------------

describe('the bookshelf against its own OpenAPI document', () => {
  let app: FastifyInstance;
  let store: FakeStore;
  let operations: Operation[];

  beforeAll(async () => {
    store = FakeStore.with();
    app = await buildApp({ store, apiKey: KEY, docs: false });
    await app.ready();
    operations = operationsOf(app.swagger() as unknown as Schema);
  });
  afterAll(() => app.close());

  const load = (state: State) => {
    const copy = clone(state);
    store.authors = copy.authors;
    store.books = copy.books;
  };
  const contents = (): State => clone({ authors: store.authors, books: store.books });
  const send = (request: Request) => app.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload });

  /** The resource's answer to GET at the same URL (and the list's, for a list URL), to compare before and after. */
  async function reread(op: Operation, request: Request) {
    if (!operations.some((other) => other.method === 'GET' && other.path === op.path)) return undefined;
    const response = await app.inject({ method: 'GET', url: request.url.split('?')[0] });
    return { status: response.statusCode, body: response.body };
  }

  /** Runs `property` for every operation, naming the operation when it fails. */
  async function forEveryOperation(numRuns: number, property: (op: Operation) => fc.IAsyncProperty<any> | undefined) {
    let ran = 0;
    for (const op of operations) {
      if (ONLY && !ONLY.includes(op.key)) continue;
      const prop = property(op);
      if (!prop) continue;
      ran++;
      try {
        await fc.assert(prop, params(numRuns));
      } catch (error) {
        (error as Error).message = `${op.key}: ${(error as Error).message}`;
        throw error;
      }
    }
    return ran;
  }

  it('documents the operations of the README, and no 4xx is left undocumented where input can be wrong', () => {
    expect(operations.map((op) => op.key).sort()).toEqual(
      expect.arrayContaining(['GET /', 'GET /authors', 'POST /authors', 'GET /authors/{id}', 'PUT /authors/{id}', 'DELETE /authors/{id}', 'GET /books', 'POST /books', 'GET /books/{id}', 'PATCH /books/{id}', 'DELETE /books/{id}']),
    );
    // The conditional request headers (If-Match, …) are described, not constrained: no value of theirs is a 400.
    const checked = (op: Operation) => op.parameters.filter((p) => !(p.in === 'header' && p.name.startsWith('if-')));
    for (const op of operations) {
      if (checked(op).length > 0 || op.body || op.secured) expect([op.key, documented(op, 400) !== undefined]).toEqual([op.key, true]);
    }
  });

  it('accepts every valid request, answers as documented, and changes the store as the model says', async () => {
    const ran = await forEveryOperation(RUNS, (op) =>
      fc.asyncProperty(stateArbitrary.chain((state) => validRequest(op, state).map((request) => ({ state, request }))), async ({ state, request }) => {
        if (op.body && !op.body.validate(request.body)) throw new Error(`the spec generated a body the document refuses: ${request.payload}`);
        load(state);
        const response = await send(request);
        conforms(op, response);
        const outcome = expected(op, state, request);
        if (!outcome.status.includes(response.statusCode)) {
          throw new Error(`expected ${outcome.status.join(' or ')} for this store, got ${response.statusCode} ${response.body.slice(0, 300)}`);
        }
        if (response.statusCode < 300 && outcome.body !== undefined) expect(response.json()).toEqual(outcome.body);
        if (outcome.state) expect(contents()).toEqual(outcome.state);
        if (response.statusCode < 300 && op.method !== 'GET') {
          // What was accepted is what is stored: Postgres would refuse NUL, and turn a lone surrogate into U+FFFD.
          if (!storableAsSent(request.body)) throw new Error(`accepted text a Postgres database cannot store as sent: ${request.payload}`);
          // Re-read what was written, at its Location or its own URL.
          const url = response.headers.location ?? request.url;
          const again = await app.inject({ method: 'GET', url: String(url) });
          if (op.method === 'DELETE') expect(again.statusCode).toBe(404);
          else expect([again.statusCode, again.json()]).toEqual([200, expect.objectContaining(response.json())]);
        }
      }),
    );
    if (!ONLY) expect(ran).toBe(operations.length);
  }, TIMEOUT);

  it('refuses every invalid request with a documented 4xx, and changes nothing', async () => {
    const ran = await forEveryOperation(RUNS, (op) => {
      const probe = invalidRequest(op, { authors: [], books: [] });
      if (!probe) return undefined; // nothing to get wrong (GET /)
      return fc.asyncProperty(stateArbitrary.chain((state) => invalidRequest(op, state)!.map((request) => ({ state, request }))), async ({ state, request }) => {
        if (request.documentAccepts) throw new Error(`the document accepts a body that must be refused (${request.invalid}): ${request.payload}`);
        load(state);
        const before = await reread(op, request);
        const response = await send(request);
        conforms(op, response);
        if (response.statusCode < 400 || response.statusCode > 499) {
          throw new Error(`accepted an invalid request (${request.invalid}): ${response.statusCode} ${response.body.slice(0, 300)}`);
        }
        expect(contents()).toEqual(state);
        expect(await reread(op, request)).toEqual(before);
      });
    });
    if (!ONLY) expect(ran).toBeGreaterThan(0);
  }, TIMEOUT);

  it('refuses every write without the right x-api-key with a 401, valid or not, and changes nothing', async () => {
    const ran = await forEveryOperation(Math.ceil(RUNS / 3), (op) => {
      if (!op.secured) return undefined;
      // Any request that reaches the route: a malformed URL (`%zz`) is a 400 before routing, key or not.
      const request = (state: State) =>
        fc.oneof(validRequest(op, state), invalidRequest(op, state) ?? validRequest(op, state)).filter((r) => !r.url.split('?')[0].includes('%zz'));
      return fc.asyncProperty(
        stateArbitrary.chain((state) => fc.record({ state: fc.constant(state), request: request(state), key: fc.option(WRONG_KEYS, { nil: undefined }) })),
        async ({ state, request, key }) => {
          load(state);
          const headers = omit(request.headers, 'x-api-key');
          const response = await send({ ...request, headers: key === undefined ? headers : { ...headers, 'x-api-key': key } });
          conforms(op, response);
          expect(response.statusCode).toBe(401);
          expect(contents()).toEqual(state);
        },
      );
    });
    if (!ONLY) expect(ran).toBe(operations.filter((op) => op.secured).length);
  }, TIMEOUT);
});

function mapValues<T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}

function omit<T extends Record<string, unknown>>(record: T, key: string): T {
  const { [key]: _omitted, ...rest } = record;
  return rest as T;
}
