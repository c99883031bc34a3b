/**
 * The store's two tables as the `Repository` shape that `RepositoryResource` serves. Bodies come
 * in as `unknown`: each action's body schema has validated them before they get here.
 */
import type { Repository } from '../../src'; // in your app: 'fastify-class-views'
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

export function booksIn(store: Store): Repository<Book> {
  return {
    list: (filter, page) => store.listBooks(filter as BookFilter, page),
    count: (filter) => store.countBooks(filter as BookFilter),
    get: (id) => store.getBook(id),
    create: (input) => store.createBook(input as BookInput),
    // `Books` serves no PUT (`update`); PATCH (`patch`) changes some fields of a book.
    update: (id, input) => store.updateBook(id, input as BookPatch),
    patch: (id, input) => store.updateBook(id, input as BookPatch),
    delete: (id) => store.deleteBook(id),
    version: (id) => store.versionOf('books', id),
  };
}
