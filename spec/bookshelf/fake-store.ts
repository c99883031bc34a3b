// An in-memory Store for the view specs: no database, same contract as SqlStore.
import { conflict, unknownAuthor } from '../../samples/bookshelf/errors';
import type { Author, AuthorInput, Book, BookFilter, BookInput, BookPatch, Page } from '../../samples/bookshelf/schemas';
import type { Store } from '../../samples/bookshelf/store';

/**
 * Keeps rows in arrays. Every call answers on a later turn of the event loop, as a database
 * would, and `maxInFlight` records how many calls were pending at once — so a spec can tell
 * queries run concurrently (`Promise.all`) from queries awaited one after the other.
 */
export class FakeStore implements Store {
  authors: Author[] = [];
  books: Book[] = [];
  maxInFlight = 0;
  private inFlight = 0;

  /** A store holding these authors and books (ids as given). */
  static with(authors: Author[] = [], books: Book[] = []): FakeStore {
    const store = new FakeStore();
    store.authors = authors.map((a) => ({ ...a }));
    store.books = books.map((b) => ({ ...b }));
    return store;
  }

  listAuthors(page: Page) {
    return this.answer(() => slice(this.authors, page));
  }
  countAuthors() {
    return this.answer(() => this.authors.length);
  }
  getAuthor(id: number) {
    return this.answer(() => this.authors.find((a) => a.id === id));
  }
  createAuthor(input: AuthorInput) {
    return this.answer(() => push(this.authors, { id: nextId(this.authors), ...input }));
  }
  updateAuthor(id: number, input: AuthorInput) {
    return this.answer(() => {
      const author = this.authors.find((a) => a.id === id);
      if (author) this.bump('authors', id);
      return author && Object.assign(author, input);
    });
  }
  deleteAuthor(id: number) {
    return this.answer(() => {
      if (this.books.some((b) => b.authorId === id)) throw conflict(`author ${id} still has books: delete them first`);
      return remove(this.authors, id);
    });
  }
  listBooks(filter: BookFilter, page: Page) {
    return this.answer(() => slice(this.booksOf(filter), page));
  }
  countBooks(filter: BookFilter) {
    return this.answer(() => this.booksOf(filter).length);
  }
  getBook(id: number) {
    return this.answer(() => this.books.find((b) => b.id === id));
  }
  createBook(input: BookInput) {
    return this.answer(() => {
      this.checkBook(input);
      return push(this.books, { id: nextId(this.books), ...input });
    });
  }
  updateBook(id: number, patch: BookPatch) {
    return this.answer(() => {
      const book = this.books.find((b) => b.id === id);
      if (book) this.checkBook(patch, id);
      if (book) this.bump('books', id);
      return book && Object.assign(book, patch);
    });
  }
  deleteBook(id: number) {
    return this.answer(() => remove(this.books, id));
  }
  /** Versions start at 1 and rise with each update, as SqlStore's `version` columns do. */
  versionOf(table: 'authors' | 'books', id: number) {
    return this.answer(() => (this[table] as Array<{ id: number }>).some((row) => row.id === id) ? 1 + (this.updates.get(`${table} ${id}`) ?? 0) : undefined);
  }
  private readonly updates = new Map<string, number>();
  private bump(table: 'authors' | 'books', id: number): void {
    this.updates.set(`${table} ${id}`, (this.updates.get(`${table} ${id}`) ?? 0) + 1);
  }

  private booksOf({ authorId }: BookFilter): Book[] {
    return authorId === undefined ? this.books : this.books.filter((b) => b.authorId === authorId);
  }

  private checkBook(input: BookPatch, id?: number): void {
    if (input.isbn !== undefined && this.books.some((b) => b.isbn === input.isbn && b.id !== id)) {
      throw conflict(`a book with ISBN ${input.isbn} is already on the shelf`);
    }
    if (input.authorId !== undefined && !this.authors.some((a) => a.id === input.authorId)) throw unknownAuthor(input.authorId);
  }

  private async answer<T>(work: () => T): Promise<T> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      return work();
    } finally {
      this.inFlight--;
    }
  }
}

function slice<T>(rows: T[], { limit, offset }: Page): T[] {
  return rows.slice(offset, offset + limit);
}

function nextId(rows: { id: number }[]): number {
  return rows.reduce((max, row) => Math.max(max, row.id), 0) + 1;
}

function push<T>(rows: T[], row: T): T {
  rows.push(row);
  return row;
}

function remove(rows: { id: number }[], id: number): boolean {
  const index = rows.findIndex((row) => row.id === id);
  if (index >= 0) rows.splice(index, 1);
  return index >= 0;
}
