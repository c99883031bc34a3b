// The sample's OpenAPI document as a client generator or a linter reads it: Redocly's CLI with its
// recommended rules (run as a separate process, as in a CI pipeline), and the promises a
// generated client relies on, checked one by one.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../samples/bookshelf/app';
import { FakeStore } from './fake-store';

type Response = { description: string; headers?: Record<string, unknown>; content?: Record<string, { schema: { $ref?: string } }> };
type Operation = { operationId?: string; security?: unknown[]; responses: Record<string, Response> };
type Document = { servers?: Array<{ url: string }>; info: { license?: { name: string } }; components: { schemas: Record<string, unknown> }; paths: Record<string, Record<string, Operation>> };

const run = promisify(execFile);
const redocly = join(__dirname, '../../node_modules/@redocly/cli/bin/cli.js');

describe('the bookshelf OpenAPI document', () => {
  let app: FastifyInstance;
  let doc: Document;
  let dir: string;
  beforeAll(async () => {
    app = await buildApp({ store: new FakeStore(), apiKey: 'k', docs: false });
    await app.ready();
    doc = JSON.parse(JSON.stringify(app.swagger())) as Document;
    dir = mkdtempSync(join(tmpdir(), 'fcv-openapi-'));
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const operations = () => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ key: `${method.toUpperCase()} ${path}`, op })));

  it("lints clean with Redocly's recommended rules: no error, no warning", async () => {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(doc));
    const { stdout } = await run(process.execPath, [redocly, 'lint', '--extends=recommended', '--format=json', file], { timeout: 60_000 })
      .catch((failed: { stdout?: string }) => ({ stdout: failed.stdout ?? '' })); // non-zero exit on problems: the report says which
    const report = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string }> };
    expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  }, 90_000);

  it('describes every response by what it means, never "Default Response"', () => {
    const descriptions = operations().flatMap(({ op }) => Object.values(op.responses).map((r) => r.description));
    expect(descriptions).not.toContain('Default Response');
    expect(doc.paths['/books/{id}'].get.responses['404'].description).toBe('Not Found');
    expect(doc.paths['/books'].post.responses['409'].description).toBe('Conflict');
  });

  it('lists each error status apart, not one 4XX for all', () => {
    const statuses = (key: string) => Object.keys(operations().find((o) => o.key === key)!.op.responses).sort();
    expect(statuses('POST /books')).toEqual(['201', '400', '401', '409', '415', '422']);
    expect(statuses('PATCH /books/{id}')).toEqual(['200', '400', '401', '404', '409', '412', '415', '422']);
    for (const { op } of operations()) expect(Object.keys(op.responses)).not.toContain('4XX');
  });

  it('gives every operation a unique operationId, the View at / included', () => {
    const ids = operations().map(({ op }) => op.operationId);
    expect(ids).not.toContain(undefined);
    expect(new Set(ids).size).toBe(ids.length);
    expect(doc.paths['/'].get.operationId).toBe('getHome');
  });

  it('names its reply shapes as components, and the operations refer to them', () => {
    expect(Object.keys(doc.components.schemas).sort()).toEqual(['Author', 'AuthorDetail', 'AuthorPage', 'Book', 'BookPage', 'ErrorReply']);
    expect(doc.paths['/books/{id}'].get.responses['200'].content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/Book' });
    expect(doc.paths['/books'].get.responses['200'].content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/BookPage' });
    expect(doc.paths['/books'].post.responses['422'].content?.['application/json'].schema).toEqual({ $ref: '#/components/schemas/ErrorReply' });
  });

  it('documents Location on a create, Link on a list, ETag on reads and writes', () => {
    expect(Object.keys(doc.paths['/books'].post.responses['201'].headers ?? {})).toEqual(['Location', 'ETag']);
    expect(Object.keys(doc.paths['/authors'].post.responses['201'].headers ?? {})).toEqual(['Location', 'ETag']);
    expect(Object.keys(doc.paths['/books'].get.responses['200'].headers ?? {})).toEqual(['Link']);
    expect(Object.keys(doc.paths['/books/{id}'].get.responses['200'].headers ?? {})).toEqual(expect.arrayContaining(['ETag']));
    expect(Object.keys(doc.paths['/books/{id}'].patch.responses['200'].headers ?? {})).toEqual(['ETag']);
  });

  it('says which operations are public (security: []) and has a server and a license', () => {
    const open = operations().filter(({ op }) => Array.isArray(op.security) && op.security.length === 0).map((o) => o.key).sort();
    expect(open).toEqual(['GET /', 'GET /authors', 'GET /authors/{authorId}/books', 'GET /authors/{id}', 'GET /books', 'GET /books/{id}', 'GET /events']);
    expect(doc.servers).toEqual([expect.objectContaining({ url: 'http://127.0.0.1:3000' })]);
    expect(doc.info.license?.name).toBe('MIT');
  });

  it('answers what it documents: the headers it lists are sent', async () => {
    const created = await app.inject({ method: 'POST', url: '/authors', headers: { 'x-api-key': 'k' }, payload: { name: 'N. K. Jemisin' } });
    expect(created.headers.location).toBe(`/authors/${created.json<{ id: number }>().id}`);
    const book = await app.inject({ method: 'POST', url: '/books', headers: { 'x-api-key': 'k' }, payload: { title: 'The Fifth Season', isbn: '9780316229296', year: 2015, authorId: created.json<{ id: number }>().id } });
    const read = await app.inject(book.headers.location as string);
    expect(read.headers.etag).toMatch(/^"/);
    const index = await app.inject('/');
    expect((await app.inject({ url: '/', headers: { 'if-none-match': index.headers.etag as string } })).statusCode).toBe(304);
  });
});
