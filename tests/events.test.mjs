// POST /events: 202 at once, delivery to the webhook upstream after the response, retried,
// failures logged with the request id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { sleep } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { call, assertProblem, eventually } from './support/http.mjs';

const fixture = upstreamFixture();

async function worker(webhookQuery, retries = 0) {
  const UPSTREAMS = { hook: { base_url: `${fixture.upstream.url}/webhook?${webhookQuery}`, retries, timeout_ms: 5000 } };
  const w = await startWorker({ UPSTREAMS: JSON.stringify(UPSTREAMS), EVENTS_WEBHOOK: 'hook' });
  fixture.track(w);
  return w;
}

const post = (w, body, headers = {}) =>
  call(`${w.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

test('202 arrives before the webhook answers, and the event is delivered exactly once', async () => {
  fixture.upstream.deliveries.length = 0;
  const w = await worker('ms=500');
  const res = await post(w, { type: 'user.signed_up', payload: { user_id: 42, tags: ['a'] } }, { 'X-Request-Id': 'evt-req-1' });
  const answeredAt = Date.now();
  assert.equal(res.status, 202);
  assert.equal(res.body.status, 'accepted');
  assert.match(res.body.id, /^[0-9a-f-]{36}$/);
  assert.ok(fixture.upstream.deliveries.every((d) => d.answeredAt === null), 'the webhook had not answered yet');

  assert.ok(await eventually(() => fixture.upstream.deliveries.some((d) => d.answeredAt !== null)));
  await sleep(300);
  assert.equal(fixture.upstream.deliveries.length, 1, 'delivered exactly once');
  const [delivery] = fixture.upstream.deliveries;
  assert.ok(delivery.answeredAt > answeredAt);
  assert.deepEqual(delivery.body, { id: res.body.id, type: 'user.signed_up', payload: { user_id: 42, tags: ['a'] }, request_id: 'evt-req-1' });
  assert.equal(delivery.headers['idempotency-key'], res.body.id);
  assert.equal(delivery.headers['x-request-id'], 'evt-req-1');
  assert.equal(delivery.headers['content-type'], 'application/json');
  const logged = () => w.logs.filter((l) => l.includes('"background_task"')).map((l) => JSON.parse(l));
  assert.ok(await eventually(() => logged().length === 1));
  assert.deepEqual(
    (({ task, request_id, outcome }) => ({ task, request_id, outcome }))(logged()[0]),
    { task: 'deliver_event', request_id: 'evt-req-1', outcome: 'done' },
  );
});

test('a failing webhook is retried with the same Idempotency-Key, then the failure is logged', async () => {
  fixture.upstream.deliveries.length = 0;
  const w = await worker('fail=99&status=503', 2);
  const res = await post(w, { type: 'order.paid', payload: { order: 7 } }, { 'X-Request-Id': 'evt-req-2' });
  assert.equal(res.status, 202, 'the failure never changes the response');
  const failed = () => w.logs.filter((l) => l.includes('"background_task"') && l.includes('"failed"')).map((l) => JSON.parse(l));
  assert.ok(await eventually(() => failed().length === 1, 8000), w.logs.join('\n'));
  assert.equal(fixture.upstream.deliveries.length, 3, '1 attempt + 2 retries');
  assert.ok(fixture.upstream.deliveries.every((d) => d.headers['idempotency-key'] === res.body.id));
  const [line] = failed();
  assert.equal(line.request_id, 'evt-req-2');
  assert.match(line.error, /answered 503/);
});

test('invalid events are a 422, a payload past 64 KiB a 413; no webhook configured is a 503', async () => {
  const w = await worker('');
  const locs = async (body) => assertProblem(await post(w, body), 422, 'validation-failed').errors.map((e) => `${e.loc.join('.')}:${e.type}`);
  assert.deepEqual(await locs({ type: '', payload: {} }), ['body.type:string_length']);
  assert.deepEqual(await locs({ type: 'x'.repeat(65), payload: {} }), ['body.type:string_length']);
  assert.deepEqual(await locs({ type: 'a', payload: [1] }), ['body.payload:json_type']);
  const big = assertProblem(await post(w, { type: 'a', payload: { big: 'y'.repeat(70 * 1024) } }), 413, 'payload-too-large');
  assert.equal(big.limit_bytes, 65536);
  assert.match(big.detail, /payload is \d+ bytes/);
  assertProblem(await call(`${w.url}/events`, { method: 'POST', body: '{}' }), 415, 'unsupported-media-type');

  const off = await startWorker({});
  fixture.track(off);
  const problem = assertProblem(await post(off, { type: 'a', payload: {} }), 503, 'not-configured');
  assert.match(problem.detail, /EVENTS_WEBHOOK/);
});
