// ESM consumer of the packed (CommonJS) package (not a jest spec; run by spec/consumers/run.sh).
// Default import = module.exports; named imports = the names Node's CJS lexer detects (a missing
// one is a SyntaxError at link time, before any check below runs).
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import fastifyViews, { fastifyViews as namedViews, MethodView, View, ensureSync } from 'fastify-class-views';
import * as testing from 'fastify-class-views/testing';

const failures = [];
async function check(name, fn) {
  try {
    await fn();
    console.log(`  ok   ${name}`);
  } catch (err) {
    failures.push(name);
    console.log(`  FAIL ${name}\n${String(err?.stack ?? err).replace(/^/gm, '       ')}`);
  }
}

await check('register(named fastifyViews) + MethodView, GET /users/7 over 127.0.0.1', async () => {
  class UserAPI extends MethodView {
    get(request) {
      return { id: request.params.id, via: 'esm' };
    }
  }
  const app = Fastify();
  await app.register(namedViews);
  app.addView('/users/:id', UserAPI.asView('user'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  try {
    const { port } = app.server.address();
    const res = await fetch(`http://127.0.0.1:${port}/users/7`, { signal: AbortSignal.timeout(5000) });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { id: '7', via: 'esm' });
  } finally {
    await app.close();
  }
});
await check('register(default import) works', async () => {
  const app = Fastify();
  await app.register(fastifyViews);
  await app.ready();
  assert.equal(typeof app.addView, 'function');
  await app.close();
});
await check("default import is the plugin function (module.exports = plugin)", () => {
  assert.equal(typeof fastifyViews, 'function', `got ${typeof fastifyViews} with keys ${Object.keys(fastifyViews)}`);
  assert.equal(namedViews, fastifyViews);
});
await check('View and ensureSync are named exports', () => {
  assert.equal(typeof View, 'function');
  assert.equal(typeof ensureSync, 'function');
});
await check("'fastify-class-views/testing' has named exports", () => {
  assert.ok(Object.keys(testing).some((k) => k !== 'default'));
});

console.log(`esm consumer (node ${process.version}): ${failures.length ? `${failures.length} check(s) failed` : 'ok'}`);
process.exitCode = failures.length ? 1 : 0;
