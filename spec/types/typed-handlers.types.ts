// Type tests for handlers typed from their schema (compiled by `npm run typecheck`, never run).
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { MethodView, VerbOptions, ViewReply, ViewRequest } from '../../src';

const createBook = {
  body: Type.Object({ title: Type.String(), year: Type.Integer() }),
  params: Type.Object({ shelf: Type.String() }),
  response: { 201: Type.Object({ id: Type.Integer(), title: Type.String() }) },
};

class Books extends MethodView {
  static override verbOptions = { post: { schema: createBook } } satisfies VerbOptions;

  override post(request: ViewRequest<typeof createBook, TypeBoxTypeProvider>, reply: ViewReply<typeof createBook, TypeBoxTypeProvider>) {
    const title: string = request.body.title;
    const year: number = request.body.year;
    const shelf: string = request.params.shelf;
    // @ts-expect-error a typo in a body field
    void request.body.titel;
    // @ts-expect-error year is a number
    const wrong: string = request.body.year;
    void [title, year, shelf, wrong];
    return reply.code(201).send({ id: 1, title });
  }
}

const updateBook = {
  body: {
    type: 'object',
    properties: { title: { type: 'string' }, pages: { type: 'integer' } },
    required: ['title'],
    additionalProperties: false,
  },
  querystring: { type: 'object', properties: { dryRun: { type: 'boolean' } } },
} as const;

class Book extends MethodView {
  static override verbOptions = { put: { schema: updateBook } } satisfies VerbOptions;

  override put(request: ViewRequest<typeof updateBook, JsonSchemaToTsProvider>) {
    const title: string = request.body.title;
    const pages: number | undefined = request.body.pages;
    const dryRun: boolean | undefined = request.query.dryRun;
    // @ts-expect-error a typo in a body field
    void request.body.titel;
    // @ts-expect-error pages may be undefined
    const sure: number = request.body.pages;
    return { title, pages, dryRun, sure };
  }
}

export { Books, Book };
