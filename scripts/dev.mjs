// `npm run dev`: wrangler dev on 127.0.0.1:8787, plus a local demo upstream on 127.0.0.1:8788
// that /external-api, the `demo` upstream and the /events webhook point at, so every route
// answers offline. With UPSTREAM_URL set in the environment, that URL is used instead and no
// demo upstream starts. The jobs API runs on local D1 and queues under .wrangler/state: the
// D1 migrations are applied first, and API_KEYS defaults to a dev key.
import { spawn, spawnSync } from 'node:child_process';
import { startUpstream } from '../tests/support/upstream.mjs';

const DEMO_PORT = Number(process.env.DEMO_UPSTREAM_PORT ?? 8788);

let demo;
let upstreamUrl = process.env.UPSTREAM_URL;
const vars = [];
if (!upstreamUrl) {
  demo = await startUpstream({ port: DEMO_PORT });
  upstreamUrl = `${demo.url}/json`;
  // Named upstreams on the demo server too, so /upstreams/demo/…, /aggregate and /events
  // answer offline: `demo` is the whole server (POST allowed, for its streaming /chat),
  // `webhook` receives /events deliveries.
  const upstreams = {
    demo: { base_url: demo.url, methods: ['GET', 'HEAD', 'POST'] },
    webhook: { base_url: `${demo.url}/webhook`, retries: 2 },
  };
  vars.push('--var', `UPSTREAMS:${JSON.stringify(upstreams)}`, '--var', 'EVENTS_WEBHOOK:webhook');
  console.log(`[dev] demo upstream on ${demo.url} (try ${demo.url}/delay?ms=500, /status/503, /invalid-json, /sse, /large?mb=100, POST /chat)`);
  console.log('[dev] named upstreams: demo, webhook (EVENTS_WEBHOOK)');
}
console.log(`[dev] UPSTREAM_URL=${upstreamUrl}`);

const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' };
// Local D1 schema: applies only migrations not yet applied (idempotent, ~3 s).
const migrate = spawnSync('wrangler', ['d1', 'migrations', 'apply', 'JOBS_DB', '--local'], { stdio: 'inherit', env });
if (migrate.status !== 0) {
  console.error('[dev] applying the D1 migrations failed');
  process.exit(migrate.status ?? 1);
}
const apiKey = process.env.API_KEYS ?? 'dev-key';
vars.push('--var', `API_KEYS:${apiKey}`);
console.log(`[dev] jobs API key(s): ${apiKey} (curl -H 'Authorization: Bearer ${apiKey.split(',')[0]}' …)`);
console.log('[dev] cron sweep on demand: curl "http://127.0.0.1:8787/__scheduled?cron=*/5+*+*+*+*"');

const args = ['dev', '--ip', '127.0.0.1', '--port', '8787', '--test-scheduled', '--var', `UPSTREAM_URL:${upstreamUrl}`, ...vars, ...process.argv.slice(2)];
const wrangler = spawn('wrangler', args, { stdio: 'inherit', env });

const stop = (signal) => wrangler.kill(signal);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
wrangler.on('exit', async (code, signal) => {
  await demo?.close();
  process.exit(code ?? (signal ? 0 : 1));
});
