// Type tests for resources (compiled by `npm run typecheck`, never run).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import Type from 'typebox';
import { ActionOptions, Resource, ViewRequest } from '../../src';

const createBook = { body: Type.Object({ title: Type.String() }) };

class Books extends Resource {
  static override actionOptions = { create: { schema: createBook } } satisfies ActionOptions;
  constructor(private readonly shelf: string[]) {
    super();
  }
  list() {
    return this.shelf;
  }
  create(request: ViewRequest<typeof createBook, TypeBoxTypeProvider>) {
    const title: string = request.body.title;
    // @ts-expect-error a typo in a body field
    void request.body.titel;
    return { title };
  }
}

const app = Fastify();
app.addResource('/books', Books.asResource('books', ['Dune']));
// @ts-expect-error the constructor takes a string[]
Books.asResource('books', 42);
// @ts-expect-error a constructor argument is missing
Books.asResource('books');
// @ts-expect-error an unknown action in actionOptions
const typo: ActionOptions = { lst: {} };
// @ts-expect-error addResource takes what asResource returns, not a view function
app.addResource('/books', Books);
void typo;
