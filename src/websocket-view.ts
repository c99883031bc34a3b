import type { FastifyInstance, FastifyReply, FastifyRequest, FastifySchemaCompiler } from 'fastify';
import { EnsureSync, dispatch, endpointOf, isThenable } from './ensure-sync';
import { errors } from './errors';
import type { HttpMethod } from './http';
import { View, ViewClass, ViewFunction, instanceBuilder } from './view';

/**
 * The socket a WebSocket view talks to: the `ws` WebSocket that `@fastify/websocket` hands
 * over, as far as views need it (declared here so that the typings do not need `ws`).
 */
export interface ViewSocket {
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** The subprotocol the server chose, if any. */
  readonly protocol: string;
  /** Bytes sent and not yet written to the network (the client is not reading them). */
  readonly bufferedAmount: number;
  send(data: string | Buffer | ArrayBuffer | Uint8Array, callback?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  ping(data?: unknown): void;
  pause(): void;
  resume(): void;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/** How a socket closed: the close code and reason the peer (or the server) gave. */
export interface SocketClose {
  code: number;
  reason: string;
}

/** How incoming messages reach `onMessage`: text (a string; binary frames as a Buffer), JSON (parsed), or always a Buffer. */
export type MessageFormat = 'text' | 'json' | 'binary';

/** The close codes a WebSocket view uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = Object.freeze({ normal: 1000, unsupportedData: 1003, invalidPayload: 1007, internalError: 1011 });

/**
 * A class-based WebSocket endpoint, as Starlette's `WebSocketEndpoint`: `addView` serves it at
 * a path through `@fastify/websocket` (register that plugin first). Each connection gets its
 * own instance (or one shared, with `initEveryRequest = false`), and its handlers run in order,
 * one at a time, sync or async, through the app's `ensureSync`. What `onMessage` returns is
 * sent back (strings and Buffers as they are, anything else as JSON). A message that is not
 * JSON or fails `messageSchema` closes the socket with 1007; a handler that throws closes it
 * with 1011 (the error is logged). A plain HTTP `GET` gets 426, other methods 405 with `Allow`.
 *
 * @example
 * class Echo extends WebSocketView<{ text: string }> {
 *   static override messageSchema = { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] };
 *   onMessage(message: { text: string }) { return { echo: message.text }; }
 * }
 * await app.register(websocket);
 * app.addView('/echo', Echo.asView('echo'));
 */
export abstract class WebSocketView<Message = unknown> extends View {
  static override methods: readonly HttpMethod[] = Object.freeze(['GET'] as const);
  /** JSON Schema (or any schema the app's validator compiler reads) every message must match; implies `messageFormat = 'json'`. */
  static messageSchema?: unknown;
  /** How messages are read; default `'json'` with a `messageSchema`, else `'text'`. */
  static messageFormat?: MessageFormat;
  /**
   * Bytes of answers that may wait for a client that does not read them: past it, the socket is
   * dropped (terminated, `FCV_ERR_SLOW_CLIENT` logged). Default 1 MiB. Checked after each answer
   * `onMessage` returns; check `socket.bufferedAmount` yourself around your own `send`s.
   */
  static bufferLimit = 1024 * 1024;

  /** The socket is open (the request passed the route's hooks and validation). */
  onConnect?(socket: ViewSocket, request: FastifyRequest): unknown;
  /** One message, read after `messageFormat` and validated; the return value (if any) is sent back. */
  onMessage?(message: Message, socket: ViewSocket): unknown;
  /** The socket closed, whoever closed it. Runs once, after the handlers before it. */
  onClose?(socket: ViewSocket, close: SocketClose): unknown;

  /** A plain HTTP request (no WebSocket upgrade): 426 with `Upgrade: websocket`. */
  dispatchRequest(request: FastifyRequest, reply: FastifyReply): unknown {
    reply.header('upgrade', 'websocket');
    const name = endpointOf(request) ?? (this.constructor as { name: string }).name;
    throw new errors.FCV_ERR_UPGRADE_REQUIRED(name, request.routeOptions?.url ?? request.url);
  }
}

/** Whether a view class is a WebSocket view. */
export function isWebSocketView(viewClass: ViewClass): viewClass is ViewClass & typeof WebSocketView {
  return viewClass.prototype instanceof WebSocketView;
}

/**
 * The route options that make a WebSocket view's `GET` route answer upgrades, to merge over the
 * route's own: its `wsHandler` for `@fastify/websocket`, a hook mending the handshake, and the
 * schema hidden from OpenAPI (which cannot describe a socket).
 */
export function webSocketRoute(app: FastifyInstance, view: ViewFunction, viewClass: ViewClass & typeof WebSocketView, dispatcher: EnsureSync, schema: unknown): Record<string, unknown> {
  if (!app.hasDecorator('websocketServer')) throw new errors.FCV_ERR_WEBSOCKET_NOT_REGISTERED(view.viewName);
  const format = viewClass.messageFormat ?? (viewClass.messageSchema === undefined ? 'text' : 'json');
  if (!['text', 'json', 'binary'].includes(format)) throw new errors.FCV_ERR_INVALID_OPTION('messageFormat', `expected 'text', 'json' or 'binary', got ${String(format)} (view '${view.viewName}')`);
  const limit = viewClass.bufferLimit;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) throw new errors.FCV_ERR_INVALID_OPTION('bufferLimit', `expected an integer >= 1, got ${String(limit)} (view '${view.viewName}')`);
  const build = instanceBuilder(view, viewClass);
  let validate: MessageValidator | undefined;
  if (viewClass.messageSchema !== undefined) {
    // Compiled once the app is ready (its validator compiler is set up by then, Ajv or zod's…),
    // so that a bad schema fails app.ready() rather than every connection.
    app.addHook('onReady', function compileMessageSchemaOf(done) {
      try {
        validate = compileMessageSchema(app, viewClass.messageSchema, view.viewName);
        done();
      } catch (err) {
        done(err as Error);
      }
    });
  }
  const wsHandler = function onSocket(socket: ViewSocket, request: FastifyRequest): void {
    new Connection(socket, request, view.viewName, dispatcher, format, validate, limit).open(build);
  };
  const parts = schema as Record<string, unknown> | undefined;
  // Fastify sets up its default validator compiler for routes with a validation schema only:
  // without one (nor a compiler set by the app), this route gets an open querystring schema, so
  // that the message schema has a compiler to be compiled with.
  const needsCompiler = viewClass.messageSchema !== undefined && app.validatorCompiler === undefined && !['body', 'querystring', 'params', 'headers'].some((part) => parts?.[part] !== undefined);
  return { wsHandler, onRequest: handshakeVersionAsText, schema: { ...(needsCompiler ? { querystring: { type: 'object' } } : {}), hide: true } };
}

/**
 * `injectWS` (of @fastify/websocket 11) sends `Sec-WebSocket-Version` as the number 13, which
 * ws 8.23 refuses with a 400: as text, the header is what a real client sends.
 */
function handshakeVersionAsText(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  const headers = request.raw.headers as Record<string, unknown>;
  if (typeof headers['sec-websocket-version'] === 'number') headers['sec-websocket-version'] = String(headers['sec-websocket-version']);
  done();
}

type MessageValidator = (message: unknown) => { value: unknown } | { error: string };

function compileMessageSchema(app: FastifyInstance, schema: unknown, name: string): MessageValidator {
  const compiler = app.validatorCompiler as FastifySchemaCompiler<unknown> | undefined;
  if (compiler === undefined) throw new errors.FCV_ERR_INVALID_OPTION('messageSchema', `view '${name}': the app has no validator compiler to compile it with`);
  let check: (data: unknown) => unknown;
  try {
    check = compiler({ schema, method: 'GET', url: name, httpPart: 'body' }) as (data: unknown) => unknown;
  } catch (err) {
    throw new errors.FCV_ERR_INVALID_OPTION('messageSchema', `view '${name}': it does not compile (${(err as Error).message})`);
  }
  return (message) => {
    const result = check(message) as boolean | { value?: unknown; error?: unknown };
    if (result === true) return { value: message };
    if (result === false) return { error: ajvErrors((check as { errors?: unknown }).errors) };
    // Compilers of type providers (zod…) answer { value } or { error }, as Fastify reads them.
    if (typeof result === 'object' && result !== null && result.error) return { error: describeError(result.error) };
    return { value: typeof result === 'object' && result !== null && 'value' in result ? result.value : message };
  };
}

function ajvErrors(list: unknown): string {
  if (!Array.isArray(list) || list.length === 0) return 'it does not match the message schema';
  return list.map((e: { instancePath?: string; message?: string }) => `${e.instancePath ? `message${e.instancePath}` : 'message'} ${e.message ?? 'is invalid'}`).join(', ');
}

function describeError(error: unknown): string {
  if (Array.isArray(error)) return ajvErrors(error);
  return error instanceof Error ? error.message : String(error);
}

/** A close reason is at most 123 bytes (RFC 6455 §5.5: a control frame's payload is 125, the code takes 2). */
function closeReason(text: string): string {
  const bytes = Buffer.from(text);
  return bytes.length <= 123 ? text : bytes.subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, '') + '...';
}

/**
 * One connection: its instance, and a queue that runs its handlers one at a time, in order.
 * While an async handler runs, the socket is paused, so that a client sending faster than the
 * view handles is held back by TCP rather than by memory.
 */
class Connection {
  private instance: View | undefined;
  private queue: Array<{ task: () => unknown; always: boolean }> = [];
  private running = false;
  private draining = false;
  private failed = false;

  constructor(
    private readonly socket: ViewSocket,
    private readonly request: FastifyRequest,
    private readonly name: string,
    private readonly dispatcher: EnsureSync,
    private readonly format: MessageFormat,
    private readonly validate: MessageValidator | undefined,
    private readonly bufferLimit: number,
  ) {}

  open(build: (request: FastifyRequest) => View | PromiseLike<View>): void {
    // Listeners first: a message sent right after the handshake waits for onConnect, it is not lost.
    this.socket.on('message', ((data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => this.enqueue(() => this.receive(data, isBinary))) as never);
    this.socket.on('close', ((code: number, reason: Buffer) => this.enqueue(() => this.closed(code, reason), true)) as never);
    this.enqueue(() => {
      const built = build(this.request);
      const connect = (instance: View) => {
        this.instance = instance;
        return this.call('onConnect', this.socket, this.request);
      };
      return isThenable(built) ? Promise.resolve(built).then(connect) : connect(built);
    });
  }

  private enqueue(task: () => unknown, always = false): void {
    if (this.failed && !always) return;
    this.queue.push({ task, always });
    if (!this.running) this.run();
  }

  private run(): void {
    // Not re-entered from a task (a handler whose call emits another event): the loop below goes on.
    if (this.draining) return;
    this.draining = true;
    try {
      this.drain();
    } finally {
      this.draining = false;
    }
  }

  private drain(): void {
    while (this.queue.length > 0) {
      const { task } = this.queue.shift()!;
      let result: unknown;
      try {
        result = task();
      } catch (err) {
        this.fail(err);
        continue;
      }
      if (isThenable(result)) {
        this.running = true;
        this.socket.pause();
        result.then(
          () => this.resume(),
          (err: unknown) => {
            this.fail(err);
            this.resume();
          },
        );
        return;
      }
    }
  }

  private resume(): void {
    this.running = false;
    if (this.socket.readyState < 3) this.socket.resume(); // closing too: the peer's close frame must be read
    this.run();
  }

  private call(handler: 'onConnect' | 'onMessage' | 'onClose', a: unknown, b: unknown): unknown {
    const method = (this.instance as unknown as Record<string, unknown>)[handler];
    if (typeof method !== 'function') return undefined;
    return dispatch(this.dispatcher, method, this.instance, a, b, this.name);
  }

  private receive(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): unknown {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    let message: unknown;
    if (this.format === 'binary') message = bytes;
    else if (isBinary) {
      if (this.format === 'json') return this.refuse(CLOSE_CODES.unsupportedData, 'a binary frame, where JSON text was expected');
      message = bytes;
    } else {
      message = bytes.toString('utf8');
      if (this.format === 'json') {
        try {
          message = JSON.parse(message as string);
        } catch {
          return this.refuse(CLOSE_CODES.invalidPayload, 'it is not JSON');
        }
      }
    }
    if (this.validate) {
      const checked = this.validate(message);
      if ('error' in checked) return this.refuse(CLOSE_CODES.invalidPayload, checked.error);
      message = checked.value;
    }
    const result = this.call('onMessage', message, this.socket);
    return isThenable(result) ? Promise.resolve(result).then((value) => this.answer(value)) : this.answer(result);
  }

  private answer(value: unknown): void {
    if (value === undefined || value === null || this.socket.readyState !== 1) return;
    this.socket.send(typeof value === 'string' || value instanceof Uint8Array ? value : JSON.stringify(value)); // a Buffer is a Uint8Array
    if (this.socket.bufferedAmount > this.bufferLimit) {
      // A close frame would wait behind what the client does not read: the connection goes.
      this.request.log.warn({ err: new errors.FCV_ERR_SLOW_CLIENT(`WebSocket view '${this.name}'`, this.socket.bufferedAmount, this.bufferLimit) }, 'WebSocket client dropped');
      this.stop();
      this.socket.terminate();
    }
  }

  private refuse(code: number, problem: string): void {
    const err = new errors.FCV_ERR_INVALID_MESSAGE(this.name, problem);
    this.request.log.info({ err }, 'WebSocket message refused');
    this.stop();
    this.socket.resume();
    this.socket.close(code, closeReason(err.message));
  }

  /** No handler runs for this socket any more, except `onClose`. */
  private stop(): void {
    this.failed = true;
    this.queue = this.queue.filter((queued) => queued.always);
  }

  private closed(code: number, reason: Buffer): unknown {
    if (this.instance === undefined) return undefined; // onConnect never ran (its instance failed to build)
    return this.call('onClose', this.socket, { code, reason: reason.toString('utf8') });
  }

  /** A handler threw: logged, and this socket (only) closes with 1011; onClose still runs. */
  private fail(err: unknown): void {
    this.request.log.error({ err }, `WebSocket view '${this.name}' failed`);
    if (this.failed) return;
    this.stop();
    if (this.socket.readyState === 0 || this.socket.readyState === 1) {
      this.socket.resume(); // paused while an async handler ran: the close handshake needs reading
      this.socket.close(CLOSE_CODES.internalError, 'Internal error');
    }
  }
}
