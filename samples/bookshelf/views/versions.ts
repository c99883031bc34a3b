import type { FastifyReply } from 'fastify';
import { strongETag } from '../../../src'; // in your app: 'fastify-class-views'
import type { Store } from '../store';

/**
 * The `ETag` of a row just written: its new version. Read after the write, so a concurrent
 * write in between gives a newer tag than this body's — the client's next `If-Match` is then a
 * 412, never a lost update.
 */
export async function setVersion(reply: FastifyReply, store: Store, table: 'authors' | 'books', id: number): Promise<void> {
  const version = await store.versionOf(table, id);
  if (version !== undefined) reply.header('etag', strongETag(version));
}
