// Named upstreams end to end: the no-open-proxy rules, header forwarding, /aggregate fan-out,
// retries, the circuit breaker, the cache with stale-while-revalidate, and request coalescing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWorker } from './support/worker.mjs';
import { startUpstream, DEMO_DOCUMENT, sleep } from './support/upstream.mjs';
import { call, assertProblem } from './support/http.mjs';

let upstream;
let worker;

before(async () => {
  upstream = await startUpstream();
  const base = upstream.url;
  const UPSTREAMS = {
    demo: {
      base_url: base,
      headers: { 'X-Api-Key': { secret: 'DEMO_KEY' }, 'X-Client': 'edge-relay-tests' },
      forward_headers: ['authorization'],
    },
    plain: { base_url: `${base}/` },
    retrying: { base_url: base, retries: 2, timeout_ms: 4000 },
    noretry: { base_url: base, retries: 0 },
    breaker: { base_url: base, breaker_failures: 2, breaker_cooldown_ms: 1000 },
    cached: { base_url: base, cache_ttl_s: 1, stale_while_revalidate_s: 30 },
    slow: { base_url: base, timeout_ms: 300 },
  };
  worker = await startWorker({ UPSTREAMS: JSON.stringify(UPSTREAMS), DEMO_KEY: 'k-123' });
  worker.upstreamsJson = JSON.stringify(UPSTREAMS);
});
after(async () => {
  await worker?.dispose();
  await upstream?.close();
});

/** A GET with the path sent exactly as written (no client-side normalisation). */
function rawGet(base, path) {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ hostname, port, path, method: 'GET' }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: new Headers(res.headers), text, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /upstreams lists every configured upstream: name, methods, cached; never a URL or header', async () => {
  const res = await call(`${worker.url}/upstreams`);
  assert.equal(res.status, 200);
  const byName = Object.fromEntries(res.body.upstreams.map((u) => [u.name, u]));
  assert.deepEqual(Object.keys(byName).sort(), Object.keys(JSON.parse(worker.upstreamsJson)).sort());
  assert.deepEqual(byName.cached, { name: 'cached', methods: ['GET', 'HEAD'], cached: true });
  assert.equal(byName.plain.cached, false);
  assert.doesNotMatch(res.text, /127\.0\.0\.1|k-123|base_url|headers/);
});

test('proxies GETs to a named upstream: path, query and status pass through', async () => {
  const ok = await call(`${worker.url}/upstreams/plain/json`);
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, DEMO_DOCUMENT);
  const echoed = await call(`${worker.url}/upstreams/plain/echo-headers?a=1&b=x%20y`);
  assert.equal(echoed.body.search, '?a=1&b=x%20y');
  const text = await call(`${worker.url}/upstreams/plain/text`);
  assert.equal(text.headers.get('content-type'), 'text/plain');
  assert.equal(text.text, 'plain text body');
  const notFound = await call(`${worker.url}/upstreams/plain/status/404`);
  assert.equal(notFound.status, 404, 'an upstream 4xx is relayed as is');
  assert.deepEqual(notFound.body, { error: 'status 404 on purpose' });
  const failing = await call(`${worker.url}/upstreams/noretry/status/500`);
  assert.equal(assertProblem(failing, 502, 'upstream-bad-status').upstream_status, 500);
  const head = await call(`${worker.url}/upstreams/plain/json`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.text, '');
});

test('no open proxy: unknown names are 404, other methods 405', async () => {
  const unknown = assertProblem(await call(`${worker.url}/upstreams/evil/json`), 404, 'unknown-upstream');
  assert.match(unknown.detail, /evil/);
  for (const method of ['POST', 'PUT', 'DELETE']) {
    const res = await call(`${worker.url}/upstreams/plain/json`, { method, body: method === 'DELETE' ? undefined : '{}' });
    assertProblem(res, 405, 'method-not-allowed');
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  }
});

test('no open proxy: every path that could escape the base URL is refused', async () => {
  const before = upstream.requests.length;
  for (const path of [
    '/upstreams/plain/%2E%2E%2Fadmin',
    '/upstreams/plain/a%2fb',
    '/upstreams/plain/a%5cb',
    '/upstreams/plain/user@evil.example/x',
    '/upstreams/plain/a%40evil.example',
    '/upstreams/plain//evil.example/x',
    '/upstreams/plain/http://evil.example/',
    '/upstreams/plain/%252e%252e/admin',
  ]) {
    const res = await rawGet(worker.url, path);
    const problem = assertProblem(res, 422, 'validation-failed');
    assert.deepEqual(problem.errors[0].loc, ['path', 'path'], path);
    assert.equal(problem.errors[0].type, 'unsafe_path', path);
  }
  // Dot segments, plain or encoded as whole segments, are resolved by the runtime's URL
  // parser before routing: they land on another route or upstream name, never outside one.
  for (const path of ['/upstreams/plain/../../admin', '/upstreams/plain/%2e%2e/admin', '/upstreams/plain/.%2e/%2e%2e/x']) {
    const res = await rawGet(worker.url, path);
    assert.equal(res.status, 404, path);
  }
  assert.equal(upstream.requests.length, before, 'nothing reached the upstream');
});

test('client credentials are not forwarded unless configured; upstream secrets are sent', async () => {
  const headers = {
    Cookie: 'session=abc',
    Authorization: 'Bearer client-token',
    'Accept-Language': 'fr',
    'X-Forwarded-For': '10.0.0.1',
    'X-Request-Id': 'fwd-1',
  };
  const plain = await call(`${worker.url}/upstreams/plain/echo-headers`, { headers });
  const seen = plain.body.headers;
  assert.equal(seen.cookie, undefined);
  assert.equal(seen.authorization, undefined);
  assert.equal(seen['x-forwarded-for'], undefined);
  assert.equal(seen['accept-language'], 'fr');
  assert.equal(seen['x-request-id'], 'fwd-1');
  assert.equal(seen['x-api-key'], undefined);

  const demo = await call(`${worker.url}/upstreams/demo/echo-headers`, { headers });
  assert.equal(demo.body.headers.authorization, 'Bearer client-token', 'forward_headers lets it through');
  assert.equal(demo.body.headers.cookie, undefined);
  assert.equal(demo.body.headers['x-api-key'], 'k-123', 'header value from the DEMO_KEY secret');
  assert.equal(demo.body.headers['x-client'], 'edge-relay-tests');
});

test('aggregate: 6 calls of 300 ms run concurrently', async () => {
  const tag = Math.random().toString(36).slice(2, 10);
  const requests = Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, upstream: 'plain', path: `/delay?ms=300&i=${i}&t=${tag}` }));
  const res = await call(`${worker.url}/aggregate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requests }),
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body.results.map((r) => r.id), requests.map((r) => r.id));
  for (const r of res.body.results) {
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { delayed_ms: 300 });
    assert.ok(r.duration_ms >= 290);
  }
  // Concurrent: every call started before any was answered (not a wall-clock bound, which a
  // loaded machine would break).
  const mine = upstream.requests.filter((r) => r.path === '/delay' && r.search.includes(`t=${tag}`));
  assert.equal(mine.length, 6);
  const firstAnswer = Math.min(...mine.map((r) => r.answeredAt));
  assert.ok(mine.every((r) => r.startedAt <= firstAnswer), 'all six were in flight at once');
});

test('aggregate: a mix of outcomes gives the right result per id', async () => {
  const res = await call(`${worker.url}/aggregate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      requests: [
        { id: 'ok', upstream: 'plain', path: '/json' },
        { id: 'server-error', upstream: 'noretry', path: '/status/500' },
        { id: 'timeout', upstream: 'slow', path: '/delay?ms=2000' },
        { id: 'bad-json', upstream: 'plain', path: '/invalid-json' },
        { id: 'text', upstream: 'plain', path: '/text' },
        { id: 'refused', upstream: 'noretry', path: '/close' },
        // Bodies without a length, in many small writes: read whole however they arrive.
        { id: 'chunked-small', upstream: 'plain', path: '/chunked?bytes=10' },
        { id: 'chunked-large', upstream: 'plain', path: '/chunked?bytes=300000' },
      ],
    }),
  });
  assert.equal(res.status, 200);
  const byId = Object.fromEntries(res.body.results.map((r) => [r.id, r]));
  assert.deepEqual(byId['chunked-small'].body, { data: 'y'.repeat(10) });
  assert.deepEqual(byId['chunked-large'].body, { data: 'y'.repeat(300000) });
  assert.deepEqual(byId.ok.body, DEMO_DOCUMENT);
  assert.equal(byId.ok.status, 200);
  assert.equal(byId['server-error'].status, 500);
  assert.deepEqual(byId['server-error'].body, { error: 'status 500 on purpose' });
  assert.equal(byId.timeout.error.type, 'urn:edge-relay:problem:upstream-timeout');
  assert.equal(byId.timeout.error.status, 504);
  assert.ok(byId.timeout.duration_ms < 1000);
  assert.equal(byId['bad-json'].error.type, 'urn:edge-relay:problem:upstream-invalid-json');
  assert.equal(byId.text.body, 'plain text body');
  assert.equal(byId.refused.error.type, 'urn:edge-relay:problem:upstream-unreachable');
  for (const r of res.body.results) assert.equal(typeof r.duration_ms, 'number');
});

test('aggregate: results are positional; an id is an optional label, echoed, and may repeat', async () => {
  const res = await call(`${worker.url}/aggregate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      requests: [
        { id: 'same', upstream: 'plain', path: '/status/404' },
        { upstream: 'plain', path: '/json' },
        { id: 'same', upstream: 'plain', path: '/text' },
      ],
    }),
  });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(
    res.body.results.map((r) => [r.id, r.status]),
    [['same', 404], [undefined, 200], ['same', 200]],
    'the n-th result answers the n-th request',
  );
  assert.equal(res.body.results[2].body, 'plain text body');
  assert.ok(!('id' in res.body.results[1]), 'no id given, none echoed');
});

test('aggregate: invalid batches are a 422 listing every problem, before any call', async () => {
  const before = upstream.requests.length;
  const post = (body) =>
    call(`${worker.url}/aggregate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const locs = async (body) => assertProblem(await post(body), 422, 'validation-failed').errors.map((e) => `${e.loc.join('.')}:${e.type}`);
  assert.deepEqual(await locs({ requests: [] }), ['body.requests:length']);
  assert.deepEqual(await locs({ requests: Array.from({ length: 51 }, (_, i) => ({ id: `${i}`, upstream: 'plain', path: '/json' })) }), ['body.requests:length']);
  assert.deepEqual(
    await locs({
      requests: [
        { id: 'a', upstream: 'nope', path: '/json' },
        { id: 'b', upstream: 'plain', path: '/%2e%2e/admin' },
        { id: 'c', upstream: 'plain', path: 'json' },
      ],
    }),
    ['body.requests.0.upstream:unknown_upstream', 'body.requests.1.path:unsafe_path', 'body.requests.2.path:unsafe_path'],
  );
  assert.deepEqual(await locs({ requests: [{ id: 'a', upstream: 'plain' }] }), ['body.requests.0.path:missing']);
  assert.equal(upstream.requests.length, before);
  assertProblem(await call(`${worker.url}/aggregate`, { method: 'POST', body: '{}' }), 415, 'unsupported-media-type');
});

test('retries: 503s then success, within the retry allowance', async () => {
  const before = upstream.hits('/flaky');
  const res = await call(`${worker.url}/upstreams/retrying/flaky?key=r1&fail=2`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { attempt: 3, ok: true });
  assert.equal(upstream.hits('/flaky') - before, 3);

  const noRetry = await call(`${worker.url}/upstreams/noretry/flaky?key=r2&fail=1`);
  assertProblem(noRetry, 502, 'upstream-bad-status');
  const spent = await call(`${worker.url}/upstreams/retrying/flaky?key=r3&fail=5`);
  assert.equal(assertProblem(spent, 502, 'upstream-bad-status').upstream_status, 503);
  assert.equal(upstream.requests.filter((r) => r.search.includes('key=r3')).length, 3, '1 attempt + 2 retries');
});

test('retries honour Retry-After, and never on a non-retryable status', async () => {
  const res = await call(`${worker.url}/upstreams/retrying/flaky?key=ra&fail=1&status=429&retry_after=1`);
  assert.equal(res.status, 200);
  assert.ok(res.ms >= 950, `retried after ${res.ms} ms, before Retry-After`);
  const notRetried = await call(`${worker.url}/upstreams/retrying/flaky?key=nr&fail=1&status=500`);
  assertProblem(notRetried, 502, 'upstream-bad-status');
  assert.equal(upstream.requests.filter((r) => r.search.includes('key=nr')).length, 1);
  // A Retry-After longer than what is left of the deadline is not waited for.
  const tooLong = await call(`${worker.url}/upstreams/retrying/flaky?key=tl&fail=1&status=503&retry_after=60`);
  assertProblem(tooLong, 502, 'upstream-bad-status');
  assert.ok(tooLong.ms < 1000);
});

test('circuit breaker: opens after consecutive failures, answers 503 at once, then probes', async () => {
  for (let i = 0; i < 2; i++) assertProblem(await call(`${worker.url}/upstreams/breaker/status/500`), 502, 'upstream-bad-status');
  const before = upstream.hits('/status/500') + upstream.hits('/json');
  const open = await call(`${worker.url}/upstreams/breaker/json`);
  const problem = assertProblem(open, 503, 'upstream-circuit-open');
  assert.match(problem.detail, /failed repeatedly/);
  assert.equal(open.headers.get('retry-after'), '1');
  assert.equal(upstream.hits('/status/500') + upstream.hits('/json'), before, 'the upstream was not called');
  await sleep(1100);
  const probe = await call(`${worker.url}/upstreams/breaker/json`);
  assert.equal(probe.status, 200, 'the half-open probe went through and succeeded');
  assert.equal((await call(`${worker.url}/upstreams/breaker/json`)).status, 200, 'closed again');
});

test('cache: a miss is stored, a hit does not reach the upstream, a stale entry is refreshed', async () => {
  const path = `/upstreams/cached/counter?key=c1`;
  const miss = await call(`${worker.url}${path}`);
  assert.equal(miss.status, 200);
  assert.deepEqual(miss.body, { count: 1 });
  assert.equal(miss.headers.get('cache-status'), 'edge-relay; fwd=uri-miss; stored');
  await sleep(100); // the store happens after the response (waitUntil)
  const hit = await call(`${worker.url}${path}`);
  assert.deepEqual(hit.body, { count: 1 });
  assert.match(hit.headers.get('cache-status'), /^edge-relay; hit; ttl=1$/);
  assert.equal(upstream.requests.filter((r) => r.search === '?key=c1').length, 1, 'the hit did not reach the upstream');

  await sleep(1100);
  const stale = await call(`${worker.url}${path}`);
  assert.deepEqual(stale.body, { count: 1 }, 'the stale copy is served at once');
  assert.match(stale.headers.get('cache-status'), /^edge-relay; hit; ttl=-\d+; detail=stale-while-revalidate$/);
  for (let i = 0; i < 50 && upstream.requests.filter((r) => r.search === '?key=c1').length < 2; i++) await sleep(20);
  assert.equal(upstream.requests.filter((r) => r.search === '?key=c1').length, 2, 'refreshed in the background');
  await sleep(100);
  const refreshed = await call(`${worker.url}${path}`);
  assert.deepEqual(refreshed.body, { count: 2 });
  assert.match(refreshed.headers.get('cache-status'), /hit; ttl=1$/);
});

test('coalescing: identical in-flight GETs to a cached upstream share one upstream call', async () => {
  const path = '/upstreams/cached/delay?ms=400&tag=coalesce';
  const results = await Promise.all(Array.from({ length: 5 }, () => call(`${worker.url}${path}`)));
  for (const r of results) assert.deepEqual(r.body, { delayed_ms: 400 });
  assert.equal(upstream.requests.filter((r) => r.search.includes('tag=coalesce')).length, 1);
  const lines = worker.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.path === '/upstreams/cached/delay');
  assert.equal(lines.filter((l) => l.upstream[0]?.coalesced).length, 4);
});

test('streamed relays are never coalesced: a stream belongs to one request', async () => {
  const path = '/upstreams/plain/delay?ms=200&tag=streamed';
  const results = await Promise.all(Array.from({ length: 3 }, () => call(`${worker.url}${path}`)));
  for (const r of results) assert.deepEqual(r.body, { delayed_ms: 200 });
  assert.equal(upstream.requests.filter((r) => r.search.includes('tag=streamed')).length, 3);
});
