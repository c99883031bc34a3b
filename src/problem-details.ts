import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { STATUS_CODES } from 'node:http';

/** One failing field of a validation error: where (a JSON pointer into that part of the request) and what. */
export interface ProblemField {
  /** `body`, `querystring`, `params` or `headers`. */
  in: string;
  pointer: string;
  detail: string;
}

/** An `application/problem+json` body (RFC 9457), as `problemDetails: true` answers errors on view routes. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  /** The error's stable code (`FCV_ERR_*`, `FST_ERR_*`, or the view's own). */
  code?: string;
  /** For a validation error: each failing field. */
  errors?: ProblemField[];
}

/** The body for `error` answered to `request`. `type` is `about:blank`: the status says what happened (§4.2.1). */
export function problemOf(error: FastifyError, request: FastifyRequest, status: number): ProblemDetails {
  const problem: ProblemDetails = {
    type: 'about:blank',
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: error.message,
    instance: request.url,
  };
  if (error.code) problem.code = error.code;
  if (error.validation) {
    const part = error.validationContext ?? 'body';
    problem.errors = error.validation.map((failure) => {
      const missing = failure.keyword === 'required' ? `/${String((failure.params as { missingProperty?: unknown }).missingProperty)}` : '';
      const extra = failure.keyword === 'additionalProperties' ? `/${String((failure.params as { additionalProperty?: unknown }).additionalProperty)}` : '';
      return { in: part, pointer: `${failure.instancePath}${missing || extra}` || '/', detail: failure.message ?? 'is invalid' };
    });
  }
  return problem;
}

/**
 * The route-level error handler `problemDetails: true` puts on view routes (never a global one).
 * An error handler set on the view's context wins: then this one steps aside.
 */
export function problemDetailsHandler(contextDefault: unknown) {
  return function answerProblem(this: unknown, error: FastifyError, request: FastifyRequest, reply: FastifyReply): unknown {
    const contextHandler = request.server.errorHandler;
    if (contextHandler !== contextDefault) return contextHandler.call(request.server, error, request, reply);
    const status = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) reply.log.error({ err: error }, error.message);
    else reply.log.info({ res: reply, err: error }, error.message);
    const headers = (error as FastifyError & { headers?: Record<string, string> }).headers;
    if (headers) reply.headers(headers);
    // Serialized whole, not by the route's response schema for this status: one written for
    // Fastify's error shape would drop the problem's members.
    return reply.code(status).type('application/problem+json').serializer(JSON.stringify).send(problemOf(error, request, status));
  };
}
