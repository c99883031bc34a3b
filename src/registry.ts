import type { FastifyInstance } from 'fastify';
import { Endpoints } from './endpoints';

/** Who owns a method on a path: the view's name and how (serves it, answers it 405…). */
export interface Owner {
  view: string;
  role: string;
}

/**
 * What one app's views have claimed, shared by every context of the app: endpoint names, the
 * method+URL pairs each view owns (for the guard against later routes), and the OpenAPI
 * operationIds handed out.
 */
export class ViewRegistry {
  readonly endpoints = new Endpoints();
  private readonly owned = new Map<string, Owner>();
  private readonly operationIds = new Set<string>();
  private readonly ignoreTrailingSlash: boolean;
  private readonly caseInsensitive: boolean;

  constructor(app: FastifyInstance) {
    // The router's own matching rules decide what counts as the same path.
    const config = app.initialConfig as { routerOptions?: { ignoreTrailingSlash?: boolean; caseSensitive?: boolean }; ignoreTrailingSlash?: boolean; caseSensitive?: boolean };
    this.ignoreTrailingSlash = Boolean(config.routerOptions?.ignoreTrailingSlash ?? config.ignoreTrailingSlash);
    this.caseInsensitive = (config.routerOptions?.caseSensitive ?? config.caseSensitive) === false;
  }

  /** Who owns `method` at `url` under `constraints`, if a view does. */
  ownerOf(method: string, url: string, constraints: unknown): Owner | undefined {
    return this.owned.get(this.key(method, url, constraints));
  }

  own(methods: readonly string[], url: string, constraints: unknown, owner: Owner): void {
    for (const method of methods) this.owned.set(this.key(method, url, constraints), owner);
  }

  /** `wanted` if no operation has it yet, else a variant that is unique in the app. */
  uniqueOperationId(wanted: string, prefix: string): string {
    let id = wanted;
    const qualifier = pascal(prefix);
    if (this.operationIds.has(id) && qualifier) id = wanted + qualifier;
    for (let n = 2; this.operationIds.has(id); n++) id = `${wanted}${qualifier}${n}`;
    this.operationIds.add(id);
    return id;
  }

  private key(method: string, url: string, constraints: unknown): string {
    let path = url;
    if (this.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
    if (this.caseInsensitive) path = path.toLowerCase();
    return `${method.toUpperCase()} ${path} ${JSON.stringify(constraints ?? {})}`;
  }
}

/** `UserList` from `user-list`, `V2` from `/v2`. */
export function pascal(text: string): string {
  return text.split(/[^A-Za-z0-9]+/).filter(Boolean).map((part) => part[0].toUpperCase() + part.slice(1)).join('');
}
