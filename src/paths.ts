import { errors } from './errors';

/** Values for `urlFor`: path parameters by name; the rest become the query string, as in Flask. */
export type UrlParams = Record<string, string | number | boolean | bigint | null | undefined>;

/** How the router compares paths (Fastify's `routerOptions`). */
export interface PathRules {
  readonly ignoreTrailingSlash: boolean;
  readonly caseInsensitive: boolean;
}

/** The URL Fastify registers for `path` in a context with `prefix` (mirrors its prefixing rules). */
export function prefixed(prefix: string, path: string, prefixTrailingSlash?: string): string {
  if (path === '/' && prefix.length > 0) return prefixTrailingSlash === 'slash' ? prefix + '/' : prefix;
  if (path.startsWith('/') && prefix.endsWith('/')) return prefix + path.slice(1);
  return prefix + path;
}

// --- find-my-way path templates: `/static`, `:id`, `:a-:b`, `:id(^\d+)`, `:id?`, `*`, `::` ---

/** One part of a template: literal text, a parameter (with its regex source, if any), or the wildcard. */
type Part = { kind: 'text'; text: string } | { kind: 'param'; name: string; regex?: string; optional: boolean } | { kind: 'wildcard' };

const NAME_END = new Set(['/', '-', '.', '(', '?', ':', '*']);

function parse(template: string): Part[] {
  const parts: Part[] = [];
  const text = (t: string) => {
    const last = parts[parts.length - 1];
    if (last?.kind === 'text') last.text += t;
    else parts.push({ kind: 'text', text: t });
  };
  for (let i = 0; i < template.length; ) {
    const char = template[i];
    if (char === ':' && template[i + 1] === ':') {
      text(':'); // `::` is a literal colon
      i += 2;
    } else if (char === ':') {
      let end = i + 1;
      while (end < template.length && !NAME_END.has(template[end])) end++;
      const name = template.slice(i + 1, end);
      let regex: string | undefined;
      if (template[end] === '(') {
        const close = skipRegex(template, end);
        regex = template.slice(end + 1, close - 1);
        end = close;
      }
      const optional = template[end] === '?';
      parts.push({ kind: 'param', name, regex, optional });
      i = optional ? end + 1 : end;
    } else if (char === '*') {
      parts.push({ kind: 'wildcard' });
      i++;
    } else {
      text(char);
      i++;
    }
  }
  return parts;
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

// --- reverse routing ---

/** A filled template: the URL, and how many path parameters it used (to pick among templates). */
export interface FilledPath {
  readonly url: string;
  readonly used: number;
}

/**
 * Fills a template with `params`; the parameters it does not use become the query string. A
 * missing parameter throws `FCV_ERR_MISSING_URL_PARAM`; a value that would change what the URL
 * points to (empty, a `.`/`..` segment, `//`, a lone surrogate) throws `FCV_ERR_INVALID_URL_PARAM`,
 * unless `refuse` is false (a test that sends such a URL on purpose).
 */
export function fillPath(name: string, template: string, params: UrlParams, refuse = true): FilledPath {
  const used = new Set<string>();
  let path = '';
  for (const part of parse(template)) {
    if (part.kind === 'text') {
      path += part.text;
      continue;
    }
    const key = part.kind === 'param' ? part.name : '*';
    used.add(key);
    // Own values only: a parameter named `constructor` or `toString` is missing when not given.
    const given = Object.hasOwn(params, key) ? params[key] : undefined;
    if (given === undefined || given === null) {
      if (part.kind === 'param' && !part.optional) throw new errors.FCV_ERR_MISSING_URL_PARAM(name, key, template);
      if (part.kind === 'param' && path.endsWith('/') && path.length > 1) path = path.slice(0, -1);
      continue;
    }
    const value = wellFormed(name, key, String(given));
    if (part.kind === 'param') {
      if (!refuse) path += encodeURIComponent(value);
      else if (value === '') throw new errors.FCV_ERR_INVALID_URL_PARAM(name, key, 'is empty, which would build the URL of another route');
      else if (value === '.' || value === '..') throw new errors.FCV_ERR_INVALID_URL_PARAM(name, key, `is '${value}', a dot segment that clients resolve away (RFC 3986 §5.2.4)`);
      else path += encodeURIComponent(value);
    } else {
      // The wildcard keeps its slashes, so each segment must stay a segment of this path.
      const segments = value.split('/');
      if (refuse) segments.forEach((segment, i) => {
        if (segment === '.' || segment === '..') throw new errors.FCV_ERR_INVALID_URL_PARAM(name, key, `has the dot segment '${segment}', which clients resolve away (RFC 3986 §5.2.4)`);
        if (segment === '' && i < segments.length - 1 && !(i === 0 && segments.length === 1)) {
          throw new errors.FCV_ERR_INVALID_URL_PARAM(name, key, "has an empty segment ('//' or a leading '/'), which could make the URL point to another host");
        }
      });
      path += segments.map(encodeURIComponent).join('/');
    }
  }
  // A path starting with `//` is scheme-relative: sent as `Location`, it names another host.
  if (refuse && path.startsWith('//')) throw new errors.FCV_ERR_INVALID_URL_PARAM(name, '*', `would build '${path}', which names another host`);
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (!used.has(key) && value !== undefined && value !== null) query.append(wellFormed(name, key, key), wellFormed(name, key, String(value)));
  }
  const search = query.toString();
  return { url: search ? `${path}?${search}` : path, used: [...used].filter((key) => Object.hasOwn(params, key) && params[key] != null).length };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function wellFormed(name: string, key: string, value: string): string {
  // encodeURIComponent throws a bare URIError on a lone surrogate, and URLSearchParams replaces it silently.
  if (LONE_SURROGATE.test(value)) throw new errors.FCV_ERR_INVALID_URL_PARAM(name, key, 'contains a lone UTF-16 surrogate, which no URL can carry');
  return value;
}

// --- matching, for routes that share URLs ---

/**
 * A dynamic segment is `plain` when it is one parameter and nothing else: find-my-way tries a
 * parameter with a regex, or with text around it (`:name.json`), before a plain one.
 */
type Segment = { kind: 'static'; text: string } | { kind: 'dynamic'; test: RegExp; plain: boolean } | { kind: 'wildcard' };

/**
 * A template as the router sees it, to compare it with other routes' and to match request
 * paths. Compiled on first use: most routes are never compared with another in detail.
 */
export class PathShape {
  /** The first segment when it is plain text: only routes that start alike can share a path. */
  readonly first: string | undefined;
  /**
   * How many segments every path it matches has, or `undefined` when that may vary (a wildcard
   * or an optional parameter): paths of different lengths never meet, and comparing the lengths
   * spares compiling the segments of most routes (a resource's two URLs, say).
   */
  readonly segmentCount: number | undefined;
  private compiledMatcher?: RegExp;
  private compiledVariants?: readonly Segment[][];

  constructor(private readonly template: string, private readonly rules: PathRules) {
    const segments = normalize(template, rules).split('/');
    const head = segments[1];
    // A leading optional parameter, a parameter or a wildcard: no static first segment.
    this.first = head === undefined || /[:*]/.test(head) ? undefined : rules.caseInsensitive ? head.toLowerCase() : head;
    this.segmentCount = /[*?]/.test(template) ? undefined : segments.length - 1;
  }

  /** Tests a request path (without its query string). */
  get matcher(): RegExp {
    return (this.compiledMatcher ??= compileMatcher(normalize(this.template, this.rules), this.rules));
  }

  /** The segments; an optional last parameter gives two variants. */
  get variants(): readonly Segment[][] {
    return (this.compiledVariants ??= segmentsOf(this.template, this.rules));
  }
}

/** Compiles `template` under the router's rules. */
export function pathShape(template: string, rules: PathRules): PathShape {
  return new PathShape(template, rules);
}

function compileMatcher(template: string, rules: PathRules): RegExp {
  let source = '';
  for (const part of parse(template)) {
    if (part.kind === 'text') source += part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if (part.kind === 'wildcard') source += '.*';
    else {
      const param = part.regex ? `(?:${part.regex.replace(/^\^|\$$/g, '')})` : '[^/]+';
      source = part.optional && source.endsWith('/') ? `${source.slice(0, -1)}(?:/${param})?` : source + param;
    }
  }
  return new RegExp(`^${source}${rules.ignoreTrailingSlash ? '/?' : ''}$`, rules.caseInsensitive ? 'i' : '');
}

function segmentsOf(template: string, rules: PathRules): Segment[][] {
  const withParts: Segment[] = [];
  let without: Segment[] | undefined;
  for (const raw of normalize(template, rules).split('/').slice(1)) {
    const parts = parse(raw);
    if (parts.every((part) => part.kind === 'text')) withParts.push({ kind: 'static', text: rules.caseInsensitive ? raw.toLowerCase() : raw });
    else if (parts.some((part) => part.kind === 'wildcard')) withParts.push({ kind: 'wildcard' });
    else {
      if (parts.some((part) => part.kind === 'param' && part.optional)) without = [...withParts];
      const plain = parts.length === 1 && parts[0].kind === 'param' && parts[0].regex === undefined;
      withParts.push({ kind: 'dynamic', test: compileMatcher(raw, { ignoreTrailingSlash: false, caseInsensitive: rules.caseInsensitive }), plain });
    }
  }
  return without ? [withParts, without] : [withParts];
}

/**
 * Whether the router would choose `template` over `other` for some request path that both
 * match: find-my-way prefers, at the first place they differ, a static segment to a parametric
 * one, a parameter with a regex or surrounding text to a plain one, and any of them to the
 * wildcard. Where two parametric segments of the same kind meet, it counts as a win (a tie).
 */
export function shadows(shape: PathShape, other: PathShape): boolean {
  if (apart(shape, other)) return false;
  return shape.variants.some((a) => other.variants.some((b) => wins(a, b, 0)));
}

/** Whether some request path matches both. */
export function sharePaths(shape: PathShape, other: PathShape): boolean {
  if (apart(shape, other)) return false;
  return shape.variants.some((a) => other.variants.some((b) => overlaps(a, b, 0)));
}

/** No request path can match both, as seen without their segments: another first segment, another length. */
function apart(shape: PathShape, other: PathShape): boolean {
  if (shape.first !== undefined && other.first !== undefined && shape.first !== other.first) return true;
  return shape.segmentCount !== undefined && other.segmentCount !== undefined && shape.segmentCount !== other.segmentCount;
}

function wins(a: readonly Segment[], b: readonly Segment[], i: number): boolean {
  if (i === a.length || i === b.length) return a.length === b.length;
  const x = a[i];
  const y = b[i];
  if (x.kind === 'wildcard') return y.kind === 'wildcard';
  if (y.kind === 'wildcard') return true;
  if (x.kind === 'static' && y.kind === 'static') return x.text === y.text && wins(a, b, i + 1);
  if (x.kind === 'static' && y.kind === 'dynamic') return y.test.test(x.text) && overlaps(a, b, i + 1);
  if (x.kind === 'dynamic' && y.kind === 'static') return false;
  const [xPlain, yPlain] = [(x as { plain: boolean }).plain, (y as { plain: boolean }).plain];
  if (xPlain && !yPlain) return false; // theirs is tried first: they get the paths they match
  if (!xPlain && yPlain) return overlaps(a, b, i + 1);
  return wins(a, b, i + 1);
}

/** Whether some path matches both from segment `i` on. */
function overlaps(a: readonly Segment[], b: readonly Segment[], i: number): boolean {
  if (i === a.length || i === b.length) return a.length === b.length;
  const x = a[i];
  const y = b[i];
  if (x.kind === 'wildcard' || y.kind === 'wildcard') return true;
  if (x.kind === 'static' && y.kind === 'static' && x.text !== y.text) return false;
  if (x.kind === 'static' && y.kind === 'dynamic' && !y.test.test(x.text)) return false;
  if (x.kind === 'dynamic' && y.kind === 'static' && !x.test.test(y.text)) return false;
  return overlaps(a, b, i + 1);
}

function normalize(template: string, rules: PathRules): string {
  return rules.ignoreTrailingSlash && template.length > 1 && template.endsWith('/') ? template.slice(0, -1) : template;
}

/** The template with its parameter names left out: the router's own idea of "the same path". */
export function routeShape(template: string): string {
  return parse(template).map((part) => (part.kind === 'text' ? part.text.replace(/:/g, '::') : part.kind === 'wildcard' ? '*' : `:${part.regex ? `(${part.regex})` : ''}${part.optional ? '?' : ''}`)).join('');
}
