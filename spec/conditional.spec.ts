// Conditional requests (RFC 9110 §13): each step of the §13.2.2 precedence, strong and weak
// comparison, dates, 304/412/428, and the validators' headers on 2xx answers.
import { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { MethodView, strongETag } from '../src';
import { appWithViews } from './helpers';

const MODIFIED = new Date('2026-01-01T12:00:00Z');
const BEFORE = 'Thu, 01 Jan 2026 11:00:00 GMT';
const AFTER = 'Thu, 01 Jan 2026 13:00:00 GMT';
const AT = MODIFIED.toUTCString();

const calls = { validators: 0, handler: 0 };

class Book extends MethodView {
  static override requirePreconditions = ['PUT'] as const;
  async validators(request: FastifyRequest<{ Params: { id: string } }>) {
    calls.validators++;
    return request.params.id === '1' ? { etag: '"3"', lastModified: MODIFIED } : undefined;
  }
  get(request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    calls.handler++;
    if (request.params.id !== '1') return reply.code(404).send({ missing: true });
    return { id: 1, version: 3 };
  }
  patch() {
    calls.handler++;
    return { patched: true };
  }
  put(_request: FastifyRequest, reply: FastifyReply) {
    calls.handler++;
    reply.header('etag', strongETag(4));
    return { put: true };
  }
}

let app: FastifyInstance;
beforeAll(async () => {
  app = await appWithViews();
  app.addView('/books/:id', Book.asView('book'));
});
afterAll(() => app.close());
beforeEach(() => {
  calls.validators = 0;
  calls.handler = 0;
});

const send = (method: string, headers: Record<string, string>, id = '1') =>
  app.inject({ method: method as 'GET', url: `/books/${id}`, headers, ...(method === 'GET' || method === 'HEAD' ? {} : { payload: {} }) });

describe('conditional GET and HEAD', () => {
  it('answers 304 to a matching If-None-Match, with the validators and no body, without running the handler', async () => {
    const response = await send('GET', { 'if-none-match': '"3"' });
    expect([response.statusCode, response.body, response.headers.etag, response.headers['last-modified']]).toEqual([304, '', '"3"', AT]);
    expect(calls).toEqual({ validators: 1, handler: 0 });
  });

  it('compares If-None-Match weakly: W/"3" matches "3"', async () => {
    expect((await send('GET', { 'if-none-match': 'W/"3"' })).statusCode).toBe(304);
  });

  it('finds a match anywhere in the list', async () => {
    expect((await send('GET', { 'if-none-match': '"1", "2", "3"' })).statusCode).toBe(304);
  });

  it('answers 200 with ETag and Last-Modified when no tag matches', async () => {
    const response = await send('GET', { 'if-none-match': '"4"' });
    expect([response.statusCode, response.headers.etag, response.headers['last-modified']]).toEqual([200, '"3"', AT]);
  });

  it('matches If-None-Match: * only when the resource exists', async () => {
    expect((await send('GET', { 'if-none-match': '*' })).statusCode).toBe(304);
    expect((await send('GET', { 'if-none-match': '*' }, '2')).statusCode).toBe(404);
  });

  it('answers 304 when not modified since If-Modified-Since, 200 when modified after it', async () => {
    expect((await send('GET', { 'if-modified-since': AFTER })).statusCode).toBe(304);
    expect((await send('GET', { 'if-modified-since': AT })).statusCode).toBe(304);
    expect((await send('GET', { 'if-modified-since': BEFORE })).statusCode).toBe(200);
  });

  it('ignores If-Modified-Since when If-None-Match is present (step 4 only without step 3)', async () => {
    expect((await send('GET', { 'if-none-match': '"4"', 'if-modified-since': AFTER })).statusCode).toBe(200);
  });

  it('ignores an If-Modified-Since that is not a date', async () => {
    expect((await send('GET', { 'if-modified-since': 'yesterday-ish' })).statusCode).toBe(200);
  });

  it('answers HEAD like GET: 304 to a matching tag', async () => {
    const response = await send('HEAD', { 'if-none-match': '"3"' });
    expect([response.statusCode, response.headers.etag]).toEqual([304, '"3"']);
  });

  it('puts no validators on an answer that is not 2xx', async () => {
    const response = await send('GET', {}, '2');
    expect([response.statusCode, response.headers.etag]).toEqual([404, undefined]);
  });
});

describe('conditional writes', () => {
  it('runs the handler when If-Match matches strongly', async () => {
    expect((await send('PATCH', { 'if-match': '"3"' })).statusCode).toBe(200);
    expect(calls.handler).toBe(1);
  });

  it('answers 412 FCV_ERR_PRECONDITION_FAILED for a stale If-Match, without running the handler', async () => {
    const response = await send('PATCH', { 'if-match': '"2"' });
    expect([response.statusCode, response.json().code]).toEqual([412, 'FCV_ERR_PRECONDITION_FAILED']);
    expect(calls.handler).toBe(0);
  });

  it('compares If-Match strongly: W/"3" does not match', async () => {
    expect((await send('PATCH', { 'if-match': 'W/"3"' })).statusCode).toBe(412);
  });

  it('matches If-Match: * only when the resource exists', async () => {
    expect((await send('PATCH', { 'if-match': '*' })).statusCode).toBe(200);
    expect((await send('PATCH', { 'if-match': '*' }, '2')).statusCode).toBe(412);
  });

  it('answers 412 when modified after If-Unmodified-Since, and goes on when not', async () => {
    expect((await send('PATCH', { 'if-unmodified-since': BEFORE })).statusCode).toBe(412);
    expect((await send('PATCH', { 'if-unmodified-since': AFTER })).statusCode).toBe(200);
  });

  it('ignores If-Unmodified-Since when If-Match is present (step 2 only without step 1)', async () => {
    expect((await send('PATCH', { 'if-match': '"3"', 'if-unmodified-since': BEFORE })).statusCode).toBe(200);
  });

  it('answers 412 to a matching If-None-Match on a write', async () => {
    expect((await send('PATCH', { 'if-none-match': '"3"' })).statusCode).toBe(412);
  });

  it('checks If-Match before If-None-Match: a stale If-Match is 412 even for a GET that would be 304', async () => {
    expect((await send('GET', { 'if-match': '"2"', 'if-none-match': '"3"' })).statusCode).toBe(412);
  });

  it('answers 428 FCV_ERR_PRECONDITION_REQUIRED for a required method without a precondition', async () => {
    const response = await send('PUT', {});
    expect([response.statusCode, response.json().code]).toEqual([428, 'FCV_ERR_PRECONDITION_REQUIRED']);
    expect(calls).toEqual({ validators: 0, handler: 0 });
    expect((await send('PUT', { 'if-match': '"3"' })).statusCode).toBe(200);
  });

  it('keeps the ETag a write handler sets', async () => {
    expect((await send('PUT', { 'if-match': '"3"' })).headers.etag).toBe('"4"');
  });
});

describe('conditional requests, robustly', () => {
  it.each([
    { 'if-match': 'garbage' },
    { 'if-match': '"unterminated' },
    { 'if-none-match': ',,,' },
    { 'if-none-match': 'W/' },
    { 'if-unmodified-since': '\u00ff' },
    { 'if-modified-since': '' },
  ] as Array<Record<string, string>>)('never answers 5xx to a malformed conditional header (%p)', async (headers) => {
    expect((await send('GET', headers)).statusCode).toBeLessThan(500);
    expect((await send('PATCH', headers)).statusCode).toBeLessThan(500);
  });

  it('runs validators once per request', async () => {
    await send('GET', {});
    expect(calls.validators).toBe(1);
  });

  it('sends an error thrown by validators to the error handler', async () => {
    class Failing extends MethodView {
      validators(): never {
        throw Object.assign(new Error('store down'), { statusCode: 503 });
      }
      get() {
        return 'never';
      }
    }
    const failing = await appWithViews();
    failing.addView('/f', Failing.asView('failing'));
    expect((await failing.inject('/f')).statusCode).toBe(503);
    await failing.close();
  });

  it('adds no hook to a view without validators', async () => {
    class Plain extends MethodView {
      get() {
        return 'plain';
      }
    }
    const routes: RouteOptions[] = [];
    const plain = await appWithViews();
    plain.addHook('onRoute', (route) => void routes.push(route));
    plain.addView('/p', Plain.asView('plain'));
    const get = routes.find((route) => route.method === 'GET' || (Array.isArray(route.method) && route.method.includes('GET')));
    expect([get?.preHandler, get?.onSend]).toEqual([undefined, undefined]);
    await plain.close();
  });
});
