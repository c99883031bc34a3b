import type { FastifyRequest } from 'fastify';
import type { UrlParams } from '../../../src'; // in your app: 'fastify-class-views'
import type { Page } from '../schemas';

/**
 * The `Link` header (RFC 8288) of one page of the list served as `endpoint`: `next` and `prev`
 * when there are such pages, built with `urlFor` so they follow the routes (and any prefix).
 * `filter` holds the list's other query parameters, kept in every link.
 *
 * @example
 * pageLinks(request, 'authors', {}, { limit: 20, offset: 20 }, 57);
 * // '</authors?limit=20&offset=40>; rel="next", </authors?limit=20&offset=0>; rel="prev"'
 */
export function pageLinks(request: FastifyRequest, endpoint: string, filter: UrlParams, page: Page, total: number): string | undefined {
  const links: string[] = [];
  const link = (offset: number, rel: string) =>
    links.push(`<${request.server.urlFor(endpoint, { ...filter, limit: page.limit, offset })}>; rel="${rel}"`);
  if (page.offset + page.limit < total) link(page.offset + page.limit, 'next');
  // Past the end, `prev` is the last page that has items (or the first), not another empty one.
  const last = total === 0 ? 0 : Math.floor((total - 1) / page.limit) * page.limit;
  if (page.offset > 0) link(Math.max(0, Math.min(page.offset - page.limit, last)), 'prev');
  return links.length > 0 ? links.join(', ') : undefined;
}
