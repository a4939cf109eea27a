// Panic isolation (the build unwinds): a panic costs only the request or background task that
// raised it, every other request in flight completes, and the isolate keeps its state. An
// abort (a wasm trap, which nothing can catch; also a panic inside a destructor, as destructors
// do not unwind) costs every request in flight and the state, and the next request runs on a
// fresh instance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { startUpstream, sleep } from './support/upstream.mjs';
import { call, assertProblem } from './support/http.mjs';

let upstream;
let worker;

before(async () => {
  upstream = await startUpstream();
  const UPSTREAMS = {
    demo: { base_url: upstream.url },
    breaker: { base_url: upstream.url, retries: 0, breaker_failures: 2, breaker_cooldown_ms: 600_000 },
  };
  worker = await startWorker({ UPSTREAMS: JSON.stringify(UPSTREAMS), UPSTREAM_URL: `${upstream.url}/json`, ENABLE_TEST_ROUTES: 'true' }, { diagnostics: true });
});
after(async () => {
  await worker?.dispose();
  await upstream?.close();
});

/** The JSON lines the worker logged that satisfy `match`, waiting briefly for them. */
async function logLines(match) {
  for (let i = 0; i < 100; i++) {
    const lines = worker.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter(match);
    if (lines.length > 0) return lines;
    await sleep(20);
  }
  return [];
}

const INTERNALS = /\.rs\b|src\/|panicked at|wasm-function|cloudflare-internal/;

test('a panic answers its own request with a 500 problem; 40 requests in flight all complete', async () => {
  const slow = Array.from({ length: 40 }, (_, i) =>
    call(`${worker.url}/async-example?delay_ms=1500`, { headers: { 'X-Request-Id': `slow-${i}` } }),
  );
  await sleep(300);
  const res = await call(`${worker.url}/_test/panic`, { headers: { 'X-Request-Id': 'panic-1' } });
  const problem = assertProblem(res, 500, 'internal');
  assert.equal(problem.instance, 'panic-1');
  assert.equal(res.headers.get('x-request-id'), 'panic-1');
  assert.doesNotMatch(res.text, INTERNALS, 'the panic message stays in the log');
  const [line] = await logLines((l) => l.event === 'request' && l.request_id === 'panic-1');
  assert.equal(line.status, 500);
  assert.equal(line.error, 'internal');
  assert.match(line.panic, /deliberate panic from \/_test\/panic/);

  const answers = await Promise.all(slow);
  for (const [i, answer] of answers.entries()) {
    assert.equal(answer.status, 200, `slow-${i}: ${answer.text}`);
    assert.deepEqual(answer.body, { message: 'Async operation completed' });
    assert.equal(answer.headers.get('x-request-id'), `slow-${i}`);
  }
  assert.ok(!worker.logs.some((l) => l.includes('Reinitializing')), 'the instance was not reset');
  for (let i = 0; i < 3; i++) assert.equal((await call(`${worker.url}/external-api`)).status, 200);
});

test('state survives a panic: an open circuit breaker stays open', async () => {
  for (let i = 0; i < 2; i++) assertProblem(await call(`${worker.url}/upstreams/breaker/status/500`), 502, 'upstream-bad-status');
  assertProblem(await call(`${worker.url}/upstreams/breaker/json`), 503, 'upstream-circuit-open');
  const hits = upstream.requests.length;
  assertProblem(await call(`${worker.url}/_test/panic`), 500, 'internal');
  const after = await call(`${worker.url}/upstreams/breaker/json`);
  assertProblem(after, 503, 'upstream-circuit-open');
  assert.equal(upstream.requests.length, hits, 'the upstream was not called again after the panic');
});

test('a panic in a background task is logged as a failed task; the request and others are unaffected', async () => {
  const inFlight = call(`${worker.url}/async-example?delay_ms=800`);
  await sleep(100);
  const res = await call(`${worker.url}/_test/panic?in=background`, { headers: { 'X-Request-Id': 'bg-panic-1' } });
  assert.equal(res.status, 202, 'the response went out before the task ran');
  const [task] = await logLines((l) => l.event === 'background_task' && l.request_id === 'bg-panic-1');
  assert.equal(task.task, 'test_panic');
  assert.equal(task.outcome, 'failed');
  assert.match(task.error, /^panicked: .*deliberate panic in a background task/s);
  assert.equal((await inFlight).status, 200);
  assert.equal((await call(`${worker.url}/healthz`)).status, 200);
});

test('an abort replaces the instance: its request gets a 500 problem, those in flight fail at once, the next is served', async () => {
  const inFlight = Array.from({ length: 5 }, () => call(`${worker.url}/async-example?delay_ms=3000`));
  await sleep(200);
  const aborted = await call(`${worker.url}/_test/abort`, { headers: { 'X-Request-Id': 'abort-1' } });
  const problem = assertProblem(aborted, 500, 'internal');
  assert.equal(problem.instance, 'abort-1');
  assert.equal(aborted.headers.get('x-request-id'), 'abort-1');
  assert.doesNotMatch(aborted.text, INTERNALS);
  const [line] = await logLines((l) => l.event === 'request' && l.request_id === 'abort-1');
  assert.match(line.abort, /aborted/);
  for (const answer of await Promise.all(inFlight)) {
    assert.equal(answer.status, 500, 'a request in flight on the aborted instance fails');
    assert.ok(answer.ms < 2500, `and at once, not after its 3 s timer (${Math.round(answer.ms)} ms)`);
  }
  for (let i = 0; i < 3; i++) {
    const next = await call(`${worker.url}/external-api`);
    assert.equal(next.status, 200, next.text);
  }
  // A fresh instance starts with fresh state: the breaker opened above is closed again.
  assert.equal((await call(`${worker.url}/upstreams/breaker/json`)).status, 200);
});

test('a panic inside a destructor traps like an abort (destructors do not unwind): a 500 problem, the next request is served', async () => {
  const trapped = await call(`${worker.url}/_test/panic?in=drop`, { headers: { 'X-Request-Id': 'drop-1' } });
  assert.equal(assertProblem(trapped, 500, 'internal').instance, 'drop-1');
  assert.doesNotMatch(trapped.text, INTERNALS);
  const [line] = await logLines((l) => l.event === 'request' && l.request_id === 'drop-1');
  assert.match(line.abort, /aborted/);
  for (let i = 0; i < 3; i++) assert.equal((await call(`${worker.url}/healthz`)).status, 200);
});

test('what an aborted instance was waiting for never reaches the fresh one', async () => {
  // Timers and promises are settled through one callback by slot, and a fresh instance numbers
  // its slots from the start again: what the old instance still had pending (its requests'
  // timers, due at 1 s, which the runtime drops with those requests; background work's, which
  // the callback drops as another instance's) must not end the fresh instance's waits.
  const inFlight = Array.from({ length: 3 }, () => call(`${worker.url}/async-example?delay_ms=1000`));
  await sleep(100);
  assertProblem(await call(`${worker.url}/_test/abort`), 500, 'internal');
  const fresh = await Promise.all(Array.from({ length: 3 }, () => call(`${worker.url}/async-example?delay_ms=2000`)));
  for (const answer of fresh) {
    assert.equal(answer.status, 200, answer.text);
    assert.ok(answer.ms >= 1900, `its own 2 s timer ended the wait, not an old one (${Math.round(answer.ms)} ms)`);
  }
  for (const answer of await Promise.all(inFlight)) assert.equal(answer.status, 500);
});

test('an abort before the first await fails its request with the runtime\'s 500; the next is served', async () => {
  // The first poll runs inside the runtime's fetch call, so the trap reaches the runtime, which
  // answers 500 itself (Cloudflare: its error page; Miniflare: the exception's text and its own
  // JS frames). Nothing of the worker's own reaches the client.
  const aborted = await call(`${worker.url}/_test/abort?at=start`);
  assert.equal(aborted.status, 500);
  assert.doesNotMatch(aborted.text, /\.rs\b|panicked at|wasm-function|edge.relay/);
  for (let i = 0; i < 3; i++) assert.equal((await call(`${worker.url}/healthz`)).status, 200);
});
