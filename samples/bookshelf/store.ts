/**
 * The database layer: the `Store` the views are given, its SQL implementation, the schema
 * migrations, and `openStore(dataDir)`, which runs it all on PGlite (Postgres compiled to
 * WebAssembly, kept in a folder on disk).
 *
 * The SQL is plain PostgreSQL, and `SqlStore` only needs a `query(text, params)` function that
 * resolves to `{ rows }` — the shape of both PGlite's `query` and `pg`'s `Pool.query` — so the
 * same class runs on a PostgreSQL server (see the README).
 */
import { PGlite } from '@electric-sql/pglite';
import { mkdir } from 'node:fs/promises';
import { conflict, unknownAuthor } from './errors';
import { lockDataDir } from './lock';
import type { Author, AuthorInput, Book, BookFilter, BookInput, BookPatch, Page } from './schemas';

/** What the views need from storage. Missing rows are `undefined`; conflicts throw 409, unknown authors 422. */
export interface Store {
  listAuthors(page: Page): Promise<Author[]>;
  countAuthors(): Promise<number>;
  getAuthor(id: number): Promise<Author | undefined>;
  createAuthor(input: AuthorInput): Promise<Author>;
  updateAuthor(id: number, input: AuthorInput): Promise<Author | undefined>;
  /** Throws 409 while the author still has books. */
  deleteAuthor(id: number): Promise<boolean>;
  listBooks(filter: BookFilter, page: Page): Promise<Book[]>;
  countBooks(filter: BookFilter): Promise<number>;
  getBook(id: number): Promise<Book | undefined>;
  /** Throws 409 for an ISBN already on the shelf, 422 for an unknown author. */
  createBook(input: BookInput): Promise<Book>;
  updateBook(id: number, patch: BookPatch): Promise<Book | undefined>;
  deleteBook(id: number): Promise<boolean>;
  /** The row's version, raised by every update: what the views' `ETag`s are made of. */
  versionOf(table: 'authors' | 'books', id: number): Promise<number | undefined>;
}

/** The one database call the store makes: PGlite's `query` and `pg`'s `Pool.query` both fit. */
export interface Sql {
  query<Row>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

// Postgres error codes (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';
const RESTRICT_VIOLATION = '23001';

const BOOK_COLUMNS = 'id, title, isbn, year, author_id AS "authorId"';

/** `Store` in SQL. `count(*)` is cast to `int` because Postgres returns `bigint`, which `pg` hands back as a string. */
export class SqlStore implements Store {
  constructor(
    private readonly sql: Sql,
    private readonly onClose: () => Promise<void> = async () => {},
    /** `welcomeJobs`: enqueue a welcome job with every new author (needs graphile-worker's schema). */
    private readonly options: { welcomeJobs?: boolean } = {},
  ) {}

  async listAuthors({ limit, offset }: Page): Promise<Author[]> {
    return this.rows<Author>('SELECT id, name FROM authors ORDER BY id LIMIT $1 OFFSET $2', [limit, offset]);
  }

  async countAuthors(): Promise<number> {
    const [{ count }] = await this.rows<{ count: number }>('SELECT count(*)::int AS count FROM authors');
    return count;
  }

  async getAuthor(id: number): Promise<Author | undefined> {
    const [author] = await this.rows<Author>('SELECT id, name FROM authors WHERE id = $1', [id]);
    return author;
  }

  async createAuthor({ name }: AuthorInput): Promise<Author> {
    if (!this.options.welcomeJobs) {
      const [author] = await this.rows<Author>('INSERT INTO authors (name) VALUES ($1) RETURNING id, name', [name]);
      return author;
    }
    // The author and its welcome job in one statement, so one transaction: both are stored, or
    // neither. The job then survives a crash right after the 201 (graphile-worker's queue is a
    // table); its key makes a second enqueue of the same welcome a no-op.
    const [author] = await this.rows<Author>(
      `WITH author AS (INSERT INTO authors (name) VALUES ($1) RETURNING id, name),
            job AS (SELECT graphile_worker.add_job('welcome', json_build_object('authorId', id), job_key := 'welcome-' || id) FROM author)
       SELECT author.id, author.name FROM author, job`,
      [name],
    );
    return author;
  }

  async updateAuthor(id: number, { name }: AuthorInput): Promise<Author | undefined> {
    const [author] = await this.rows<Author>('UPDATE authors SET name = $2, version = version + 1 WHERE id = $1 RETURNING id, name', [id, name]);
    return author;
  }

  async deleteAuthor(id: number): Promise<boolean> {
    try {
      return (await this.rows('DELETE FROM authors WHERE id = $1 RETURNING id', [id])).length > 0;
    } catch (error) {
      // books.author_id is ON DELETE RESTRICT: the database itself refuses to orphan books
      // (PGlite reports restrict_violation, a PostgreSQL 15 server foreign_key_violation).
      if (codeOf(error) === RESTRICT_VIOLATION || codeOf(error) === FOREIGN_KEY_VIOLATION) throw conflict(`author ${id} still has books: delete them first`);
      throw error;
    }
  }

  async listBooks({ authorId }: BookFilter, { limit, offset }: Page): Promise<Book[]> {
    return this.rows<Book>(
      `SELECT ${BOOK_COLUMNS} FROM books WHERE $1::int IS NULL OR author_id = $1 ORDER BY id LIMIT $2 OFFSET $3`,
      [authorId ?? null, limit, offset],
    );
  }

  async countBooks({ authorId }: BookFilter): Promise<number> {
    const [{ count }] = await this.rows<{ count: number }>(
      'SELECT count(*)::int AS count FROM books WHERE $1::int IS NULL OR author_id = $1',
      [authorId ?? null],
    );
    return count;
  }

  async getBook(id: number): Promise<Book | undefined> {
    const [book] = await this.rows<Book>(`SELECT ${BOOK_COLUMNS} FROM books WHERE id = $1`, [id]);
    return book;
  }

  async createBook(input: BookInput): Promise<Book> {
    const [book] = await this.writeBook(input, () =>
      this.rows<Book>(
        `INSERT INTO books (title, isbn, year, author_id) VALUES ($1, $2, $3, $4) RETURNING ${BOOK_COLUMNS}`,
        [input.title, input.isbn, input.year, input.authorId],
      ),
    );
    return book;
  }

  async updateBook(id: number, patch: BookPatch): Promise<Book | undefined> {
    const [book] = await this.writeBook(patch, () =>
      this.rows<Book>(
        `UPDATE books SET title = coalesce($2, title), isbn = coalesce($3, isbn), year = coalesce($4, year),
           author_id = coalesce($5, author_id), version = version + 1 WHERE id = $1 RETURNING ${BOOK_COLUMNS}`,
        [id, patch.title ?? null, patch.isbn ?? null, patch.year ?? null, patch.authorId ?? null],
      ),
    );
    return book;
  }

  async versionOf(table: 'authors' | 'books', id: number): Promise<number | undefined> {
    const sql = table === 'authors' ? 'SELECT version FROM authors WHERE id = $1' : 'SELECT version FROM books WHERE id = $1';
    const [row] = await this.rows<{ version: number }>(sql, [id]);
    return row?.version;
  }

  async deleteBook(id: number): Promise<boolean> {
    return (await this.rows('DELETE FROM books WHERE id = $1 RETURNING id', [id])).length > 0;
  }

  /** Closes the database; call it once the server no longer serves requests. */
  close(): Promise<void> {
    return this.onClose();
  }

  private async rows<Row>(text: string, params?: unknown[]): Promise<Row[]> {
    return (await this.sql.query<Row>(text, params)).rows;
  }

  /** A book insert or update, with the constraint violations told in the API's terms. */
  private async writeBook<T>(input: BookPatch, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (codeOf(error) === UNIQUE_VIOLATION) throw conflict(`a book with ISBN ${input.isbn} is already on the shelf`);
      if (codeOf(error) === FOREIGN_KEY_VIOLATION) throw unknownAuthor(input.authorId ?? 0);
      throw error;
    }
  }
}

/** The schema, one list of statements per version; a version, once released, is never edited. */
export const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE authors (
       id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       name text NOT NULL
     )`,
    `CREATE TABLE books (
       id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
       title text NOT NULL,
       isbn text NOT NULL UNIQUE,
       year integer NOT NULL,
       author_id integer NOT NULL REFERENCES authors (id) ON DELETE RESTRICT
     )`,
    'CREATE INDEX books_author_id ON books (author_id)',
  ],
  [
    // Filled by the welcome job (jobs.ts, on a PostgreSQL server): `runs` shows it ran once.
    `CREATE TABLE welcomes (
       author_id integer PRIMARY KEY REFERENCES authors (id) ON DELETE CASCADE,
       runs integer NOT NULL DEFAULT 1,
       welcomed_at timestamptz NOT NULL DEFAULT now()
     )`,
  ],
  [
    // Raised by every update: the ETag of the row (conditional requests, in the views).
    'ALTER TABLE authors ADD COLUMN version integer NOT NULL DEFAULT 1',
    'ALTER TABLE books ADD COLUMN version integer NOT NULL DEFAULT 1',
  ],
];

/**
 * Brings the schema up to date, in one transaction. `session` must be one connection (PGlite,
 * or a `pg` client from `pool.connect()`, not the pool): BEGIN and COMMIT go to the same session.
 * The advisory lock makes concurrent starts against one server wait for each other.
 */
export async function migrate(session: Sql): Promise<number> {
  await session.query('BEGIN');
  try {
    await session.query('SELECT pg_advisory_xact_lock(7201)');
    await session.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const { rows } = await session.query<{ version: number }>('SELECT coalesce(max(version), 0) AS version FROM schema_migrations');
    for (let version = rows[0].version; version < MIGRATIONS.length; version++) {
      for (const statement of MIGRATIONS[version]) await session.query(statement);
      await session.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version + 1]);
    }
    await session.query('COMMIT');
    return MIGRATIONS.length;
  } catch (error) {
    await session.query('ROLLBACK');
    throw error;
  }
}

/**
 * Opens (on first start: creates) the PGlite database in `dataDir`, migrates it and returns the
 * store. Never open one folder from two processes: PGlite does not lock it.
 */
export async function openStore(dataDir: string): Promise<SqlStore> {
  await mkdir(dataDir, { recursive: true });
  // Refuses (DataDirLockedError) while another process has the folder open.
  const unlock = await lockDataDir(dataDir);
  let db: PGlite | undefined;
  try {
    db = await PGlite.create(dataDir);
    await migrate(db);
  } catch (error) {
    await db?.close();
    await unlock();
    throw error;
  }
  const opened = db;
  return new SqlStore(opened, async () => {
    await opened.close();
    await unlock();
  });
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}
