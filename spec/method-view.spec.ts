import { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, ViewFunction } from '../src';
import { appWithViews } from './helpers';

class Resource extends MethodView {
  get() {
    return 'GET';
  }
  post() {
    return 'POST';
  }
}

async function serve(path: string, view: ViewFunction) {
  const app = await appWithViews();
  app.addView(path, view);
  return app;
}

describe('MethodView', () => {
  it('dispatches each method to the handler of the same name', async () => {
    const app = await serve('/', Resource.asView('resource'));
    expect((await app.inject({ method: 'GET', url: '/' })).body).toBe('GET');
    expect((await app.inject({ method: 'POST', url: '/' })).body).toBe('POST');
  });

  it('derives its methods from the handlers it defines', () => {
    expect([...Resource.asView('resource').methods].sort()).toEqual(['GET', 'POST']);
  });

  it('inherits handlers and methods from its bases', async () => {
    class Extended extends Resource {
      delete() {
        return 'DELETE';
      }
    }
    const view = Extended.asView('extended');
    expect([...view.methods].sort()).toEqual(['DELETE', 'GET', 'POST']);
    const app = await serve('/', view);
    expect((await app.inject({ method: 'GET', url: '/' })).body).toBe('GET');
    expect((await app.inject({ method: 'DELETE', url: '/' })).body).toBe('DELETE');
  });

  it('lets a subclass remove a parent verb by setting static methods', async () => {
    class ReadOnly extends Resource {
      static override methods = ['GET'] as const;
    }
    const view = ReadOnly.asView('read-only');
    expect(view.methods).toEqual(['GET']);
    const app = await serve('/', view);
    expect((await app.inject({ method: 'GET', url: '/' })).body).toBe('GET');
    const post = await app.inject({ method: 'POST', url: '/' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('adds back the methods of its bases when a child defines more handlers', () => {
    class ReadOnly extends Resource {
      static override methods = ['GET'] as const;
    }
    class ReadAndPut extends ReadOnly {
      put() {
        return 'PUT';
      }
    }
    // Flask's rule: the bases' methods plus every handler the class can reach.
    expect([...ReadAndPut.asView('x').methods].sort()).toEqual(['GET', 'POST', 'PUT']);
  });

  it('answers HEAD with get, the same headers and no body', async () => {
    class Tagged extends MethodView {
      get(_request: FastifyRequest, reply: FastifyReply) {
        reply.header('etag', '"v1"');
        return { hello: 'world' };
      }
    }
    const app = await serve('/', Tagged.asView('tagged'));
    const get = await app.inject({ method: 'GET', url: '/' });
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.etag).toBe('"v1"');
    expect(head.headers['content-type']).toBe(get.headers['content-type']);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
  });

  it('answers HEAD with head when the view defines it', async () => {
    class WithHead extends MethodView {
      get() {
        return 'body';
      }
      head(_request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-from', 'head').send();
      }
    }
    const view = WithHead.asView('with-head');
    expect([...view.methods].sort()).toEqual(['GET', 'HEAD']);
    const app = await serve('/', view);
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect(head.headers['x-from']).toBe('head');
  });

  it('answers a method it has no handler for with 405 and Allow', async () => {
    const app = await serve('/', Resource.asView('resource'));
    const response = await app.inject({ method: 'PUT', url: '/' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect(response.json()).toMatchObject({ code: 'FCV_ERR_METHOD_NOT_ALLOWED', statusCode: 405 });
  });

  it('answers a non-standard method 405, having no handler name for it', async () => {
    const app = await appWithViews();
    app.addHttpMethod('PROPFIND', { hasBody: true });
    app.addView('/', Resource.asView('resource'));
    const response = await app.inject({ method: 'PROPFIND', url: '/' });
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('answers 405, with a warning at registration, for a listed method that has no handler', async () => {
    class Listed extends MethodView {
      static override methods = ['GET', 'PATCH'] as const;
      get() {
        return 'GET';
      }
    }
    const warnings: string[] = [];
    const app = await appWithViews();
    app.log.warn = ((message: string) => warnings.push(message)) as typeof app.log.warn;
    app.addView('/', Listed.asView('listed'));
    expect((await app.inject({ method: 'PATCH', url: '/' })).statusCode).toBe(405);
    expect(warnings.join('\n')).toMatch(/view 'listed' lists PATCH but has no handler/);
  });

  it('never treats a data field named like a verb as a handler', async () => {
    class WithField extends MethodView {
      constructor() {
        super();
        (this as Record<string, unknown>).post = 'not a handler';
      }
      get() {
        return 'GET';
      }
    }
    const view = WithField.asView('with-field');
    expect(view.methods).toEqual(['GET']);
    const app = await serve('/', view);
    expect((await app.inject({ method: 'POST', url: '/' })).statusCode).toBe(405);
  });

  it('never calls anything but a verb handler, whatever the request method', async () => {
    const touched: string[] = [];
    class Trap extends MethodView {
      constructor() {
        super();
        (this as Record<string, unknown>).post = 'data';
      }
      get() {
        return 'GET';
      }
      override toString(): string {
        touched.push('toString');
        return 'trap';
      }
      constructorHook() {
        touched.push('constructorHook');
      }
    }
    const view = Trap.asView('trap');
    const app = await serve('/', view);
    // The stand-alone view function and dispatchRequest take any method string a caller invents.
    for (const method of ['constructor', 'CONSTRUCTOR', 'toString', 'TOSTRING', '__proto__', '__PROTO__', 'post', 'POST', 'dispatchRequest', 'valueOf', 'hasOwnProperty', 'asView', 'get']) {
      const reply = { header: jest.fn().mockReturnThis(), code: jest.fn().mockReturnThis(), getHeader: () => 'GET, HEAD, OPTIONS' } as unknown as FastifyReply;
      const request = { method, url: '/', server: app } as unknown as FastifyRequest;
      expect(() => view(request, reply)).toThrow(expect.objectContaining({ statusCode: 405 }));
      expect(() => new Trap().dispatchRequest(request, reply)).toThrow(expect.objectContaining({ code: 'FCV_ERR_METHOD_NOT_ALLOWED' }));
    }
    expect(touched).toEqual([]);
  });

  it('runs sync and async handlers alike', async () => {
    class Mixed extends MethodView {
      get() {
        return { sync: true };
      }
      async post() {
        await new Promise((resolve) => setImmediate(resolve));
        return { async: true };
      }
    }
    const app = await serve('/', Mixed.asView('mixed'));
    expect((await app.inject({ method: 'GET', url: '/' })).json()).toEqual({ sync: true });
    expect((await app.inject({ method: 'POST', url: '/' })).json()).toEqual({ async: true });
  });

  it('runs an overridden dispatchRequest around every verb', async () => {
    class Audited extends MethodView {
      override dispatchRequest(request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-audited', request.method);
        return super.dispatchRequest(request, reply);
      }
      get() {
        return 'GET';
      }
      async put() {
        return 'PUT';
      }
    }
    const app = await serve('/', Audited.asView('audited'));
    const get = await app.inject({ method: 'GET', url: '/' });
    expect([get.body, get.headers['x-audited']]).toEqual(['GET', 'GET']);
    const put = await app.inject({ method: 'PUT', url: '/' });
    expect([put.body, put.headers['x-audited']]).toEqual(['PUT', 'PUT']);
    const head = await app.inject({ method: 'HEAD', url: '/' });
    expect([head.statusCode, head.headers['x-audited']]).toEqual([200, 'HEAD']);
  });

  it('lets a handler narrow its own request type and read params', async () => {
    class User extends MethodView {
      get(request: FastifyRequest<{ Params: { id: string }; Querystring: { full?: string } }>) {
        return { id: request.params.id, full: request.query.full === '1' };
      }
    }
    const app = await serve('/users/:id', User.asView('user'));
    expect((await app.inject('/users/7?full=1')).json()).toEqual({ id: '7', full: true });
  });
});

describe('MethodView.methods', () => {
  it('reads the derived methods from the class, as Flask sets them', () => {
    class Resource extends MethodView {
      get() {
        return '';
      }
      post() {
        return '';
      }
    }
    class ReadOnly extends Resource {
      static override methods = ['GET'] as const;
    }
    class ReadPut extends ReadOnly {
      put() {
        return '';
      }
    }
    expect([...(Resource.methods ?? [])].sort()).toEqual(['GET', 'POST']);
    expect(ReadOnly.methods).toEqual(['GET']);
    expect([...(ReadPut.methods ?? [])].sort()).toEqual(['GET', 'POST', 'PUT']);
  });
});

describe('MethodView.methods, read in any order', () => {
  it('shows a later assignment on a base in every subclass, read before or not', () => {
    class Parent extends MethodView {
      get() {
        return '';
      }
    }
    class First extends Parent {
      post() {
        return '';
      }
    }
    class Second extends Parent {
      post() {
        return '';
      }
    }
    expect([...(First.methods ?? [])].sort()).toEqual(['GET', 'POST']);
    Parent.methods = ['GET', 'PUT'];
    expect([...(First.methods ?? [])].sort()).toEqual(['GET', 'POST', 'PUT']);
    expect([...(Second.methods ?? [])].sort()).toEqual(['GET', 'POST', 'PUT']);
  });

  it('routes by the methods as they are when the view is registered, read before or not', async () => {
    class Parent extends MethodView {
      get() {
        return 'GET';
      }
    }
    class Child extends Parent {
      put() {
        return 'PUT';
      }
    }
    expect([...(Child.methods ?? [])].sort()).toEqual(['GET', 'PUT']);
    Child.methods = ['GET'];
    const app = await serve('/child', Child.asView('child'));
    const response = await app.inject({ method: 'PUT', url: '/child' });
    expect([response.statusCode, response.headers.allow]).toEqual([405, 'GET, HEAD, OPTIONS']);
  });
});

describe('methodNotAllowed', () => {
  class Polite extends Resource {
    override methodNotAllowed(request: FastifyRequest, reply: FastifyReply) {
      return reply.header('x-polite', 'yes').send({ sorry: request.method });
    }
  }

  it('answers a refused method on addView routes, before the body is parsed', async () => {
    const app = await serve('/polite', Polite.asView('polite'));
    const response = await app.inject({ method: 'PATCH', url: '/polite', headers: { 'content-type': 'application/x-unknown' }, payload: '?' });
    expect([response.statusCode, response.headers.allow, response.headers['x-polite'], response.json()]).toEqual([405, 'GET, HEAD, OPTIONS, POST', 'yes', { sorry: 'PATCH' }]);
  });

  it('answers a refused method on the stand-alone view function too', async () => {
    const app = await appWithViews();
    app.route({ method: ['GET', 'DELETE'], url: '/polite', handler: Polite.asView('polite') });
    const response = await app.inject({ method: 'DELETE', url: '/polite' });
    // No automatic OPTIONS route serves this URL: Allow lists the handlers.
    expect([response.statusCode, response.headers.allow, response.json()]).toEqual([405, 'GET, HEAD, POST', { sorry: 'DELETE' }]);
  });

  it('sends its thrown error to the error handler, Allow kept', async () => {
    class Strict extends Resource {
      override methodNotAllowed(): never {
        throw Object.assign(new Error('not here'), { statusCode: 405, code: 'MY_405' });
      }
    }
    const app = await serve('/strict', Strict.asView('strict'));
    const response = await app.inject({ method: 'PUT', url: '/strict' });
    expect([response.statusCode, response.headers.allow, response.json().code]).toEqual([405, 'GET, HEAD, OPTIONS, POST', 'MY_405']);
  });
});

describe('HEAD with an overridden dispatchRequest', () => {
  it('serves HEAD on its own route, with the head verb options, when the class defines head()', async () => {
    class Traced extends MethodView {
      static override verbOptions = {
        get: { onSend: async (_q: FastifyRequest, reply: FastifyReply) => void reply.header('x-options', 'get') },
        head: { onSend: async (_q: FastifyRequest, reply: FastifyReply) => void reply.header('x-options', 'head') },
      };
      override dispatchRequest(request: FastifyRequest, reply: FastifyReply) {
        reply.header('x-around', 'yes');
        return super.dispatchRequest(request, reply);
      }
      get() {
        return 'body';
      }
      head(_request: FastifyRequest, reply: FastifyReply) {
        return reply.send();
      }
    }
    const app = await serve('/traced', Traced.asView('traced'));
    const head = await app.inject({ method: 'HEAD', url: '/traced' });
    expect([head.statusCode, head.headers['x-options'], head.headers['x-around']]).toEqual([200, 'head', 'yes']);
  });
});

describe('the 405 of a view whose viewClass is swapped after addView', () => {
  it('answers with the registered class’s methodNotAllowed, compiled at the first 405', async () => {
    class Registered extends Resource {
      override methodNotAllowed() {
        return { from: 'registered' };
      }
    }
    class Swapped extends Resource {
      override methodNotAllowed() {
        return { from: 'swapped' };
      }
    }
    const view: ViewFunction = Registered.asView('registered');
    const app = await serve('/swap', view);
    await app.ready();
    view.viewClass = Swapped;
    const response = await app.inject({ method: 'PUT', url: '/swap' });
    expect([response.statusCode, response.json()]).toEqual([405, { from: 'registered' }]);
  });
});
