// Managing jobs: DELETE /jobs/{id} (cancel), GET /jobs (the caller's list), the active-jobs
// quota, retention (expiry and the cron sweep's clean-up of D1 and R2) and the completion
// callback (a Standard Webhooks POST, checked here with node:crypto). Real workerd (Miniflare)
// with local D1, R2 and queues, a real upstream stub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { sleep } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { assertProblem } from './support/http.mjs';
import { bearer, claims, makeKey, sign, startIssuer } from './support/issuer.mjs';
import {
  API_KEY,
  ENDED,
  auth,
  cancelJob,
  getJob,
  jobResults,
  listJobs,
  startJobsWorker,
  submitJob,
  until,
  waitForJob,
} from './support/jobs.mjs';

const fixture = upstreamFixture();
// Callbacks go to their own upstream, so failing items never open their circuit breaker.
const upstreams = () =>
  JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 3000 }, hooks: { base_url: fixture.upstream.url, timeout_ms: 3000, methods: ['POST'] } });

async function worker(vars = {}, options = {}) {
  return fixture.track(await startJobsWorker({ UPSTREAMS: upstreams(), ...vars }, options));
}

const item = (id, p) => ({ id, upstream: 'demo', path: p });
const tag = () => Math.random().toString(36).slice(2, 10);
const RFC3339_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ANY_JOB = '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60';
const newSecret = () => `whsec_${crypto.randomBytes(24).toString('base64')}`;

/** Follows `next` from `GET /jobs{query}`; resolves to the pages' job ids, page by page. */
async function walk(url, query, headers = auth()) {
  const pages = [];
  for (let next = `/jobs${query}`; next !== undefined; ) {
    assert.ok(pages.length < 50, 'the pages end');
    assert.match(next, /^\/jobs\?/);
    const res = await listJobs(url, next.slice('/jobs'.length), headers);
    assert.equal(res.status, 200, res.text);
    pages.push(res.body.jobs.map((j) => j.id));
    next = res.body.next;
  }
  return pages;
}

/** The webhook deliveries whose query carried `key=<key>`. */
const deliveriesFor = (key) => fixture.upstream.deliveries.filter((d) => new URLSearchParams(d.search).get('key') === key);

/**
 * Asserts a delivery is a Standard Webhooks POST signed with `secret`: its signature checked
 * here, independently of the app, over its own id, timestamp and raw body.
 */
function assertSigned(delivery, secret) {
  const { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature } = delivery.headers;
  assert.ok(id, 'a webhook-id');
  assert.match(ts ?? '', /^\d+$/);
  assert.ok(Math.abs(Number(ts) - Date.now() / 1000) < 300, `webhook-timestamp ${ts} is unix seconds of now`);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = crypto.createHmac('sha256', key).update(`${id}.${ts}.${delivery.raw}`).digest('base64');
  assert.ok((signature ?? '').split(' ').includes(`v1,${expected}`), `webhook-signature ${signature} is not v1,${expected}`);
  assert.equal(delivery.headers['content-type'], 'application/json');
  assert.match(delivery.headers.traceparent ?? '', /^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
}

/** Asserts a delivery's body announces the end of `job` (a job view, results left out). */
function assertEnded(delivery, job) {
  const { type, timestamp, data } = delivery.body;
  assert.equal(type, 'job.ended');
  assert.match(timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
  assert.equal(data.id, job.id);
  assert.equal(data.status, job.status);
  assert.equal(data.created_at, job.created_at);
  assert.equal(data.finished_at, job.finished_at);
  assert.equal(typeof data.progress?.total, 'number');
  assert.equal('results' in data, false, 'no results in a callback');
  assert.equal('next' in data, false);
}

const callbackDone = (job) => ['delivered', 'failed'].includes(job.callback?.state);

/** Asserts each result carries its position as its first member, in increasing order. */
function assertIndexed(results) {
  for (const r of results) assert.equal(Object.keys(r)[0], 'index', JSON.stringify(r));
  const indexes = results.map((r) => r.index);
  assert.deepEqual(indexes, [...indexes].sort((a, b) => a - b));
}

test('DELETE cancels a running job: pending items never run, running ones finish and are kept; an ended job is 409', async () => {
  const w = await worker({ JOBS_CHUNK_SIZE: '30', JOBS_CONCURRENCY: '2' });
  const t = tag();
  const requests = Array.from({ length: 30 }, (_, i) => item(`i${i}`, `/delay?ms=200&t=${t}-${i}`));
  const res = await submitJob(w.url, { requests });
  assert.equal(res.status, 202, res.text);
  const id = res.body.id;
  const running = await waitForJob(w.url, id, (job) => job.progress.succeeded >= 2 || ENDED.includes(job.status));
  assert.equal(running.body.status, 'running', running.text);

  // A running job's results so far: finished items only, in request order.
  const sofar = await jobResults(w.url, id);
  assert.equal(sofar.status, 200, sofar.text);
  const sofarIndexes = sofar.lines.map((line) => JSON.parse(line).index);
  assert.ok(sofarIndexes.length >= 2 && sofarIndexes.length < 30, sofar.text);
  assert.deepEqual(sofarIndexes, [...sofarIndexes].sort((a, b) => a - b));

  const cancelled = await cancelJob(w.url, id);
  const answeredAt = Date.now();
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.headers.get('cache-control'), 'no-store');
  assert.equal(cancelled.body.id, id);
  assert.equal(cancelled.body.status, 'cancelled');
  assert.match(cancelled.body.finished_at, RFC3339_MS);
  assert.ok(Array.isArray(cancelled.body.results), cancelled.text);
  await sleep(1500);

  const job = (await getJob(w.url, id)).body;
  assert.equal(job.status, 'cancelled', JSON.stringify(job));
  assert.equal(job.finished_at, cancelled.body.finished_at, 'it ended when it was cancelled');
  const { total, pending, succeeded, failed } = job.progress;
  assert.equal(total, 30);
  assert.ok(pending > 0, JSON.stringify(job.progress));
  assert.equal(pending + succeeded + failed, 30);
  assert.equal(job.results.length, succeeded + failed);
  assertIndexed(job.results);

  const calls = fixture.upstream.requests.filter((r) => r.path === '/delay' && r.search.startsWith(`?ms=200&t=${t}-`));
  const called = calls.map((r) => Number(r.search.slice(`?ms=200&t=${t}-`.length)));
  assert.equal(new Set(called).size, calls.length, 'no item was called twice');
  assert.deepEqual(job.results.map((r) => r.index), [...called].sort((a, b) => a - b), 'the items called are exactly those with a result');
  for (const r of cancelled.body.results) assert.ok(called.includes(r.index), `${r.index} in the DELETE's answer was called`);
  // What started after the DELETE answered was already on its way: at most the concurrency.
  const late = calls.filter((r) => r.startedAt > answeredAt);
  assert.ok(late.length <= 2, `${late.length} calls started after the DELETE answered`);
  assert.deepEqual(calls.filter((r) => r.startedAt > answeredAt + 500).map((r) => r.search), [], 'nothing started in the last second');

  const stream = await jobResults(w.url, id);
  assert.deepEqual(stream.lines.map((line) => JSON.parse(line)), job.results);
  assertProblem(await cancelJob(w.url, id), 409, 'job-ended');
  assertProblem(await cancelJob(w.url, ANY_JOB), 404, 'job-not-found');
  assertProblem(await cancelJob(w.url, 'not-a-job'), 404, 'job-not-found');
});

test("GET /jobs lists the caller's own jobs newest first, in pages; status filters; another's job is 404", async () => {
  const w = await worker();
  const t = tag();
  const mine = [];
  const theirs = [];
  for (let n = 0; n < 4; n++) {
    for (const [key, ids] of [[API_KEY, mine], ['other-key', theirs]]) {
      const res = await submitJob(w.url, { requests: [item('a', `/json?t=${t}&n=${n}`)] }, { headers: auth(key) });
      assert.equal(res.status, 202, res.text);
      ids.push(res.body.id);
      await sleep(5); // each job its own created_at, so the order is the submission order
    }
  }
  for (const id of mine) assert.equal((await waitForJob(w.url, id)).body.status, 'succeeded');
  for (const id of theirs) assert.equal((await waitForJob(w.url, id, undefined, 15_000, 50, auth('other-key'))).body.status, 'succeeded');
  const slow = await submitJob(w.url, { requests: [item('slow', `/delay?ms=1500&t=${t}`)] });
  mine.push(slow.body.id);
  assert.equal((await cancelJob(w.url, slow.body.id)).body.status, 'cancelled');
  const newestFirst = [...mine].reverse();

  const all = await listJobs(w.url);
  assert.equal(all.status, 200, all.text);
  assert.equal(all.headers.get('cache-control'), 'no-store');
  assert.deepEqual(all.body.jobs.map((j) => j.id), newestFirst);
  assert.equal('next' in all.body, false, 'one page holds them all');
  for (const job of all.body.jobs) {
    assert.equal('results' in job, false);
    assert.equal('next' in job, false);
    assert.match(job.created_at, RFC3339_MS);
    assert.match(job.finished_at, RFC3339_MS);
  }
  const [cancelled, ...succeeded] = all.body.jobs;
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.progress.total, 1);
  for (const job of succeeded) {
    assert.equal(job.status, 'succeeded');
    assert.deepEqual(job.progress, { total: 1, pending: 0, succeeded: 1, failed: 0 });
    assert.match(job.started_at, RFC3339_MS);
  }
  // The entries are the job views, results aside.
  const view = (await getJob(w.url, mine[0])).body;
  delete view.results;
  delete view.next;
  assert.deepEqual(all.body.jobs.at(-1), view);

  const pages = await walk(w.url, '?limit=2');
  assert.deepEqual(pages.map((p) => p.length), [2, 2, 1]);
  assert.deepEqual(pages.flat(), newestFirst, 'each job once, in order');
  const done = await walk(w.url, '?status=succeeded&limit=1');
  assert.deepEqual(done.map((p) => p.length), [1, 1, 1, 1], 'the filter holds across pages');
  assert.deepEqual(done.flat(), newestFirst.slice(1));
  assert.deepEqual(await walk(w.url, '?status=cancelled'), [[slow.body.id]]);
  for (const status of ['queued', 'running', 'failed']) assert.deepEqual(await walk(w.url, `?status=${status}`), [[]]);

  assert.deepEqual((await walk(w.url, '?limit=3', auth('other-key'))).flat(), [...theirs].reverse());
  for (const id of theirs) {
    assertProblem(await getJob(w.url, id), 404, 'job-not-found');
    assertProblem(await cancelJob(w.url, id), 404, 'job-not-found');
    assertProblem(await jobResults(w.url, id), 404, 'job-not-found');
  }
  assertProblem(await cancelJob(w.url, mine[0]), 409, 'job-ended');
});

test('GET /jobs: an unknown status, a limit out of 1..100 or a malformed cursor → 422', async () => {
  const w = await worker({}, { consumer: false });
  const loc = async (query) => assertProblem(await listJobs(w.url, query), 422, 'validation-failed').errors.map((e) => e.loc.join('.'));
  assert.deepEqual(await loc('?status=done'), ['query.status']);
  assert.deepEqual(await loc('?limit=0'), ['query.limit']);
  assert.deepEqual(await loc('?limit=101'), ['query.limit']);
  assert.deepEqual(await loc('?cursor=not!a!cursor'), ['query.cursor']);
  const empty = await listJobs(w.url, '?limit=100&status=queued');
  assert.equal(empty.status, 200, empty.text);
  assert.deepEqual(empty.body, { jobs: [] });
});

test('a caller with JOBS_MAX_ACTIVE live jobs gets 429 and Retry-After; other callers, replays and, once jobs end, new jobs pass', async () => {
  // No consumer: the jobs stay queued until cancelled.
  const w = await worker({ JOBS_MAX_ACTIVE: '2' }, { consumer: false });
  const t = tag();
  const body = (n) => ({ requests: [item('a', `/json?t=${t}&n=${n}`)] });
  const first = await submitJob(w.url, body(1), { key: `first-${t}` });
  const second = await submitJob(w.url, body(2));
  for (const res of [first, second]) assert.deepEqual([res.status, res.body.status], [202, 'queued'], res.text);

  const refused = await submitJob(w.url, body(3));
  assertProblem(refused, 429, 'too-many-jobs');
  assert.match(refused.headers.get('retry-after') ?? '', /^[1-9]\d*$/, 'Retry-After in whole seconds');
  assert.deepEqual((await listJobs(w.url)).body.jobs.map((j) => j.id), [second.body.id, first.body.id], 'the refused job was not stored');
  const replay = await submitJob(w.url, body(1), { key: `first-${t}` });
  assert.deepEqual([replay.status, replay.body.id], [202, first.body.id], 'a replay is the job it names');
  assert.equal((await submitJob(w.url, body(4), { headers: auth('other-key') })).status, 202, 'another caller has places of its own');

  // A queued job has no results yet; cancelling it frees a place.
  const none = await jobResults(w.url, first.body.id);
  assert.deepEqual([none.status, none.text], [200, '']);
  const cancelled = await cancelJob(w.url, first.body.id);
  assert.equal(cancelled.status, 200, cancelled.text);
  assert.equal(cancelled.body.status, 'cancelled');
  assert.deepEqual(cancelled.body.progress, { total: 1, pending: 1, succeeded: 0, failed: 0 });
  assert.deepEqual(cancelled.body.results, []);
  assert.match(cancelled.body.finished_at, RFC3339_MS);
  assert.equal((await submitJob(w.url, body(5))).status, 202);
  assertProblem(await submitJob(w.url, body(6)), 429, 'too-many-jobs');

  // A job that ends (runs to its end) frees its place too.
  const running = await worker({ JOBS_MAX_ACTIVE: '1' });
  const slow = await submitJob(running.url, { requests: [item('slow', `/delay?ms=2000&t=${t}`)] });
  assert.equal(slow.status, 202, slow.text);
  assertProblem(await submitJob(running.url, body(7)), 429, 'too-many-jobs');
  assert.equal((await waitForJob(running.url, slow.body.id)).body.status, 'succeeded');
  assert.equal((await submitJob(running.url, body(8))).status, 202);
});

test('ended jobs expire after JOBS_RETENTION_S: 404 at once, D1 rows and R2 results gone after the sweep; live jobs stay', async () => {
  // The live job's one item outlasts the test: a long upstream timeout keeps it a single call.
  const UPSTREAMS = JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 30_000 } });
  const w = await worker({ JOBS_RETENTION_S: '1', UPSTREAMS });
  const db = await w.mf.getD1Database('JOBS_DB');
  const bucket = await w.mf.getR2Bucket('JOBS_RESULTS');
  const t = tag();
  const ended = (await submitJob(w.url, { requests: [item('a', `/json?t=${t}&n=0`), item('b', `/json?t=${t}&n=1`)] })).body.id;
  assert.equal((await waitForJob(w.url, ended)).body.status, 'succeeded');
  const objects = async (id) => (await bucket.list({ prefix: `jobs/${id}/` })).objects.map((o) => o.key);
  assert.deepEqual(await objects(ended), [`jobs/${ended}/0`, `jobs/${ended}/1`]);
  const live = (await submitJob(w.url, { requests: [item('slow', `/delay?ms=10000&t=${t}`)] })).body.id;

  await sleep(1500);
  assertProblem(await getJob(w.url, ended), 404, 'job-not-found');
  assertProblem(await jobResults(w.url, ended), 404, 'job-not-found');
  assertProblem(await cancelJob(w.url, ended), 404, 'job-not-found');
  assert.equal((await listJobs(w.url)).body.jobs.some((j) => j.id === ended), false, 'not listed either');

  await (await w.mf.getWorker()).scheduled({ cron: '*/5 * * * *' });
  const rows = async (id) => [
    (await db.prepare('SELECT count(*) AS n FROM jobs WHERE id = ?').bind(id).first()).n,
    (await db.prepare('SELECT count(*) AS n FROM job_items WHERE job_id = ?').bind(id).first()).n,
  ];
  assert.ok(await until(async () => (await rows(ended)).every((n) => n === 0) && (await objects(ended)).length === 0), 'the sweep deleted the job');
  assert.deepEqual(await rows(live), [1, 1], 'a live job is kept');
  const stillLive = await getJob(w.url, live);
  assert.equal(stillLive.status, 200, stillLive.text);
  assert.ok(['queued', 'running'].includes(stillLive.body.status), stillLive.text);
});

test('a callback naming an unknown upstream or an unsafe path → 422; a callback without JOBS_WEBHOOK_SECRET → 503', async () => {
  const w = await worker({ JOBS_WEBHOOK_SECRET: newSecret() }, { consumer: false });
  const requests = [item('a', '/json')];
  const errors = async (callback) =>
    assertProblem(await submitJob(w.url, { requests, callback }), 422, 'validation-failed').errors.map((e) => [e.loc.join('.'), e.type]);
  assert.deepEqual(await errors({ upstream: 'nope', path: '/webhook' }), [['body.callback.upstream', 'unknown_upstream']]);
  // Only an upstream whose config allows POST is sent one.
  assert.deepEqual(await errors({ upstream: 'demo', path: '/webhook' }), [['body.callback.upstream', 'unknown_upstream']]);
  assert.deepEqual(await errors({ upstream: 'hooks', path: '//evil.example/x' }), [['body.callback.path', 'unsafe_path']]);
  const accepted = await submitJob(w.url, { requests, callback: { upstream: 'hooks', path: '/webhook' } });
  assert.equal(accepted.status, 202, accepted.text);
  const job = (await getJob(w.url, accepted.body.id)).body;
  assert.deepEqual(job.callback, { upstream: 'hooks', path: '/webhook', state: 'pending', attempts: 0 });

  const unsigned = await worker({}, { consumer: false });
  const problem = assertProblem(await submitJob(unsigned.url, { requests, callback: { upstream: 'hooks', path: '/webhook' } }), 503, 'not-configured');
  assert.match(problem.detail, /JOBS_WEBHOOK_SECRET/);
  assert.equal((await submitJob(unsigned.url, { requests })).status, 202, 'a job without a callback needs no secret');
});

test('a completion callback: one signed POST when the job ends, carrying the job; the view shows it delivered', async () => {
  const secret = newSecret();
  const w = await worker({ JOBS_WEBHOOK_SECRET: secret });
  const t = tag();
  const callback = { upstream: 'hooks', path: `/webhook?key=${t}` };
  const res = await submitJob(w.url, { requests: [item('a', `/json?t=${t}`), item('b', `/status/404?t=${t}`)], callback });
  assert.equal(res.status, 202, res.text);
  const job = (await waitForJob(w.url, res.body.id, callbackDone)).body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.callback, { ...callback, state: 'delivered', attempts: 1 });

  await sleep(300);
  const deliveries = deliveriesFor(t);
  assert.equal(deliveries.length, 1, 'delivered once');
  const [delivery] = deliveries;
  assertSigned(delivery, secret);
  assertEnded(delivery, job);
  assert.deepEqual(delivery.body.data.progress, { total: 2, pending: 0, succeeded: 1, failed: 1 });
  // The check above can fail: another secret's signature is not there.
  assert.throws(() => assertSigned(delivery, newSecret()), /webhook-signature/);
});

test('a failing callback is retried through the queue: same webhook-id, each attempt signed for its own timestamp', async () => {
  const secret = newSecret();
  const w = await worker({ JOBS_WEBHOOK_SECRET: secret });
  const t = tag();
  const callback = { upstream: 'hooks', path: `/webhook?key=${t}&fail=1` };
  const res = await submitJob(w.url, { requests: [item('a', `/json?t=${t}`)], callback });
  assert.equal(res.status, 202, res.text);
  const job = (await waitForJob(w.url, res.body.id, callbackDone)).body;
  const { upstream, path, state, attempts } = job.callback ?? {};
  assert.deepEqual({ upstream, path, state, attempts }, { ...callback, state: 'delivered', attempts: 2 }, JSON.stringify(job));

  await sleep(300);
  const deliveries = deliveriesFor(t);
  assert.equal(deliveries.length, 2, '1 failed attempt + 1 retry');
  for (const delivery of deliveries) {
    assertSigned(delivery, secret);
    assertEnded(delivery, job);
  }
  assert.equal(deliveries[0].headers['webhook-id'], deliveries[1].headers['webhook-id'], 'the receiver can tell a retry');
});

test('failed and cancelled jobs call back too', async () => {
  const secret = newSecret();
  const w = await worker({ JOBS_WEBHOOK_SECRET: secret }, { maxRetries: 1 });
  const t = tag();
  const down = await submitJob(w.url, {
    requests: [item('down', `/status/503?t=${t}`)],
    callback: { upstream: 'hooks', path: `/webhook?key=${t}-failed` },
  });
  const slow = await submitJob(w.url, {
    requests: [item('slow', `/delay?ms=2000&t=${t}`)],
    callback: { upstream: 'hooks', path: `/webhook?key=${t}-cancelled` },
  });
  assert.equal((await cancelJob(w.url, slow.body.id)).status, 200);

  const failed = (await waitForJob(w.url, down.body.id, callbackDone)).body;
  assert.equal(failed.status, 'failed', JSON.stringify(failed));
  assert.equal(failed.callback.state, 'delivered', JSON.stringify(failed));
  const cancelled = (await waitForJob(w.url, slow.body.id, callbackDone)).body;
  assert.equal(cancelled.status, 'cancelled');
  assert.equal(cancelled.callback.state, 'delivered', JSON.stringify(cancelled));
  for (const [key, job] of [[`${t}-failed`, failed], [`${t}-cancelled`, cancelled]]) {
    const deliveries = deliveriesFor(key);
    assert.equal(deliveries.length, 1, key);
    assertSigned(deliveries[0], secret);
    assertEnded(deliveries[0], job);
  }
  assert.match(deliveriesFor(`${t}-failed`)[0].body.data.error, /still failing after the queue's retries/);
});

test('scopes: DELETE /jobs/{id} needs jobs:write; GET /jobs and the results need jobs:read', async (t) => {
  const key = makeKey('EdDSA', 'ed-manage');
  const issuer = await startIssuer([key]);
  t.after(() => issuer.close());
  const w = await worker(issuer.vars, { consumer: false });
  const as = (scope) => bearer(sign(key, claims('scoped-user', { scope })));
  const reader = as('jobs:read');
  const writer = as('jobs:write');
  const job = await submitJob(w.url, { requests: [item('a', '/json')] }, { headers: as('jobs:read jobs:write') });
  assert.equal(job.status, 202, job.text);

  assert.match(assertProblem(await cancelJob(w.url, job.body.id, reader), 403, 'insufficient-scope').detail, /jobs:write/);
  assert.match(assertProblem(await listJobs(w.url, '', writer), 403, 'insufficient-scope').detail, /jobs:read/);
  assert.match(assertProblem(await jobResults(w.url, job.body.id, { headers: writer }), 403, 'insufficient-scope').detail, /jobs:read/);
  assert.deepEqual((await listJobs(w.url, '', reader)).body.jobs.map((j) => j.id), [job.body.id], 'same subject, same owner');
  assert.equal((await jobResults(w.url, job.body.id, { headers: reader })).status, 200);
  assert.equal((await cancelJob(w.url, job.body.id, writer)).body.status, 'cancelled');
});
