// urlFor, with behaviour ported from Werkzeug's routing tests (test_build_*), Litestar's
// route_reverse and Starlette's url_path_for.
import { FastifyInstance, FastifyRequest } from 'fastify';
import { View } from '../src';
import { appWithViews } from './helpers';

class Page extends View {
  dispatchRequest() {
    return 'page';
  }
}

async function appWithPaths(...paths: string[]): Promise<FastifyInstance> {
  const app = await appWithViews();
  const view = Page.asView('foo');
  for (const path of paths) app.addView(path, view);
  return app;
}

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    return [(error as { code?: string }).code, (error as Error).message];
  }
  return ['no error'];
};

describe('urlFor with one endpoint on several paths', () => {
  it.each([
    [['/foo/', '/foo/:page']],
    [['/foo/:page', '/foo/']],
  ])('builds the path that uses the most given parameters, whatever the order (%p)', async (paths) => {
    const app = await appWithPaths(...paths);
    expect(app.urlFor('foo', { page: 2 })).toBe('/foo/2');
    expect(app.urlFor('foo')).toBe('/foo/');
    expect(app.urlFor('foo', { page: 2, sort: 'title' })).toBe('/foo/2?sort=title');
    expect(app.urlFor('foo', { sort: 'title' })).toBe('/foo/?sort=title');
  });

  it('takes the first registered path on a tie', async () => {
    const app = await appWithPaths('/a/:id', '/b/:id');
    expect(app.urlFor('foo', { id: 1 })).toBe('/a/1');
  });

  it('names a missing parameter when no path can be built', async () => {
    const app = await appWithPaths('/a/:id', '/b/:id/:slug');
    expect(code(() => app.urlFor('foo', {}))[0]).toBe('FCV_ERR_MISSING_URL_PARAM');
  });
});

describe('urlFor refuses values that would build another URL', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await appWithViews();
    app.addView('/users/:username', Page.asView('user'));
    app.addView('/files/*', Page.asView('file'));
    app.addView('/*', Page.asView('anything'));
  });

  it('refuses an empty path parameter, which would give the URL of another route', () => {
    const [errorCode, message] = code(() => app.urlFor('user', { username: '' }));
    expect(errorCode).toBe('FCV_ERR_INVALID_URL_PARAM');
    expect(message).toContain("'username'");
  });

  it.each(['.', '..'])('refuses the dot segment %p as a path parameter', (value) => {
    expect(code(() => app.urlFor('user', { username: value }))[0]).toBe('FCV_ERR_INVALID_URL_PARAM');
  });

  it('encodes slashes and reserved characters inside a path parameter', () => {
    expect(app.urlFor('user', { username: 'tom/jerry?#' })).toBe('/users/tom%2Fjerry%3F%23');
  });

  it('never builds a scheme-relative URL from a wildcard (no open redirect)', () => {
    for (const value of ['/evil.example/x', '//evil.example/x']) {
      expect(code(() => app.urlFor('anything', { '*': value }))[0]).toBe('FCV_ERR_INVALID_URL_PARAM');
    }
  });

  it.each(['../admin', 'a/../../b', 'a/./b', 'a//b'])('refuses the wildcard value %p', (value) => {
    expect(code(() => app.urlFor('file', { '*': value }))[0]).toBe('FCV_ERR_INVALID_URL_PARAM');
  });

  it('keeps the slashes of a wildcard and encodes each segment', () => {
    expect(app.urlFor('file', { '*': 'docs/read me.txt' })).toBe('/files/docs/read%20me.txt');
    expect(app.urlFor('file', { '*': 'docs/' })).toBe('/files/docs/');
    expect(app.urlFor('file', { '*': '' })).toBe('/files/');
  });

  it.each([
    ['a path parameter', 'user', { username: 'a\uD800b' }],
    ['a wildcard', 'file', { '*': '\uDC00' }],
    ['a query value', 'user', { username: 'ada', q: 'x\uD83D' }],
  ] as const)('refuses a lone UTF-16 surrogate in %s with an FCV error, not a URIError', (_where, name, params) => {
    expect(code(() => app.urlFor(name, params))[0]).toBe('FCV_ERR_INVALID_URL_PARAM');
  });

  it('accepts a well-formed surrogate pair', () => {
    expect(app.urlFor('user', { username: '🦉' })).toBe('/users/%F0%9F%A6%89');
  });

  it('answers 500 with the FCV error when a view builds such a URL during a request', async () => {
    class Redirect extends View {
      dispatchRequest(request: FastifyRequest<{ Querystring: { next: string } }>) {
        return request.server.urlFor('anything', { '*': request.query.next });
      }
    }
    const redirecting = await appWithViews();
    redirecting.addView('/go', Redirect.asView('go'));
    redirecting.addView('/*', Page.asView('anything'));
    const response = await redirecting.inject('/go?next=%2F%2Fevil.example');
    expect([response.statusCode, response.json().code]).toEqual([500, 'FCV_ERR_INVALID_URL_PARAM']);
  });
});
