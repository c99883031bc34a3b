import type { FastifyReply } from 'fastify';
import type { ViewDecorator } from '../../../src'; // in your app: 'fastify-class-views'

/**
 * A view decorator (`static decorators = [serverTiming]`) adding `Server-Timing: view;dur=<ms>`,
 * the time spent in the view, which browsers' developer tools show next to the request.
 *
 * It calls the view through `request.server.ensureSync`, the app's dispatcher, so one decorator
 * serves both kinds of view: a sync view stays sync (a plain value comes back and the header is
 * set at once), an async one gives a Promise and the header is set when it settles.
 */
export const serverTiming: ViewDecorator = (view) =>
  function timedView(request, reply) {
    const start = performance.now();
    const result = request.server.ensureSync(view)(request, reply);
    if (isThenable(result)) {
      return result.then((payload) => {
        setDuration(reply, start);
        return payload;
      });
    }
    setDuration(reply, start);
    return result;
  };

function setDuration(reply: FastifyReply, start: number): void {
  // A view that sent the reply itself has already written its headers.
  if (!reply.sent) reply.header('server-timing', `view;dur=${(performance.now() - start).toFixed(2)}`);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}
