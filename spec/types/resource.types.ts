// Type tests for resources (compiled by `npm run typecheck`, never run).
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify from 'fastify';
import Type from 'typebox';
import { ActionOptions, RepositoryResource, Resource, ViewRequest } from '../../src';
import { runResource } from '../../src/testing';

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

// A RepositoryResource takes its repository, typed by the item.
interface Note { id: number; text: string }
declare const notes: import('../../src').Repository<Note>;
class Notes extends RepositoryResource<Note> {}
app.addResource('/notes', Notes.asResource('notes', notes));
// @ts-expect-error a repository is needed, not a number
Notes.asResource('notes', 1);

// `static actions` names actions: a typo fails.
class ReadOnlyNotes extends RepositoryResource<Note> {
  static override actions = ['list', 'retrieve'] satisfies import('../../src').Action[];
}
ReadOnlyNotes.asResource('readOnlyNotes', notes);
// @ts-expect-error 'retreive' is not an action (the class's static side no longer extends RepositoryResource)
class Typo extends RepositoryResource<Note> {
  static override actions = ['list', 'retreive'] as const;
}
void Typo;

// runResource takes the class's constructor arguments, typed.
void runResource(Notes, { args: [notes], action: 'retrieve', params: { id: 1 } });
// @ts-expect-error a repository is needed, not a string
void runResource(Notes, { args: ['notes'] });
