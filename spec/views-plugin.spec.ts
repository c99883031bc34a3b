import { join } from 'node:path';
import autoload from '@fastify/autoload';
import Fastify from 'fastify';
import fastifyViews, { MethodView, viewsPlugin } from '../src';

class Ping extends MethodView {
  get() {
    return 'pong';
  }
}

describe('viewsPlugin', () => {
  it('turns views into a plugin that register prefixes', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    await app.register(viewsPlugin({ path: '/ping', view: Ping.asView('ping') }), { prefix: '/api' });
    expect((await app.inject('/api/ping')).body).toBe('pong');
    expect((await app.inject({ method: 'DELETE', url: '/api/ping' })).statusCode).toBe(405);
    expect(app.urlFor('ping')).toBe('/api/ping');
  });

  it('names the missing plugin when fastifyViews is not registered', async () => {
    const app = Fastify();
    await expect(app.register(viewsPlugin({ path: '/ping', view: Ping.asView('ping') }))).rejects.toMatchObject({ code: 'FCV_ERR_PLUGIN_NOT_REGISTERED' });
  });

  it('rejects a class without @route', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    await expect(app.register(viewsPlugin(Ping))).rejects.toThrow(/a class without @route\(path\)/);
  });

  it('lets @fastify/autoload load a folder of views', async () => {
    const app = Fastify();
    await app.register(fastifyViews);
    await app.register(autoload, { dir: join(__dirname, 'fixtures', 'autoload-views') });
    expect((await app.inject('/authors')).json()).toEqual({ list: 'authors', self: '/authors' });
    expect((await app.inject('/authors/7')).json()).toEqual({ author: '7' });
    expect((await app.inject('/books/1')).json()).toEqual({ book: true });
    expect((await app.inject({ method: 'PUT', url: '/books/1' })).statusCode).toBe(405);
    expect(app.urlFor('book', { id: 2 })).toBe('/books/2');
  });
});
