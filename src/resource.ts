import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errors } from './errors';
import { MethodView, VERBS, Verb, VerbOptions } from './method-view';
import { mergeRouteOptions, VerbRouteOptions, ViewRouteOptions } from './route-options';
import { pascal } from './registry';
import { View, ViewClass, ViewFunction } from './view';

/** The actions on the collection URL (`/books`): `list` answers GET, `create` POST. */
export const COLLECTION_ACTIONS = { list: 'get', create: 'post' } as const satisfies Record<string, Verb>;
/** The actions on the item URL (`/books/:id`): GET, PUT, PATCH and DELETE. */
export const ITEM_ACTIONS = { retrieve: 'get', update: 'put', partialUpdate: 'patch', destroy: 'delete' } as const satisfies Record<string, Verb>;

/** One of the six actions a `Resource` may define. */
export type Action = keyof typeof COLLECTION_ACTIONS | keyof typeof ITEM_ACTIONS;

/** `static extraActions`: the extra actions by method name. */
export type ExtraActions = Record<string, ExtraAction>;

/** Route options per action (`static actionOptions`), as `verbOptions` are per verb. */
export type ActionOptions = Partial<Record<Action, VerbRouteOptions>>;

/** The item URL's parameter: its name (`:id`) and the JSON schema of its value. */
export interface ItemParam {
  name: string;
  schema: object;
}

/**
 * A named route beside the six actions (`static extraActions`), served by the method of the same
 * name: on the collection (`/books/search`) or on an item (`/books/:id/checkout`).
 */
export interface ExtraAction extends VerbRouteOptions {
  on: 'collection' | 'item';
  /** The verbs it answers (others are 405 on its URL). */
  methods: ReadonlyArray<Uppercase<Verb>>;
  /** The URL segment after the collection or item URL; the action's name by default. */
  path?: string;
}

/** One extra action's view, registered at `on`'s URL + `/path`, endpoint `name.action`. */
export interface ExtraActionView {
  readonly action: string;
  readonly on: 'collection' | 'item';
  readonly path: string;
  readonly view: ViewFunction;
}

/** What `asResource` makes and `addResource` registers: a view per URL, named `name` and `name.item`. */
export interface ResourceViews {
  readonly kind: 'resource';
  readonly name: string;
  /** The standard actions served (of the six), after `static actions`. */
  readonly actions: readonly Action[];
  /** The extra actions, each its own view (`name.action`). */
  readonly extra: readonly ExtraActionView[];
  /** `list` / `create`, at the resource's path; absent when the class defines neither. */
  readonly collection?: ViewFunction;
  /** `retrieve` / `update` / `partialUpdate` / `destroy`, at `path/:param`; absent when it defines none. */
  readonly item?: ViewFunction;
  readonly itemParam: ItemParam;
  /** A nested resource's parent parameter: `addResource`'s path must have it. */
  readonly parent?: ItemParam;
}

/**
 * A REST resource in one class: a collection and its items. Define any of `list` and `create`
 * (served at the resource's path) and `retrieve`, `update`, `partialUpdate` and `destroy`
 * (served at `path/:id`), sync or async; each is a `MethodView` verb handler underneath, with
 * everything a verb has: 405 + `Allow` and automatic `OPTIONS` and `HEAD` on each URL, its own
 * schema and route options (`static actionOptions`, or `@schema` on the method), an
 * `operationId`. `validators` and `requirePreconditions` apply to the item URL.
 *
 * @example
 * class Books extends Resource {
 *   constructor(private readonly store: Store) { super(); }
 *   list() { return this.store.listBooks(); }
 *   retrieve(request: FastifyRequest<{ Params: { id: number } }>) { return this.store.getBook(request.params.id); }
 * }
 * app.addResource('/books', Books.asResource('books', store));   // urlFor('books'), urlFor('books.item', { id })
 */
export abstract class Resource extends MethodView {
  /** Route options per action, merged over the class's `viewOptions`. */
  static actionOptions?: ActionOptions;
  /**
   * The actions served, when not every one the class has: a subclass of `RepositoryResource`
   * (which has all six) without `PUT`, say, lists the other five. Unlisted actions are 405.
   *
   * @example
   * static override actions = ['list', 'create', 'retrieve', 'partialUpdate', 'destroy'] satisfies Action[];
   */
  static actions?: readonly Action[];
  /** The item URL's parameter: `:id`, a positive integer, unless a subclass says otherwise. */
  static itemParam: ItemParam = { name: 'id', schema: { type: 'integer', minimum: 1 } };
  /**
   * Named routes beside the six actions, each served by the method of that name.
   *
   * @example
   * static override extraActions = { checkout: { on: 'item', methods: ['POST'] } } satisfies ExtraActions;
   * checkout(request: FastifyRequest<{ Params: { id: number } }>) { … }   // POST /books/:id/checkout, endpoint books.checkout
   */
  static extraActions?: ExtraActions;
  /**
   * For a nested resource (`/authors/:authorId/books`): the parent's parameter, added to every
   * route's `params`. The class then defines `parentExists(request)` (sync or async): when it
   * answers false, every URL of the resource is a 404 `FCV_ERR_PARENT_NOT_FOUND`, checked once,
   * after validation and before `validators` and the action.
   */
  static parent?: ItemParam;

  /**
   * The error for a nested resource whose parent does not exist: a 404
   * `FCV_ERR_PARENT_NOT_FOUND` naming the parent parameter, unless a subclass answers its own.
   */
  parentNotFound(request: FastifyRequest): Error {
    const name = (this.constructor as typeof Resource).parent?.name ?? 'parent';
    return new errors.FCV_ERR_PARENT_NOT_FOUND(resourceNameOf(request) ?? this.constructor.name, name, String((request.params as Record<string, unknown>)[name]));
  }

  /**
   * The collection and item views of this resource, named `name` and `name.item`; the remaining
   * arguments go to the constructor of every instance, typed from it.
   */
  static asResource<C extends ViewClass<Resource>>(this: C, name: string, ...args: ConstructorParameters<C>): ResourceViews {
    const resource = this as unknown as ResourceClass;
    const { collection, item, actions } = viewClassesOf(resource, name, args);
    return {
      kind: 'resource',
      name,
      actions,
      extra: extraViews(resource, name, args),
      collection: collection && View.asView.call(collection as unknown as ViewClass, name, ...(args as never[])),
      item: item && View.asView.call(item as unknown as ViewClass, `${name}.item`, ...(args as never[])),
      itemParam: resource.itemParam,
      parent: resource.parent,
    };
  }
}

type ResourceClass = typeof Resource;

function checkParam(param: ItemParam | undefined, option: string, name: string): void {
  if (typeof param?.name !== 'string' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(param.name) || typeof param.schema !== 'object' || param.schema === null) {
    throw new errors.FCV_ERR_INVALID_OPTION(option, `resource '${name}' needs { name, schema } with a parameter name made of letters, digits and _`);
  }
}

const STANDARD_ACTIONS = new Set<string>([...Object.keys(COLLECTION_ACTIONS), ...Object.keys(ITEM_ACTIONS)]);

function extraViews(resource: ResourceClass, name: string, args: unknown[]): ExtraActionView[] {
  const proto = resource.prototype as unknown as Record<string, unknown>;
  return Object.entries(resource.extraActions ?? {}).map(([action, declared]) => {
    const { on, methods, path = action, ...options } = declared ?? ({} as ExtraAction);
    const problem = STANDARD_ACTIONS.has(action) ? 'is one of the six actions: use actionOptions for it'
      : typeof proto[action] !== 'function' ? `has no method ${action}() to serve it`
      : on !== 'collection' && on !== 'item' ? "needs on: 'collection' or 'item'"
      : !Array.isArray(methods) || methods.length === 0 || methods.some((m) => !VERBS.includes(String(m).toLowerCase() as Verb)) ? "needs methods, e.g. ['POST']"
      : typeof path !== 'string' || path === '' || path.startsWith('/') ? 'needs a path segment such as "checkout"'
      : undefined;
    if (problem) throw new errors.FCV_ERR_INVALID_OPTION(`extraActions.${action}`, `resource '${name}': the extra action ${problem}`);
    const served = methods.map((m): [string, Verb] => [action, m.toLowerCase() as Verb]);
    const Views = viewClass(resource, pascal(action), served, () => options, defaultsFor(resource, name, args, on === 'item'), on === 'item');
    return { action, on, path, view: View.asView.call(Views as unknown as ViewClass, `${name}.${action}`, ...(args as never[])) };
  });
}

/** The options every route of the resource starts from: its tag, its parameters, the parent check. */
function defaultsFor(resource: ResourceClass, name: string, args: unknown[], item: boolean): object {
  const params = paramsSchema(resource.parent, item ? resource.itemParam : undefined);
  const schema = { tags: [name], ...(params && { params }) };
  const config = { [RESOURCE_NAME]: name };
  return resource.parent ? { schema, config, preHandler: parentCheck(resource, name, args) } : { schema, config };
}

/** Where a resource route's config keeps the resource's name (`books`, for every one of its URLs). */
const RESOURCE_NAME = Symbol.for('fastify-class-views.resourceName');

/** The name of the resource whose route `request` is on (`books` for `books.item` and `books.checkout`). */
export function resourceNameOf(request: FastifyRequest): string | undefined {
  return (request.routeOptions?.config as unknown as Record<PropertyKey, string> | undefined)?.[RESOURCE_NAME];
}

const NONE = {};
const paramsSchemas = new WeakMap<object, WeakMap<object, object>>();

/**
 * The `params` schema of a URL with these parameters: one object per pair of `ItemParam`s, so
 * that resources sharing an item parameter (the default `:id`) share one schema, which Fastify
 * compiles once — not once per resource.
 */
function paramsSchema(parent: ItemParam | undefined, item: ItemParam | undefined): object | undefined {
  if (parent === undefined && item === undefined) return undefined;
  let byItem = paramsSchemas.get(parent ?? NONE);
  if (byItem === undefined) paramsSchemas.set(parent ?? NONE, (byItem = new WeakMap()));
  let schema = byItem.get(item ?? NONE);
  if (schema === undefined) {
    const list = [parent, item].filter((p): p is ItemParam => p !== undefined);
    schema = { type: 'object', properties: Object.fromEntries(list.map((p) => [p.name, p.schema])), required: list.map((p) => p.name) };
    byItem.set(item ?? NONE, schema);
  }
  return schema;
}

function parentCheck(resource: ResourceClass, name: string, args: unknown[]) {
  const parent = resource.parent!;
  const exists = (resource.prototype as unknown as { parentExists?: (request: FastifyRequest) => unknown }).parentExists;
  if (typeof exists !== 'function') {
    throw new errors.FCV_ERR_INVALID_OPTION('parent', `resource '${name}' is nested in '${parent.name}': define parentExists(request), true when that parent exists`);
  }
  const Constructor = resource as unknown as new (...args: unknown[]) => Resource;
  return async function checkParent(request: FastifyRequest): Promise<void> {
    const resource = new Constructor(...args);
    if (!(await exists.call(resource, request))) throw resource.parentNotFound(request);
  };
}

/** The two `MethodView` classes of a resource class: each action becomes its verb. */
function viewClassesOf(resource: ResourceClass, name: string, args: unknown[]) {
  const proto = resource.prototype as unknown as Record<string, unknown>;
  const verbs = VERBS.filter((verb) => typeof proto[verb] === 'function');
  if (verbs.length > 0) {
    throw new errors.FCV_ERR_INVALID_VIEW_CLASS(name, `a Resource defines actions (list, create, retrieve, update, partialUpdate, destroy), not verbs: rename ${verbs.join(', ')}`);
  }
  checkParam(resource.itemParam, 'itemParam', name);
  if (resource.parent !== undefined) {
    checkParam(resource.parent, 'parent', name);
    if (resource.parent.name === resource.itemParam.name) throw new errors.FCV_ERR_INVALID_OPTION('parent', `resource '${name}': the parent and item parameters are both ':${resource.parent.name}'`);
  }
  const served = servedActions(resource, name);
  const defined = (actions: Record<string, Verb>) => Object.entries(actions).filter(([action]) => served.has(action));
  const optionsOf = (action: string) => resource.actionOptions?.[action as Action];
  const [collection, item] = [defined(COLLECTION_ACTIONS), defined(ITEM_ACTIONS)];
  return {
    actions: [...served] as Action[],
    collection: collection.length > 0 ? viewClass(resource, 'Collection', collection, optionsOf, defaultsFor(resource, name, args, false), false) : undefined,
    item: item.length > 0 ? viewClass(resource, 'Item', item, optionsOf, defaultsFor(resource, name, args, true), true) : undefined,
  };
}

/** The standard actions the resource serves: `static actions`, else every one it defines. */
function servedActions(resource: ResourceClass, name: string): Set<string> {
  const proto = resource.prototype as unknown as Record<string, unknown>;
  const defined = [...STANDARD_ACTIONS].filter((action) => typeof proto[action] === 'function');
  if (resource.actions === undefined) return new Set(defined);
  if (!Array.isArray(resource.actions)) throw new errors.FCV_ERR_INVALID_OPTION('actions', `resource '${name}' needs a list of actions, e.g. ['list', 'retrieve']`);
  const missing = resource.actions.filter((action) => !defined.includes(action));
  if (missing.length > 0) {
    throw new errors.FCV_ERR_INVALID_OPTION('actions', `resource '${name}' lists ${missing.map(String).join(', ')}, which it does not define (its actions: ${defined.join(', ') || 'none'})`);
  }
  return new Set(resource.actions);
}

/**
 * A `MethodView` subclass of `resource` whose verbs are its actions (`served`: action and verb
 * pairs; an extra action serves several verbs with one method).
 */
function viewClass(resource: ResourceClass, suffix: string, served: Array<[string, Verb]>, optionsOf: (action: string) => VerbRouteOptions | undefined, defaults: object, conditional: boolean): ResourceClass {
  const proto = resource.prototype as unknown as Record<string, unknown>;
  // A subclass of the user's class: instances are theirs (`instanceof Books`), with their constructor.
  const Views = class extends (resource as unknown as new (...args: never[]) => Resource) {} as unknown as ResourceClass;
  Object.defineProperty(Views, 'name', { value: `${resource.name}${suffix}` });
  const verbOptions: VerbOptions = {};
  for (const [action, verb] of served) {
    // The action's own function, not a wrapper: `@schema` metadata on it is found by the verb.
    Object.defineProperty(Views.prototype, verb, { value: proto[action], writable: true, configurable: true });
    const options = optionsOf(action);
    if (options !== undefined) verbOptions[verb] = options;
  }
  Views.verbOptions = verbOptions;
  Views.viewOptions = mergeRouteOptions(defaults, resource.viewOptions) as typeof Views.viewOptions;
  if (!conditional) {
    Object.defineProperty(Views.prototype, 'validators', { value: undefined, writable: true, configurable: true });
    Views.requirePreconditions = [];
  }
  return Views;
}



/**
 * Registers a resource's views: the collection at `path`, the item at `path/:param`, in the
 * context `app` (`options` apply to both, as `addView`'s do).
 */
export function addResourceRoutes(app: FastifyInstance, path: string, resource: ResourceViews, options?: ViewRouteOptions): void {
  if (resource === null || typeof resource !== 'object' || resource.kind !== 'resource' || (resource.collection === undefined && resource.item === undefined && !(resource.extra?.length > 0))) {
    throw new errors.FCV_ERR_INVALID_VIEW(String(path), 'addResource needs what Resource.asResource() returns, with at least one action');
  }
  if (typeof path !== 'string') throw new errors.FCV_ERR_INVALID_OPTION('path', `addResource needs a path string, got ${typeof path}`);
  if (resource.parent && !path.split('/').includes(`:${resource.parent.name}`)) {
    throw new errors.FCV_ERR_INVALID_OPTION('path', `resource '${resource.name}' is nested: its path needs the parent parameter :${resource.parent.name}, got '${path}'`);
  }
  const paths = resourcePaths(path, resource);
  if (resource.collection) app.addView(path, resource.collection, options);
  if (resource.item) app.addView(paths.item, resource.item, options);
  for (const extra of resource.extra ?? []) app.addView(paths.of(extra), extra.view, options);
}

/** The URLs of a resource registered at `path`: its item's, and an extra action's. */
export function resourcePaths(path: string, resource: ResourceViews): { collection: string; item: string; of(extra: ExtraActionView): string } {
  const collection = path.replace(/\/+$/, '');
  const item = `${collection}/:${resource.itemParam.name}`;
  return { collection, item, of: (extra) => `${extra.on === 'item' ? item : collection}/${extra.path}` };
}
