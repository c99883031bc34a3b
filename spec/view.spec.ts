import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { MethodView, View, ViewDecorator, ViewFunction, ViewHandler, errors } from '../src';
import { appWithViews } from './helpers';

class Hello extends View {
  dispatchRequest(request: FastifyRequest) {
    return `Hello ${request.method}`;
  }
}

describe('View', () => {
  it('answers with what dispatchRequest returns', async () => {
    const app = await appWithViews();
    app.addView('/', Hello.asView('hello'));
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('Hello GET');
  });

  it('accepts GET, HEAD and OPTIONS when it sets no methods, as in Flask', async () => {
    const app = await appWithViews();
    app.addView('/', Hello.asView('hello'));
    expect(Hello.asView('hello').methods).toEqual(['GET']);
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
    const options = await app.inject({ method: 'OPTIONS', url: '/' });
    expect(options.headers.allow).toBe('GET, HEAD, OPTIONS');
    const post = await app.inject({ method: 'POST', url: '/' });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD, OPTIONS');
  });

  it('serves every method listed in static methods through dispatchRequest', async () => {
    class Echo extends View {
      static override methods = ['GET', 'POST', 'DELETE'] as const;
      dispatchRequest(request: FastifyRequest) {
        return { method: request.method };
      }
    }
    const app = await appWithViews();
    app.addView('/echo', Echo.asView('echo'));
    for (const method of ['GET', 'POST', 'DELETE'] as const) {
      expect((await app.inject({ method, url: '/echo' })).json()).toEqual({ method });
    }
    expect((await app.inject({ method: 'PUT', url: '/echo' })).statusCode).toBe(405);
  });

  it('passes the constructor arguments given to asView to every instance', async () => {
    class Greeter extends View {
      constructor(private readonly greeting: string, private readonly punctuation: string) {
        super();
      }
      dispatchRequest() {
        return `${this.greeting}${this.punctuation}`;
      }
    }
    const app = await appWithViews();
    app.addView('/', Greeter.asView('greeter', 'Hi', '!'));
    expect((await app.inject('/')).body).toBe('Hi!');
    expect(Greeter.asView('greeter', 'Hi', '!').viewArgs).toEqual(['Hi', '!']);
  });

  it('builds a new instance for every request by default', async () => {
    let built = 0;
    class Counter extends View {
      readonly serial = ++built;
      dispatchRequest() {
        return String(this.serial);
      }
    }
    const app = await appWithViews();
    app.addView('/', Counter.asView('counter'));
    expect((await app.inject('/')).body).toBe('1');
    expect((await app.inject('/')).body).toBe('2');
  });

  it('builds one instance in asView and reuses it when initEveryRequest is false', async () => {
    let built = 0;
    class Shared extends View {
      static override initEveryRequest = false;
      readonly serial = ++built;
      dispatchRequest() {
        return String(this.serial);
      }
    }
    const view = Shared.asView('shared');
    expect(built).toBe(1);
    const app = await appWithViews();
    app.addView('/', view);
    expect((await app.inject('/')).body).toBe('1');
    expect((await app.inject('/')).body).toBe('1');
    expect(built).toBe(1);
  });

  it('fails asView, at registration, when the shared instance cannot be built', () => {
    class Broken extends View {
      static override initEveryRequest = false;
      constructor() {
        super();
        throw new Error('no database');
      }
      dispatchRequest() {
        return 'never';
      }
    }
    expect(() => Broken.asView('broken')).toThrow('no database');
  });

  it('sends an error of a per-request constructor to the error handler', async () => {
    class Broken extends View {
      constructor() {
        super();
        throw new Error('constructor failed');
      }
      dispatchRequest() {
        return 'never';
      }
    }
    const app = await appWithViews();
    app.setErrorHandler((error: Error, _request, reply) => reply.code(503).send({ caught: error.message }));
    app.addView('/', Broken.asView('broken'));
    const response = await app.inject('/');
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ caught: 'constructor failed' });
  });

  it('applies decorators in order, the first innermost', async () => {
    const calls: string[] = [];
    const tag = (label: string): ViewDecorator => (view) => (request, reply) => {
      calls.push(`${label}:before`);
      reply.header(`x-${label}`, String(calls.length));
      const result = view(request, reply);
      calls.push(`${label}:after`);
      return result;
    };
    class Decorated extends View {
      static override decorators = [tag('inner'), tag('outer')];
      dispatchRequest() {
        calls.push('view');
        return 'decorated';
      }
    }
    const app = await appWithViews();
    app.addView('/', Decorated.asView('decorated'));
    const response = await app.inject('/');
    expect(response.body).toBe('decorated');
    expect(calls).toEqual(['outer:before', 'inner:before', 'view', 'inner:after', 'outer:after']);
    expect(response.headers['x-outer']).toBe('1');
    expect(response.headers['x-inner']).toBe('2');
  });

  it('rejects a decorator that returns no function, at asView', () => {
    class Bad extends View {
      static override decorators = [(() => undefined) as unknown as ViewDecorator];
      dispatchRequest() {
        return 'never';
      }
    }
    expect(() => Bad.asView('bad')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW_CLASS' }));
  });

  it('serves with the class put in viewClass before registration', async () => {
    class Real extends View {
      dispatchRequest() {
        return 'real';
      }
    }
    class Fake extends View {
      dispatchRequest() {
        return 'fake';
      }
    }
    const view = Real.asView('swappable');
    view.viewClass = Fake;
    const app = await appWithViews();
    app.addView('/', view);
    expect((await app.inject('/')).body).toBe('fake');
    expect(view.viewName).toBe('swappable');
  });

  it('serves a class swapped in before registration with that class, decorators included', async () => {
    const guard: ViewDecorator = (view) => (request, reply) => {
      reply.header('x-guard', 'yes');
      return request.server.ensureSync(view)(request, reply);
    };
    class Real extends View {
      static override decorators = [guard];
      dispatchRequest() {
        return 'real';
      }
    }
    class Fake extends View {
      dispatchRequest() {
        return 'fake';
      }
    }
    const view: ViewFunction = Real.asView('guarded');
    view.viewClass = Fake;
    const app = await appWithViews();
    app.addView('/', view);
    const response = await app.inject('/');
    expect([response.body, response.headers['x-guard']]).toEqual(['fake', undefined]);
  });

  it('keeps serving the registered class when viewClass is swapped after addView, decorated or not', async () => {
    const guard: ViewDecorator = (view) => (request, reply) => {
      reply.header('x-guard', 'yes');
      return request.server.ensureSync(view)(request, reply);
    };
    class Plain extends View {
      dispatchRequest() {
        return 'plain';
      }
    }
    class Decorated extends Plain {
      static override decorators = [guard];
      override dispatchRequest() {
        return 'decorated';
      }
    }
    class Fake extends View {
      dispatchRequest() {
        return 'fake';
      }
    }
    const app = await appWithViews();
    const plain: ViewFunction = Plain.asView('plain');
    const decorated: ViewFunction = Decorated.asView('decorated');
    app.addView('/plain', plain);
    app.addView('/decorated', decorated);
    plain.viewClass = Fake;
    decorated.viewClass = Fake;
    const [p, d] = [await app.inject('/plain'), await app.inject('/decorated')];
    expect([p.body, d.body, d.headers['x-guard']]).toEqual(['plain', 'decorated', 'yes']);
  });

  it('carries its name, class, methods and automatic-OPTIONS flag', () => {
    class NoOptions extends View {
      static override methods = ['GET', 'PUT'] as const;
      static override provideAutomaticOptions = false;
      dispatchRequest() {
        return '';
      }
    }
    const view = NoOptions.asView('no-options');
    expect(view.viewName).toBe('no-options');
    expect(view.viewClass).toBe(NoOptions);
    expect(view.methods).toEqual(['GET', 'PUT']);
    expect(view.provideAutomaticOptions).toBe(false);
    expect(Hello.asView('hello').provideAutomaticOptions).toBe(true);
  });

  it('rejects an empty view name', () => {
    expect(() => Hello.asView('')).toThrow(expect.objectContaining({ code: 'FCV_ERR_INVALID_VIEW_NAME' }));
    expect(() => Hello.asView(undefined as unknown as string)).toThrow(errors.FCV_ERR_INVALID_VIEW_NAME);
  });

  it('works as a plain Fastify handler without addView, through the app dispatcher', async () => {
    const seen: string[] = [];
    const app = await appWithViews({
      ensureSync: (handler) => function (request, reply) {
        seen.push('dispatched');
        return handler.call(this, request, reply);
      },
    });
    app.get('/plain', Hello.asView('hello'));
    expect((await app.inject('/plain')).body).toBe('Hello GET');
    expect(seen).toEqual(['dispatched']);
  });

  it('works as a plain handler in an app without the plugin', async () => {
    const app = Fastify();
    app.get('/plain', Hello.asView('hello'));
    expect((await app.inject('/plain')).body).toBe('Hello GET');
  });

  it('serves a non-standard method once Fastify knows it', async () => {
    class Dav extends View {
      static override methods = ['GET', 'PROPFIND'] as const;
      dispatchRequest(request: FastifyRequest) {
        return `dav ${request.method}`;
      }
    }
    const app = await appWithViews();
    app.addHttpMethod('PROPFIND', { hasBody: true });
    app.addView('/dav', Dav.asView('dav'));
    const response = await app.inject({ method: 'PROPFIND', url: '/dav' });
    expect(response.body).toBe('dav PROPFIND');
    expect((await app.inject({ method: 'OPTIONS', url: '/dav' })).headers.allow).toBe('GET, HEAD, OPTIONS, PROPFIND');
  });

  it('names the view and the fix when Fastify does not know a listed method', async () => {
    class Dav extends View {
      static override methods = ['PROPPATCH'] as const;
      dispatchRequest() {
        return '';
      }
    }
    const app = await appWithViews();
    expect(() => app.addView('/dav', Dav.asView('dav'))).toThrow(/View 'dav' declares the method 'PROPPATCH'.*addHttpMethod/);
  });

  it('answers a thrown error, sync or async, through the error handler', async () => {
    class Failing extends View {
      static override methods = ['GET', 'POST'] as const;
      dispatchRequest(request: FastifyRequest) {
        if (request.method === 'GET') throw Object.assign(new Error('sync failure'), { statusCode: 418 });
        return Promise.reject(Object.assign(new Error('async failure'), { statusCode: 422 }));
      }
    }
    const app = await appWithViews();
    app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => reply.code(error.statusCode ?? 500).send({ shape: 'custom', message: error.message }));
    app.addView('/', Failing.asView('failing'));
    const get = await app.inject('/');
    expect([get.statusCode, get.json()]).toEqual([418, { shape: 'custom', message: 'sync failure' }]);
    const post = await app.inject({ method: 'POST', url: '/' });
    expect([post.statusCode, post.json()]).toEqual([422, { shape: 'custom', message: 'async failure' }]);
  });

  it('lets a decorator answer before the view runs', async () => {
    const guard: ViewDecorator = (view: ViewHandler) => (request: FastifyRequest, reply: FastifyReply) => {
      if (request.headers['x-key'] !== 'secret') return reply.code(401).send({ error: 'no key' });
      return view(request, reply);
    };
    class Guarded extends View {
      static override decorators = [guard];
      dispatchRequest() {
        return 'inside';
      }
    }
    const app = await appWithViews();
    app.addView('/', Guarded.asView('guarded'));
    expect((await app.inject('/')).statusCode).toBe(401);
    expect((await app.inject({ url: '/', headers: { 'x-key': 'secret' } })).body).toBe('inside');
  });
});

describe('decorators', () => {
  it('are applied once per view, as in Flask, and share their state across verbs', async () => {
    let applications = 0;
    const counted: ViewDecorator = (view) => {
      applications += 1;
      let calls = 0;
      return (request, reply) => {
        reply.header('x-calls', String(++calls));
        return request.server.ensureSync(view)(request, reply);
      };
    };
    class Counted extends MethodView {
      static override decorators = [counted];
      get() {
        return 'get';
      }
      async post() {
        return 'post';
      }
    }
    const app = await appWithViews();
    app.addView('/c', Counted.asView('counted'));
    expect(applications).toBe(1);
    expect((await app.inject('/c')).headers['x-calls']).toBe('1');
    expect((await app.inject({ method: 'POST', url: '/c' })).headers['x-calls']).toBe('2');
    const head = await app.inject({ method: 'HEAD', url: '/c' });
    expect([head.statusCode, head.body, head.headers['x-calls']]).toEqual([200, '', '3']);
  });
});
