// problemDetails: true — errors on view routes as application/problem+json (RFC 9457).
import Fastify, { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyViews, { MethodView, VerbOptions } from '../src';

class Books extends MethodView {
  static override requirePreconditions = ['PUT'] as const;
  static override verbOptions = {
    post: { schema: { body: { type: 'object', properties: { name: { type: 'string' }, year: { type: 'integer' } }, required: ['name'], additionalProperties: false } } },
  } satisfies VerbOptions;
  validators() {
    return { etag: '"1"' };
  }
  get(request: FastifyRequest<{ Querystring: { fail?: string } }>) {
    if (request.query.fail === 'teapot') throw Object.assign(new Error('no coffee here'), { statusCode: 418, code: 'BOOKS_TEAPOT' });
    if (request.query.fail === 'undefined') return Promise.resolve(undefined);
    return { ok: true };
  }
  post() {
    return { created: true };
  }
  put() {
    return { put: true };
  }
}

async function app(options: { errorHandler?: boolean } = {}): Promise<FastifyInstance> {
  const server = Fastify();
  await server.register(fastifyViews, { problemDetails: true });
  server.addView('/books', Books.asView('books'), options.errorHandler ? { errorHandler: (_error, _request, reply) => void reply.code(599).send('mine') } : undefined);
  server.get('/plain', async () => {
    throw Object.assign(new Error('plain route'), { statusCode: 409 });
  });
  return server;
}

const problem = (response: { headers: Record<string, unknown>; json(): unknown }) => {
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  return response.json() as Record<string, unknown>;
};

describe('problemDetails: true', () => {
  let server: FastifyInstance;
  beforeAll(async () => {
    server = await app();
  });
  afterAll(() => server.close());

  it('answers a 405 as a problem, Allow kept', async () => {
    const response = await server.inject({ method: 'DELETE', url: '/books?x=1' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST, PUT');
    expect(problem(response)).toEqual({
      type: 'about:blank', title: 'Method Not Allowed', status: 405, code: 'FCV_ERR_METHOD_NOT_ALLOWED',
      detail: expect.stringContaining("Method 'DELETE' is not allowed"), instance: '/books?x=1',
    });
  });

  it('answers a validation error with one entry per failing field and a JSON pointer to it', async () => {
    const response = await server.inject({ method: 'POST', url: '/books', payload: { year: 'x', extra: 1 } });
    expect(response.statusCode).toBe(400);
    const body = problem(response);
    expect([body.title, body.code]).toEqual(['Bad Request', 'FST_ERR_VALIDATION']);
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ in: 'body', pointer: expect.stringMatching(/^\/(name|year|extra)$/) })]));
  });

  it('answers 412 and 428 from conditional requests as problems', async () => {
    const stale = await server.inject({ method: 'PUT', url: '/books', headers: { 'if-match': '"0"' } });
    expect([stale.statusCode, problem(stale).code]).toEqual([412, 'FCV_ERR_PRECONDITION_FAILED']);
    const bare = await server.inject({ method: 'PUT', url: '/books' });
    expect([bare.statusCode, problem(bare).title]).toEqual([428, 'Precondition Required']);
  });

  it('answers the 500 for an async undefined as a problem', async () => {
    const response = await server.inject('/books?fail=undefined');
    expect([response.statusCode, problem(response).code]).toEqual([500, 'FCV_ERR_NO_RESPONSE']);
  });

  it('answers an error a view throws with its status and code', async () => {
    const response = await server.inject('/books?fail=teapot');
    expect(response.statusCode).toBe(418);
    expect(problem(response)).toMatchObject({ status: 418, title: "I'm a Teapot", detail: 'no coffee here', code: 'BOOKS_TEAPOT' });
  });

  it('leaves routes that are not views alone', async () => {
    const response = await server.inject('/plain');
    expect([response.statusCode, response.headers['content-type']]).toEqual([409, 'application/json; charset=utf-8']);
  });
});

describe('problemDetails and the error handlers a user sets', () => {
  it('lets an errorHandler given to addView win', async () => {
    const server = await app({ errorHandler: true });
    const response = await server.inject({ method: 'POST', url: '/books', payload: {} });
    expect([response.statusCode, response.body]).toEqual([599, 'mine']);
  });

  it('lets the error handler of the view’s context win', async () => {
    const server = Fastify();
    await server.register(fastifyViews, { problemDetails: true });
    await server.register(async (child) => {
      child.setErrorHandler((_error, _request, reply) => void reply.code(598).send('context'));
      child.addView('/books', Books.asView('books'));
    });
    const response = await server.inject('/books?fail=teapot');
    expect([response.statusCode, response.body]).toEqual([598, 'context']);
  });

  it('refuses a problemDetails option that is not a boolean', async () => {
    await expect(Fastify().register(fastifyViews, { problemDetails: 'yes' as unknown as boolean })).rejects.toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION' }));
  });
});
