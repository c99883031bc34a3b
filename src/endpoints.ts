import type { FastifyInstance } from 'fastify';
import { errors } from './errors';
import type { ViewFunction } from './view';

/** Values for `urlFor`: path parameters by name; the rest become the query string, as in Flask. */
export type UrlParams = Record<string, string | number | boolean | bigint | null | undefined>;

interface Endpoint {
  readonly name: string;
  readonly view: ViewFunction;
  readonly context: FastifyInstance;
  readonly urls: string[];
}

/**
 * View names are endpoint names, unique within one encapsulation context; `urlFor` looks a
 * name up in the asking context, then its parents, then (if exactly one defines it) its children.
 */
export class Endpoints {
  // Fastify makes a child context with `Object.create(parent)`, so contexts are objects whose
  // prototype chain is the chain of their parents.
  private readonly byContext = new WeakMap<object, Map<string, Endpoint>>();
  private readonly byName = new Map<string, Endpoint[]>();

  /** Throws if `context` already has a different view under the name of `view`. */
  check(context: FastifyInstance, view: ViewFunction, url: string): void {
    const taken = this.byContext.get(context)?.get(view.viewName);
    if (taken !== undefined && taken.view !== view) {
      throw new errors.FCV_ERR_DUPLICATE_ENDPOINT(view.viewName, taken.urls.join("', '"), url);
    }
  }

  /** Records `view` as its name at `url` in `context` (after `check`). */
  claim(context: FastifyInstance, view: ViewFunction, url: string): void {
    this.check(context, view, url);
    const name = view.viewName;
    let names = this.byContext.get(context);
    if (names === undefined) this.byContext.set(context, (names = new Map()));
    const taken = names.get(name);
    if (taken === undefined) {
      const endpoint: Endpoint = { name, view, context, urls: [url] };
      names.set(name, endpoint);
      this.byName.set(name, [...(this.byName.get(name) ?? []), endpoint]);
    } else if (!taken.urls.includes(url)) {
      taken.urls.push(url); // one view under several paths, as in Flask
    }
  }

  /** Builds the URL of endpoint `name` as seen from `from`. */
  urlFor(from: FastifyInstance, name: string, params: UrlParams = {}): string {
    for (let context: object | null = from; context !== null; context = Object.getPrototypeOf(context)) {
      const endpoint = this.byContext.get(context)?.get(name);
      if (endpoint) return build(endpoint, params);
    }
    // Then the children of the asking context; then, like Flask's global url_for, any context
    // of the app — as long as exactly one defines the name.
    const everywhere = this.byName.get(name) ?? [];
    const below = everywhere.filter((endpoint) => Object.prototype.isPrototypeOf.call(from, endpoint.context));
    for (const candidates of [below, everywhere]) {
      if (candidates.length === 1) return build(candidates[0], params);
      if (candidates.length > 1) {
        throw new errors.FCV_ERR_AMBIGUOUS_ENDPOINT(name, candidates.map((endpoint) => endpoint.urls[0]).join(', '));
      }
    }
    throw new errors.FCV_ERR_UNKNOWN_ENDPOINT(name);
  }
}

/** The first of the endpoint's URLs whose parameters are all given (Flask's rule). */
function build(endpoint: Endpoint, params: UrlParams): string {
  let firstError: Error | undefined;
  for (const url of endpoint.urls) {
    try {
      return fillPath(endpoint.name, url, params);
    } catch (error) {
      firstError ??= error as Error;
    }
  }
  throw firstError;
}

const NAME_END = new Set(['/', '-', '.', '(', '?', ':', '*']);

/** Fills a find-my-way path (`:id`, `:a-:b`, `:id(^\\d+)`, `:id?`, `*`, `::`) with `params`. */
export function fillPath(name: string, template: string, params: UrlParams): string {
  const used = new Set<string>();
  let out = '';
  for (let i = 0; i < template.length; ) {
    const char = template[i];
    if (char === ':' && template[i + 1] === ':') {
      out += ':'; // `::` is a literal colon
      i += 2;
    } else if (char === ':') {
      let end = i + 1;
      while (end < template.length && !NAME_END.has(template[end])) end++;
      const key = template.slice(i + 1, end);
      if (template[end] === '(') end = skipRegex(template, end);
      const optional = template[end] === '?';
      if (optional) end++;
      const value = params[key];
      used.add(key);
      if (value === undefined || value === null) {
        if (!optional) throw new errors.FCV_ERR_MISSING_URL_PARAM(name, key, template);
        if (out.endsWith('/') && out.length > 1) out = out.slice(0, -1);
      } else {
        out += encodeURIComponent(String(value));
      }
      i = end;
    } else if (char === '*') {
      const value = params['*'];
      used.add('*');
      if (value !== undefined && value !== null) out += String(value).split('/').map(encodeURIComponent).join('/');
      i++;
    } else {
      out += char;
      i++;
    }
  }
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (!used.has(key) && value !== undefined && value !== null) query.append(key, String(value));
  }
  const search = query.toString();
  return search ? `${out}?${search}` : out;
}

/** Index just past a balanced `( … )` regex starting at `start`. */
function skipRegex(template: string, start: number): number {
  let depth = 0;
  for (let i = start; i < template.length; i++) {
    if (template[i] === '\\') i++;
    else if (template[i] === '(') depth++;
    else if (template[i] === ')' && --depth === 0) return i + 1;
  }
  return template.length;
}

/** The URL Fastify registers for `path` in a context with `prefix` (mirrors its prefixing rules). */
export function prefixed(prefix: string, path: string, prefixTrailingSlash?: string): string {
  if (path === '/' && prefix.length > 0) return prefixTrailingSlash === 'slash' ? prefix + '/' : prefix;
  if (path.startsWith('/') && prefix.endsWith('/')) return prefix + path.slice(1);
  return prefix + path;
}
