import { METHODS } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import Fastify, { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyViews, { MethodView, VerbOptions, View } from '../src';

// Property-based: whatever method, path, headers and body a client sends, an app of several
// views answers a well-formed response, 5xx only where a view was written to fail, leaves no
// request unanswered and no rejection unhandled, and never runs anything but a verb handler.

const invoked: string[] = [];

class Items extends MethodView {
  static override verbOptions = {
    post: { schema: { body: { type: 'object', properties: { name: { type: 'string', maxLength: 20 } }, required: ['name'] } } },
    put: { schema: { params: { type: 'object', properties: { id: { type: 'integer' } } } } },
  } satisfies VerbOptions;
  constructor() {
    super();
    // Data fields and helpers named like verbs and like what a careless dispatcher might call.
    Object.assign(this, { patch: 'data', trace: 42, propfind: () => invoked.push('propfind field') });
  }
  get(request: FastifyRequest) {
    return { items: [], query: request.query };
  }
  post(request: FastifyRequest<{ Body: { name: string } }>, reply: FastifyReply) {
    return reply.code(201).send({ name: request.body.name });
  }
  async put(request: FastifyRequest<{ Params: { id?: number } }>) {
    return { updated: request.params.id ?? null };
  }
  async delete(_request: FastifyRequest, reply: FastifyReply) {
    return reply.code(204).send();
  }
  override toString() {
    invoked.push('toString');
    return 'Items';
  }
  valueOf() {
    invoked.push('valueOf');
    return 0;
  }
  propfind() {
    invoked.push('propfind');
  }
  mkcol() {
    invoked.push('mkcol');
  }
}

class Echo extends View {
  static override methods = ['GET', 'POST', 'PROPFIND'] as const;
  dispatchRequest(request: FastifyRequest) {
    return { method: request.method, body: request.body ?? null };
  }
}

class Boom extends MethodView {
  get() {
    throw new Error('written to fail');
  }
  async post() {
    throw new Error('written to fail, async');
  }
}

async function buildApp(): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.addHttpMethod('PROPFIND', { hasBody: true });
  app.addHttpMethod('MKCOL');
  await app.register(fastifyViews);
  app.addView('/items', Items.asView('items'));
  app.addView('/items/:id', Items.asView('item'));
  app.addView('/echo', Echo.asView('echo'));
  app.addView('/boom', Boom.asView('boom'));
  await app.ready();
  return app;
}

const paths = fc.oneof(
  fc.constantFrom('/items', '/items/1', '/items/abc', '/echo', '/boom', '/', '/missing', '/items/1/extra', '/items?x=1'),
  fc.tuple(fc.constantFrom('/items/', '/echo/', '/'), fc.string({ maxLength: 20 })).map(([base, tail]) => base + encodeURIComponent(tail)),
  fc.webPath().map((path) => (path.startsWith('/') ? path : `/${path}`)),
);
const headerName = fc.stringMatching(/^x-[a-z][a-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[ -~]{0,40}$/).map((value) => value.trim());
const bodies = fc.oneof(
  fc.constant(undefined),
  fc.json().map((json) => ({ payload: json, type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((text) => ({ payload: text, type: 'application/json' })),
  fc.string({ maxLength: 200 }).map((text) => ({ payload: text, type: 'text/plain' })),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ payload: Buffer.from(bytes), type: 'application/octet-stream' })),
);
const knownMethods = fc.constantFrom(...METHODS.filter((method) => method !== 'CONNECT'), ...['get', 'post', 'delete', 'options', 'head']);

let unhandled: unknown[] = [];
const record = (reason: unknown) => unhandled.push(reason);
beforeAll(() => process.on('unhandledRejection', record));
afterAll(() => process.off('unhandledRejection', record));

describe('any request to an app of views', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp();
  });
  afterAll(() => app.close());

  it('gets a well-formed answer, 5xx only from the view written to fail', async () => {
    await fc.assert(
      fc.asyncProperty(knownMethods, paths, fc.dictionary(headerName, headerValue, { maxKeys: 4 }), bodies, async (method, url, headers, body) => {
        const response = await app.inject({
          method: method as never,
          url,
          headers: body ? { ...headers, 'content-type': body.type } : headers,
          payload: method.toUpperCase() === 'GET' || method.toUpperCase() === 'HEAD' ? undefined : body?.payload,
        });
        expect(Number.isInteger(response.statusCode)).toBe(true);
        expect(response.statusCode).toBeGreaterThanOrEqual(200);
        if (response.statusCode >= 500) expect(url.split('?')[0]).toBe('/boom');
        else expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode === 405) expect(response.headers.allow).toMatch(/^[A-Z, -]+$/);
      }),
      { numRuns: 300 },
    );
    expect(invoked).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});

/** Sends raw bytes over a socket (for methods no client library would send) and reads the status line. */
function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(text.slice(0, 40))}`));
    }, 2000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('error', () => undefined); // a reset after the answer is fine
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(data);
    });
    socket.end(text);
  });
}

describe('any method a raw client sends', () => {
  let app: FastifyInstance;
  let port: number;
  beforeAll(async () => {
    app = await buildApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });
  afterAll(() => app.close());

  it('gets an HTTP answer with a 2xx-4xx status, never a hang', async () => {
    const garbageMethods = fc.oneof(
      fc.constantFrom('CONSTRUCTOR', '__PROTO__', 'TOSTRING', 'VALUEOF', 'DISPATCHREQUEST', 'propfind', 'Get', 'FOO', 'G-E-T'),
      fc.stringMatching(/^[A-Za-z_-]{1,12}$/),
    );
    await fc.assert(
      fc.asyncProperty(garbageMethods, fc.constantFrom('/items', '/items/1', '/echo', '/missing'), async (method, path) => {
        const answer = await rawRequest(port, `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1]);
        expect(status).toBeGreaterThanOrEqual(200);
        expect(status).toBeLessThan(500);
      }),
      { numRuns: 60 },
    );
    expect(invoked).toEqual([]);
    expect(unhandled).toEqual([]);
  });
});
