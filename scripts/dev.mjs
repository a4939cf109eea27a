// `npm run dev`: wrangler dev on 127.0.0.1:8787, plus a local demo upstream on 127.0.0.1:8788
// that /external-api, the `demo` upstream and the /events webhook point at, so every route
// answers offline. With UPSTREAM_URL set in the environment, that URL is used instead and no
// demo upstream starts. The jobs API runs on local D1 and queues under .wrangler/state: the
// D1 migrations are applied first, and API_KEYS defaults to a dev key. JWT auth is on, with a
// local issuer on 127.0.0.1:8789 that publishes its key set and mints tokens (GET /token);
// with JWT_ISSUER set in the environment (and JWT_AUDIENCE, …), that issuer is used instead.
import { spawn, spawnSync } from 'node:child_process';
import { startUpstream } from '../tests/support/upstream.mjs';
import { makeKey, startIssuer, AUDIENCE, ISSUER } from '../tests/support/issuer.mjs';

const DEMO_PORT = Number(process.env.DEMO_UPSTREAM_PORT ?? 8788);
const ISSUER_PORT = Number(process.env.DEV_ISSUER_PORT ?? 8789);

let demo;
let upstreamUrl = process.env.UPSTREAM_URL;
const vars = [];
if (!upstreamUrl) {
  demo = await startUpstream({ port: DEMO_PORT });
  upstreamUrl = `${demo.url}/json`;
  // Named upstreams on the demo server too, so /upstreams/demo/…, /aggregate, /events and
  // jobs' callbacks answer offline: `demo` is the whole server (POST allowed, for its
  // streaming /chat and for callbacks to its /webhook), `webhook` receives /events deliveries.
  const upstreams = {
    demo: { base_url: demo.url, methods: ['GET', 'HEAD', 'POST'] },
    // The two services /dashboard/{user_id} merges (users 1 to 10 exist).
    users: { base_url: demo.url },
    todos: { base_url: demo.url },
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
console.log(`[dev] API key(s): ${apiKey} (curl -H 'Authorization: Bearer ${apiKey.split(',')[0]}' …)`);
// Signs jobs' completion callbacks; a fixed one here, so a receiver can check them locally.
const webhookSecret = process.env.JOBS_WEBHOOK_SECRET ?? 'whsec_ZGV2LXNlY3JldC1mb3ItbG9jYWwtY2FsbGJhY2tzISE=';
vars.push('--var', `JOBS_WEBHOOK_SECRET:${webhookSecret}`);
console.log(`[dev] jobs' callbacks signed with JOBS_WEBHOOK_SECRET=${webhookSecret}`);
let issuer;
if (process.env.JWT_ISSUER) {
  for (const name of ['JWT_ISSUER', 'JWT_AUDIENCE', 'JWT_JWKS_URL', 'JWT_ALGORITHMS', 'JWT_LEEWAY_S']) {
    if (process.env[name]) vars.push('--var', `${name}:${process.env[name]}`);
  }
  console.log(`[dev] JWT issuer ${process.env.JWT_ISSUER}`);
} else {
  issuer = await startIssuer([makeKey('EdDSA', 'dev-1')], { port: ISSUER_PORT, mint: true });
  vars.push('--var', `JWT_ISSUER:${ISSUER}`, '--var', `JWT_AUDIENCE:${AUDIENCE}`, '--var', `JWT_JWKS_URL:${issuer.jwksUrl}`);
  console.log(`[dev] JWT issuer ${ISSUER}, keys at ${issuer.jwksUrl}; a token: curl -s '${issuer.url}/token?sub=alice&scope=jobs:read+jobs:write'`);
}
console.log('[dev] cron sweep on demand: curl "http://127.0.0.1:8787/__scheduled?cron=*/5+*+*+*+*"');

const args = ['dev', '--ip', '127.0.0.1', '--port', '8787', '--test-scheduled', '--var', `UPSTREAM_URL:${upstreamUrl}`, ...vars, ...process.argv.slice(2)];
const wrangler = spawn('wrangler', args, { stdio: 'inherit', env });

const stop = (signal) => wrangler.kill(signal);
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
wrangler.on('exit', async (code, signal) => {
  await Promise.all([demo?.close(), issuer?.close()]);
  process.exit(code ?? (signal ? 0 : 1));
});
