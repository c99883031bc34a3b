import type { FastifyReply, FastifyRequest } from 'fastify';
import { EnsureSync, dispatch } from './ensure-sync';
import { errors } from './errors';

/** What `validators(request)` answers for the resource a request targets (RFC 9110 §8.8). */
export interface Validators {
  /** An entity tag: `'"3"'`, `'W/"3"'`; a value without quotes is sent as a strong tag. */
  etag?: string;
  lastModified?: Date;
}

/**
 * A version as a strong entity tag: `strongETag(3)` is `'"3"'`, for a write handler setting
 * the new `ETag` (`reply.header('etag', strongETag(book.version))`).
 */
export function strongETag(version: string | number | bigint): string {
  return `"${String(version).replace(/["\\]/g, '')}"`;
}

interface Tag {
  weak: boolean;
  opaque: string;
}

function parseTag(value: string): Tag | undefined {
  const match = /^\s*(W\/)?"([^"]*)"\s*$/.exec(value);
  return match ? { weak: match[1] !== undefined, opaque: match[2] } : undefined;
}

/** The resource's tag: a bare value is a strong tag of itself. */
function ownTag(etag: string): Tag {
  return parseTag(etag) ?? { weak: false, opaque: etag };
}

/** `*`, or the tags of an `If-Match` / `If-None-Match` field; malformed members match nothing. */
function tagList(field: string): '*' | Tag[] {
  if (field.trim() === '*') return '*';
  return field.split(',').flatMap((member) => parseTag(member) ?? []);
}

/** RFC 9110 §8.8.3.2: strong comparison needs both tags strong; weak compares the opaque part only. */
function matches(field: string, current: Validators | undefined, strong: boolean): boolean {
  const tags = tagList(field);
  if (tags === '*') return current !== undefined;
  if (current?.etag === undefined) return false;
  const own = ownTag(current.etag);
  return tags.some((tag) => tag.opaque === own.opaque && (!strong || (!tag.weak && !own.weak)));
}

/** An HTTP-date in whole seconds, or `undefined` for what does not parse (ignored, as §13.1.3 says). */
function seconds(field: string | undefined): number | undefined {
  if (field === undefined) return undefined;
  const time = Date.parse(field);
  return Number.isNaN(time) ? undefined : Math.floor(time / 1000);
}

const lastModifiedSeconds = (current: Validators | undefined) =>
  current?.lastModified instanceof Date && !Number.isNaN(current.lastModified.getTime()) ? Math.floor(current.lastModified.getTime() / 1000) : undefined;

/** What the preconditions say (RFC 9110 §13.2.2): go on, 304 Not Modified, or 412 Precondition Failed. */
export function evaluatePreconditions(method: string, headers: FastifyRequest['headers'], current: Validators | undefined): 'proceed' | 304 | 412 {
  const field = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const safe = method === 'GET' || method === 'HEAD';
  const ifMatch = field('if-match');
  if (ifMatch !== undefined) {
    if (!matches(ifMatch, current, true)) return 412;
  } else {
    const since = seconds(field('if-unmodified-since'));
    const modified = lastModifiedSeconds(current);
    if (since !== undefined && modified !== undefined && modified > since) return 412;
  }
  const ifNoneMatch = field('if-none-match');
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch, current, false)) return safe ? 304 : 412;
  } else if (safe) {
    const since = seconds(field('if-modified-since'));
    const modified = lastModifiedSeconds(current);
    if (since !== undefined && modified !== undefined && modified <= since) return 304;
  }
  return 'proceed';
}

const FOUND = Symbol('fastify-class-views.validators');

function setValidators(reply: FastifyReply, current: Validators): void {
  if (current.etag !== undefined && !reply.hasHeader('etag')) reply.header('etag', current.etag.startsWith('"') || current.etag.startsWith('W/') ? current.etag : strongETag(current.etag));
  if (current.lastModified instanceof Date && !Number.isNaN(current.lastModified.getTime()) && !reply.hasHeader('last-modified')) {
    reply.header('last-modified', current.lastModified.toUTCString());
  }
}

/**
 * The `preHandler` hook of a view that defines `validators`: 428 for a method listed in
 * `requirePreconditions` without `If-Match` / `If-Unmodified-Since`, then `validators` (through
 * the dispatcher, on the request's instance), then 304 or 412 as the preconditions say. Runs
 * after validation and the route's earlier hooks, before the handler and its decorators.
 */
export function preconditionsHook(build: (request: FastifyRequest) => unknown, dispatcher: EnsureSync, required: readonly string[]) {
  return async function checkPreconditions(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
    const method = request.method;
    if (required.includes(method) && request.headers['if-match'] === undefined && request.headers['if-unmodified-since'] === undefined) {
      throw new errors.FCV_ERR_PRECONDITION_REQUIRED(method, request.routeOptions.url ?? request.url);
    }
    const view = (await build(request)) as { validators(request: FastifyRequest): unknown };
    const current = (await dispatch(dispatcher, view.validators, view, request, reply)) as Validators | undefined;
    (request as unknown as Record<symbol, unknown>)[FOUND] = current;
    const outcome = evaluatePreconditions(method, request.headers, current);
    if (outcome === 412) throw new errors.FCV_ERR_PRECONDITION_FAILED(method, request.routeOptions.url ?? request.url);
    if (outcome === 304) {
      if (current) setValidators(reply, current);
      return reply.code(304).send();
    }
    return undefined;
  };
}

type OnSendDone = (err: Error | null, payload?: unknown) => void;

/** The `onSend` hook: a 2xx answer to GET or HEAD carries `ETag` and `Last-Modified` from `validators`, unless the handler set them. */
export function validatorHeaders(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone): void {
  const current = (request as unknown as Record<symbol, Validators | undefined>)[FOUND];
  if (current && (request.method === 'GET' || request.method === 'HEAD') && reply.statusCode >= 200 && reply.statusCode < 300) setValidators(reply, current);
  done(null, payload);
}
