import type { FastifyRequest } from 'fastify';
import { errors } from './errors';
import { EVENT_STREAM_DEFAULTS, EncodedEvent, ON_SOURCE_FAILURE, ServerSentEvent, encodeEvent, lastEventId } from './event-stream';

/** Options of an `EventChannel`. */
export interface EventChannelOptions {
  /** How many of the last events are kept to replay to a client that reconnects with `Last-Event-ID`. Default 100. */
  history?: number;
  /** Bytes of events that may wait for one subscriber before it is dropped as too slow. Default 1 MiB. */
  bufferLimit?: number;
  /** Names the channel in logs and errors. */
  name?: string;
  /**
   * Serializes `data` that is not a string, once per event (default `JSON.stringify`). Events
   * reach streams encoded: a stream's own `schema` or `serialize` does not apply to them.
   */
  serialize?: (data: unknown) => string;
}

/** Who subscribes: a request (its `signal` and `Last-Event-ID`), or the two given directly. */
export type Subscriber = FastifyRequest | { signal?: AbortSignal; lastEventId?: string };

/**
 * Publishes events to every client streaming it: one producer (a store's changes, a job's
 * progress), many `eventStream` verbs. Each event is encoded once, whoever reads it. A
 * subscriber that falls behind by more than `bufferLimit` bytes is dropped (its stream ends
 * with `FCV_ERR_SLOW_CLIENT`, logged) instead of making the server buffer without bound. Events
 * get ids (a counter) unless they carry their own; the last `history` are replayed to a client
 * that reconnects with `Last-Event-ID`.
 *
 * @example
 * const changes = new EventChannel<Book>();
 * store.onChange((book) => changes.publish({ event: 'book.changed', data: book }));
 * class BookEvents extends MethodView {
 *   static override verbOptions = { get: { eventStream: true } } satisfies VerbOptions;
 *   get(request: FastifyRequest) { return changes.subscribe(request); }
 * }
 */
export class EventChannel<Data = unknown> {
  private readonly subscriptions = new Set<Subscription>();
  private readonly recent: EncodedEvent[] = [];
  private readonly history: number;
  private readonly bufferLimit: number;
  private readonly name: string;
  private readonly serialize: (data: unknown) => string;
  private sequence = 0;

  constructor(options: EventChannelOptions = {}) {
    const { history = 100, bufferLimit = EVENT_STREAM_DEFAULTS.bufferLimit, name = 'event channel', serialize = JSON.stringify } = options;
    if (typeof serialize !== 'function') throw new errors.FCV_ERR_INVALID_OPTION('serialize', `expected a function, got ${typeof serialize}`);
    if (!Number.isInteger(history) || history < 0) throw new errors.FCV_ERR_INVALID_OPTION('history', `expected an integer >= 0, got ${String(history)}`);
    if (!Number.isInteger(bufferLimit) || bufferLimit < 1) throw new errors.FCV_ERR_INVALID_OPTION('bufferLimit', `expected an integer >= 1, got ${String(bufferLimit)}`);
    this.history = history;
    this.bufferLimit = bufferLimit;
    this.name = String(name);
    this.serialize = serialize;
  }

  /** How many clients are subscribed now. */
  get size(): number {
    return this.subscriptions.size;
  }

  /** Sends `event` to every subscriber; returns its id (the next number, unless it has its own). Throws `FCV_ERR_INVALID_EVENT` for a malformed event. */
  publish(event: ServerSentEvent<Data>): string {
    const id = event.id === undefined ? this.sequence + 1 : event.id;
    const encoded = new EncodedEvent(encodeEvent({ ...event, id }, this.serialize, this.name), String(id));
    if (event.id === undefined) this.sequence++; // an event refused above takes no number
    if (this.history > 0) {
      this.recent.push(encoded);
      if (this.recent.length > this.history) this.recent.shift();
    }
    for (const subscription of this.subscriptions) subscription.offer(encoded);
    return String(id);
  }

  /**
   * An async iterable of the events published from now on (after those missed since the
   * subscriber's `Last-Event-ID`, when they are still in the history); it ends when the
   * subscriber's signal aborts, when the stream reading it closes, or at `close()`.
   */
  subscribe(subscriber: Subscriber = {}): AsyncIterableIterator<EncodedEvent> {
    const isRequest = 'headers' in subscriber && 'raw' in subscriber;
    const since = isRequest ? lastEventId(subscriber as FastifyRequest) : (subscriber as { lastEventId?: string }).lastEventId;
    // What was missed is already held by the history (shared, not copied): it does not count
    // against the subscriber's buffer limit, which bounds what piles up for it from now on.
    const at = since === undefined ? -1 : this.recent.findIndex((event) => event.id === since);
    const missed = at >= 0 ? this.recent.slice(at + 1) : [];
    const signal = (subscriber as { signal?: AbortSignal }).signal;
    const subscription = new Subscription(this.bufferLimit, this.name, missed, signal, () => this.subscriptions.delete(subscription));
    if (signal?.aborted) subscription.close();
    else this.subscriptions.add(subscription);
    return subscription;
  }

  /** Ends every subscription (their streams end normally). */
  close(): void {
    for (const subscription of [...this.subscriptions]) subscription.close();
  }
}

/** One subscriber's queue: what was published and not yet read, bounded in bytes. */
class Subscription implements AsyncIterableIterator<EncodedEvent> {
  private readonly queue: EncodedEvent[] = [];
  private readonly stopListening: () => void;
  /** The reader waiting for the next event (a drop is announced through ON_SOURCE_FAILURE, not here). */
  private waiting: ((step: IteratorResult<EncodedEvent>) => void) | undefined;
  private bytes = 0;
  private closed = false;
  private failure: Error | undefined;
  private onFailure: ((err: Error) => void) | undefined;

  constructor(
    private readonly limit: number,
    private readonly name: string,
    private readonly missed: EncodedEvent[],
    signal: AbortSignal | undefined,
    private readonly unsubscribe: () => void,
  ) {
    const onAbort = () => this.close();
    signal?.addEventListener('abort', onAbort, { once: true });
    this.stopListening = () => signal?.removeEventListener('abort', onAbort);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The stream reading this subscription learns of a drop even while it is not reading. */
  [ON_SOURCE_FAILURE](callback: (err: Error) => void): void {
    this.onFailure = callback;
  }

  offer(event: EncodedEvent): void {
    if (this.closed) return;
    if (this.waiting) { // set only once the missed events are read
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: event, done: false });
      return;
    }
    this.bytes += event.bytes;
    this.queue.push(event);
    if (this.bytes > this.limit) this.fail(new errors.FCV_ERR_SLOW_CLIENT(this.name, this.bytes, this.limit));
  }

  next(): Promise<IteratorResult<EncodedEvent>> {
    const missed = this.closed ? undefined : this.missed.shift();
    if (missed !== undefined) return Promise.resolve({ value: missed, done: false });
    const event = this.queue.shift();
    if (event !== undefined) {
      this.bytes -= event.bytes;
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<EncodedEvent>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.length = 0;
    this.missed.length = 0;
    this.stopListening();
    this.unsubscribe();
    this.waiting?.({ value: undefined, done: true });
    this.waiting = undefined;
  }

  private fail(err: Error): void {
    this.failure = err;
    this.close();
    this.onFailure?.(err);
  }
}
