import { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, VerbOptions, View } from '../src';
import { appWithViews } from './helpers';

// Route config is typed by augmenting Fastify's FastifyContextConfig, as in any Fastify app.
declare module 'fastify' {
  interface FastifyContextConfig {
    source?: string;
    level?: string;
    tag?: string;
  }
}

const book = {
  type: 'object',
  properties: { id: { type: 'integer' }, title: { type: 'string' } },
  required: ['id', 'title'],
} as const;

class Books extends MethodView {
  static override verbOptions = {
    get: {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        querystring: { type: 'object', properties: { fields: { type: 'string', enum: ['all', 'short'] } } },
        response: { 200: book },
      },
    },
    put: {
      schema: {
        body: {
          type: 'object',
          properties: { title: { type: 'string', minLength: 1 } },
          required: ['title'],
          additionalProperties: false,
        },
      },
    },
  } satisfies VerbOptions;

  get(request: FastifyRequest<{ Params: { id: number } }>) {
    return { id: request.params.id, title: 'Dune', secret: 'not in the response schema' };
  }

  put(request: FastifyRequest<{ Params: { id: number }; Body: { title: string } }>) {
    return { id: request.params.id, title: request.body.title };
  }
}

describe('per-verb schemas', () => {
  it('answers 400 with the validation message for a bad param', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    const response = await app.inject('/books/zero');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'FST_ERR_VALIDATION', message: 'params/id must be integer' });
  });

  it('answers 400 for a bad querystring', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    const response = await app.inject('/books/1?fields=everything');
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('querystring/fields must be equal to one of the allowed values');
  });

  it('answers 400 for a bad body on the verb that declares it', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    const response = await app.inject({ method: 'PUT', url: '/books/1', payload: { title: '' } });
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toBe('body/title must NOT have fewer than 1 characters');
  });

  it('passes a good request, coerced as the schema says', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    const response = await app.inject({ method: 'PUT', url: '/books/7', payload: { title: 'Emma' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: '7', title: 'Emma' }); // PUT declares no params schema: no coercion
    expect((await app.inject('/books/7')).json()).toEqual({ id: 7, title: 'Dune' });
  });

  it('serialises with the response schema, dropping undeclared fields', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    const response = await app.inject('/books/3');
    expect(response.json()).toEqual({ id: 3, title: 'Dune' });
    expect(response.body).not.toContain('secret');
  });

  it('validates HEAD like GET', async () => {
    const app = await appWithViews();
    app.addView('/books/:id', Books.asView('book'));
    expect((await app.inject({ method: 'HEAD', url: '/books/zero' })).statusCode).toBe(400);
    expect((await app.inject({ method: 'HEAD', url: '/books/1' })).statusCode).toBe(200);
  });
});

describe('per-verb and view-level route options', () => {
  function recorder() {
    const seen: string[] = [];
    const hook = (label: string) => async (request: FastifyRequest) => {
      seen.push(`${label}:${request.method}`);
    };
    return { seen, hook };
  }

  it('runs a per-verb hook only for its verb', async () => {
    const { seen, hook } = recorder();
    class Guarded extends MethodView {
      static override verbOptions: VerbOptions = { post: { onRequest: hook('verb') } };
      get() {
        return 'read';
      }
      post() {
        return 'write';
      }
    }
    const app = await appWithViews();
    app.addView('/', Guarded.asView('guarded'));
    await app.inject('/');
    await app.inject({ method: 'POST', url: '/' });
    expect(seen).toEqual(['verb:POST']);
  });

  it('applies view-level options to all verbs, and runs view hooks before verb hooks', async () => {
    const { seen, hook } = recorder();
    class Layered extends MethodView {
      static override viewOptions = { onRequest: hook('class') };
      static override verbOptions: VerbOptions = { post: { onRequest: hook('verb') } };
      get() {
        return 'read';
      }
      post() {
        return 'write';
      }
    }
    const app = await appWithViews();
    app.addView('/', Layered.asView('layered'), { onRequest: hook('addView') });
    await app.inject('/');
    await app.inject({ method: 'POST', url: '/' });
    expect(seen).toEqual(['class:GET', 'addView:GET', 'class:POST', 'addView:POST', 'verb:POST']);
  });

  it('lets per-verb options win over addView options, and addView options over the class', async () => {
    class Configured extends MethodView {
      static override viewOptions = { config: { source: 'class', level: 'class' } };
      static override verbOptions: VerbOptions = { post: { config: { source: 'verb' }, bodyLimit: 10 } };
      get(request: FastifyRequest) {
        return request.routeOptions.config;
      }
      post(request: FastifyRequest) {
        return request.routeOptions.config;
      }
    }
    const app = await appWithViews();
    app.addView('/', Configured.asView('configured'), { config: { source: 'addView' }, bodyLimit: 1000 });
    expect((await app.inject('/')).json()).toMatchObject({ source: 'addView', level: 'class' });
    const post = await app.inject({ method: 'POST', url: '/', payload: { big: 'x'.repeat(20) } });
    expect(post.statusCode).toBe(413);
    const small = await app.inject({ method: 'POST', url: '/', payload: {} });
    expect(small.json()).toMatchObject({ source: 'verb', level: 'class' });
  });

  it('uses a per-verb errorHandler for its verb only', async () => {
    class Failing extends MethodView {
      static override verbOptions: VerbOptions = {
        post: { errorHandler: (error, _request, reply) => reply.code(409).send({ verb: 'post', message: error.message }) },
      };
      get() {
        throw new Error('get failed');
      }
      post() {
        throw new Error('post failed');
      }
    }
    const app = await appWithViews();
    app.addView('/', Failing.asView('failing'));
    expect((await app.inject('/')).statusCode).toBe(500);
    const post = await app.inject({ method: 'POST', url: '/' });
    expect([post.statusCode, post.json()]).toEqual([409, { verb: 'post', message: 'post failed' }]);
  });

  it('applies per-verb constraints only at the view level, naming the verb otherwise', async () => {
    class Constrained extends MethodView {
      static override verbOptions = { get: { constraints: { version: '1.0.0' } } } as VerbOptions;
      get() {
        return 'x';
      }
    }
    const app = await appWithViews();
    expect(() => app.addView('/', Constrained.asView('constrained'))).toThrow(/Invalid option 'constraints': set it on the view .* not on the verb 'get'/);
  });

  it('rejects websocket on a verb', async () => {
    class Socket extends MethodView {
      static override verbOptions = { get: { websocket: true } } as VerbOptions;
      get() {
        return 'x';
      }
    }
    const app = await appWithViews();
    expect(() => app.addView('/', Socket.asView('socket'))).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_OPTION' }));
  });

  it('applies viewOptions of a plain View to its one route', async () => {
    class Limited extends View {
      static override methods = ['POST'] as const;
      static override viewOptions = { bodyLimit: 5 };
      dispatchRequest(request: FastifyRequest, reply: FastifyReply) {
        return reply.send(request.body);
      }
    }
    const app = await appWithViews();
    app.addView('/', Limited.asView('limited'));
    expect((await app.inject({ method: 'POST', url: '/', payload: { much: 'too long' } })).statusCode).toBe(413);
  });

  it('keeps verb hooks and schemas off the automatic OPTIONS and 405 routes', async () => {
    const { seen, hook } = recorder();
    class Hooked extends MethodView {
      static override verbOptions: VerbOptions = { get: { onRequest: hook('verb') } };
      get() {
        return 'x';
      }
    }
    const app = await appWithViews();
    app.addView('/', Hooked.asView('hooked'), { onRequest: hook('view') });
    expect((await app.inject({ method: 'OPTIONS', url: '/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'DELETE', url: '/' })).statusCode).toBe(405);
    expect(seen).toEqual([]);
  });
});

describe('schemas across layers', () => {
  it('merge response status by status across layers', async () => {
    class Both extends MethodView {
      static override viewOptions = { schema: { response: { 404: { type: 'object', properties: { error: { type: 'string' } } } } } };
      static override verbOptions: VerbOptions = { get: { schema: { response: { 200: { type: 'object', properties: { id: { type: 'integer' } } } } } } };
      get(request: FastifyRequest<{ Querystring: { missing?: string } }>, reply: FastifyReply) {
        if (request.query.missing) return reply.code(404).send({ error: 'gone', extra: 'dropped' });
        return { id: 1, extra: 'dropped' };
      }
    }
    const app = await appWithViews();
    app.addView('/b', Both.asView('both'));
    expect((await app.inject('/b')).json()).toEqual({ id: 1 });
    expect((await app.inject('/b?missing=1')).json()).toEqual({ error: 'gone' });
  });
});
