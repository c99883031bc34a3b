import type { FastifyReply, FastifyRequest } from 'fastify';
import { strongETag } from './conditional';
import type { Validators } from './conditional';
import { errors } from './errors';
import { ActionOptions, Resource, resourceNameOf } from './resource';

type MaybePromise<T> = T | Promise<T>;

/** A page of a collection, as `list` asks for it. */
export interface PageRequest {
  limit: number;
  offset: number;
}

/**
 * What a `RepositoryResource` needs from storage: small on purpose, sync or async. `update`,
 * `patch` and `delete` answer `undefined` / `false` when the item does not exist.
 */
export interface Repository<Item, Id = number> {
  list(filter: Record<string, unknown>, page: PageRequest): MaybePromise<Item[]>;
  count(filter: Record<string, unknown>): MaybePromise<number>;
  get(id: Id): MaybePromise<Item | undefined>;
  create(data: unknown): MaybePromise<Item>;
  update(id: Id, data: unknown): MaybePromise<Item | undefined>;
  patch?(id: Id, data: unknown): MaybePromise<Item | undefined>;
  delete(id: Id): MaybePromise<boolean>;
  /** The item's current version (a counter, a hash): its ETag. Without it, no conditional requests. */
  version?(id: Id): MaybePromise<string | number | undefined>;
}

/** One page of `list`'s answer, with the total so that clients can show "21–40 of 57". */
export interface Page<Item> {
  items: Item[];
  total: number;
  limit: number;
  offset: number;
}

/**
 * A `Resource` over a `Repository`: the six actions written once, as Django's generic views
 * are — pagination (`?limit=&offset=`, `total`, `Link` next/prev), `201` + `Location` from
 * `urlFor`, `404` (`FCV_ERR_NOT_FOUND`), `204`, and conditional requests from the
 * repository's `version` (ETag, 304, 412). Every step is an ordinary method to override.
 *
 * @example
 * class Books extends RepositoryResource<Book> {}
 * app.addResource('/books', Books.asResource('books', bookRepository));
 */
export class RepositoryResource<Item extends object, Id = number> extends Resource {
  /** The page size without `?limit=` (the query schema bounds `limit` to 1–100). */
  static pageSize = 20;
  static override actionOptions: ActionOptions = {
    list: {
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 100 }, offset: { type: 'integer', minimum: 0 } },
        },
      },
    },
  };

  constructor(protected readonly repository: Repository<Item, Id>) {
    super();
  }

  /** The item's id, for `Location` (default `item.id`). */
  idOf(item: Item): Id {
    return (item as { id: Id }).id;
  }

  /** The id the request targets (default the item parameter). */
  idFrom(request: FastifyRequest): Id {
    const name = (this.constructor as typeof Resource).itemParam.name;
    return (request.params as Record<string, Id>)[name];
  }

  /** The page asked for (`list`'s query schema has already bounded it). */
  pageFrom(request: FastifyRequest): PageRequest {
    const query = request.query as { limit?: number; offset?: number };
    return { limit: query.limit ?? (this.constructor as typeof RepositoryResource).pageSize, offset: query.offset ?? 0 };
  }

  /** The filter for `list` and `count`: the query string without `limit` and `offset`. */
  filterFrom(request: FastifyRequest): Record<string, unknown> {
    const { limit: _limit, offset: _offset, ...filter } = (request.query ?? {}) as Record<string, unknown>;
    return filter;
  }

  /** The 404 for a missing item. */
  notFound(request: FastifyRequest): Error {
    return new errors.FCV_ERR_NOT_FOUND(String(this.idFrom(request)));
  }

  override async validators(request: FastifyRequest): Promise<Validators | undefined> {
    if (typeof this.repository.version !== 'function') return undefined;
    const version = await this.repository.version(this.idFrom(request));
    return version === undefined ? undefined : { etag: strongETag(version) };
  }

  async list(request: FastifyRequest, reply: FastifyReply): Promise<Page<Item>> {
    const page = this.pageFrom(request);
    const filter = this.filterFrom(request);
    const [items, total] = await Promise.all([this.repository.list(filter, page), this.repository.count(filter)]);
    const link = this.pageLinks(request, filter, page, total);
    if (link) reply.header('link', link);
    return { items, total, ...page };
  }

  /** `Link` to the next and previous pages (RFC 8288), or `undefined` when there are none. */
  pageLinks(request: FastifyRequest, filter: Record<string, unknown>, { limit, offset }: PageRequest, total: number): string | undefined {
    const name = endpointOf(request);
    const at = (to: number) => request.server.urlFor(name, { ...filter, limit, offset: to } as never);
    const links: string[] = [];
    if (offset + limit < total) links.push(`<${at(offset + limit)}>; rel="next"`);
    // Past the end, `prev` is the last page that has items (or the first), not another empty one.
    const last = total === 0 ? 0 : Math.floor((total - 1) / limit) * limit;
    if (offset > 0) links.push(`<${at(Math.max(0, Math.min(offset - limit, last)))}>; rel="prev"`);
    return links.length > 0 ? links.join(', ') : undefined;
  }

  async create(request: FastifyRequest, reply: FastifyReply): Promise<Item> {
    const item = await this.repository.create(request.body);
    reply.code(201).header('location', request.server.urlFor(`${endpointOf(request)}.item`, { [(this.constructor as typeof Resource).itemParam.name]: this.idOf(item) } as never));
    await this.setVersion(reply, this.idOf(item));
    return item;
  }

  async retrieve(request: FastifyRequest): Promise<Item> {
    const item = await this.repository.get(this.idFrom(request));
    if (item === undefined) throw this.notFound(request);
    return item;
  }

  async update(request: FastifyRequest, reply: FastifyReply): Promise<Item> {
    const item = await this.repository.update(this.idFrom(request), request.body);
    if (item === undefined) throw this.notFound(request);
    await this.setVersion(reply, this.idFrom(request));
    return item;
  }

  async partialUpdate(request: FastifyRequest, reply: FastifyReply): Promise<Item> {
    const id = this.idFrom(request);
    const item = this.repository.patch ? await this.repository.patch(id, request.body) : await this.mergeAndUpdate(id, request.body);
    if (item === undefined) throw this.notFound(request);
    await this.setVersion(reply, id);
    return item;
  }

  async destroy(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    if (!(await this.repository.delete(this.idFrom(request)))) throw this.notFound(request);
    return reply.code(204).send();
  }

  /** `ETag` of an item just written: its new version. */
  protected async setVersion(reply: FastifyReply, id: Id): Promise<void> {
    if (typeof this.repository.version !== 'function') return;
    const version = await this.repository.version(id);
    if (version !== undefined) reply.header('etag', strongETag(version));
  }

  /** PATCH without `repository.patch`: the stored item with the body's fields, updated whole. */
  protected async mergeAndUpdate(id: Id, body: unknown): Promise<Item | undefined> {
    const current = await this.repository.get(id);
    return current === undefined ? undefined : this.repository.update(id, { ...current, ...(body as object) });
  }
}

/** The collection's endpoint name: the resource's (`books`, on any of its URLs). */
function endpointOf(request: FastifyRequest): string {
  return String(resourceNameOf(request));
}
