// GET /external-api against a real upstream on 127.0.0.1: success and every error mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startWorker } from './support/worker.mjs';
import { DEMO_DOCUMENT } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { call, assertProblem } from './support/http.mjs';

const fixture = upstreamFixture();

/** A worker whose UPSTREAM_URL is `target` (a path on the stub, or a full URL). */
async function workerFor(target, vars = {}) {
  const url = target.startsWith('http') ? target : `${fixture.upstream.url}${target}`;
  const w = await startWorker({ UPSTREAM_URL: url, ...vars });
  fixture.track(w);
  return w;
}

/** A 127.0.0.1 port with nothing listening on it. */
async function closedPort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

test('relays the upstream JSON body with status 200', async () => {
  const w = await workerFor('/json');
  const before = fixture.upstream.requests.length;
  const res = await call(`${w.url}/external-api`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(res.body, DEMO_DOCUMENT);
  const seen = fixture.upstream.requests.slice(before);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].method, 'GET');
  assert.equal(seen[0].headers.accept, 'application/json');
  assert.match(seen[0].headers['user-agent'], /^edge-relay\//);
});

test('upstream non-2xx is a 502 carrying the upstream status', async () => {
  for (const status of [404, 500, 503]) {
    const w = await workerFor(`/status/${status}`);
    const problem = assertProblem(await call(`${w.url}/external-api`), 502, 'upstream-bad-status');
    assert.equal(problem.upstream_status, status);
    assert.match(problem.detail, new RegExp(String(status)));
  }
});

test('upstream body that is not JSON is a 502', async () => {
  const w = await workerFor('/invalid-json');
  const problem = assertProblem(await call(`${w.url}/external-api`), 502, 'upstream-invalid-json');
  assert.equal(problem.upstream_status, undefined);
  assert.match(problem.detail, /not valid JSON/);
});

test('slow upstream headers time out with a 504 at UPSTREAM_TIMEOUT_MS', async () => {
  const w = await workerFor('/delay?ms=5000', { UPSTREAM_TIMEOUT_MS: '300' });
  const res = await call(`${w.url}/external-api`);
  const problem = assertProblem(res, 504, 'upstream-timeout');
  assert.match(problem.detail, /300 ms/);
  assert.ok(res.ms >= 280 && res.ms < 2500, `timed out after ${res.ms} ms`);
});

test('a body that stalls after the headers also times out with a 504', async () => {
  const w = await workerFor('/slow-body?ms=5000', { UPSTREAM_TIMEOUT_MS: '300' });
  const res = await call(`${w.url}/external-api`);
  assertProblem(res, 504, 'upstream-timeout');
  assert.ok(res.ms < 2500, `timed out after ${res.ms} ms`);
});

test('a slow upstream within the timeout succeeds', async () => {
  const w = await workerFor('/delay?ms=200', { UPSTREAM_TIMEOUT_MS: '2000' });
  const res = await call(`${w.url}/external-api`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { delayed_ms: 200 });
});

test('a dropped connection is a 502', async () => {
  const w = await workerFor('/close');
  const problem = assertProblem(await call(`${w.url}/external-api`), 502, 'upstream-unreachable');
  assert.match(problem.detail, /connection failed/);
});

test('a refused connection is a 502', async () => {
  const w = await workerFor(`http://127.0.0.1:${await closedPort()}/json`);
  assertProblem(await call(`${w.url}/external-api`), 502, 'upstream-unreachable');
});
