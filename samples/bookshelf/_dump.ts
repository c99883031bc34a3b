import { buildApp } from './app';
import { FakeStore } from '../../spec/bookshelf/fake-store';
(async () => {
  const app = await buildApp({ store: new FakeStore() as never, apiKey: 'k' });
  await app.ready();
  const res = await app.inject({ url: '/docs/json' });
  process.stdout.write(JSON.stringify(JSON.parse(res.body), null, 2));
  await app.close();
})();
