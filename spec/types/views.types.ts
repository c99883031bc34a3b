// Type tests: compiled by `npm run typecheck` (tsc), never run. Every `@ts-expect-error` line
// must fail to compile, or tsc reports the directive as unused and the check fails.
import Fastify, { FastifyReply, FastifyRequest, FastifyTypeProvider } from 'fastify';
import fastifyViews, { EnsureSync, HttpMethod, MethodView, View, ViewDecorator, ViewFunction, ensureSync } from '../../src';

interface Db {
  user(id: string): { id: string; name: string };
}
declare const db: Db;

class UserAPI extends MethodView {
  constructor(private readonly store: Db, private readonly limit = 10) {
    super();
  }
  // `override` is accepted (and required) under noImplicitOverride.
  override get(request: FastifyRequest<{ Params: { id: string } }>) {
    return this.store.user(request.params.id);
  }
  override async post(request: FastifyRequest<{ Body: { name: string } }>, reply: FastifyReply) {
    reply.code(201);
    return { name: request.body.name, limit: this.limit };
  }
}

// Constructor arguments are typed from the subclass's constructor.
UserAPI.asView('user', db);
UserAPI.asView('user', db, 5);
// @ts-expect-error a wrong constructor argument
UserAPI.asView('user', 'not a db');
// @ts-expect-error a missing constructor argument
UserAPI.asView('user');
// @ts-expect-error too many constructor arguments
UserAPI.asView('user', db, 5, 'extra');
// @ts-expect-error the name is required and a string
UserAPI.asView(42, db);

// `methods` is a union of HTTP method names: a typo fails.
class Hello extends View {
  static override methods = ['GET', 'POST'] as const;
  override dispatchRequest(request: FastifyRequest) {
    return `Hello ${request.method}`;
  }
}
// @ts-expect-error 'GTE' is not an HTTP method (reported on the class: its static side no longer extends View's)
class Typo extends View {
  static override methods = ['GTE'] as const;
  override dispatchRequest() {
    return '';
  }
}
const method: HttpMethod = 'PROPFIND';
// @ts-expect-error not an HTTP method
const notMethod: HttpMethod = 'FETCH';

// A handler's own request type is checked.
class Narrow extends MethodView {
  override get(request: FastifyRequest<{ Params: { id: string } }>) {
    // @ts-expect-error a typo in a params field
    return request.params.idd;
  }
}

// An abstract view cannot be turned into a route handler.
// @ts-expect-error View is abstract
View.asView('abstract');

// A view function is a Fastify route handler, also in typed routes and with a type provider.
const app = Fastify();
void app.register(fastifyViews);
const hello: ViewFunction<typeof Hello> = Hello.asView('hello');
app.get('/hello', hello);
app.get<{ Reply: { id: string; name: string } }>('/users/:id', UserAPI.asView('user', db));
app.route({ method: 'GET', url: '/route', handler: hello });
interface StringProvider extends FastifyTypeProvider {
  validator: string;
  serializer: string;
}
app.withTypeProvider<StringProvider>().get('/typed', { schema: { querystring: 'q' } }, hello);
app.addView('/users/:id', UserAPI.asView('user', db), { schema: { params: { type: 'object' } } });
// @ts-expect-error addView takes a view function, not a class
app.addView('/users/:id', UserAPI);
// @ts-expect-error a bad method in the route options
app.addView('/hello', hello, { method: 'GTE' });
const url: string = app.urlFor('user', { id: 1, page: 2 });
// @ts-expect-error urlFor values are scalars
app.urlFor('user', { id: { nested: true } });

// viewClass is writable with a compatible class; the static side is typed.
hello.viewClass = class extends Hello {};
const name: string = hello.viewName;
const methods: readonly HttpMethod[] = hello.methods;
// @ts-expect-error viewName is read-only
hello.viewName = 'other';

// Decorators and dispatchers are typed.
const poweredBy: ViewDecorator = (view) => (request, reply) => {
  reply.header('x-powered-by', 'views');
  return request.server.ensureSync(view)(request, reply);
};
// @ts-expect-error initEveryRequest is a boolean (reported on the class)
class Decorated extends MethodView {
  static override decorators = [poweredBy];
  static override initEveryRequest = 'yes';
}
const custom: EnsureSync = (handler) => function (request, reply) {
  return handler.call(this, request, reply);
};
void app.register(fastifyViews, { ensureSync: custom });
// @ts-expect-error the ensureSync option is a function
void app.register(fastifyViews, { ensureSync: true });
// @ts-expect-error views entries need a view function
void app.register(fastifyViews, { views: [{ path: '/x', view: Hello }] });
const sync: number = ensureSync((a: number, b: number) => a + b)(1, 2);
const asyncResult: Promise<number> = ensureSync(async (a: number, b: number) => a + b)(1, 2);

export { method, notMethod, url, name, methods, sync, asyncResult, Typo, Narrow, Decorated };

// The README's replacement dispatcher compiles as written.
import { AsyncLocalStorage } from 'node:async_hooks';
const storage = new AsyncLocalStorage<{ requestId: string }>();
const withRequestContext: EnsureSync = (handler) => function (request, reply) {
  return storage.run({ requestId: (request as FastifyRequest).id }, () => handler.call(this, request, reply));
};
void app.register(fastifyViews, { ensureSync: withRequestContext });

// Any view class can be swapped in, whatever its statics.
class UnrelatedFake extends View {
  override dispatchRequest() {
    return 'fake';
  }
}
hello.viewClass = UnrelatedFake;
const swappedBack: typeof Hello = hello.viewClass;
// @ts-expect-error only view classes can be swapped in
hello.viewClass = class NotAView {};
void swappedBack;
