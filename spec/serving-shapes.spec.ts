// One list of behaviours, run through every way a view can be served, so that a difference
// between the shapes (a parity bug) fails a test.
import { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EnsureSync, MethodView, View, ViewDecorator, ViewFunction, ensureSync } from '../src';
import { appWithViews } from './helpers';

type Mode = 'sync' | 'async' | 'async-undefined' | 'throw' | 'reject' | 'send' | 'async-send';

/** What every handler below does, chosen by `?mode=`. */
function answer(request: FastifyRequest, reply: FastifyReply, who: string): unknown {
  const mode = (request.query as { mode?: Mode }).mode ?? 'sync';
  const teapot = () => Object.assign(new Error(`${who} refuses`), { statusCode: 418 });
  switch (mode) {
    case 'sync': return { who, mode };
    case 'async': return Promise.resolve({ who, mode });
    case 'async-undefined': return Promise.resolve(undefined);
    case 'throw': throw teapot();
    case 'reject': return Promise.reject(teapot());
    case 'send': return reply.send({ who, mode });
    case 'async-send': return Promise.resolve().then(() => reply.send({ who, mode }));
  }
}

class Resource extends MethodView {
  get(request: FastifyRequest, reply: FastifyReply) {
    return answer(request, reply, 'get');
  }
  post(request: FastifyRequest, reply: FastifyReply) {
    return answer(request, reply, 'post');
  }
}

class Page extends View {
  static override methods = ['GET', 'POST'] as const;
  dispatchRequest(request: FastifyRequest, reply: FastifyReply) {
    return answer(request, reply, 'page');
  }
}

const passThrough: ViewDecorator = (view) => (request, reply) => request.server.ensureSync(view)(request, reply);

// A replacement dispatcher (the bound-handler path), counting the handler calls it sees.
let dispatched = 0;
const tracing: EnsureSync = (handler) => {
  dispatched++;
  return ensureSync(handler);
};

/** A subclass of `base` with other statics, as a user would write `class X extends Base { static … }`. */
function subclass(base: typeof Resource | typeof Page, statics: Record<string, unknown>): typeof Resource {
  const derived = class extends (base as unknown as typeof Resource) {};
  return Object.assign(derived, statics);
}

interface Shape {
  name: string;
  view: (base: typeof Resource | typeof Page) => ViewFunction;
  ensureSync?: EnsureSync;
}

const shapes: Shape[] = [
  { name: 'plain', view: (base) => base.asView('target') },
  { name: 'decorated', view: (base) => subclass(base, { decorators: [passThrough] }).asView('target') },
  { name: 'shared instance', view: (base) => subclass(base, { initEveryRequest: false }).asView('target') },
  { name: 'factory', view: (base) => base.asViewFrom('target', () => new (base as unknown as new () => Resource)()) },
  { name: 'async factory', view: (base) => base.asViewFrom('target', async () => new (base as unknown as new () => Resource)()) },
  { name: 'custom dispatcher', view: (base) => base.asView('target'), ensureSync: tracing },
];

async function serve(shape: Shape, base: typeof Resource | typeof Page): Promise<FastifyInstance> {
  const app = await appWithViews(shape.ensureSync ? { ensureSync: shape.ensureSync } : {});
  app.addView('/target', shape.view(base));
  // The same view function as a plain Fastify handler (no addView): the stand-alone path.
  app.get('/standalone', shape.view(base));
  return app;
}

describe.each(shapes)('a view served as $name', (shape) => {
  describe.each([['MethodView', Resource], ['View', Page]] as const)('(%s)', (_kind, base) => {
    let app: FastifyInstance;
    beforeAll(async () => {
      app = await serve(shape, base);
    });
    afterAll(() => app.close());

    it.each(['/target', '/standalone'])('answers a sync handler with its value (%s)', async (url) => {
      const response = await app.inject(`${url}?mode=sync`);
      expect([response.statusCode, response.json().mode]).toEqual([200, 'sync']);
    });

    it.each(['/target', '/standalone'])('answers an async handler with what it resolves to (%s)', async (url) => {
      const response = await app.inject(`${url}?mode=async`);
      expect([response.statusCode, response.json().mode]).toEqual([200, 'async']);
    });

    it.each(['/target', '/standalone'])('answers 500 FCV_ERR_NO_RESPONSE naming the view for an async undefined (%s)', async (url) => {
      const response = await app.inject(`${url}?mode=async-undefined`);
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('FCV_ERR_NO_RESPONSE');
      expect(response.json().message).toContain("'target'");
    });

    it.each(['throw', 'reject'])('passes a %sn error to the error handler with its status', async (mode) => {
      const response = await app.inject(`/target?mode=${mode}`);
      expect(response.statusCode).toBe(418);
      expect(response.json().message).toMatch(/refuses/);
    });

    it.each(['send', 'async-send'])('lets the handler send the reply itself (%s)', async (mode) => {
      const response = await app.inject(`/target?mode=${mode}`);
      expect([response.statusCode, response.json().mode]).toEqual([200, mode]);
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const [get, head] = [await app.inject('/target'), await app.inject({ method: 'HEAD', url: '/target' })];
      expect(head.statusCode).toBe(200);
      expect(head.body).toBe('');
      expect(head.headers['content-length']).toBe(get.headers['content-length']);
    });

    it('answers 405 with Allow for a method it does not accept', async () => {
      const response = await app.inject({ method: 'DELETE', url: '/target' });
      expect(response.statusCode).toBe(405);
      expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
      expect(response.json().code).toBe('FCV_ERR_METHOD_NOT_ALLOWED');
    });
  });
});

describe.each(shapes)('methodNotAllowed, overridden, served as $name', (shape) => {
  class Polite extends Resource {
    override methodNotAllowed(request: FastifyRequest) {
      return { sorry: `${request.method} is not served here` };
    }
  }
  class PoliteLater extends Resource {
    override async methodNotAllowed(request: FastifyRequest, reply: FastifyReply) {
      reply.header('x-polite', 'yes');
      return { sorry: `${request.method}, later` };
    }
  }

  it.each([[Polite, 'PUT is not served here'], [PoliteLater, 'PUT, later']] as const)('answers what it returns, with 405 and Allow (%p)', async (base, sorry) => {
    const app = await serve(shape, base as unknown as typeof Resource);
    const response = await app.inject({ method: 'PUT', url: '/target', headers: { 'content-type': 'text/plain' }, payload: 'not json' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect(response.json()).toEqual({ sorry });
    await app.close();
  });
});

describe('decorators and the result check', () => {
  // A decorator that forgets to return what it awaited: Fastify alone would answer an empty 200.
  const forgetful: ViewDecorator = (view) => async (request, reply) => {
    await request.server.ensureSync(view)(request, reply);
  };
  const bare: ViewDecorator = (view) => async (request, reply) => {
    await view(request, reply);
  };

  it.each([['MethodView', Resource], ['View', Page]] as const)('answers 500 when a decorator of a %s resolves to undefined', async (_kind, base) => {
    for (const decorator of [forgetful, bare]) {
      const app = await appWithViews();
      app.addView('/d', subclass(base, { decorators: [decorator] }).asView('forgetful'));
      const response = await app.inject('/d');
      expect(response.statusCode).toBe(500);
      expect(response.json().code).toBe('FCV_ERR_NO_RESPONSE');
      expect(response.json().message).toContain("'forgetful'");
      await app.close();
    }
  });

  it.each([['the default', undefined], ['a replacement', tracing]] as const)('applies each decorator once for a view with several verbs and paths, under %s dispatcher', async (_which, dispatcher) => {
    let applied = 0;
    const counting: ViewDecorator = (view) => {
      applied++;
      return view;
    };
    class Counted extends Resource {
      static override decorators = [counting];
    }
    const app = await appWithViews(dispatcher ? { ensureSync: dispatcher } : {});
    const view = Counted.asView('counted');
    app.addView('/a', view);
    app.addView('/b', view);
    app.get('/c', view);
    await app.inject('/a');
    await app.inject({ method: 'POST', url: '/b' });
    await app.inject('/c');
    expect(applied).toBe(1);
    await app.close();
  });
});
