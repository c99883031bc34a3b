import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { endpointOf, isThenable } from './ensure-sync';
import { errors } from './errors';

/**
 * One server-sent event (WHATWG HTML, "Server-sent events"). Every field is optional, but an
 * event needs at least one.
 *
 * @example
 * yield { event: 'book.added', id: 42, data: { id: 42, title: 'Dune' } };
 */
export interface ServerSentEvent<Data = unknown> {
  /** The payload: a string is sent as it is (a `data:` line per line), anything else serialized (JSON, or the stream's `schema`). */
  data?: Data;
  /** The event type (`event:`), what the client's `addEventListener(type, …)` listens to; unset, it is `message`. */
  event?: string;
  /** The event's id (`id:`): a client that reconnects sends the last one back as `Last-Event-ID`. */
  id?: string | number;
  /** How long the client waits before it reconnects, in ms (`retry:`). */
  retry?: number;
  /** A comment line, which clients ignore. */
  comment?: string;
}

/** What an event stream is made of: an async iterable (an async generator) or an iterable of events; a string is an event's `data`. */
export type EventStreamSource<Data = unknown> =
  | AsyncIterable<ServerSentEvent<Data> | string>
  | Iterable<ServerSentEvent<Data> | string>;

/** How a stream of server-sent events is written (`eventStream` route option, or `sendEvents`). */
export interface EventStreamOptions {
  /** A comment line is sent after this many ms without an event, so that proxies and clients keep the connection; `0`: none. Default 15 000. */
  heartbeat?: number;
  /** Sent first, as `retry:`: how long the client waits before it reconnects, in ms. */
  retry?: number;
  /**
   * Bytes that may wait for one client (in the stream and its socket) before it is dropped as
   * too slow. Default 1 MiB. An iterable is read only as fast as the client reads, so this
   * limit bounds what is written without waiting: the heartbeats. (An `EventChannel` bounds
   * what waits for each subscriber with its own `bufferLimit`.)
   */
  bufferLimit?: number;
  /** JSON Schema of the events' `data`: serializes it as a response schema would (through `reply.serializeInput`) and is documented in OpenAPI. */
  schema?: object;
  /** Serializes `data` that is not a string (without `schema`). Default `JSON.stringify`. */
  serialize?: (data: unknown) => string;
}

/** Defaults of `EventStreamOptions`. */
export const EVENT_STREAM_DEFAULTS = Object.freeze({ heartbeat: 15_000, bufferLimit: 1024 * 1024 });

/** Options checked once (at registration for a route option, at the call for `sendEvents`). */
interface Settings {
  readonly heartbeat: number;
  readonly retry: number | undefined;
  readonly bufferLimit: number;
  readonly schema: object | undefined;
  readonly serialize: ((data: unknown) => string) | undefined;
}

/** Checks `EventStreamOptions`, throwing `FCV_ERR_INVALID_OPTION` naming the bad one. */
export function eventStreamSettings(options: EventStreamOptions | true = {}, where = 'eventStream', owner = ''): Settings {
  if (options === true) options = {};
  const fail = (name: string, message: string) => new errors.FCV_ERR_INVALID_OPTION(name, owner ? `${message} (in ${owner})` : message);
  if (typeof options !== 'object' || options === null) throw fail(where, `expected true or an object of options, got ${String(options)}`);
  const { heartbeat = EVENT_STREAM_DEFAULTS.heartbeat, retry, bufferLimit = EVENT_STREAM_DEFAULTS.bufferLimit, schema, serialize, ...rest } = options;
  const unknown = Object.keys(rest)[0];
  if (unknown !== undefined) throw fail(`${where}.${unknown}`, 'not an event stream option (heartbeat, retry, bufferLimit, schema, serialize)');
  const count = (name: string, value: unknown, min: number) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw fail(`${where}.${name}`, `expected an integer >= ${min}, got ${String(value)}`);
  };
  count('heartbeat', heartbeat, 0);
  count('bufferLimit', bufferLimit, 1);
  if (retry !== undefined) count('retry', retry, 0);
  if (schema !== undefined && (typeof schema !== 'object' || schema === null)) throw fail(`${where}.schema`, 'expected a JSON Schema object');
  if (serialize !== undefined && typeof serialize !== 'function') throw fail(`${where}.serialize`, `expected a function, got ${typeof serialize}`);
  return { heartbeat, retry, bufferLimit, schema, serialize };
}

/**
 * The route schema of an `eventStream` verb: a 200 of `text/event-stream` (unless the verb
 * documents its own 200), with the events' data schema as `x-event-data`, for OpenAPI.
 */
export function eventStreamResponse(schema: Record<string, unknown> | undefined, settings: Settings): Record<string, unknown> {
  const response = (schema?.response ?? {}) as Record<string, unknown>;
  if (response['200'] !== undefined || response['2xx'] !== undefined) return { ...schema };
  const media: Record<string, unknown> = { schema: { type: 'string', description: 'Server-sent events, one per blank-line-terminated frame (id, event, data, retry fields)' } };
  if (settings.schema) media['x-event-data'] = settings.schema;
  return { ...schema, response: { ...response, 200: { description: 'A stream of server-sent events', content: { 'text/event-stream': media } } } };
}

/** The `Last-Event-ID` a reconnecting client sent (the `id` of the last event it received), if any. */
export function lastEventId(request: FastifyRequest): string | undefined {
  const value = request.headers['last-event-id'];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Answers the request with a stream of server-sent events read from `source`, and returns the
 * reply (return it from the handler). `text/event-stream` headers and an opening comment go
 * out at once; the source is read as fast as the client reads; the stream ends when the source
 * does, when the client hangs up (`request.signal` aborts, the source's `return()` is called)
 * or when `app.close()` runs. `HEAD` gets the headers only.
 *
 * @example
 * get(request: FastifyRequest, reply: FastifyReply) {
 *   return sendEvents(request, reply, ticks(request.signal), { heartbeat: 5_000 });
 * }
 */
export function sendEvents(request: FastifyRequest, reply: FastifyReply, source: EventStreamSource, options?: EventStreamOptions): FastifyReply {
  return startStream(request, reply, source, eventStreamSettings(options, 'sendEvents options'));
}

/**
 * The handler of a verb with the `eventStream` route option: the verb's result (or what its
 * Promise resolves to) is the stream's source. A verb that sent a reply itself (an error, a
 * 204) is left alone; any other result is `FCV_ERR_INVALID_EVENT`.
 */
export function eventStreamHandler<H extends (request: FastifyRequest, reply: FastifyReply) => unknown>(handler: H, settings: Settings): H {
  const stream = (request: FastifyRequest, reply: FastifyReply, result: unknown): unknown => {
    if (result === reply || reply.sent || reply.raw.headersSent) return result;
    if (!isIterable(result)) throw new errors.FCV_ERR_INVALID_EVENT(streamName(request), `an eventStream verb returns an iterable of events (an async generator, say), got ${describe(result)}`);
    return startStream(request, reply, result, settings);
  };
  return function eventStream(request: FastifyRequest, reply: FastifyReply) {
    const result = handler(request, reply);
    return isThenable(result) ? Promise.resolve(result).then((value) => stream(request, reply, value)) : stream(request, reply, result);
  } as H;
}

function startStream(request: FastifyRequest, reply: FastifyReply, source: EventStreamSource, settings: Settings): FastifyReply {
  const name = streamName(request);
  if (!isIterable(source)) throw new errors.FCV_ERR_INVALID_EVENT(name, `the source of an event stream is an iterable of events, got ${describe(source)}`);
  const iterator = (Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : (source as Iterable<unknown>)[Symbol.iterator]()) as AsyncIterator<unknown> | Iterator<unknown>;
  reply.header('content-type', 'text/event-stream; charset=utf-8');
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-cache');
  reply.header('x-accel-buffering', 'no'); // nginx would buffer the stream otherwise
  if (request.method === 'HEAD') {
    closeIterator(iterator, reply);
    return reply.send();
  }
  const serialize = settings.schema ? (data: unknown) => reply.serializeInput(data as Record<string, unknown>, settings.schema as Record<string, unknown>) : settings.serialize ?? JSON.stringify;
  return reply.send(new EventStreamBody(iterator, reply, settings, serialize, name));
}

/** Every open stream of an app, so that `app.close()` ends them (the plugin's `preClose` hook). */
export class OpenStreams {
  private readonly streams = new Set<{ finish(): void }>();
  private closing = false;
  /** Tracks a stream; once the app is closing, a stream that starts (its verb was still running) is finished at once. */
  add(stream: { finish(): void }): void {
    if (this.closing) stream.finish();
    else this.streams.add(stream);
  }
  delete(stream: { finish(): void }): void {
    this.streams.delete(stream);
  }
  /** Ends every open stream, and those that start from now on: each client gets the end of its response, each source is closed. */
  endAll(): void {
    this.closing = true;
    for (const stream of [...this.streams]) stream.finish();
  }
}

/**
 * A source that may fail while no one is reading it (an `EventChannel` subscription dropping a
 * slow client is one) has this method: the stream gives it a callback that ends the stream.
 */
export const ON_SOURCE_FAILURE = Symbol('fastify-class-views.onSourceFailure');

/** Where an app keeps its `OpenStreams` (set by the plugin). */
export const OPEN_STREAMS = Symbol.for('fastify-class-views.openStreams');

/** How long a finished stream may take to reach a client before its connection is closed (a client that stopped reading). */
const FINISH_GRACE_MS = 1_000;

/**
 * The response body: a Readable that pulls the next event only when the client has read the
 * last ones (so a generator runs at the client's pace), and pushes heartbeats on its own.
 */
class EventStreamBody extends Readable {
  private started = false;
  /** No more frames: the source ended or failed, the stream was finished or dropped. */
  private ended = false;
  /** The source has nothing more to give (done, threw, or was closed): no `return()` is due. */
  private sourceClosed = false;
  private pulling = false;
  private wanted = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly open: OpenStreams | undefined;

  constructor(
    private readonly source: AsyncIterator<unknown> | Iterator<unknown>,
    private readonly reply: FastifyReply,
    private readonly settings: Settings,
    private readonly serialize: (data: unknown) => string,
    private readonly name: string,
  ) {
    super();
    this.open = (reply.server as unknown as Record<symbol, OpenStreams | undefined>)[OPEN_STREAMS];
  }

  override _read(): void {
    if (!this.started) this.start();
    this.wanted = true;
    if (!this.pulling && !this.ended) void this.pull();
  }

  /**
   * Ends the stream as if the source had (used by `app.close()`): the client sees the response
   * end. A client that does not read it within a second has its connection closed, so that
   * closing the app does not wait for it.
   */
  finish(): void {
    if (this.ended || this.destroyed) return;
    this.ended = true;
    this.stop();
    this.closeSource();
    this.push(null);
    const response = this.reply.raw;
    const socket = response.socket;
    const timer = setTimeout(() => response.destroy(), FINISH_GRACE_MS);
    timer.unref();
    response.once('close', () => clearTimeout(timer));
    // The server is closing: its keep-alive connection would stay open, idle, and hold the close.
    response.once('finish', () => socket?.end());
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.ended = true;
    this.stop();
    this.closeSource();
    callback(err);
  }

  private start(): void {
    this.started = true;
    // Something to write at once, so that the status and headers reach the client now.
    this.send(this.settings.retry === undefined ? ':\n\n' : `retry: ${this.settings.retry}\n\n`);
    if (this.settings.heartbeat > 0) {
      // Refreshed at every event: a heartbeat goes out `heartbeat` ms after the last frame.
      this.timer = setInterval(() => this.send(':\n\n'), this.settings.heartbeat);
      this.timer.unref();
    }
    // A backpressured stream is not reading its source, so it would not see that failure.
    const watch = (this.source as { [ON_SOURCE_FAILURE]?: (fail: (err: Error) => void) => void })[ON_SOURCE_FAILURE];
    if (typeof watch === 'function') watch.call(this.source, (err) => this.fail(err));
    this.open?.add(this); // last: while the app closes, this finishes the stream at once
  }

  private stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.open?.delete(this);
  }

  private closeSource(): void {
    if (this.sourceClosed) return;
    this.sourceClosed = true;
    closeIterator(this.source, this.reply);
  }

  private async pull(): Promise<void> {
    this.pulling = true;
    try {
      while (this.wanted && !this.ended) {
        this.wanted = false;
        let step: IteratorResult<unknown>;
        try {
          step = await this.source.next();
        } catch (err) {
          this.sourceClosed = true; // a source that threw is finished
          throw err;
        }
        if (this.ended) return;
        if (step.done) {
          this.sourceClosed = true;
          this.ended = true;
          this.stop();
          this.push(null);
          return;
        }
        const frame = encodeEvent(step.value, this.serialize, this.name);
        this.timer?.refresh();
        if (this.send(frame)) this.wanted = true;
      }
    } catch (err) {
      this.fail(err as Error);
    } finally {
      this.pulling = false;
    }
  }

  private fail(err: Error): void {
    if (this.ended) return;
    if ((err as { code?: unknown }).code === 'FCV_ERR_SLOW_CLIENT') {
      this.reply.log.warn({ err }, 'event stream client dropped');
      this.destroy();
      return;
    }
    // After the headers there is no status left to answer with: the error is logged (by
    // Fastify) and the connection closed, and an EventSource client reconnects.
    this.destroy(err);
  }

  /** Pushes one frame; drops the client when too much waits for it. Returns whether more may be pushed. */
  private send(frame: string): boolean {
    if (this.ended) return false;
    const more = this.push(frame);
    const waiting = this.readableLength + (this.reply.raw.writableLength ?? 0);
    if (waiting > this.settings.bufferLimit) {
      this.fail(new errors.FCV_ERR_SLOW_CLIENT(this.name, waiting, this.settings.bufferLimit));
      return false;
    }
    return more;
  }
}

/** An event encoded once for many streams (what an `EventChannel` hands its subscribers): written as it is. */
export class EncodedEvent {
  /** The frame's size in bytes (UTF-8), what it costs each subscriber that has not read it. */
  readonly bytes: number;
  constructor(
    /** The frame, blank line included. */
    readonly frame: string,
    /** The event's id, if it has one. */
    readonly id?: string,
  ) {
    this.bytes = Buffer.byteLength(frame);
  }
}

const FIELDS = new Set(['data', 'event', 'id', 'retry', 'comment']);

/**
 * One event as it goes on the wire (a frame ending with a blank line). Every field is checked:
 * a line break in `event` or `id` would forge another field, so it is refused, not escaped.
 */
export function encodeEvent(event: unknown, serialize: (data: unknown) => string = JSON.stringify, name = 'event stream'): string {
  if (typeof event === 'string') return dataLines(event) + '\n';
  if (event instanceof EncodedEvent) return event.frame;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new errors.FCV_ERR_INVALID_EVENT(name, `an event is an object ({ data, event, id, retry, comment }) or a string, got ${describe(event)}`);
  }
  const fields = event as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!FIELDS.has(key)) throw new errors.FCV_ERR_INVALID_EVENT(name, `'${key}' is not a field of a server-sent event (data, event, id, retry, comment)`);
  }
  let frame = '';
  if (fields.comment !== undefined) frame += String(fields.comment).split(LINE_BREAK).map((line) => `: ${line}\n`).join('');
  if (fields.event !== undefined) frame += `event: ${oneLine(name, 'event', fields.event)}\n`;
  if (fields.id !== undefined) {
    const id = oneLine(name, 'id', fields.id);
    if (id.includes('\0')) throw new errors.FCV_ERR_INVALID_EVENT(name, 'an event id cannot contain NUL (clients ignore it)');
    frame += `id: ${id}\n`;
  }
  if (fields.retry !== undefined) {
    if (typeof fields.retry !== 'number' || !Number.isInteger(fields.retry) || fields.retry < 0) throw new errors.FCV_ERR_INVALID_EVENT(name, `retry is an integer number of ms >= 0, got ${String(fields.retry)}`);
    frame += `retry: ${fields.retry}\n`;
  }
  if (fields.data !== undefined) {
    let data: unknown;
    try {
      data = typeof fields.data === 'string' ? fields.data : serialize(fields.data);
    } catch (err) {
      throw new errors.FCV_ERR_INVALID_EVENT(name, `its data cannot be serialized (${(err as Error).message})`);
    }
    if (typeof data !== 'string') throw new errors.FCV_ERR_INVALID_EVENT(name, `the event's data serialized to ${describe(data)}, not a string`);
    frame += dataLines(data);
  }
  if (frame === '') throw new errors.FCV_ERR_INVALID_EVENT(name, 'an event needs at least one of data, event, id, retry or comment');
  return frame + '\n';
}

const LINE_BREAK = /\r\n|\r|\n/;

function dataLines(data: string): string {
  return data.split(LINE_BREAK).map((line) => `data: ${line}\n`).join('');
}

function oneLine(name: string, field: string, value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') throw new errors.FCV_ERR_INVALID_EVENT(name, `an event's ${field} is a string or a number, got ${describe(value)}`);
  const text = String(value);
  if (/[\r\n]/.test(text)) throw new errors.FCV_ERR_INVALID_EVENT(name, `an event's ${field} cannot contain a line break`);
  return text;
}

function closeIterator(iterator: AsyncIterator<unknown> | Iterator<unknown>, reply: FastifyReply): void {
  try {
    const result = iterator.return?.();
    if (isThenable(result)) result.then(undefined, (err: unknown) => reply.log.error({ err }, 'event stream source failed while closing'));
  } catch (err) {
    reply.log.error({ err }, 'event stream source failed while closing');
  }
}

function isIterable(value: unknown): value is EventStreamSource {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (typeof (value as { pipe?: unknown }).pipe === 'function') return false; // a Node stream of bytes, not of events
  return typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function' || typeof (value as Record<symbol, unknown>)[Symbol.iterator] === 'function';
}

function streamName(request: FastifyRequest): string {
  const view = endpointOf(request);
  const route = `${request.method} ${request.routeOptions?.url ?? request.url}`;
  return view !== undefined ? `View '${view}' on ${route}` : route;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'null prototype'})`;
  return typeof value === 'string' ? `the string ${JSON.stringify(value.slice(0, 40))}` : String(value);
}
