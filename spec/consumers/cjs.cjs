'use strict';
// CommonJS consumer of the packed package (not a jest spec; run by spec/consumers/run.sh).
// Fastify's own plugins make `require()` return the plugin itself, with `.default` and a named
// property pointing at it, so `app.register(require('x'))` and `const { x } = require('x')` both work.
const assert = require('node:assert/strict');
const Fastify = require('fastify');

const failures = [];
async function check(name, fn) {
  try {
    await fn();
    console.log(`  ok   ${name}`);
  } catch (err) {
    failures.push(name);
    console.log(`  FAIL ${name}\n${String(err && err.stack || err).replace(/^/gm, '       ')}`);
  }
}

async function main() {
  const pkg = require('fastify-class-views');
  const { MethodView } = pkg;

  await check("register(require('fastify-class-views')) + MethodView, GET /users/42", async () => {
    class UserAPI extends MethodView {
      get(request) {
        return { id: request.params.id, via: 'cjs' };
      }
    }
    const app = Fastify();
    await app.register(pkg);
    app.addView('/users/:id', UserAPI.asView('user'));
    const res = await app.inject({ method: 'GET', url: '/users/42' });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), { id: '42', via: 'cjs' });
    await app.close();
  });
  await check("require('fastify-class-views') is the plugin function (module.exports = plugin)", () => {
    assert.equal(typeof pkg, 'function', `got ${typeof pkg} with keys ${Object.keys(pkg)}`);
  });
  await check('.default and .fastifyViews are the plugin', () => {
    const plugin = typeof pkg === 'function' ? pkg : pkg.default;
    assert.equal(typeof plugin, 'function');
    assert.equal(pkg.default, plugin);
    assert.equal(pkg.fastifyViews, plugin);
  });
  await check('MethodView, View, ensureSync are exported', () => {
    for (const name of ['MethodView', 'View', 'ensureSync']) assert.equal(typeof pkg[name], 'function', name);
  });
  await check("require('fastify-class-views/testing') exports something", () => {
    const testing = require('fastify-class-views/testing');
    assert.ok(Object.keys(testing).length > 0);
  });

  console.log(`cjs consumer (node ${process.version}): ${failures.length ? `${failures.length} check(s) failed` : 'ok'}`);
  process.exitCode = failures.length ? 1 : 0;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
