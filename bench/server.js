'use strict';
/**
 * One load variant as its own process (forked by run.js with an IPC channel).
 *   argv[2]: the variant key (apps.js)
 * Listens on 127.0.0.1 at port 0 and sends { type: 'ready', port }. Answers { type: 'cpu' } with
 * this process's own process.cpuUsage(), so the parent can read it just before and just after a
 * load run. Exits on { type: 'stop' }, when the parent goes away, or after MAX_LIFETIME_MS.
 */
const { variants } = require('./apps');

const MAX_LIFETIME_MS = Number(process.env.BENCH_SERVER_MAX_MS || 20 * 60 * 1000);

async function main() {
  const key = process.argv[2];
  const variant = variants.find((v) => v.key === key);
  if (!variant) throw new Error(`unknown variant ${key}`);

  let port;
  let close;
  if (variant.kind === 'nest') {
    const { listenNest } = await import('./nest.mjs');
    ({ port, close } = await listenNest());
  } else {
    const app = await variant.build();
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = app.server.address().port;
    close = () => app.close();
  }

  const lifetime = setTimeout(() => process.exit(3), MAX_LIFETIME_MS);
  lifetime.unref();
  process.on('disconnect', () => process.exit(0));
  process.on('message', (msg) => {
    if (msg?.type === 'cpu') {
      const cpu = process.cpuUsage();
      process.send({ type: 'cpu', id: msg.id, cpu, rss: process.memoryUsage.rss() });
    } else if (msg?.type === 'stop') {
      Promise.race([close(), new Promise((resolve) => setTimeout(resolve, 2000))]).finally(() => process.exit(0));
    }
  });
  process.send({ type: 'ready', port, pid: process.pid });
}

main().catch((err) => {
  console.error(`[server ${process.argv[2]}]`, err);
  process.exit(1);
});
