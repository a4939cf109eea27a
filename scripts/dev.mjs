// `npm run dev`: wrangler dev on 127.0.0.1:8787, plus a local demo upstream on 127.0.0.1:8788
// that /external-api, the `demo` upstream and the /events webhook point at, so every route
// answers offline. With UPSTREAM_URL set in the environment, that URL is used instead and no
// demo upstream starts.
import { spawn } from 'node:child_process';
import { startUpstream } from '../tests/support/upstream.mjs';

const DEMO_PORT = Number(process.env.DEMO_UPSTREAM_PORT ?? 8788);

let demo;
let upstreamUrl = process.env.UPSTREAM_URL;
const vars = [];
if (!upstreamUrl) {
  demo = await startUpstream({ port: DEMO_PORT });
  upstreamUrl = `${demo.url}/json`;
  // Named upstreams on the demo server too, so /upstreams/demo/…, /aggregate and /events
  // answer offline: `demo` is the whole server, `webhook` receives /events deliveries.
  const upstreams = { demo: { base_url: demo.url }, webhook: { base_url: `${demo.url}/webhook`, retries: 2 } };
  vars.push('--var', `UPSTREAMS:${JSON.stringify(upstreams)}`, '--var', 'EVENTS_WEBHOOK:webhook');
  console.log(`[dev] demo upstream on ${demo.url} (try ${demo.url}/delay?ms=500, /status/503, /invalid-json)`);
  console.log('[dev] named upstreams: demo, webhook (EVENTS_WEBHOOK)');
}
console.log(`[dev] UPSTREAM_URL=${upstreamUrl}`);

const args = ['dev', '--ip', '127.0.0.1', '--port', '8787', '--var', `UPSTREAM_URL:${upstreamUrl}`, ...vars, ...process.argv.slice(2)];
const wrangler = spawn('wrangler', args, {
  stdio: 'inherit',
  env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
});

const stop = (signal) => wrangler.kill(signal);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
wrangler.on('exit', async (code, signal) => {
  await demo?.close();
  process.exit(code ?? (signal ? 0 : 1));
});
