// Type tests for views typed by zod schemas through fastify-type-provider-zod (compiled by `npm run typecheck`, never run).
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { MethodView, Resource, VerbOptions, ViewRequest } from '../../src';

const createBook = {
  body: z.object({ title: z.string(), year: z.number().int() }),
  params: z.object({ shelf: z.string() }),
};

class Books extends MethodView {
  static override verbOptions = { post: { schema: createBook } } satisfies VerbOptions;
  override post(request: ViewRequest<typeof createBook, ZodTypeProvider>) {
    const title: string = request.body.title;
    const shelf: string = request.params.shelf;
    // @ts-expect-error a typo in a body field
    void request.body.titel;
    // @ts-expect-error year is a number
    const wrong: string = request.body.year;
    void [title, shelf, wrong];
    return { title };
  }
}

const readBook = { params: z.object({ id: z.coerce.number() }) };
class BookResource extends Resource {
  static override actionOptions = { retrieve: { schema: readBook } };
  retrieve(request: ViewRequest<typeof readBook, ZodTypeProvider>) {
    const id: number = request.params.id;
    // @ts-expect-error id is a number
    const text: string = request.params.id;
    return { id, text };
  }
}
void [Books, BookResource];
