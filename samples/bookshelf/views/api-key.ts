import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { unauthorized } from '../errors';

declare module 'fastify' {
  interface FastifyInstance {
    /** The key that write requests must send in `x-api-key` (decorated by `buildApp`). */
    bookshelfApiKey?: string;
  }
}

/** For `schema.security` of the write verbs, so that OpenAPI shows the lock (see `buildApp`). */
export const apiKeySecurity = [{ apiKey: [] }];

/**
 * An `onRequest` hook for the write verbs (`static verbOptions = { post: { onRequest: requireApiKey } }`).
 * `onRequest` runs before the body is even parsed, so a request without the key gets 401 whatever
 * its body — never a 400 that would tell a stranger what the API expects. Fails closed: an app
 * without a configured key refuses every write.
 */
export async function requireApiKey(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const expected = request.server.bookshelfApiKey;
  const given = request.headers['x-api-key'];
  if (!expected || typeof given !== 'string' || !sameSecret(given, expected)) {
    // RFC 9110 §15.5.2: a 401 says how to authenticate.
    reply.header('www-authenticate', 'ApiKey header="x-api-key"');
    throw unauthorized();
  }
}

/** Compares digests in constant time, so the time taken tells nothing about the key. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
