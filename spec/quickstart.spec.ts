import { main } from '../samples/quickstart';

describe('the README quick start (samples/quickstart.ts)', () => {
  it('answers as the README says', async () => {
    const app = await main(0);
    try {
      const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const get = await fetch(`${base}/users/1`);
      expect([get.status, await get.json()]).toEqual([200, { id: '1', name: 'Ada' }]);
      const put = await fetch(`${base}/users/1`, { method: 'PUT' });
      expect([put.status, put.headers.get('allow')]).toEqual([405, 'DELETE, GET, HEAD, OPTIONS']);
      expect(app.urlFor('user', { id: 1 })).toBe('/users/1');
      expect((await fetch(`${base}/users/1`, { method: 'DELETE' })).status).toBe(204);
      expect((await fetch(`${base}/users/1`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });
});
