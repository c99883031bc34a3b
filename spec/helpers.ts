import Fastify, { FastifyInstance, FastifyServerOptions } from 'fastify';
import fastifyViews, { FastifyViewsOptions } from '../src';

/** A ready-to-register app with the plugin, as a user would start one. */
export async function appWithViews(options: FastifyViewsOptions = {}, server: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(server);
  await app.register(fastifyViews, options);
  return app;
}
