import type { FastifyRequest } from 'fastify';
import { MethodView, VerbOptions } from '../../../src'; // in your app: 'fastify-class-views'
import type { BookFeed } from '../repositories';
import { BookEventData, errorReplies, publicAccess } from '../schemas';

const LastEventId = { type: 'string', maxLength: 32, description: 'The id of the last event received: the events after it are sent first' } as const;

/**
 * `GET /events`: the books added, changed and deleted, live, as server-sent events
 * (`book.added`, `book.changed`, `book.deleted`), for a browser's `new EventSource('/events')`.
 * Each event has an id; a client that reconnects sends the last one as `Last-Event-ID` and gets
 * what it missed (the last 100 events are kept). A client that stops reading is dropped once
 * 1 MiB waits for it; a comment every 15 s keeps idle connections open.
 */
export class BookEvents extends MethodView {
  static override initEveryRequest = false;
  static override verbOptions = {
    get: {
      eventStream: { schema: BookEventData },
      schema: {
        operationId: 'getEvents', tags: ['books'], summary: 'Follow changes to the books (server-sent events)', security: publicAccess,
        headers: { type: 'object', properties: { 'last-event-id': LastEventId } },
        response: errorReplies(400),
      },
    },
  } satisfies VerbOptions;

  constructor(private readonly feed: BookFeed) {
    super();
  }

  get(request: FastifyRequest) {
    return this.feed.subscribe(request);
  }
}
