// W3C Trace Context: a valid incoming traceparent is continued on every upstream call (relay
// both ways, /external-api, /aggregate items, webhook deliveries, job items, the JWKS fetch),
// each call and each retry as a span of its own; anything else starts a new trace, never an
// error. The upstream stub records the headers it receives; the log lines and problems name
// the trace; with a streaming tail worker attached, workerd reports the spans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_DOCUMENT } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { startWorker } from './support/worker.mjs';
import { call, assertProblem, eventually } from './support/http.mjs';
import crypto from 'node:crypto';
import { API_KEY, applyMigrations, auth, getJob, startJobsWorker, submitJob, waitForJob } from './support/jobs.mjs';
import { bearer, claims, makeKey, sign, startIssuer } from './support/issuer.mjs';

const fixture = upstreamFixture();
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const STATE = 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-(0[01])$/;
const tag = () => Math.random().toString(36).slice(2, 10);
const continued = (flags = '01') => ({ traceparent: `00-${TRACE}-${PARENT}-${flags}`, tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE' });

/** The trace a request carried: its traceparent's fields, and its tracestate. */
function traceOf(headers) {
  const match = TRACEPARENT.exec(headers.traceparent ?? '');
  assert.ok(match, `a version-00 traceparent: ${headers.traceparent}`);
  return { traceId: match[1], parentId: match[2], flags: match[3], state: headers.tracestate };
}

/** The upstream requests whose path and query are exactly `pathAndQuery`. */
const received = (pathAndQuery) => fixture.upstream.requests.filter((r) => r.path + r.search === pathAndQuery);
/** The JSON log lines of `event` (`request` by default). */
const lines = (w, event = 'request') => w.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.event === event);
/** The access-log line of the request `res` answered, once it is written. */
async function lineOf(w, res) {
  const id = res.headers.get('x-request-id');
  const find = () => lines(w).find((l) => l.request_id === id);
  assert.ok(await eventually(() => find() !== undefined), `the log line of ${id}`);
  return find();
}
/** Polls the async `check` until it holds or `ms` pass. */
async function until(check, ms = 5000) {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (await check()) return true;
  return check();
}

async function worker(upstreams = {}, vars = {}, options = {}) {
  await fixture.start();
  const UPSTREAMS = { demo: { base_url: fixture.upstream.url, timeout_ms: 3000 }, ...upstreams };
  return fixture.track(await startWorker({ UPSTREAMS: JSON.stringify(UPSTREAMS), ...vars }, options));
}

test('/external-api continues a valid trace: its id, a new parent id, the flags and the tracestate go up; the log names them', async () => {
  const t = tag();
  const w = await worker({}, { UPSTREAM_URL: `${fixture.upstream.url}/json?t=${t}` });
  let res;
  for (const flags of ['01', '00']) {
    res = await call(`${w.url}/external-api`, { headers: continued(flags) });
    assert.equal(res.status, 200, res.text);
  }
  const [sampled, unsampled] = received(`/json?t=${t}`).map((r) => traceOf(r.headers));
  assert.deepEqual([sampled.traceId, sampled.flags, sampled.state], [TRACE, '01', STATE]);
  assert.deepEqual([unsampled.traceId, unsampled.flags, unsampled.state], [TRACE, '00', STATE]);
  assert.notEqual(sampled.parentId, PARENT, 'the upstream gets this service\'s span as its parent');
  assert.notEqual(sampled.parentId, unsampled.parentId);

  const line = await lineOf(w, res);
  assert.equal(line.trace_id, TRACE);
  assert.equal(line.parent_span_id, PARENT);
  assert.match(line.span_id, /^[0-9a-f]{16}$/);
  assert.deepEqual(line.upstream[0].spans, [unsampled.parentId], 'the call\'s span is the parent id the upstream received');
  assert.deepEqual([line.upstream[0].method, line.upstream[0].breaker], ['GET', 'closed']);
  assert.equal(line.upstream[0].bytes, JSON.stringify(DEMO_DOCUMENT).length);
});

test('a missing or malformed traceparent starts a new trace, never an error, and its tracestate is dropped', async () => {
  const t = tag();
  const w = await worker({}, { UPSTREAM_URL: `${fixture.upstream.url}/json?t=${t}` });
  const malformed = [
    undefined,
    '',
    'garbage',
    `ff-${TRACE}-${PARENT}-01`,
    `00-${'0'.repeat(32)}-${PARENT}-01`,
    `00-${TRACE}-${'0'.repeat(16)}-01`,
    `00-${TRACE.toUpperCase()}-${PARENT}-01`,
    `00-${TRACE}-${PARENT}-01-future`,
    `00-${TRACE.slice(1)}-${PARENT}-01`,
    `00-${TRACE}-${PARENT}-0x`,
    `00-${TRACE}-${PARENT}-01, 00-${TRACE}-${PARENT}-01`,
    'x'.repeat(4000),
  ];
  const answers = [];
  for (const traceparent of malformed) {
    const headers = traceparent === undefined ? { tracestate: 'rojo=1' } : { traceparent, tracestate: 'rojo=1' };
    const res = await call(`${w.url}/external-api`, { headers });
    assert.equal(res.status, 200, `${traceparent}: ${res.text}`);
    answers.push(res);
  }
  const sent = received(`/json?t=${t}`).map((r) => traceOf(r.headers));
  assert.equal(sent.length, malformed.length);
  const ids = new Set(sent.map((s) => s.traceId));
  assert.equal(ids.size, malformed.length, 'a new trace each time');
  assert.ok(!ids.has(TRACE) && !ids.has('0'.repeat(32)));
  assert.ok(sent.every((s) => s.flags === '01' && s.state === undefined), 'sampled, without the caller\'s tracestate');
  const logged = [];
  for (const res of answers) logged.push(await lineOf(w, res));
  assert.deepEqual(logged.map((l) => l.trace_id), sent.map((s) => s.traceId), 'the log names each new trace');
  assert.ok(logged.every((l) => l.parent_span_id === undefined));
});

test('a later version is continued as far as this one reads it, and goes on as version 00', async () => {
  const t = tag();
  const w = await worker({}, { UPSTREAM_URL: `${fixture.upstream.url}/json?t=${t}` });
  const res = await call(`${w.url}/external-api`, { headers: { traceparent: `cc-${TRACE}-${PARENT}-01-what-the-future-will-be-like`, tracestate: 'foo=1,foo=2' } });
  assert.equal(res.status, 200);
  const [sent] = received(`/json?t=${t}`).map((r) => traceOf(r.headers));
  assert.deepEqual([sent.traceId, sent.flags, sent.state], [TRACE, '01', undefined], 'a tracestate with a key twice is dropped');
});

test('the relay carries the trace both ways: a streamed GET and a body streamed up', async () => {
  const w = await worker({ writable: { base_url: fixture.upstream.url, methods: ['GET', 'POST'] } });
  const t = tag();
  const down = await call(`${w.url}/upstreams/demo/large?bytes=100000&t=${t}`, { headers: continued() });
  assert.equal(down.status, 200);
  assert.equal(down.text.length, 100000);
  const up = await call(`${w.url}/upstreams/writable/sha256?key=${t}`, { method: 'POST', headers: { ...continued('00'), 'content-type': 'text/plain' }, body: 'x'.repeat(50000) });
  assert.equal(up.status, 200, up.text);
  assert.equal(up.body.bytes, 50000);
  const [get] = received(`/large?bytes=100000&t=${t}`).map((r) => traceOf(r.headers));
  const [post] = received(`/sha256?key=${t}`).map((r) => traceOf(r.headers));
  assert.deepEqual([get.traceId, get.flags, get.state], [TRACE, '01', STATE]);
  assert.deepEqual([post.traceId, post.flags, post.state], [TRACE, '00', STATE]);
  const line = await lineOf(w, down);
  assert.equal(line.trace_id, TRACE);
  assert.deepEqual(line.upstream[0].spans, [get.parentId]);
  assert.equal(line.stream.bytes, 100000);
});

test('/aggregate: every item joins the trace with a parent id of its own', async () => {
  const w = await worker();
  const t = tag();
  const requests = ['a', 'b', 'c'].map((id) => ({ id, upstream: 'demo', path: `/json?item=${id}&t=${t}` }));
  const res = await call(`${w.url}/aggregate`, { method: 'POST', headers: { ...continued(), 'content-type': 'application/json' }, body: JSON.stringify({ requests }) });
  assert.equal(res.status, 200, res.text);
  const sent = requests.map((r) => traceOf(received(r.path)[0].headers));
  assert.ok(sent.every((s) => s.traceId === TRACE && s.flags === '01' && s.state === STATE));
  assert.equal(new Set(sent.map((s) => s.parentId)).size, 3, 'distinct parent ids per item');
  const line = await lineOf(w, res);
  assert.deepEqual(new Set(line.upstream.flatMap((c) => c.spans)), new Set(sent.map((s) => s.parentId)));
});

test('each retry is a span of its own: a new parent id per attempt, all listed in the log', async () => {
  const w = await worker({ retrying: { base_url: fixture.upstream.url, retries: 2, timeout_ms: 5000 } });
  const t = tag();
  const res = await call(`${w.url}/upstreams/retrying/flaky?key=${t}&fail=2`, { headers: continued() });
  assert.equal(res.status, 200, res.text);
  const sent = received(`/flaky?key=${t}&fail=2`).map((r) => traceOf(r.headers));
  assert.equal(sent.length, 3);
  assert.ok(sent.every((s) => s.traceId === TRACE));
  assert.equal(new Set(sent.map((s) => s.parentId)).size, 3);
  assert.deepEqual((await lineOf(w, res)).upstream[0].spans, sent.map((s) => s.parentId));
});

test('a webhook delivery in the background joins the trace; the task\'s line names it and its own span', async () => {
  fixture.upstream.deliveries.length = 0;
  const w = await worker({ hook: { base_url: `${(await fixture.start()).url}/webhook` } }, { EVENTS_WEBHOOK: 'hook' });
  const res = await call(`${w.url}/events`, { method: 'POST', headers: { ...continued(), 'content-type': 'application/json' }, body: JSON.stringify({ type: 'traced', payload: {} }) });
  assert.equal(res.status, 202);
  assert.ok(await eventually(() => lines(w, 'background_task').length === 1));
  const sent = traceOf(fixture.upstream.deliveries.at(-1).headers);
  assert.deepEqual([sent.traceId, sent.flags, sent.state], [TRACE, '01', STATE]);
  const [task] = lines(w, 'background_task');
  const request = await lineOf(w, res);
  assert.equal(task.trace_id, TRACE);
  assert.equal(task.parent_span_id, request.span_id, 'the task is a span of the request');
  assert.notEqual(task.span_id, request.span_id);
  assert.deepEqual(task.upstream.map((c) => [c.name, c.method, c.status, c.spans]), [['hook', 'POST', 200, [sent.parentId]]]);
});

test('a job keeps the submitting request\'s trace: its items\' calls join it, the consumer\'s lines name it', async () => {
  await fixture.start();
  const UPSTREAMS = JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 3000 } });
  const w = fixture.track(await startJobsWorker({ UPSTREAMS, JOBS_CHUNK_SIZE: '2' }));
  const t = tag();
  const requests = ['a', 'b', 'c'].map((id) => ({ id, upstream: 'demo', path: `/json?job=${id}&t=${t}` }));
  const res = await submitJob(w.url, { requests }, { headers: { ...auth(), ...continued() } });
  assert.equal(res.status, 202, res.text);
  assert.equal((await waitForJob(w.url, res.body.id)).body.status, 'succeeded');
  const sent = requests.map((r) => traceOf(received(r.path)[0].headers));
  assert.ok(sent.every((s) => s.traceId === TRACE && s.flags === '01' && s.state === STATE));
  assert.equal(new Set(sent.map((s) => s.parentId)).size, 3);
  const submitted = await lineOf(w, res);
  const chunks = () => lines(w, 'job_chunk').filter((l) => l.job === res.body.id);
  assert.ok(await eventually(() => chunks().length === 2), 'two chunks of two and one');
  assert.ok(chunks().every((c) => c.trace_id === TRACE && c.parent_span_id === submitted.span_id));
  assert.deepEqual(new Set(chunks().flatMap((c) => c.upstream.flatMap((u) => u.spans))), new Set(sent.map((s) => s.parentId)), 'each chunk lists its calls');
});

test('migration 0003 applies over existing jobs: one stored before runs on, under a trace of its own', async () => {
  await fixture.start();
  const UPSTREAMS = JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 3000 } });
  const w = fixture.track(await startJobsWorker({ UPSTREAMS }, { lastMigration: '0002_job_owner.sql' }));
  const db = await w.mf.getD1Database('JOBS_DB');
  const [id, path] = [crypto.randomUUID(), `/json?old=${tag()}`];
  const owner = `key:${crypto.createHash('sha256').update(API_KEY).digest('hex')}`;
  const request = JSON.stringify({ requests: [{ id: 'old', upstream: 'demo', path }] });
  await db.batch([
    db.prepare("INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, updated_at, lease_until) VALUES (?, ?, 'old-1', ?, 1, 'queued', 1, 1, 0)").bind(id, owner, request),
    db.prepare('INSERT INTO job_items (job_id, idx) VALUES (?, 0)').bind(id),
  ]);
  await applyMigrations(db);
  // Its lease ran out long ago: reading it puts it back on the queue.
  assert.equal((await getJob(w.url, id)).status, 200);
  assert.equal((await waitForJob(w.url, id)).body.status, 'succeeded');
  const sent = traceOf(received(path)[0].headers);
  assert.notEqual(sent.traceId, TRACE);
  const chunk = () => lines(w, 'job_chunk').find((l) => l.job === id);
  assert.ok(await eventually(() => chunk() !== undefined));
  assert.deepEqual([chunk().trace_id, chunk().parent_span_id], [sent.traceId, undefined]);
});

test('a problem carries the trace id beside instance', async () => {
  const w = await worker();
  const continuedProblem = assertProblem(await call(`${w.url}/nope`, { headers: continued() }), 404, 'not-found');
  assert.equal(continuedProblem.trace_id, TRACE);
  const answer = await call(`${w.url}/nope`, { headers: { 'x-request-id': 'fresh-1' } });
  const fresh = assertProblem(answer, 404, 'not-found');
  assert.match(fresh.trace_id, /^[0-9a-f]{32}$/);
  assert.equal(fresh.trace_id, (await lineOf(w, answer)).trace_id);
  assert.equal(fresh.instance, 'fresh-1');
});

test('tracestate is passed on within the spec\'s limits: 32 entries, 512 characters, valid keys', async () => {
  const t = tag();
  const w = await worker({}, { UPSTREAM_URL: `${fixture.upstream.url}/json?t=${t}` });
  const entries = (n, size = 10) => Array.from({ length: n }, (_, i) => `k${i}=${'v'.repeat(size - 2 - String(i).length)}`);
  const send = (tracestate) => call(`${w.url}/external-api`, { headers: { traceparent: `00-${TRACE}-${PARENT}-01`, tracestate } });
  for (const state of [entries(32).join(','), entries(33).join(','), entries(10, 100).join(','), 'Bad=1,ok=2', `long=${'v'.repeat(200)},${entries(5, 100).join(',')}`]) {
    assert.equal((await send(state)).status, 200);
  }
  const sent = received(`/json?t=${t}`).map((r) => r.headers.tracestate);
  assert.equal(sent[0], entries(32).join(','));
  assert.equal(sent[1], undefined, '33 entries: dropped');
  assert.equal(sent[2], entries(5, 100).join(','), 'cut to 512 characters by whole entries from the end');
  assert.equal(sent[3], undefined, 'an invalid key: dropped');
  assert.equal(sent[4], entries(5, 100).join(','), 'the entry over 128 characters goes first');
});

test('the JWKS fetch joins the trace of the request that needed the keys', async () => {
  const key = makeKey('EdDSA', 'trace-ed');
  const issuer = await startIssuer([key]);
  try {
    const w = await worker({}, { ...issuer.vars });
    const token = sign(key, claims('user-1', { scope: 'jobs:read' }));
    const res = await call(`${w.url}/jobs/5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60`, { headers: { ...bearer(token), ...continued() } });
    assertProblem(res, 503, 'not-configured');
    const sent = traceOf(issuer.state.headers[0]);
    assert.deepEqual([sent.traceId, sent.state], [TRACE, undefined]);
    const request = await lineOf(w, res);
    const fetched = lines(w, 'jwks_fetched')[0];
    assert.deepEqual([fetched.trace_id, fetched.span_id, fetched.parent_span_id], [TRACE, sent.parentId, request.span_id]);
  } finally {
    await issuer.close();
  }
});

test('where workerd traces the worker, each upstream attempt is a span with its facts, ended with its body', async () => {
  const w = await worker({ cached: { base_url: fixture.upstream.url, cache_ttl_s: 60 } }, {}, { spans: true });
  const t = tag();
  assert.equal((await call(`${w.url}/upstreams/demo/large?bytes=5000&t=${t}`, { headers: continued() })).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await call(`${w.url}/upstreams/cached/json?t=${t}`, { headers: continued() })).status, 200);
  const [relayed] = received(`/large?bytes=5000&t=${t}`).map((r) => traceOf(r.headers));
  let spans = [];
  const ended = await until(async () => {
    spans = (await w.spans()).filter((s) => s.name.startsWith('upstream '));
    return spans.length === 3 && spans.every((s) => s.closed);
  });
  assert.ok(ended, JSON.stringify(spans));
  const relay = spans.find((s) => s.attributes['upstream.name'] === 'demo');
  assert.deepEqual(
    [relay.attributes['http.request.method'], relay.attributes['upstream.attempt'], relay.attributes['upstream.breaker'], relay.attributes['http.response.status_code']],
    ['GET', 1, 'closed', 200],
  );
  assert.deepEqual([relay.attributes['w3c.trace_id'], relay.attributes['w3c.span_id']], [TRACE, relayed.parentId]);
  assert.deepEqual([relay.attributes['upstream.stream'], relay.attributes['http.response.body.size'], relay.closed], ['complete', 5000, true]);
  const fetches = (await w.spans()).filter((s) => s.name === 'fetch' && s.parent === relay.id);
  assert.equal(fetches.length, 1, 'the runtime\'s fetch span nests in the attempt\'s');
  const [miss, hit] = spans.filter((s) => s.attributes['upstream.name'] === 'cached');
  assert.deepEqual([miss.attributes['upstream.cache_status'], miss.attributes['upstream.attempt']], ['miss', 1]);
  assert.deepEqual([hit.attributes['upstream.attempt'], hit.closed], [0, true]);
  assert.match(hit.attributes['upstream.cache_status'], /^edge-relay; hit/);
});
