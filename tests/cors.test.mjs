// CORS at the HTTP level: preflight answers, Vary, exposed headers, credentials.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { call } from './support/http.mjs';

const APP = 'https://app.example.com';
const workers = [];
after(() => Promise.all(workers.map((w) => w.dispose())));

async function worker(vars) {
  const w = await startWorker({ UPSTREAM_URL: 'http://127.0.0.1:9/', ...vars });
  workers.push(w);
  return w;
}

const preflight = (w, origin, method, headers) =>
  call(`${w.url}/async-example`, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      ...(headers ? { 'Access-Control-Request-Headers': headers } : {}),
    },
  });

test('CORS is off by default: no CORS headers at all', async () => {
  const w = await worker({});
  const res = await call(`${w.url}/healthz`, { headers: { Origin: APP } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), null);
  const pre = await preflight(w, APP, 'GET');
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
});

test('allowed origin: preflight and responses carry the CORS headers', async () => {
  const w = await worker({ CORS_ALLOW_ORIGINS: `${APP}, http://127.0.0.1:5173`, CORS_MAX_AGE_S: '120' });
  const pre = await preflight(w, APP, 'POST', 'Content-Type, X-Request-Id');
  assert.equal(pre.status, 204);
  assert.equal(pre.text, '');
  assert.equal(pre.headers.get('access-control-allow-origin'), APP);
  assert.equal(pre.headers.get('access-control-allow-methods'), 'GET, HEAD, POST');
  assert.equal(pre.headers.get('access-control-allow-headers'), 'Content-Type, X-Request-Id, Authorization, Idempotency-Key');
  assert.equal(pre.headers.get('access-control-max-age'), '120');
  assert.equal(pre.headers.get('access-control-allow-credentials'), null);
  assert.match(pre.headers.get('vary'), /Origin/);

  for (const path of ['/healthz', '/nope']) {
    const res = await call(`${w.url}${path}`, { headers: { Origin: APP } });
    assert.equal(res.headers.get('access-control-allow-origin'), APP, path);
    assert.equal(res.headers.get('vary'), 'Origin', path);
    assert.match(res.headers.get('access-control-expose-headers'), /X-Request-Id/);
  }
});

test('refused preflights: other origin, method or header', async () => {
  const w = await worker({ CORS_ALLOW_ORIGINS: APP });
  for (const [origin, method, headers] of [
    ['https://evil.example', 'GET', undefined],
    [APP, 'DELETE', undefined],
    [APP, 'GET', 'X-Secret-Header'],
  ]) {
    const pre = await preflight(w, origin, method, headers);
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), null, `${origin} ${method} ${headers}`);
    assert.match(pre.headers.get('vary'), /Origin/);
  }
  const other = await call(`${w.url}/healthz`, { headers: { Origin: 'https://evil.example' } });
  assert.equal(other.status, 200);
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  assert.equal(other.headers.get('vary'), 'Origin');
});

test('credentials and wildcard', async () => {
  const creds = await worker({ CORS_ALLOW_ORIGINS: APP, CORS_ALLOW_CREDENTIALS: 'true' });
  const res = await call(`${creds.url}/healthz`, { headers: { Origin: APP } });
  assert.equal(res.headers.get('access-control-allow-credentials'), 'true');
  const any = await worker({ CORS_ALLOW_ORIGINS: '*' });
  const wild = await call(`${any.url}/healthz`, { headers: { Origin: 'https://anyone.example' } });
  assert.equal(wild.headers.get('access-control-allow-origin'), '*');
});

test('an invalid CORS config is a 500 naming the variable on every route', async () => {
  const w = await worker({ CORS_ALLOW_ORIGINS: '*', CORS_ALLOW_CREDENTIALS: 'true' });
  for (const path of ['/healthz', '/async-example']) {
    const res = await call(`${w.url}${path}`);
    assert.equal(res.status, 500);
    assert.match(res.body.detail, /CORS_ALLOW_CREDENTIALS/);
  }
});
