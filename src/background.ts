import type { FastifyInstance, FastifyReply } from 'fastify';
import { errors } from './errors';

/** Work to run after the response is sent: sync or async; its errors are logged, never thrown. */
export type BackgroundTask = () => unknown;

declare module 'fastify' {
  interface FastifyReply {
    /**
     * Schedules `task` to run once the response has been sent (or the client went away),
     * after the tasks scheduled before it — Starlette's BackgroundTasks. A failing task is
     * logged; `app.close()` waits for pending tasks, up to the plugin's `backgroundTimeout`.
     *
     * @example
     * const user = await this.db.add(request.body);
     * reply.background(() => this.mailer.welcome(user));
     * return reply.code(201).send(user);
     */
    background(task: BackgroundTask): FastifyReply;
  }
}

/**
 * Tracks background tasks for one plugin registration, so that closing the app can wait for
 * them. Nothing runs per request unless a handler schedules a task.
 */
export class BackgroundWork {
  private readonly queues = new WeakMap<object, BackgroundTask[]>();
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly timeout: number) {}

  /** The `reply.background` decoration. */
  schedule(): (this: FastifyReply, task: BackgroundTask) => FastifyReply {
    const work = this;
    return function background(this: FastifyReply, task: BackgroundTask): FastifyReply {
      if (typeof task !== 'function') {
        throw new errors.FCV_ERR_INVALID_OPTION('reply.background', `expects a function, got ${typeof task}`);
      }
      let queue = work.queues.get(this);
      if (queue === undefined) {
        queue = [];
        work.queues.set(this, queue);
        const run = () => work.track(this, queue!);
        // 'close' comes once the response is finished or the connection is gone: either way the
        // scheduled work still runs.
        if (this.raw.closed || this.raw.destroyed) setImmediate(run);
        else this.raw.once('close', run);
      }
      queue.push(task);
      return this;
    };
  }

  /** Waits for running tasks, at most `timeout` ms; logs what is still running then. */
  async drain(app: FastifyInstance): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeout);
    });
    const outcome = await Promise.race([Promise.allSettled([...this.running]).then(() => 'done' as const), timedOut]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      app.log.warn(`closing with ${this.running.size} background task run(s) still pending after ${this.timeout} ms (backgroundTimeout)`);
    }
  }

  private track(reply: FastifyReply, queue: BackgroundTask[]): void {
    const run = runInOrder(reply, queue).finally(() => this.running.delete(run));
    this.running.add(run);
  }
}

async function runInOrder(reply: FastifyReply, queue: BackgroundTask[]): Promise<void> {
  // Tasks scheduled while earlier ones run are picked up too.
  for (let i = 0; i < queue.length; i++) {
    try {
      await queue[i]();
    } catch (err) {
      reply.log.error({ err }, 'background task failed');
    }
  }
}
