import type { FastifyInstance } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { errors } from './errors';

/**
 * How a view's routes describe themselves to @fastify/swagger. Everything here shapes the
 * route's `schema` once, at registration: the request path pays nothing.
 *
 * - every response the verb declares gets a description (the status's reason phrase unless the
 *   schema has one), so that no operation says "Default Response";
 * - a schema with an `$id` in a body or a response becomes a shared schema (`addSchema`) the
 *   route refers to, so that it is a named component of the document;
 * - a view with `validators` documents its conditional request headers, `ETag`/`Last-Modified`,
 *   and the 304 / 412 / 428 it may answer;
 * - with `problemDetails: true`, the error responses are `application/problem+json`.
 */
export interface RouteDescription {
  /** The methods of the route. */
  methods: readonly string[];
  /** For a view with `validators`: the methods that must send `If-Match` (428 otherwise). */
  conditional?: readonly string[];
  /** Errors are answered as problem+json. */
  problemDetails: boolean;
  /** The view, named in errors. */
  viewName: string;
}

type Schema = Record<string, unknown>;

const RANGES: Record<string, string> = { '1': 'Informational', '2': 'Success', '3': 'Redirection', '4': 'Client Error', '5': 'Server Error' };

/** The description of a response without one: `Not Found` for 404, `Client Error` for `4xx`. */
export function reasonPhrase(status: string): string {
  if (status === 'default') return 'Any other response';
  if (/^[1-5]xx$/i.test(status)) return RANGES[status[0]];
  return STATUS_CODES[status] ?? `Status ${status}`;
}

const ERROR_SHAPE = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, code: { type: 'string' }, error: { type: 'string' }, message: { type: 'string' } },
} as const;

const PROBLEM_SHAPE = {
  type: 'object',
  properties: {
    type: { type: 'string' }, title: { type: 'string' }, status: { type: 'integer' }, detail: { type: 'string' }, instance: { type: 'string' }, code: { type: 'string' },
    errors: { type: 'array', items: { type: 'object', properties: { in: { type: 'string' }, pointer: { type: 'string' }, detail: { type: 'string' } } } },
  },
} as const;

const CONDITIONAL_HEADERS = {
  'if-match': { type: 'string', description: 'Apply only if the resource still has one of these ETags (else 412)' },
  'if-none-match': { type: 'string', description: 'GET/HEAD: 304 if the resource still has one of these ETags' },
  'if-unmodified-since': { type: 'string', description: 'Apply only if not modified since this HTTP-date (else 412)' },
  'if-modified-since': { type: 'string', description: 'GET/HEAD: 304 if not modified since this HTTP-date' },
} as const;

const VALIDATOR_HEADERS = {
  ETag: { type: 'string', description: 'The entity tag of the resource as sent: send it back in If-Match or If-None-Match' },
  'Last-Modified': { type: 'string', description: 'When the resource last changed (HTTP-date)' },
} as const;

/** `options` with its `schema` described as above (a new object: the view's own stay untouched). */
export function describeRoute(app: FastifyInstance, options: Schema, description: RouteDescription): Schema {
  const schema = options.schema as (Schema & { hide?: boolean; headers?: Schema; response?: Schema; body?: unknown }) | undefined;
  if (schema?.hide) return options;
  // Schemas another compiler reads (zod…): what we would add is JSON Schema, which it cannot.
  if (schema !== undefined && foreign(schema)) return options;
  // The conditional headers are a JSON Schema for the validator: added where it reads JSON
  // Schema — Fastify's own, or one this route already gives a JSON Schema to.
  const own = ownCompilers(app, options);
  const withHeaders = description.conditional !== undefined && (own.validator || ['body', 'querystring', 'params', 'headers'].some((key) => isJsonSchema(schema?.[key])));
  if (schema === undefined) return withHeaders ? { ...options, schema: { headers: conditionalHeaders(undefined) } } : options;
  // A copy even when nothing is added: Fastify keeps the route's schema, and a copy is the
  // smallest object of its keys (the one a view built has room for more).
  const described: Schema = { ...schema };
  // Nothing to share or describe (no body, no responses, no headers to add).
  if (schema.body === undefined && schema.response === undefined && !withHeaders) return { ...options, schema: described };
  const shared = sharedSchemas(app, own, description.viewName);
  if (shared.body && schema.body !== undefined) described.body = shared.body(schema.body);
  if (withHeaders) described.headers = conditionalHeaders(schema.headers);
  // Without response schemas @fastify/swagger documents a default 200: adding entries would hide it.
  if (schema.response !== undefined) {
    let response = { ...(schema.response as Schema) };
    if (shared.response) for (const status of Object.keys(response)) response[status] = shared.response(response[status]);
    if (description.conditional) response = conditionalResponses(response, description);
    for (const status of Object.keys(response)) {
      let entry = response[status] as Schema;
      if (!isJsonSchema(entry)) continue;
      if (description.problemDetails && isError(status)) entry = asProblem(entry);
      if (!hasDescription(app, entry)) entry = { ...entry, description: reasonPhrase(status) };
      response[status] = entry;
    }
    described.response = response;
  }
  return { ...options, schema: described };
}

function foreign(schema: Schema): boolean {
  const parts = ['body', 'querystring', 'params', 'headers'].map((key) => schema[key]);
  const response = schema.response as Schema | undefined;
  if (response !== undefined) parts.push(response, ...Object.values(response));
  return parts.some((part) => part !== undefined && !isJsonSchema(part));
}

function conditionalHeaders(headers: Schema | undefined): Schema {
  return { type: 'object', ...headers, properties: { ...CONDITIONAL_HEADERS, ...(headers?.properties as Schema | undefined) } };
}

/** 304 on GET/HEAD, 412, and 428 where preconditions are required; ETag/Last-Modified on GET/HEAD success. */
function conditionalResponses(declared: Schema, { methods, conditional = [], problemDetails }: RouteDescription): Schema {
  const response = { ...declared };
  const errorBody = (text: string) => ({ description: text, ...(problemDetails ? PROBLEM_SHAPE : ERROR_SHAPE) });
  if (methods.some((m) => m === 'GET' || m === 'HEAD')) {
    for (const status of Object.keys(response)) {
      if (/^2/.test(status)) response[status] = withHeaders(response[status] as Schema, VALIDATOR_HEADERS);
    }
    response[304] ??= { description: 'Not Modified: the ETag or date the client sent is still current', type: 'null', headers: VALIDATOR_HEADERS };
  }
  response[412] ??= errorBody('Precondition Failed: the resource changed since the ETag or date the client sent');
  if (methods.some((m) => conditional.includes(m))) response[428] ??= errorBody('Precondition Required: send If-Match with the ETag you read');
  return response;
}

/**
 * A JSON Schema written as a plain object (TypeBox's are too). Anything else — a zod schema for
 * fastify-type-provider-zod, say — is its compiler's to read: copying it would break it.
 */
function isJsonSchema(node: unknown): node is Schema {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return false;
  const proto = Object.getPrototypeOf(node);
  return proto === Object.prototype || proto === null;
}

function withHeaders(entry: Schema, headers: Schema): Schema {
  if (!isJsonSchema(entry)) return entry;
  return { ...entry, headers: { ...headers, ...(entry.headers as Schema | undefined) } };
}

function isError(status: string): boolean {
  return /^[45]/.test(status);
}

/** An error entry as problem+json (an entry already keyed by content type is the user's own). */
function asProblem(entry: Schema): Schema {
  if (entry.content !== undefined) return entry;
  const { description, headers } = entry;
  return {
    ...(description === undefined ? {} : { description }),
    ...(headers === undefined ? {} : { headers }),
    content: { 'application/problem+json': { schema: PROBLEM_SHAPE } },
  };
}

function hasDescription(app: FastifyInstance, entry: Schema): boolean {
  if (typeof entry.description === 'string') return true;
  if (typeof entry.$ref !== 'string') return false;
  const target = app.getSchema(entry.$ref.replace(/#$/, '')) as Schema | undefined;
  return typeof target?.description === 'string';
}

// Named schemas -------------------------------------------------------------------------------

/** The symbol Fastify keeps a context's schema controller under (not exported by Fastify). */
function schemaController(app: FastifyInstance): { isCustomValidatorCompiler?: boolean; isCustomSerializerCompiler?: boolean } | undefined {
  // One symbol per copy of Fastify: found once, looked for again only in an app of another copy
  // (listing an instance's symbols for every route was a tenth of start-up time).
  if (controllerKey === undefined || !(controllerKey in app)) {
    controllerKey = Object.getOwnPropertySymbols(Object.getPrototypeOf(app)).concat(Object.getOwnPropertySymbols(app)).find((s) => s.description === 'fastify.schemaController');
  }
  return controllerKey === undefined ? undefined : (app as unknown as Record<symbol, never>)[controllerKey];
}
let controllerKey: symbol | undefined;

/**
 * A replacer per part whose compiler resolves shared schemas: Fastify's own do; a compiler set
 * with `setValidatorCompiler`/`setSerializerCompiler` (on the context or the route) may not,
 * and there the schemas stay inline, exactly as written.
 */
/** Whether the route's validator and serializer are Fastify's own (neither the context nor the route set one). */
function ownCompilers(app: FastifyInstance, options: Schema): { validator: boolean; serializer: boolean } {
  const controller = schemaController(app);
  return {
    validator: controller !== undefined && !controller.isCustomValidatorCompiler && options.validatorCompiler === undefined,
    serializer: controller !== undefined && !controller.isCustomSerializerCompiler && options.serializerCompiler === undefined,
  };
}

function sharedSchemas(app: FastifyInstance, own: { validator: boolean; serializer: boolean }, viewName: string): { body?: (s: unknown) => unknown; response?: (s: unknown) => unknown } {
  const share = (node: unknown) => shareNamed(app, node, viewName);
  return {
    body: own.validator ? share : undefined,
    response: own.serializer
      ? (entry) => {
        const content = (entry as Schema | undefined)?.content as Record<string, Schema> | undefined;
        if (content === undefined || typeof content !== 'object') return shareResponse(entry, share);
        return { ...(entry as Schema), content: Object.fromEntries(Object.entries(content).map(([type, media]) => [type, { ...media, schema: share(media.schema) }])) };
      }
      : undefined,
  };
}

/**
 * A response entry is a body schema plus what describes the response: `{ ...Book, headers }`
 * (or with its own `description`) is still `Book`, referred to with those kept beside the `$ref`.
 */
function shareResponse(entry: unknown, share: (node: unknown) => unknown): unknown {
  if (!isJsonSchema(entry)) return entry;
  const { headers, ...body } = entry as Schema;
  const shared = share(body) as Schema;
  if (shared === body) return entry;
  const described = typeof shared.$ref === 'string' && body.description !== undefined ? { ...shared, description: body.description } : shared;
  return headers === undefined ? described : { ...described, headers };
}

/** The same schema, whatever each says of itself in `description`. */
function sameSchema(a: object, b: object): boolean {
  const plain = ({ description: _, ...rest }: Schema) => JSON.stringify(rest);
  return a === b || plain(a as Schema) === plain(b as Schema);
}

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SUBSCHEMAS = ['items', 'additionalItems', 'additionalProperties', 'contains', 'not', 'if', 'then', 'else', 'propertyNames', 'unevaluatedItems', 'unevaluatedProperties'];
const SUBSCHEMA_LISTS = ['allOf', 'anyOf', 'oneOf', 'prefixItems', 'items'];

/**
 * `node` with each schema that has an `$id` replaced by a `$ref` to it, added to the context's
 * shared schemas (once: the same `$id` may name only one schema). Containers are copied on the
 * way down; a schema with no `$id` inside comes back as the same object.
 */
function shareNamed(app: FastifyInstance, node: unknown, viewName: string): unknown {
  if (!isJsonSchema(node)) return node;
  const schema = node as Schema;
  const inner = shareInside(app, schema, viewName);
  const id = schema.$id;
  if (typeof id !== 'string' || id === '' || id.startsWith('#')) return inner;
  // Shared with the named schemas inside it referred to as well: each `$id` is added once.
  const known = app.getSchema(id);
  if (known === undefined) app.addSchema(inner);
  else if (!sameSchema(known as object, inner)) throw new errors.FCV_ERR_SCHEMA_ID_TAKEN(viewName, id);
  return { $ref: id.includes('#') ? id : `${id}#` };
}

/** `schema` with the named schemas below it shared (the same object when there are none). */
function shareInside(app: FastifyInstance, schema: Schema, viewName: string): Schema {
  let copy: Schema | undefined;
  const set = (key: string, value: unknown) => {
    if (value !== schema[key]) (copy ??= { ...schema })[key] = value;
  };
  for (const key of SUBSCHEMA_MAPS) {
    const map = schema[key];
    if (map === null || typeof map !== 'object' || Array.isArray(map)) continue;
    let changed: Schema | undefined;
    for (const [name, sub] of Object.entries(map)) {
      const shared = shareNamed(app, sub, viewName);
      if (shared !== sub) (changed ??= { ...(map as Schema) })[name] = shared;
    }
    if (changed) set(key, changed);
  }
  for (const key of SUBSCHEMAS) if (!Array.isArray(schema[key])) set(key, shareNamed(app, schema[key], viewName));
  for (const key of SUBSCHEMA_LISTS) {
    const list = schema[key];
    if (!Array.isArray(list)) continue;
    const shared = list.map((sub) => shareNamed(app, sub, viewName));
    if (shared.some((sub, i) => sub !== list[i])) set(key, shared);
  }
  return copy ?? schema;
}

/**
 * For @fastify/swagger's `refResolver.buildLocalReference`: components named after their
 * `$id` (`Book`, not `def-0`), so that generated clients get named types. Characters OpenAPI
 * does not allow in a component name become `_`.
 *
 * @example
 * await app.register(swagger, { openapi: { … }, refResolver: { buildLocalReference: componentName } });
 */
export function componentName(json: { $id?: unknown }, _baseUri: unknown, _fragment: unknown, i: number): string {
  return typeof json.$id === 'string' && json.$id !== '' ? json.$id.replace(/[^A-Za-z0-9._-]/g, '_') : `def-${i}`;
}
