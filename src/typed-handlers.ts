import type {
  ContextConfigDefault, FastifyReply, FastifyRequest, FastifySchema, FastifyTypeProvider, FastifyTypeProviderDefault,
  RawReplyDefaultExpression, RawRequestDefaultExpression, RawServerDefault, RouteGenericInterface,
} from 'fastify';

/**
 * The request type of a handler whose `params`, `query`, `body` and `headers` follow from its
 * schema through a Fastify type provider — the one helper to write the schema once.
 *
 * @example
 * const getUser = { params: Type.Object({ id: Type.String() }) } as const;
 * class UserAPI extends MethodView {
 *   static override verbOptions = { get: { schema: getUser } };
 *   get(request: ViewRequest<typeof getUser, TypeBoxTypeProvider>) {
 *     return db.user(request.params.id);   // id: string
 *   }
 * }
 */
export type ViewRequest<
  Schema extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
> = FastifyRequest<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, Schema, TypeProvider>;

/** The reply type that goes with `ViewRequest`: `reply.send()` is checked against the response schema. */
export type ViewReply<
  Schema extends FastifySchema = FastifySchema,
  TypeProvider extends FastifyTypeProvider = FastifyTypeProviderDefault,
> = FastifyReply<RouteGenericInterface, RawServerDefault, RawRequestDefaultExpression, RawReplyDefaultExpression, ContextConfigDefault, Schema, TypeProvider>;
