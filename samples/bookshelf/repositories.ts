/**
 * The store's two tables as the `Repository` shape that `RepositoryResource` serves. Bodies come
 * in as `unknown`: each action's body schema has validated them before they get here.
 */
import type { EventChannel, Repository } from '../../src'; // in your app: 'fastify-class-views'
import type { Author, AuthorInput, Book, BookFilter, BookInput, BookPatch } from './schemas';
import type { Store } from './store';

export function authorsIn(store: Store): Repository<Author> {
  return {
    list: (_filter, page) => store.listAuthors(page),
    count: () => store.countAuthors(),
    get: (id) => store.getAuthor(id),
    create: (input) => store.createAuthor(input as AuthorInput),
    update: (id, input) => store.updateAuthor(id, input as AuthorInput),
    delete: (id) => store.deleteAuthor(id),
    version: (id) => store.versionOf('authors', id),
  };
}

/** Where book changes are announced (`GET /events`). */
export type BookFeed = EventChannel<Book | { id: number }>;

/** The books; each write that lands is published on `feed`, after the store has it. */
export function booksIn(store: Store, feed?: BookFeed): Repository<Book> {
  const announce = <T extends Book | undefined>(event: string, book: T): T => {
    if (book !== undefined) feed?.publish({ event, data: book });
    return book;
  };
  return {
    list: (filter, page) => store.listBooks(filter as BookFilter, page),
    count: (filter) => store.countBooks(filter as BookFilter),
    get: (id) => store.getBook(id),
    create: async (input) => announce('book.added', await store.createBook(input as BookInput)),
    // `Books` serves no PUT (`update`); PATCH (`patch`) changes some fields of a book.
    update: async (id, input) => announce('book.changed', await store.updateBook(id, input as BookPatch)),
    patch: async (id, input) => announce('book.changed', await store.updateBook(id, input as BookPatch)),
    delete: async (id) => {
      const deleted = await store.deleteBook(id);
      if (deleted) feed?.publish({ event: 'book.deleted', data: { id } });
      return deleted;
    },
    version: (id) => store.versionOf('books', id),
  };
}
