import Fastify, { FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import fastifyViews, { MethodView, Resource, VerbOptions, ViewRequest } from '../src';

const Book = z.object({ id: z.number(), title: z.string() });
const createBook = { body: z.object({ title: z.string().min(1) }), response: { 201: Book, 404: z.object({ message: z.string() }) } };

class Books extends MethodView {
  static override verbOptions = { post: { schema: createBook } } satisfies VerbOptions;
  override post(request: ViewRequest<typeof createBook, ZodTypeProvider>, reply: { code(n: number): unknown }) {
    reply.code(201);
    return { id: 1, title: request.body.title, secret: 'dropped' };
  }
}

const readBook = { params: z.object({ id: z.coerce.number().int().min(1) }), response: { 200: Book } };
class BookResource extends Resource {
  static override actionOptions = { retrieve: { schema: readBook } };
  retrieve(request: ViewRequest<typeof readBook, ZodTypeProvider>) {
    return { id: request.params.id, title: 'Dune' };
  }
}

describe('views typed and validated by zod (fastify-type-provider-zod)', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(fastifyViews);
    app.addView('/books', Books.asView('books'));
    app.addResource('/shelf', BookResource.asResource('shelf'));
    await app.ready();
  });
  afterAll(() => app.close());

  it('validates the body with the verb schema', async () => {
    expect((await app.inject({ method: 'POST', url: '/books', payload: { title: '' } })).statusCode).toBe(400);
  });

  it('serializes the reply with the response schema', async () => {
    const reply = await app.inject({ method: 'POST', url: '/books', payload: { title: 'Dune' } });
    expect([reply.statusCode, reply.json()]).toEqual([201, { id: 1, title: 'Dune' }]);
  });

  it('answers conditional requests on a zod-typed view, its schemas left as written', async () => {
    class Item extends MethodView {
      static override verbOptions = { get: { schema: readBook } } satisfies VerbOptions;
      validators() {
        return { etag: '"1"' };
      }
      override get(request: ViewRequest<typeof readBook, ZodTypeProvider>) {
        return { id: request.params.id, title: 'Emma' };
      }
    }
    const other = Fastify();
    other.setValidatorCompiler(validatorCompiler);
    other.setSerializerCompiler(serializerCompiler);
    await other.register(fastifyViews);
    other.addView('/items/:id', Item.asView('item'));
    expect((await other.inject({ url: '/items/3', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    expect((await other.inject('/items/3')).json()).toEqual({ id: 3, title: 'Emma' });
    await other.close();
  });

  it('answers conditional requests on a view without schemas in a zod app', async () => {
    class Plain extends MethodView {
      validators() {
        return { etag: '"1"' };
      }
      override get() {
        return { a: 1 };
      }
    }
    const other = Fastify();
    other.setValidatorCompiler(validatorCompiler);
    other.setSerializerCompiler(serializerCompiler);
    await other.register(fastifyViews);
    other.addView('/plain', Plain.asView('plain'));
    expect((await other.inject('/plain')).json()).toEqual({ a: 1 });
    expect((await other.inject({ url: '/plain', headers: { 'if-none-match': '"1"' } })).statusCode).toBe(304);
    await other.close();
  });

  it("validates a resource's item parameter with the action schema", async () => {
    expect((await app.inject('/shelf/7')).json()).toEqual({ id: 7, title: 'Dune' });
    expect((await app.inject('/shelf/0')).statusCode).toBe(400);
  });
});
