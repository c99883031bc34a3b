import type { FastifyReply, FastifyRequest } from 'fastify';
import { isThenable } from './ensure-sync';
import { errors } from './errors';

/** HTTP's method names, as Node's `http.METHODS` lists them. */
export const HTTP_METHODS = [
  'ACL', 'BIND', 'CHECKOUT', 'CONNECT', 'COPY', 'DELETE', 'GET', 'HEAD', 'LINK', 'LOCK', 'M-SEARCH',
  'MERGE', 'MKACTIVITY', 'MKCALENDAR', 'MKCOL', 'MOVE', 'NOTIFY', 'OPTIONS', 'PATCH', 'POST',
  'PROPFIND', 'PROPPATCH', 'PURGE', 'PUT', 'QUERY', 'REBIND', 'REPORT', 'SEARCH', 'SOURCE',
  'SUBSCRIBE', 'TRACE', 'UNBIND', 'UNLINK', 'UNLOCK', 'UNSUBSCRIBE',
] as const;

/**
 * One HTTP method name. Unlike Fastify's `HTTPMethods` (which accepts any string), a typo
 * such as `'GTE'` fails `tsc`.
 */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** True for one of `HTTP_METHODS`. */
export function isHttpMethod(value: unknown): value is HttpMethod {
  return (HTTP_METHODS as readonly unknown[]).includes(value);
}

/** The `Allow` field value (RFC 9110 §10.2.1): the methods, sorted, each once. */
export function allowHeader(methods: Iterable<string>): string {
  return [...new Set(methods)].sort().join(', ');
}

/**
 * The 405 error (RFC 9110 §15.5.6), carrying `Allow` in `headers` so that Fastify's default
 * error handler sends it too.
 */
export function methodNotAllowedError(method: string, url: string, allow: string): Error {
  const error = new errors.FCV_ERR_METHOD_NOT_ALLOWED(method, url, allow || '(none)');
  (error as Error & { headers?: Record<string, string> }).headers = { allow };
  return error;
}

/** The automatic `OPTIONS` answer (RFC 9110 §9.3.7): 200, `Allow`, no body. */
export function answerOptions(reply: FastifyReply, allow: string): void {
  reply.header('allow', allow).send();
}

type OnSendDone = (err: Error | null, payload?: unknown) => void;

/**
 * `HEAD` through `GET`'s handler (RFC 9110 §9.3.2): the headers GET would send, including the
 * `Content-Length` of its body, and no body. An `onSend` hook: the body is dropped after
 * serialisation, so the length is the real one.
 */
export function dropBody(request: FastifyRequest, reply: FastifyReply, payload: unknown, done: OnSendDone): void {
  const logDropped = (err: unknown) => reply.log.error({ err }, 'error in a stream dropped by HEAD');
  if (payload === undefined || payload === null) {
    reply.header('content-length', '0');
  } else if (typeof (payload as { resume?: unknown }).resume === 'function') {
    const stream = payload as NodeJS.ReadableStream;
    stream.on('error', logDropped);
    stream.resume();
  } else if (payload instanceof Response) {
    // A web Response carries its own status and headers: HEAD answers with them, without the body.
    reply.code(payload.status);
    payload.headers.forEach((value, key) => void reply.header(key, value));
    payload.body?.cancel().catch(logDropped);
  } else if (typeof (payload as { cancel?: unknown }).cancel === 'function') {
    (payload as ReadableStream).cancel('HEAD has no body').catch(logDropped);
  } else if (typeof payload === 'string' || Buffer.isBuffer(payload)) {
    reply.header('content-length', String(Buffer.byteLength(payload)));
  }
  done(null, null);
}

type Done = (error?: Error) => void;

/**
 * The 405 route's `onRequest` hook: status 405 and `Allow` on the reply, then the view's
 * `methodNotAllowed`, whose result is sent, or whose error goes to the error handler. A hook,
 * so that no content-type, body or size check can answer first. It is the route's handler too
 * (one function per route, not two): called without `done`, it sends the error itself.
 */
export function refuseInHook(methodNotAllowed: (request: FastifyRequest, reply: FastifyReply) => unknown, allowAt: (path: string) => string) {
  return function refuseMethod(request: FastifyRequest, reply: FastifyReply, done?: Done): void {
    reply.code(405).header('allow', allowAt(pathOf(request.url)));
    const fail: Done = done ?? ((error) => void reply.send(error));
    let result: unknown;
    try {
      result = methodNotAllowed(request, reply);
    } catch (error) {
      return fail(error as Error);
    }
    if (isThenable(result)) result.then((payload) => void (reply.sent || reply.send(payload)), fail);
    else if (!reply.sent) reply.send(result);
  };
}

/** The path of a request URL, without its query string. */
export function pathOf(url: string): string {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
