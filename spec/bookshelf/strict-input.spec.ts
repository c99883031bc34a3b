// The bookshelf app (buildApp, a fake store) against the input an API fuzzer and curl send: bad
// input is a 4xx naming the problem, never a 5xx, and never silently changed.
import type { FastifyInstance } from 'fastify';
import { connect } from 'node:net';
import { buildApp } from '../../samples/bookshelf/app';
import type { Store } from '../../samples/bookshelf/store';
import { FakeStore } from './fake-store';

const KEY = 'test-key';
const json = { 'content-type': 'application/json', 'x-api-key': KEY };
const leGuin = { id: 1, name: 'Ursula K. Le Guin' };
const dispossessed = { id: 1, title: 'The Dispossessed', isbn: '9780061054884', year: 1974, authorId: 1 };

async function app(store: Store = FakeStore.with([leGuin], [dispossessed]), options: { requestTimeout?: number } = {}): Promise<FastifyInstance> {
  // Without the docs UI: @fastify/swagger-ui needs ESM-only packages jest cannot load before Node 24.9.
  return buildApp({ store, apiKey: KEY, docs: false, ...options });
}

describe('the bookshelf refuses bad input with a 4xx', () => {
  let server: FastifyInstance;
  beforeAll(async () => {
    server = await app();
  });
  afterAll(() => server.close());

  it.each(['9223372036854775808', '1e21', '2147483648', '-1', 'abc'])('answers 400 for offset=%s, naming the parameter', async (offset) => {
    const response = await server.inject(`/authors?offset=${offset}`);
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(/offset/);
  });

  it.each([
    ['POST', '/authors', { name: 'a\u0000b' }, /name/],
    ['POST', '/books', { ...dispossessed, id: undefined, isbn: '9780547773742', title: 'x\u0000' }, /title/],
    ['PUT', '/authors/1', { name: '\u0000' }, /name/],
  ] as const)('answers 400 for a NUL character in a string field (%s %s)', async (method, url, body, field) => {
    const response = await server.inject({ method, url, headers: json, payload: JSON.stringify(body) });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(field);
  });

  it.each([
    [{ year: null }, /year/],
    [{ title: true }, /title/],
    [{ year: '1999' }, /year/],
    [{ title: ['x'] }, /title/],
  ])('does not coerce a body field: %p is a 400', async (patch, field) => {
    const response = await server.inject({ method: 'PATCH', url: '/books/1', headers: json, payload: JSON.stringify(patch) });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(field);
    expect((await server.inject('/books/1')).json()).toEqual(dispossessed);
  });

  it('still coerces the query string: ?limit=1 is the integer 1', async () => {
    const response = await server.inject('/authors?limit=1');
    expect([response.statusCode, response.json().limit]).toEqual([200, 1]);
  });

  it('answers 400 naming an unknown body field instead of dropping it', async () => {
    const response = await server.inject({ method: 'PATCH', url: '/books/1', headers: json, payload: JSON.stringify({ yeer: 1999 }) });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe("body must NOT have additional properties ('yeer')");
  });

  it('answers 415 for a text/plain body to a JSON endpoint', async () => {
    const response = await server.inject({ method: 'POST', url: '/authors', headers: { ...json, 'content-type': 'text/plain' }, payload: 'Le Guin' });
    expect(response.statusCode).toBe(415);
  });

  it('serves /books/ as the list, not as /books/:id with an empty id', async () => {
    const response = await server.inject('/books/');
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual([dispossessed]);
  });

  it('points rel="prev" past the end at the last page that has items', async () => {
    const response = await server.inject('/books?limit=2&offset=10');
    expect(response.headers.link).toBe('</books?limit=2&offset=0>; rel="prev"');
  });
});

describe('the bookshelf answers an unexpected error without its details', () => {
  it('answers 500 with a generic message and the request id, and logs the details once', async () => {
    const failing = Object.assign(FakeStore.with([leGuin]), {
      listAuthors: async () => {
        throw Object.assign(new Error('value "1e21" is out of range for type bigint'), { code: '22003' });
      },
    });
    const lines: Array<{ msg: string; err?: { message: string } }> = [];
    const server = await buildApp({
      store: failing, apiKey: KEY, docs: false,
      logger: { level: 'error', stream: { write: (line: string) => void lines.push(JSON.parse(line)) } },
    });
    const response = await server.inject('/authors');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toMatch(/bigint|22003|range/);
    expect(response.json().message).toContain(response.json().message.match(/req-\w+/)?.[0] ?? 'request id');
    expect(lines.filter((line) => line.err?.message.includes('bigint'))).toHaveLength(1);
    await server.close();
  });
});

describe('the bookshelf bounds slow clients', () => {
  it('closes a socket whose body never arrives once the request timeout has passed', async () => {
    const server = await app(undefined, { requestTimeout: 300 });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.on('data', (chunk) => (answer += chunk));
    socket.write(`POST /authors HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: ${KEY}\r\nContent-Length: 1000\r\n\r\n{"name":`);
    const closedAfter = await new Promise<number>((resolve) => {
      const started = Date.now();
      const giveUp = setTimeout(() => resolve(Infinity), 10_000);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(Date.now() - started);
      });
    });
    socket.destroy();
    await server.close();
    expect(closedAfter).toBeLessThan(5_000);
    expect(answer).toMatch(/^HTTP\/1.1 408/);
  }, 15_000);

  it('closes a socket that sends its body one byte at a time past the request timeout', async () => {
    const server = await app(undefined, { requestTimeout: 300 });
    await server.listen({ port: 0, host: '127.0.0.1' });
    const { port } = server.server.address() as { port: number };
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /authors HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-api-key: ${KEY}\r\nContent-Length: 1000\r\n\r\n`);
    const trickle = setInterval(() => socket.writable && socket.write(' '), 50);
    const started = Date.now();
    const closedAfter = await new Promise<number>((resolve) => {
      const giveUp = setTimeout(() => resolve(Infinity), 10_000);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(Date.now() - started);
      });
    });
    clearInterval(trickle);
    socket.destroy();
    await server.close();
    expect(closedAfter).toBeLessThan(5_000);
  }, 15_000);
});
