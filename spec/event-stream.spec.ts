import cors from '@fastify/cors';
import swagger from '@fastify/swagger';
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import http from 'node:http';
import net from 'node:net';
import { getEventListeners } from 'node:events';
import v8 from 'node:v8';
import vm from 'node:vm';
import { EventChannel, MethodView, VerbOptions, errors, lastEventId, sendEvents } from '../src';
import { encodeEvent } from '../src/event-stream';
import { appWithViews } from './helpers';
import { runView } from '../src/testing';
import type { ViewDecorator } from '../src';
import { EventClient, eventually, openEvents, serverConnections } from './sse-client';

const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

/** Resolves after `ms`, or when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

let app: FastifyInstance;
let base: string;
const clients: EventClient[] = [];

async function serve(register: (app: FastifyInstance) => void | Promise<void>, logs?: unknown[]): Promise<void> {
  const stream = logs ? { write: (line: string) => logs.push(JSON.parse(line)) } : undefined;
  app = await appWithViews({}, stream ? { logger: { level: 'info', stream } } : {});
  await register(app);
  base = await app.listen({ host: '127.0.0.1', port: 0 });
}

async function open(path: string, headers?: Record<string, string>): Promise<EventClient> {
  const client = await openEvents(base + path, headers);
  clients.push(client);
  return client;
}

afterEach(async () => {
  clients.splice(0).forEach((client) => client.close());
  await app?.close();
});

describe('eventStream verbs: the handler streams server-sent events', () => {
  it('sends what an async generator yields as text/event-stream frames, in order', async () => {
    class Ticks extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async *get() {
        yield { event: 'tick', id: 1, data: { n: 1 } };
        yield { id: 'two', data: 'plain text' };
        yield 'a bare string is data';
      }
    }
    await serve((app) => void app.addView('/ticks', Ticks.asView('ticks')));
    const client = await open('/ticks');
    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers['cache-control']).toBe('no-cache');
    expect(client.response.headers['x-accel-buffering']).toBe('no'); // nginx passes the frames on at once
    expect(await client.nextEvent()).toEqual({ event: 'tick', id: '1', data: '{"n":1}', comments: [] });
    expect(await client.nextEvent()).toEqual({ id: 'two', data: 'plain text', comments: [] });
    expect(await client.nextEvent()).toEqual({ data: 'a bare string is data', comments: [] });
    expect(await client.ended).toBe('end');
  });

  it('sends retry first when the stream sets it, and a comment at once otherwise, so headers arrive before any event', async () => {
    class Slow extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { retry: 2500 } } };
      async *get(request: FastifyRequest) {
        await pause(60_000, request.signal);
      }
    }
    class Quiet extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async *get(request: FastifyRequest) {
        await pause(60_000, request.signal);
      }
    }
    await serve((app) => {
      app.addView('/slow', Slow.asView('slow'));
      app.addView('/quiet', Quiet.asView('quiet'));
    });
    const slow = await open('/slow');
    expect((await slow.nextEvent()).retry).toBe(2500);
    const quiet = await open('/quiet');
    await eventually(() => quiet.frames.length > 0, 2000, 'the opening comment');
    expect(quiet.frames[0]).toEqual({ comments: [''] });
  });

  it('sends multi-line data as one data line per line, which the client joins back', async () => {
    class Poem extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      get() {
        return [{ data: 'one\ntwo\r\nthree' }];
      }
    }
    await serve((app) => void app.addView('/poem', Poem.asView('poem')));
    const client = await open('/poem');
    expect((await client.nextEvent()).data).toBe('one\ntwo\nthree');
  });

  it('passes Last-Event-ID to the handler, so a reconnecting client resumes after the last event it got', async () => {
    class Numbers extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      *get(request: FastifyRequest) {
        const after = Number(lastEventId(request) ?? 0);
        for (let n = after + 1; n <= after + 2; n++) yield { id: n, data: n };
      }
    }
    await serve((app) => void app.addView('/numbers', Numbers.asView('numbers')));
    const first = await open('/numbers');
    expect([(await first.nextEvent()).id, (await first.nextEvent()).id]).toEqual(['1', '2']);
    const again = await open('/numbers', { 'last-event-id': '2' });
    expect([(await again.nextEvent()).id, (await again.nextEvent()).id]).toEqual(['3', '4']);
  });

  it('sends heartbeat comments while no event is sent', async () => {
    class Idle extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 30 } } };
      async *get(request: FastifyRequest) {
        await pause(60_000, request.signal);
      }
    }
    await serve((app) => void app.addView('/idle', Idle.asView('idle')));
    const client = await open('/idle');
    await eventually(() => client.frames.length >= 4, 3000, 'heartbeats');
    expect(client.frames.every((frame) => frame.data === undefined && frame.comments.length === 1)).toBe(true);
  });

  it('counts the heartbeat from the last frame: events closer together than it get none between them', async () => {
    class Busy extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 250, retry: 1000 } } };
      async *get(request: FastifyRequest) {
        for (let n = 0; n < 20; n++) {
          await pause(30, request.signal); // 600 ms of events, 30 ms apart: a stall of 250 ms would be needed to see a heartbeat
          yield { data: n };
        }
        await pause(60_000, request.signal);
      }
    }
    await serve((app) => void app.addView('/busy', Busy.asView('busy')));
    const client = await open('/busy');
    await eventually(() => client.frames.filter((frame) => frame.data !== undefined).length === 20, 5000, 'twenty events');
    const lastEvent = client.frames.length;
    expect(client.frames.slice(0, lastEvent).filter((frame) => frame.data === undefined && frame.comments.length > 0)).toEqual([]);
    await eventually(() => client.frames.length > lastEvent, 3000, 'a heartbeat once the events stop');
    expect(client.frames[lastEvent].comments.length).toBe(1);
  }, 10_000);

  it('aborts request.signal and ends the generator (its finally runs) when the client hangs up', async () => {
    const seen = { aborted: false, finished: false };
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async *get(request: FastifyRequest) {
        request.signal.addEventListener('abort', () => (seen.aborted = true));
        try {
          for (let n = 0; ; n++) {
            yield { data: n };
            await pause(10, request.signal);
          }
        } finally {
          seen.finished = true;
        }
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const client = await open('/feed');
    await client.nextEvent();
    client.close();
    await eventually(() => seen.aborted && seen.finished, 3000, 'the abort and the generator to end');
  });

  it('reads the generator only as fast as the client reads (a client that stops reading pauses it)', async () => {
    let produced = 0;
    class Firehose extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      *get() {
        for (;;) {
          produced++;
          yield { data: 'x'.repeat(1000) };
        }
      }
    }
    await serve((app) => void app.addView('/firehose', Firehose.asView('firehose')));
    const client = await open('/firehose');
    client.pause();
    await sleep(300);
    const whilePaused = produced;
    await sleep(300);
    // Bounded by the stream's and the sockets' buffers (a few MB at most), and no longer growing.
    expect(produced).toBe(whilePaused);
    expect(produced).toBeLessThan(20_000);
    client.resume();
    await eventually(() => produced > whilePaused + 100, 3000, 'the generator to go on');
  });

  it('ends open streams at app.close(), so that close does not wait for their clients', async () => {
    class Forever extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 0 } } };
      async *get(request: FastifyRequest) {
        await pause(60_000, request.signal);
      }
    }
    await serve((app) => void app.addView('/forever', Forever.asView('forever')));
    const streams = await Promise.all([open('/forever'), open('/forever'), open('/forever')]);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await Promise.all(streams.map((client) => client.ended))).toEqual(['end', 'end', 'end']);
  });

  it('answers HEAD with the stream headers only, without running the generator', async () => {
    let started = false;
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async *get() {
        started = true;
        yield { data: 1 };
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const response = await app.inject({ method: 'HEAD', url: '/feed' });
    expect([response.statusCode, response.headers['content-type'], response.body]).toEqual([200, 'text/event-stream; charset=utf-8', '']);
    expect(started).toBe(false);
  });

  it('answers 405 with Allow for other methods, and OPTIONS automatically, as for any verb', async () => {
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      get() {
        return [];
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const post = await app.inject({ method: 'POST', url: '/feed' });
    expect([post.statusCode, post.headers.allow, post.json().code]).toEqual([405, 'GET, HEAD, OPTIONS', 'FCV_ERR_METHOD_NOT_ALLOWED']);
    const options = await app.inject({ method: 'OPTIONS', url: '/feed' });
    expect([options.statusCode, options.headers.allow]).toEqual([200, 'GET, HEAD, OPTIONS']);
  });

  it('answers an error thrown before the stream (an async verb that checks, then returns the events) as usual', async () => {
    class BookEvents extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async get(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
        if (request.params.id !== '1') return reply.code(404).send({ message: 'no such book' });
        return [{ data: 'book 1 changed' }];
      }
    }
    await serve((app) => void app.addView('/books/:id/events', BookEvents.asView('bookEvents')));
    const missing = await app.inject('/books/2/events');
    expect([missing.statusCode, missing.json()]).toEqual([404, { message: 'no such book' }]);
    const client = await open('/books/1/events');
    expect((await client.nextEvent()).data).toBe('book 1 changed');
  });

  it('answers 500 FCV_ERR_INVALID_EVENT, naming the view, when the verb returns no iterable', async () => {
    class Wrong extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      get() {
        return { data: 'one event, not a stream of them' };
      }
    }
    await serve((app) => void app.addView('/wrong', Wrong.asView('wrong')));
    const response = await app.inject('/wrong');
    expect([response.statusCode, response.json().code]).toEqual([500, 'FCV_ERR_INVALID_EVENT']);
    expect(response.json().message).toContain("View 'wrong' on GET /wrong");
  });

  it('closes the connection and logs FCV_ERR_INVALID_EVENT when the source yields a malformed event mid-stream', async () => {
    class Forged extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      *get() {
        yield { id: 1, data: 'fine' };
        yield { id: '2\ndata: forged', data: 'a line break in an id would forge a field' };
        yield { data: 'never sent' };
      }
    }
    const logs: Array<{ err?: { code?: string } }> = [];
    await serve((app) => void app.addView('/forged', Forged.asView('forged')), logs);
    const client = await open('/forged');
    expect((await client.nextEvent()).data).toBe('fine');
    expect(await client.ended).toBe('aborted');
    expect(client.frames.some((frame) => frame.data === 'forged' || frame.data === 'never sent')).toBe(false);
    await eventually(() => logs.some((line) => line.err?.code === 'FCV_ERR_INVALID_EVENT'), 2000, 'the error in the log');
  });

  it.each([
    ['an event it cannot encode', { data: { n: BigInt(1) } }, {}],
    ['an event larger than bufferLimit (the client is dropped)', { data: 'x'.repeat(5000) }, { bufferLimit: 1000 }],
  ])('ends the generator (its finally runs) when the stream stops it: %s', async (_case, bad, options) => {
    let finished = false;
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 0, ...options } } };
      async *get() {
        try {
          yield { data: 'first' };
          yield bad;
          yield { data: 'never' };
        } finally {
          finished = true;
        }
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const client = await open('/feed');
    await client.ended;
    await eventually(() => finished, 2000, "the generator's finally");
  });

  it('finishes a stream that starts while the app is closing (its verb was still running)', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    class Late extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async get(request: FastifyRequest) {
        await held;
        return (async function* forever() {
          for (;;) {
            yield 'tick';
            await pause(20, request.signal);
          }
        })();
      }
    }
    await serve((app) => void app.addView('/late', Late.asView('late')));
    const answered = new Promise<http.IncomingMessage>((resolve) => http.get(base + '/late', resolve));
    await sleep(50);
    const closing = app.close();
    release();
    const response = await answered;
    response.resume();
    await new Promise((done) => response.on('close', done));
    await closing;
  });

  it('does not let a client that stopped reading hold app.close() for more than about a second', async () => {
    class Firehose extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      *get() {
        for (;;) yield { data: 'x'.repeat(1000) };
      }
    }
    await serve((app) => void app.addView('/firehose', Firehose.asView('firehose')));
    const { port } = new URL(base);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.write('GET /firehose HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    socket.once('data', () => socket.pause()); // reads the first chunk, then nothing
    await sleep(300);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(2500);
    socket.destroy();
  });

  it('keeps the headers that hooks and plugins set (CORS) on the stream', async () => {
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = {
        get: { eventStream: true, onRequest: async (request, reply) => void reply.header('x-feed', 'books').header('cache-control', 'no-store') },
      };
      get() {
        return [{ data: 1 }];
      }
    }
    await serve(async (app) => {
      await app.register(cors, { origin: 'https://shelf.example' });
      app.addView('/feed', Feed.asView('feed'));
    });
    const client = await open('/feed', { origin: 'https://shelf.example' });
    expect(client.response.headers['access-control-allow-origin']).toBe('https://shelf.example');
    expect(client.response.headers['x-feed']).toBe('books');
    expect(client.response.headers['cache-control']).toBe('no-store'); // a hook's own, not the stream's default
  });

  it('serializes data with the stream schema, as a response schema does (undeclared fields dropped)', async () => {
    const Book = { type: 'object', properties: { id: { type: 'integer' }, title: { type: 'string' } } };
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { schema: Book } } };
      get() {
        return [{ data: { id: 1, title: 'Dune', secret: 'not for clients' } }];
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const client = await open('/feed');
    expect(JSON.parse((await client.nextEvent()).data!)).toEqual({ id: 1, title: 'Dune' });
  });

  it('serializes data with the stream’s serialize option, without a schema', async () => {
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { serialize: (data) => `n=${(data as { n: number }).n}` } } };
      get() {
        return [{ data: { n: 7 } }, 'text is sent as it is'];
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const client = await open('/feed');
    expect([(await client.nextEvent()).data, (await client.nextEvent()).data]).toEqual(['n=7', 'text is sent as it is']);
  });

  it('keeps a 200 the verb documents itself in OpenAPI', async () => {
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true, schema: { response: { 200: { description: 'Live changes', type: 'string' } } } } };
      get() {
        return [];
      }
    }
    await serve(async (app) => {
      await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
      app.addView('/feed', Feed.asView('feed'));
    });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> };
    expect(doc.paths['/feed'].get.responses['200'].description).toBe('Live changes');
  });

  it('documents a text/event-stream 200 in OpenAPI, with the data schema', async () => {
    const Book = { type: 'object', properties: { id: { type: 'integer' } } };
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { schema: Book } } };
      get() {
        return [];
      }
    }
    await serve(async (app) => {
      await app.register(swagger, { openapi: { info: { title: 't', version: '1' } } });
      app.addView('/feed', Feed.asView('feed'));
    });
    await app.ready();
    const doc = app.swagger() as unknown as { paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, Record<string, unknown>> }> }>> };
    const media = doc.paths['/feed'].get.responses['200'].content['text/event-stream'];
    expect(media.schema).toMatchObject({ type: 'string' });
    expect(media['x-event-data']).toEqual(Book);
    expect(doc.paths['/feed'].post).toBeUndefined();
  });

  it('streams from sendEvents(request, reply, source) in any handler', async () => {
    class Manual extends MethodView {
      get(request: FastifyRequest, reply: FastifyReply) {
        return sendEvents(request, reply, ['a', 'b'], { heartbeat: 0 });
      }
    }
    await serve((app) => void app.addView('/manual', Manual.asView('manual')));
    const client = await open('/manual');
    expect([(await client.nextEvent()).data, (await client.nextEvent()).data]).toEqual(['a', 'b']);
  });

  it('runs inside the class’s decorators, which see the request before the stream starts', async () => {
    const tagged: ViewDecorator = (view) => (request, reply) => {
      reply.header('x-decorated', 'yes');
      return request.server.ensureSync(view)(request, reply);
    };
    class Feed extends MethodView {
      static override decorators = [tagged];
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      async *get() {
        yield 'decorated';
      }
    }
    await serve((app) => void app.addView('/feed', Feed.asView('feed')));
    const client = await open('/feed');
    expect(client.response.headers['x-decorated']).toBe('yes');
    expect((await client.nextEvent()).data).toBe('decorated');
  });

  it('runs under runView when the source ends: the body is the frames', async () => {
    class Two extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 0 } } };
      *get() {
        yield { id: 1, data: 'a' };
        yield { id: 2, data: 'b' };
      }
    }
    const response = await runView(Two);
    expect([response.status, response.headers['content-type'], response.text]).toEqual([200, 'text/event-stream; charset=utf-8', ':\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n\n']);
  });

  it('calls the verb through the app’s ensureSync', async () => {
    const calls: string[] = [];
    app = await appWithViews({ ensureSync: (handler) => function (request, reply) { calls.push(handler.name); return handler.call(this, request, reply); } });
    class Feed extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      get() {
        return ['x'];
      }
    }
    app.addView('/feed', Feed.asView('feed'));
    base = await app.listen({ host: '127.0.0.1', port: 0 });
    const client = await open('/feed');
    await client.nextEvent();
    expect(calls).toEqual(['bound get']);
  });

  it.each([
    [{ heartbeat: -1 }, 'eventStream.heartbeat'],
    [{ bufferLimit: 0 }, 'eventStream.bufferLimit'],
    [{ retry: 1.5 }, 'eventStream.retry'],
    [{ heartbeet: 10 }, 'eventStream.heartbeet'],
  ])('refuses the bad option %j at registration, naming it', async (options, name) => {
    class Feed extends MethodView {
      static override verbOptions = { get: { eventStream: options as never } };
      get() {
        return [];
      }
    }
    app = await appWithViews();
    expect(() => app.addView('/feed', Feed.asView('feed'))).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION', message: expect.stringContaining(name) }));
  });
});

describe('encodeEvent: what goes on the wire', () => {
  it.each([
    [{ data: 'x', event: 'a\nb' }, 'line break'],
    [{ data: 'x', id: 'a\rb' }, 'line break'],
    [{ id: 'a\0b' }, 'NUL'],
    [{ retry: -5 }, 'retry'],
    [{ dat: 'typo' }, "'dat' is not a field"],
    [{}, 'at least one'],
    [42, 'got 42'],
    [{ event: { nested: true } }, 'string or a number'],
  ])('refuses %j with FCV_ERR_INVALID_EVENT', (event, message) => {
    expect(() => encodeEvent(event)).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_EVENT', message: expect.stringContaining(message) }));
  });

  it('writes comments, event, id, retry and data, and ends the frame with a blank line', () => {
    expect(encodeEvent({ comment: 'hi', event: 'e', id: 7, retry: 10, data: { a: 1 } })).toBe(': hi\nevent: e\nid: 7\nretry: 10\ndata: {"a":1}\n\n');
  });
});

describe('EventChannel: one producer, many streams', () => {
  function channelApp(channel: EventChannel) {
    class Changes extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 0 } } };
      get(request: FastifyRequest) {
        return channel.subscribe(request);
      }
    }
    return (app: FastifyInstance) => void app.addView('/changes', Changes.asView('changes'));
  }

  it('sends each published event to every subscriber, with ids', async () => {
    const channel = new EventChannel();
    await serve(channelApp(channel));
    const [a, b] = await Promise.all([open('/changes'), open('/changes')]);
    await eventually(() => channel.size === 2, 2000, 'two subscribers');
    channel.publish({ event: 'added', data: { id: 1 } });
    for (const client of [a, b]) expect(await client.nextEvent()).toEqual({ event: 'added', id: '1', data: '{"id":1}', comments: [] });
  });

  it('replays what a reconnecting client missed since its Last-Event-ID', async () => {
    const channel = new EventChannel({ history: 10 });
    await serve(channelApp(channel));
    for (let n = 1; n <= 5; n++) channel.publish({ data: n });
    const client = await open('/changes', { 'last-event-id': '3' });
    expect([(await client.nextEvent()).data, (await client.nextEvent()).data]).toEqual(['4', '5']);
  });

  it('replays nothing for a Last-Event-ID no longer in the history: the client gets what is published next', async () => {
    const channel = new EventChannel({ history: 3 });
    await serve(channelApp(channel));
    for (let n = 1; n <= 5; n++) channel.publish({ data: n });
    const client = await open('/changes', { 'last-event-id': '1' });
    await eventually(() => channel.size === 1, 2000, 'the subscriber');
    channel.publish({ data: 6 });
    expect((await client.nextEvent()).id).toBe('6');
  });

  it('keeps the last 100 events by default', async () => {
    const channel = new EventChannel();
    await serve(channelApp(channel));
    for (let n = 1; n <= 101; n++) channel.publish({ data: n });
    // 2 to 101 are kept: after 2 come 3 onwards; 1 is gone, so nothing is replayed after it.
    const all = await open('/changes', { 'last-event-id': '2' });
    expect((await all.nextEvent()).id).toBe('3');
    const none = await open('/changes', { 'last-event-id': '1' });
    await eventually(() => channel.size === 2, 2000, 'two subscribers');
    channel.publish({ data: 102 });
    expect((await none.nextEvent()).id).toBe('102');
  });

  it('encodes data with the channel’s serialize option', async () => {
    const channel = new EventChannel({ serialize: (data) => `#${String(data)}` });
    await serve(channelApp(channel));
    const client = await open('/changes');
    await eventually(() => channel.size === 1, 2000, 'the subscriber');
    channel.publish({ data: 42 });
    expect((await client.nextEvent()).data).toBe('#42');
  });

  it('unsubscribes a client that hangs up', async () => {
    const channel = new EventChannel();
    await serve(channelApp(channel));
    const client = await open('/changes');
    await eventually(() => channel.size === 1, 2000, 'the subscriber');
    client.close();
    await eventually(() => channel.size === 0, 2000, 'the subscriber to leave');
  });

  it('drops a client that stops reading once more than bufferLimit bytes wait for it, and logs FCV_ERR_SLOW_CLIENT', async () => {
    const channel = new EventChannel({ bufferLimit: 64 * 1024 });
    const logs: Array<{ err?: { code?: string } }> = [];
    await serve(channelApp(channel), logs);
    const slow = await open('/changes');
    const reader = await open('/changes');
    await eventually(() => channel.size === 2, 2000, 'two subscribers');
    slow.pause();
    let received = 0;
    reader.response.on('data', () => received++);
    const payload = 'x'.repeat(10_000);
    // Slowly enough for the reading client; the paused one's socket buffers fill, then its queue.
    for (let n = 0; n < 5000 && channel.size === 2; n++) {
      channel.publish({ data: payload });
      await sleep(1);
    }
    // The paused client cannot tell (it reads nothing, not even the end): the server can.
    expect(channel.size).toBe(1);
    expect(received).toBeGreaterThan(0);
    await serverConnections(app.server, 1);
    await eventually(() => logs.some((line) => line.err?.code === 'FCV_ERR_SLOW_CLIENT'), 2000, 'the drop in the log');
  }, 30_000);

  it('ends every subscription at close(), and subscriptions whose signal aborted', async () => {
    const channel = new EventChannel();
    const controller = new AbortController();
    const first = channel.subscribe({ signal: controller.signal });
    const second = channel.subscribe();
    controller.abort();
    expect(await first.next()).toEqual({ value: undefined, done: true });
    channel.close();
    expect(await second.next()).toEqual({ value: undefined, done: true });
    expect(channel.size).toBe(0);
  });

  it('replays a history larger than bufferLimit without dropping the client or leaking its subscription', async () => {
    const channel = new EventChannel({ history: 10, bufferLimit: 2000 });
    await serve(channelApp(channel));
    for (let n = 1; n <= 10; n++) channel.publish({ data: 'x'.repeat(500) });
    const client = await open('/changes', { 'last-event-id': '1' });
    for (let n = 2; n <= 10; n++) expect((await client.nextEvent()).id).toBe(String(n));
    expect(channel.size).toBe(1);
    client.close();
    await eventually(() => channel.size === 0, 2000, 'the subscriber to leave');
  });

  it('removes its abort listener from a long-lived signal when a subscription ends', async () => {
    const channel = new EventChannel();
    const shutdown = new AbortController();
    for (let n = 0; n < 20; n++) await channel.subscribe({ signal: shutdown.signal }).return!();
    expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
  });

  it('refuses, with FCV_ERR_INVALID_EVENT, data it cannot serialize or an id that is not a string or number, and spends no id on them', () => {
    const channel = new EventChannel();
    expect(() => channel.publish({ data: { n: BigInt(1) } })).toThrow(errors.FCV_ERR_INVALID_EVENT);
    expect(() => channel.publish({ id: {} as never, data: 1 })).toThrow(errors.FCV_ERR_INVALID_EVENT);
    expect(channel.publish({ data: 1 })).toBe('1');
  });

  it('refuses a malformed event at publish', () => {
    expect(() => new EventChannel().publish({ event: 'a\nb' })).toThrow(errors.FCV_ERR_INVALID_EVENT);
  });
});

describe('1,000 concurrent event streams', () => {
  it('holds them, then closes them all at app.close() within 3 s, leaving no subscriber behind', async () => {
    const channel = new EventChannel();
    class Changes extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: { heartbeat: 1000 } } };
      get(request: FastifyRequest) {
        return channel.subscribe(request);
      }
    }
    await serve((app) => void app.addView('/changes', Changes.asView('changes')));
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const streams = await Promise.all(Array.from({ length: 1000 }, () => openEvents(base + '/changes', {}, agent)));
    await eventually(() => channel.size === 1000, 10_000, '1,000 subscribers');
    channel.publish({ data: 'to all' });
    const got = await Promise.all(streams.map((client) => client.nextEvent()));
    expect(got.every((frame) => frame.data === 'to all')).toBe(true);
    const started = Date.now();
    await app.close();
    expect(Date.now() - started).toBeLessThan(3000); // about 0.5 s here; bounded for busy machines
    expect((await Promise.all(streams.map((client) => client.ended))).every((how) => how === 'end')).toBe(true);
    expect(channel.size).toBe(0);
    agent.destroy();
  }, 30_000);

  it('keeps memory flat over rounds of 1,000 streams opened and hung up', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const channel = new EventChannel();
    class Changes extends MethodView {
      static override verbOptions: VerbOptions = { get: { eventStream: true } };
      get(request: FastifyRequest) {
        return channel.subscribe(request);
      }
    }
    await serve((app) => void app.addView('/changes', Changes.asView('changes')));
    const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
    const heap: number[] = [];
    for (let round = 0; round < 4; round++) {
      const streams = await Promise.all(Array.from({ length: 1000 }, () => openEvents(base + '/changes', {}, agent)));
      await eventually(() => channel.size === 1000, 10_000, '1,000 subscribers');
      channel.publish({ data: round });
      await Promise.all(streams.map((client) => client.nextEvent()));
      streams.forEach((client) => client.close());
      await eventually(() => channel.size === 0, 10_000, 'every subscriber to leave');
      await sleep(50);
      gc();
      heap.push(process.memoryUsage().heapUsed);
    }
    // The first round warms up (compiled code, pools); after it, hanging up frees what a stream held.
    expect(heap[3] - heap[1]).toBeLessThan(4 * 1024 * 1024);
    agent.destroy();
  }, 60_000);
});
