import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import WebSocket from 'ws';
import v8 from 'node:v8';
import vm from 'node:vm';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLOSE_CODES, MethodView, View, ViewSocket, WebSocketView, errors, fastifyViews } from '../src';
import { connectView } from '../src/testing';
import { appWithViews } from './helpers';
import { eventually, serverConnections } from './sse-client';

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

let app: FastifyInstance;
let base: string;
const clients: WebSocket[] = [];

async function serve(register: (app: FastifyInstance) => void | Promise<void>, logs?: unknown[]): Promise<void> {
  const stream = logs ? { write: (line: string) => logs.push(JSON.parse(line)) } : undefined;
  app = Fastify(stream ? { logger: { level: 'info', stream } } : {});
  await app.register(websocket);
  await app.register(fastifyViews);
  await register(app);
  base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
}

/** A real client over 127.0.0.1; resolves once open. */
function connect(path: string, headers: Record<string, string> = {}): Promise<Peer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(base + path, { headers });
    clients.push(socket);
    const peer = new Peer(socket);
    socket.once('open', () => resolve(peer));
    socket.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    socket.once('error', reject);
  });
}

/** 1,000 clients at `path`, connected 100 at a time. */
async function connectThousand(path: string): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let batch = 0; batch < 10; batch++) peers.push(...(await Promise.all(Array.from({ length: 100 }, () => connect(path)))));
  return peers;
}

class Peer {
  readonly messages: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(String(data)));
    this.closed = new Promise((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  }
  async next(): Promise<string> {
    await eventually(() => this.messages.length > 0, 3000, 'a message');
    return this.messages.shift()!;
  }
  send(value: unknown) {
    this.socket.send(typeof value === 'string' ? value : JSON.stringify(value));
  }
}

afterEach(async () => {
  clients.splice(0).forEach((socket) => socket.terminate());
  await app?.close();
});

describe('WebSocket views', () => {
  it('runs onConnect, onMessage (its return value is sent back) and onClose for a real client', async () => {
    const events: string[] = [];
    class Echo extends WebSocketView {
      onConnect(socket: ViewSocket, request: FastifyRequest) {
        events.push(`connect ${request.url}`);
        socket.send('welcome');
      }
      onMessage(message: unknown) {
        events.push(`message ${String(message)}`);
        return `echo ${String(message)}`;
      }
      onClose(socket: ViewSocket, close: { code: number; reason: string }) {
        events.push(`close ${close.code} ${close.reason}`);
      }
    }
    await serve((app) => void app.addView('/echo', Echo.asView('echo')));
    const peer = await connect('/echo');
    expect(await peer.next()).toBe('welcome');
    peer.send('hi');
    expect(await peer.next()).toBe('echo hi');
    peer.socket.close(4000, 'bye');
    await eventually(() => events.length === 3, 3000, 'onClose');
    expect(events).toEqual(['connect /echo', 'message hi', 'close 4000 bye']);
  });

  it('sends an object returned from onMessage as JSON, and nothing for undefined or null', async () => {
    class Json extends WebSocketView {
      static override messageFormat = 'json' as const;
      onMessage(message: { n: number }) {
        return message.n > 0 ? { double: message.n * 2 } : message.n === 0 ? undefined : null;
      }
    }
    await serve((app) => void app.addView('/json', Json.asView('json')));
    const peer = await connect('/json');
    peer.send({ n: 0 });
    peer.send({ n: -1 });
    peer.send({ n: 21 });
    expect(JSON.parse(await peer.next())).toEqual({ double: 42 });
    expect(peer.messages).toEqual([]);
  });

  it('runs async handlers one at a time, in the order the messages came, after an async onConnect', async () => {
    const order: string[] = [];
    class Ordered extends WebSocketView {
      async onConnect() {
        await sleep(30);
        order.push('connected');
      }
      async onMessage(message: string) {
        await sleep(Number(message));
        order.push(message);
        return message;
      }
    }
    await serve((app) => void app.addView('/ordered', Ordered.asView('ordered')));
    const peer = await connect('/ordered');
    for (const delay of ['20', '1', '10']) peer.send(delay);
    await eventually(() => peer.messages.length === 3, 3000, 'three answers');
    expect(order).toEqual(['connected', '20', '1', '10']);
    expect(peer.messages).toEqual(['20', '1', '10']);
  });

  it('builds one instance per connection by default, and shares one with initEveryRequest = false', async () => {
    class Counter extends WebSocketView {
      count = 0;
      onMessage() {
        return String(++this.count);
      }
    }
    class SharedCounter extends Counter {
      static override initEveryRequest = false;
    }
    await serve((app) => {
      app.addView('/own', Counter.asView('own'));
      app.addView('/shared', SharedCounter.asView('shared'));
    });
    const [a, b] = await Promise.all([connect('/own'), connect('/own')]);
    a.send('x');
    b.send('x');
    expect([await a.next(), await b.next()]).toEqual(['1', '1']);
    const [c, d] = await Promise.all([connect('/shared'), connect('/shared')]);
    c.send('x');
    expect(await c.next()).toBe('1');
    d.send('x');
    expect(await d.next()).toBe('2');
  });

  it('validates each message against messageSchema and closes with 1007, naming the problem, on a bad one', async () => {
    const seen: unknown[] = [];
    class Chat extends WebSocketView<{ text: string }> {
      static override messageSchema = { type: 'object', properties: { text: { type: 'string', maxLength: 10 } }, required: ['text'], additionalProperties: false };
      onMessage(message: { text: string }) {
        seen.push(message);
        return 'ok';
      }
    }
    await serve((app) => void app.addView('/chat', Chat.asView('chat')));
    const good = await connect('/chat');
    good.send({ text: 'hello' });
    expect(await good.next()).toBe('ok');
    const bad = await connect('/chat');
    bad.send({ text: 'far too long for the schema' });
    const closed = await bad.closed;
    expect(closed.code).toBe(CLOSE_CODES.invalidPayload);
    expect(closed.reason).toContain("Invalid message for 'chat'");
    expect(closed.reason).toContain('message/text');
    const notJson = await connect('/chat');
    notJson.send('{not json');
    expect(await notJson.closed).toEqual({ code: 1007, reason: "Invalid message for 'chat': it is not JSON" });
    expect(seen).toEqual([{ text: 'hello' }]);
  });

  it('cuts a close reason over the 123 bytes a close frame allows, so that the socket still closes', async () => {
    class Strict extends WebSocketView {
      static override messageFormat = 'json' as const;
    }
    const name = `strict-${'é'.repeat(80)}`; // 167 bytes of UTF-8, in the reason's message
    await serve((app) => void app.addView('/strict', Strict.asView(name)));
    const peer = await connect('/strict');
    peer.send('{not json');
    const closed = await peer.closed;
    expect(closed.code).toBe(CLOSE_CODES.invalidPayload);
    expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
    expect(closed.reason).toMatch(/^Invalid message for 'strict-é+\.\.\.$/);
  });

  it('validates messages with the app’s validator compiler: a zod messageSchema under fastify-type-provider-zod', async () => {
    class Vote extends WebSocketView<{ choice: 'yes' | 'no' }> {
      static override messageSchema = z.object({ choice: z.enum(['yes', 'no']) });
      onMessage(message: { choice: 'yes' | 'no' }) {
        return `voted ${message.choice}`;
      }
    }
    await serve((app) => {
      app.setValidatorCompiler(validatorCompiler);
      app.addView('/vote', Vote.asView('vote'));
    });
    const peer = await connect('/vote');
    peer.send({ choice: 'yes' });
    expect(await peer.next()).toBe('voted yes');
    peer.send({ choice: 'maybe' });
    expect((await peer.closed).code).toBe(1007);
  });

  it('builds the instance of each connection with the asViewFrom factory, from its request', async () => {
    class Whoami extends WebSocketView {
      constructor(private readonly user: string) {
        super();
      }
      onMessage() {
        return this.user;
      }
    }
    await serve((app) => void app.addView('/whoami', Whoami.asViewFrom('whoami', (request) => new Whoami(String(request.headers['x-user'])))));
    const [ada, bob] = await Promise.all([connect('/whoami', { 'x-user': 'ada' }), connect('/whoami', { 'x-user': 'bob' })]);
    ada.send('?');
    bob.send('?');
    expect([await ada.next(), await bob.next()]).toEqual(['ada', 'bob']);
  });

  it('closes with 1003 on a binary frame where JSON was expected', async () => {
    class Json extends WebSocketView {
      static override messageFormat = 'json' as const;
      onMessage() {
        return 'never';
      }
    }
    await serve((app) => void app.addView('/json', Json.asView('json')));
    const peer = await connect('/json');
    peer.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await peer.closed).code).toBe(CLOSE_CODES.unsupportedData);
  });

  it('closes only that socket with 1011 when a handler throws (sync or async), logs the error, and keeps serving others', async () => {
    class Fragile extends WebSocketView {
      onMessage(message: string) {
        if (message === 'sync') throw new Error('sync failure');
        if (message === 'async') return Promise.reject(new Error('async failure'));
        return 'fine';
      }
    }
    const logs: Array<{ level: number; err?: { message?: string } }> = [];
    await serve((app) => void app.addView('/fragile', Fragile.asView('fragile')), logs);
    const healthy = await connect('/fragile');
    for (const failure of ['sync', 'async']) {
      const peer = await connect('/fragile');
      peer.send(failure);
      expect(await peer.closed).toEqual({ code: 1011, reason: 'Internal error' });
      await eventually(() => logs.some((line) => line.err?.message === `${failure} failure`), 2000, 'the logged error');
    }
    healthy.send('still there?');
    expect(await healthy.next()).toBe('fine');
  });

  it('drops a client that stops reading once more than bufferLimit bytes of answers wait for it', async () => {
    class Big extends WebSocketView {
      static override bufferLimit = 256 * 1024;
      onMessage() {
        return 'x'.repeat(100_000);
      }
    }
    const logs: Array<{ err?: { code?: string } }> = [];
    await serve((app) => void app.addView('/big', Big.asView('big')), logs);
    const peer = await connect('/big');
    peer.socket.pause(); // reads nothing more: the answers pile up in the server's buffers
    for (let n = 0; n < 500 && !logs.some((line) => line.err?.code === 'FCV_ERR_SLOW_CLIENT'); n++) {
      peer.send('more');
      await sleep(2);
    }
    expect(logs.some((line) => line.err?.code === 'FCV_ERR_SLOW_CLIENT')).toBe(true);
    await serverConnections(app.server, 0);
  }, 20_000);

  it('closes with 1011 when onConnect throws, and still runs onClose', async () => {
    let closedWith: number | undefined;
    class Refusing extends WebSocketView {
      async onConnect() {
        throw new Error('no');
      }
      onClose(socket: ViewSocket, close: { code: number }) {
        closedWith = close.code;
      }
    }
    await serve((app) => void app.addView('/refusing', Refusing.asView('refusing')));
    const peer = await connect('/refusing');
    expect((await peer.closed).code).toBe(1011);
    await eventually(() => closedWith === 1011, 2000, 'onClose');
  });

  it('calls every handler through the app’s ensureSync', async () => {
    const calls: string[] = [];
    app = await appWithViews({ ensureSync: (handler) => function (request, reply) { calls.push(handler.name); return handler.call(this, request, reply); } });
    await app.register(websocket);
    class Traced extends WebSocketView {
      onConnect() {}
      onMessage() {
        return 'ok';
      }
      onClose() {}
    }
    app.addView('/traced', Traced.asView('traced'));
    base = (await app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
    const peer = await connect('/traced');
    peer.send('x');
    await peer.next();
    peer.socket.close();
    await eventually(() => calls.length === 3, 2000, 'three calls');
    expect(calls).toEqual(['bound onConnect', 'bound onMessage', 'bound onClose']);
  });

  it('answers a plain GET with 426 and Upgrade: websocket, other methods 405 with Allow, OPTIONS automatically', async () => {
    class Socket extends WebSocketView {}
    await serve((app) => void app.addView('/socket', Socket.asView('socket')));
    const get = await app.inject('/socket');
    expect([get.statusCode, get.headers.upgrade, get.json().code]).toEqual([426, 'websocket', 'FCV_ERR_UPGRADE_REQUIRED']);
    expect(get.json().message).toContain("View 'socket' on '/socket'");
    const post = await app.inject({ method: 'POST', url: '/socket' });
    expect([post.statusCode, post.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
    const options = await app.inject({ method: 'OPTIONS', url: '/socket' });
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('runs the route’s hooks before the upgrade: a hook that refuses keeps the socket from opening', async () => {
    class Private extends WebSocketView {
      static override viewOptions = {
        onRequest: async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
          if (request.headers['x-api-key'] !== 'secret') return reply.code(401).send({ message: 'no key' });
        },
      };
      onMessage() {
        return 'in';
      }
    }
    await serve((app) => void app.addView('/private', Private.asView('private')));
    await expect(connect('/private')).rejects.toThrow('HTTP 401');
    const peer = await connect('/private', { 'x-api-key': 'secret' });
    peer.send('x');
    expect(await peer.next()).toBe('in');
  });

  it('has a name for urlFor, and is left out of OpenAPI', async () => {
    class Socket extends WebSocketView {}
    class Rooms extends MethodView {
      get() {
        return [];
      }
    }
    await serve(async (app) => {
      await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
      app.addView('/rooms/:room/socket', Socket.asView('room'));
      app.addView('/rooms', Rooms.asView('rooms'));
    });
    expect(app.urlFor('room', { room: 'lobby' })).toBe('/rooms/lobby/socket');
    const doc = app.swagger() as unknown as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(['/rooms']);
  });

  it('refuses registration without @fastify/websocket, saying what to register', async () => {
    class Socket extends WebSocketView {}
    const plain = await appWithViews();
    expect(() => plain.addView('/socket', Socket.asView('socket'))).toThrow(errors.FCV_ERR_WEBSOCKET_NOT_REGISTERED);
    await plain.close();
  });

  it('fails app.ready() with FCV_ERR_INVALID_OPTION, naming the view, for a messageSchema that does not compile', async () => {
    class Broken extends WebSocketView {
      static override messageSchema = { type: 'nonsense' };
    }
    app = Fastify();
    await app.register(websocket);
    await app.register(fastifyViews);
    app.addView('/broken', Broken.asView('broken'));
    await expect(app.ready()).rejects.toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining("view 'broken'") }));
  });

  it('refuses an unknown messageFormat at registration', async () => {
    class Odd extends WebSocketView {
      static override messageFormat = 'xml' as never;
    }
    await serve(() => undefined);
    expect(() => app.addView('/odd', Odd.asView('odd'))).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining('messageFormat') }));
  });

  it('closes every socket at app.close()', async () => {
    class Idle extends WebSocketView {}
    await serve((app) => void app.addView('/idle', Idle.asView('idle')));
    const peers = await Promise.all([connect('/idle'), connect('/idle')]);
    await app.close();
    const closes = await Promise.all(peers.map((peer) => peer.closed));
    expect(closes.every((close) => close.code !== 1011)).toBe(true);
  });
});

describe('connectView: one WebSocket view in isolation', () => {
  class Greeter extends WebSocketView<{ name: string }> {
    static override messageSchema = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
    constructor(private readonly greeting: string) {
      super();
    }
    onMessage(message: { name: string }) {
      return `${this.greeting}, ${message.name}`;
    }
  }

  it('connects a client to the view, built with args, and closes everything', async () => {
    const test = await connectView(Greeter, { args: ['Hello'] });
    test.socket.send(JSON.stringify({ name: 'Ada' }));
    expect(await test.nextMessage()).toBe('Hello, Ada');
    test.socket.send('{}');
    expect((await test.closed).code).toBe(1007);
    await test.close();
  });

  it('serves the view at a path with params, through setup hooks', async () => {
    class Room extends WebSocketView {
      onConnect(socket: ViewSocket, request: FastifyRequest<{ Params: { room: string } }>) {
        socket.send(`room ${request.params.room}, user ${String(request.headers['x-user'])}`);
      }
    }
    const test = await connectView(Room, { params: { room: 'lobby' }, headers: { 'x-user': 'ada' } });
    expect(await test.nextMessage()).toBe('room lobby, user ada');
    await test.close();
  });

  it('rejects, with the status, when a hook refuses the handshake', async () => {
    class Private extends WebSocketView {
      static override viewOptions = { onRequest: async (_request: FastifyRequest, reply: import('fastify').FastifyReply) => reply.code(401).send({ message: 'no key' }) };
    }
    await expect(connectView(Private)).rejects.toThrow('401');
  });

  it('lets an app’s own injectWS reach a WebSocket view (its handshake header is mended for ws 8.23)', async () => {
    class Echo extends WebSocketView {
      onMessage(message: string) {
        return message;
      }
    }
    app = Fastify();
    await app.register(websocket);
    await app.register(fastifyViews);
    app.addView('/echo', Echo.asView('echo'));
    await app.ready();
    const socket = await app.injectWS('/echo');
    const reply = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
    socket.send('through injectWS');
    expect(await reply).toBe('through injectWS');
    socket.terminate();
  });

  it('refuses a view that is not a WebSocket view, pointing to runView', async () => {
    class Plain extends View {
      dispatchRequest() {
        return 'http';
      }
    }
    await expect(connectView(Plain)).rejects.toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW_CLASS', message: expect.stringContaining('runView') }));
  });
});

describe('1,000 concurrent sockets', () => {
  it('holds them over 127.0.0.1 and closes them all at app.close() within 3 s', async () => {
    let open = 0;
    class Feed extends WebSocketView {
      onConnect() {
        open++;
      }
      onClose() {
        open--;
      }
      onMessage(message: string) {
        return message;
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const peers = await connectThousand('/feed');
    await eventually(() => open === 1000, 10_000, '1,000 open sockets');
    peers.forEach((peer, n) => peer.send(String(n)));
    await eventually(() => peers.every((peer) => peer.messages.length === 1), 10_000, 'every echo');
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(3000); // about 0.5 s here; bounded for busy machines
    await Promise.all(peers.map((peer) => peer.closed));
    await eventually(() => open === 0, 3000, 'every onClose');
  }, 30_000);

  it('keeps memory flat over rounds of 1,000 sockets opened and closed by their clients', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    let open = 0;
    class Feed extends WebSocketView {
      onConnect() {
        open++;
      }
      onClose() {
        open--;
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const heap: number[] = [];
    for (let round = 0; round < 4; round++) {
      const peers = await connectThousand('/feed');
      await eventually(() => open === 1000, 10_000, '1,000 open sockets');
      peers.forEach((peer) => peer.socket.close());
      await Promise.all(peers.map((peer) => peer.closed));
      await eventually(() => open === 0, 10_000, 'every onClose');
      clients.length = 0;
      await sleep(50);
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    expect(heap[3] - heap[1]).toBeLessThan(4 * 1024 * 1024);
  }, 60_000);
});
