// The layers every route gets: request ids, Server-Timing, access logs,
// body discipline (415/413/422), load shedding (503) and rate limiting (429).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { startUpstream } from './support/upstream.mjs';
import { call, assertProblem } from './support/http.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
let upstream;
let worker;

before(async () => {
  upstream = await startUpstream();
  worker = await startWorker({ UPSTREAM_URL: `${upstream.url}/json`, ENABLE_TEST_ROUTES: 'true', MAX_BODY_BYTES: '1024' }, { diagnostics: true });
});
after(async () => {
  await worker?.dispose();
  await upstream?.close();
});

/** The access-log lines the worker printed, parsed, for one request id. */
async function accessLog(w, requestId) {
  for (let i = 0; i < 100; i++) {
    const lines = w.logs
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l))
      .filter((l) => l.event === 'request' && l.request_id === requestId);
    if (lines.length > 0) return lines;
    await new Promise((r) => setTimeout(r, 20));
  }
  return [];
}

test('every response carries a generated request id, errors included', async () => {
  const ids = new Set();
  for (const path of ['/healthz', '/nope', '/async-example?delay_ms=x']) {
    const res = await call(`${worker.url}${path}`);
    const id = res.headers.get('x-request-id');
    assert.match(id, UUID, path);
    ids.add(id);
    if (res.status >= 400) assert.equal(res.body.instance, id, 'problem instance is the request id');
  }
  assert.equal(ids.size, 3);
});

test('a valid client X-Request-Id is kept and forwarded upstream; an invalid one is replaced', async () => {
  const before = upstream.requests.length;
  const res = await call(`${worker.url}/external-api`, { headers: { 'X-Request-Id': 'client-req.42:a_b' } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-request-id'), 'client-req.42:a_b');
  assert.equal(upstream.requests[before].headers['x-request-id'], 'client-req.42:a_b');
  for (const bad of ['has space', 'x'.repeat(129), 'semi;colon']) {
    const replaced = await call(`${worker.url}/healthz`, { headers: { 'X-Request-Id': bad } });
    assert.match(replaced.headers.get('x-request-id'), UUID, bad);
  }
});

test('Server-Timing reports total time, and upstream time when an upstream was called', async () => {
  const plain = await call(`${worker.url}/async-example?delay_ms=50`);
  assert.match(plain.headers.get('server-timing'), /^total;dur=\d+$/);
  const relayed = await call(`${worker.url}/external-api`);
  assert.match(relayed.headers.get('server-timing'), /^upstream;dur=\d+;desc="1 call\(s\)", total;dur=\d+$/);
});

test('one structured access-log line per request, without query or body', async () => {
  const ok = await call(`${worker.url}/external-api?secret=hunter2`);
  const [line, ...more] = await accessLog(worker, ok.headers.get('x-request-id'));
  assert.equal(more.length, 0);
  assert.equal(line.method, 'GET');
  assert.equal(line.path, '/external-api');
  assert.equal(line.status, 200);
  assert.equal(typeof line.duration_ms, 'number');
  assert.equal(line.upstream.length, 1);
  assert.deepEqual(Object.keys(line.upstream[0]).sort(), ['breaker', 'bytes', 'duration_ms', 'method', 'name', 'outcome', 'spans', 'status']);
  assert.match(line.trace_id, /^[0-9a-f]{32}$/);
  assert.match(line.span_id, /^[0-9a-f]{16}$/);
  assert.equal(line.upstream[0].outcome, 'ok');
  assert.equal(line.error, undefined);
  assert.ok(!JSON.stringify(line).includes('hunter2'));

  const bad = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name":"secret-body","count":500}',
  });
  const [errLine] = await accessLog(worker, bad.headers.get('x-request-id'));
  assert.equal(errLine.status, 422);
  assert.equal(errLine.error, 'validation-failed');
  assert.ok(!JSON.stringify(errLine).includes('secret-body'));
});

test('JSON bodies: 415 unless declared JSON', async () => {
  for (const headers of [{}, { 'content-type': 'text/plain' }, { 'content-type': 'application/jsonx' }]) {
    const res = await call(`${worker.url}/_test/echo`, { method: 'POST', headers, body: '{"name":"a","count":1}' });
    assertProblem(res, 415, 'unsupported-media-type');
  }
});

test('JSON bodies: 413 past MAX_BODY_BYTES, declared or streamed', async () => {
  const big = JSON.stringify({ name: 'a', count: 1, tags: ['x'.repeat(2000)] });
  const declared = await call(`${worker.url}/_test/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
  assert.match(assertProblem(declared, 413, 'payload-too-large').detail, /1024 bytes/);
  // No Content-Length: a chunked body that never ends. It must be refused once past the
  // limit, without waiting for (or buffering) the rest.
  let sent = 0;
  const endless = new ReadableStream({
    async pull(controller) {
      sent += 512;
      controller.enqueue(new TextEncoder().encode(' '.repeat(512)));
      await new Promise((r) => setTimeout(r, 5));
      if (sent > 10 * 1024 * 1024) controller.close();
    },
  });
  const streamed = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: endless,
    duplex: 'half',
  });
  assertProblem(streamed, 413, 'payload-too-large');
  assert.ok(sent < 1024 * 1024, `sent ${sent} bytes before the 413`);
});

test('JSON bodies: 422 for malformed JSON names the position', async () => {
  const res = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"name": "a",\n "count": }',
  });
  const [error] = assertProblem(res, 422, 'validation-failed').errors;
  assert.deepEqual(error.loc, ['body']);
  assert.equal(error.type, 'json_invalid');
  assert.match(error.msg, /line 2 column 11/);
});

test('JSON bodies: 422 lists every invalid field with its location', async () => {
  const wrongType = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'a', count: 'many' }),
  });
  const [typeError] = assertProblem(wrongType, 422, 'validation-failed').errors;
  assert.deepEqual(typeError.loc, ['body', 'count']);
  assert.equal(typeError.type, 'json_type');

  const invalid = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ name: '', count: 101, tags: ['ok', ''] }),
  });
  const problem = assertProblem(invalid, 422, 'validation-failed');
  assert.deepEqual(
    problem.errors.map((e) => [e.loc.join('.'), e.type]),
    [
      ['body.name', 'string_length'],
      ['body.count', 'range'],
      ['body.tags.1', 'string_length'],
    ],
  );
  assert.equal(problem.detail, '3 inputs are invalid');

  const ok = await call(`${worker.url}/_test/echo`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'relay', count: 3, tags: ['a'] }),
  });
  assert.equal(ok.status, 200);
  assert.deepEqual(ok.body, { name: 'relay', count: 3, tags: ['a'] });
});

test('test routes are off by default, and the production build has none to switch on', async () => {
  const builds = [
    [{}, { diagnostics: true }],
    [{ ENABLE_TEST_ROUTES: 'true' }, {}],
  ];
  for (const [vars, options] of builds) {
    const w = await startWorker({ UPSTREAM_URL: `${upstream.url}/json`, ...vars }, options);
    try {
      assertProblem(await call(`${w.url}/_test/panic`), 404, 'not-found');
      const index = await call(`${w.url}/`);
      assert.ok(index.body.routes.every((r) => !r.path.startsWith('/_test/')), JSON.stringify(vars));
    } finally {
      await w.dispose();
    }
  }
});

test('over MAX_IN_FLIGHT an isolate sheds load with 503 and Retry-After', async () => {
  const w = await startWorker({ MAX_IN_FLIGHT: '2' });
  try {
    const results = await Promise.all(
      Array.from({ length: 4 }, () => call(`${w.url}/async-example?delay_ms=600`)),
    );
    const statuses = results.map((r) => r.status).sort();
    assert.deepEqual(statuses, [200, 200, 503, 503]);
    for (const r of results.filter((r) => r.status === 503)) {
      assertProblem(r, 503, 'overloaded');
      assert.equal(r.headers.get('retry-after'), '1');
    }
    assert.equal((await call(`${w.url}/async-example`)).status, 200);
  } finally {
    await w.dispose();
  }
});

test('with a RATE_LIMITER binding, clients over the limit get 429 and Retry-After', async () => {
  const w = await startWorker(
    { RATE_LIMIT_PERIOD_S: '60' },
    { ratelimits: { RATE_LIMITER: { namespace_id: '1001', simple: { limit: 3, period: 60 } } } },
  );
  try {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await call(`${w.url}/async-example`));
    assert.deepEqual(statuses.map((r) => r.status), [200, 200, 200, 429, 429]);
    const problem = assertProblem(statuses[3], 429, 'rate-limited');
    assert.match(problem.detail, /60 s/);
    assert.equal(statuses[3].headers.get('retry-after'), '60');
    assert.equal((await call(`${w.url}/healthz`)).status, 200, 'health checks are not rate limited');
  } finally {
    await w.dispose();
  }
});
