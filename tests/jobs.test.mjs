// Durable jobs: POST /jobs → D1 + a local Cloudflare Queue → this worker's queue consumer →
// GET /jobs/{id} and its NDJSON results (kept in R2). Real workerd (Miniflare) with local D1,
// R2 and queues, a real upstream stub. Cancelling, listing, quotas, retention and callbacks:
// jobs-manage.test.mjs; large jobs and large results: jobs-scale.test.mjs.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { DEMO_DOCUMENT, PRETTY_TEXT, sleep } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { startWorker } from './support/worker.mjs';
import { assertProblem, eventually } from './support/http.mjs';
import {
  API_KEY,
  RESULTS_BUCKET,
  applyMigrations,
  auth,
  cancelJob,
  getJob,
  jobResults,
  listJobs,
  ownerOf,
  startJobsWorker,
  submitJob,
  waitForJob,
} from './support/jobs.mjs';

const fixture = upstreamFixture();
const tmpDirs = [];
after(async () => {
  await Promise.all(tmpDirs.map((d) => fs.rm(d, { recursive: true, force: true })));
});
const upstreams = () => JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 3000 } });

async function worker(vars = {}, options = {}) {
  const w = await startJobsWorker({ UPSTREAMS: upstreams(), ...vars }, options);
  fixture.track(w);
  return w;
}

/** Upstream requests whose path and query are exactly `pathAndQuery`. */
const hitsOf = (pathAndQuery) => fixture.upstream.requests.filter((r) => r.path + r.search === pathAndQuery).length;
const item = (id, p) => ({ id, upstream: 'demo', path: p });
const tag = () => Math.random().toString(36).slice(2, 10);

/** Asserts each result carries its position in the request as its first member. */
function assertIndexed(results, indexes) {
  assert.deepEqual(results.map((r) => r.index), indexes);
  for (const r of results) assert.equal(Object.keys(r)[0], 'index', JSON.stringify(r));
}

test('a job runs to succeeded: 202 at once, progress, ordered results, pages', async () => {
  const w = await worker({ JOBS_CHUNK_SIZE: '2' });
  const t = tag();
  const requests = [
    item('doc', `/json?t=${t}`),
    item('slow', `/delay?ms=150&t=${t}`),
    item('missing', `/status/404?t=${t}`),
    item('text', `/text?t=${t}`),
    item('bad-json', `/invalid-json?t=${t}`),
    item('huge', `/big?bytes=300000&t=${t}`),
  ];
  const res = await submitJob(w.url, { requests });
  assert.equal(res.status, 202, res.text);
  assert.match(res.body.id, /^[0-9a-f-]{36}$/);
  assert.equal(res.body.status, 'queued');
  assert.equal(res.body.status_url, `/jobs/${res.body.id}`);
  assert.equal(res.headers.get('cache-control'), 'no-store', "the jobs group's layer");

  const done = await waitForJob(w.url, res.body.id);
  assert.equal(done.status, 200);
  assert.equal(done.headers.get('cache-control'), 'no-store', "the jobs group's layer");
  const job = done.body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.progress, { total: 6, pending: 0, succeeded: 4, failed: 2 });
  assert.ok(job.created_at <= job.started_at && job.started_at <= job.finished_at, JSON.stringify(job));
  assert.match(job.finished_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.equal(job.error, undefined);
  assert.equal(job.callback, undefined, 'no callback was asked for');
  assert.deepEqual(job.results.map((r) => r.id), ['doc', 'slow', 'missing', 'text', 'bad-json', 'huge'], 'request order');
  assertIndexed(job.results, [0, 1, 2, 3, 4, 5]);
  const byId = Object.fromEntries(job.results.map((r) => [r.id, r]));
  assert.equal(byId.doc.status, 200);
  assert.equal(byId.doc.body.title, 'edge-relay demo upstream');
  assert.deepEqual(byId.slow.body, { delayed_ms: 150 });
  assert.equal(byId.missing.status, 404, 'a 4xx is a final, failed item');
  assert.equal(byId.text.body, 'plain text body');
  assert.equal(byId['bad-json'].error.type, 'urn:edge-relay:problem:upstream-invalid-json');
  assert.equal(byId['bad-json'].error.instance, job.id, 'problems in results carry the job id');
  assert.equal(byId.huge.status, 200);
  assert.equal(byId.huge.error, undefined, 'an answer this large is stored (in R2)');
  assert.equal(byId.huge.body.data.length, 300000);
  for (const r of requests) assert.equal(hitsOf(r.path), 1, `${r.path} called once`);
  assert.ok(w.logs.some((l) => l.includes('"event":"job_chunk"') && l.includes('"outcome":"done"')));

  // Pages: 2 at a time, following `next`.
  const seen = [];
  let next = `/jobs/${job.id}?limit=2`;
  while (next) {
    const page = await getJob(w.url, next.replace(/^\/jobs\//, '').replace(/\?.*$/, ''), next.slice(next.indexOf('?')));
    assert.equal(page.status, 200);
    assert.ok(page.body.results.length <= 2);
    seen.push(...page.body.results.map((r) => [r.index, r.id]));
    next = page.body.next;
  }
  assert.deepEqual(seen, ['doc', 'slow', 'missing', 'text', 'bad-json', 'huge'].map((id, i) => [i, id]));
});

test('an answer over JOBS_MAX_RESULT_BYTES is a failed item saying so; one under it is kept', async () => {
  const w = await worker({ JOBS_MAX_RESULT_BYTES: '100000' });
  const t = tag();
  const res = await submitJob(w.url, { requests: [item('under', `/big?bytes=50000&t=${t}`), item('over', `/big?bytes=150000&t=${t}`)] });
  assert.equal(res.status, 202, res.text);
  const job = (await waitForJob(w.url, res.body.id)).body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.progress, { total: 2, pending: 0, succeeded: 1, failed: 1 });
  const [under, over] = job.results;
  assertIndexed(job.results, [0, 1]);
  assert.equal(under.body.data.length, 50000);
  assert.equal(over.error.type, 'urn:edge-relay:problem:result-too-large', JSON.stringify(over));
  assert.equal(over.body, undefined);
});

test('GET /jobs/{id}/results: one NDJSON line per finished item, in request order, the same JSON as in results', async () => {
  const w = await worker({ JOBS_CHUNK_SIZE: '2' });
  const t = tag();
  const requests = [
    item('doc', `/json?t=${t}`),
    item('pretty', `/pretty?t=${t}`),
    item('text', `/text?t=${t}`),
    item('missing', `/status/404?t=${t}`),
    item('bad-json', `/invalid-json?t=${t}`),
    { upstream: 'demo', path: `/json?t=${t}&anonymous=1` },
  ];
  const res = await submitJob(w.url, { requests });
  assert.equal(res.status, 202, res.text);
  const done = await waitForJob(w.url, res.body.id);
  assert.equal(done.body.status, 'succeeded', done.text);

  const stream = await jobResults(w.url, res.body.id);
  assert.equal(stream.status, 200, stream.text);
  assert.equal(stream.headers.get('content-type'), 'application/x-ndjson');
  assert.equal(stream.headers.get('cache-control'), 'no-store');
  assert.ok(stream.text.endsWith('\n'), 'every line ends with a newline');
  assert.equal(stream.lines.length, 6, stream.text);
  const parsed = stream.lines.map((line) => JSON.parse(line));
  for (const [i, line] of stream.lines.entries()) {
    assert.ok(line.startsWith(`{"index":${i},`), line);
    // Byte for byte what GET /jobs/{id} lists.
    assert.ok(done.text.includes(line), `line ${i} is not in the job's results: ${line}`);
  }
  assert.deepEqual(parsed, done.body.results);
  assert.ok(stream.lines[0].includes(`"body":${JSON.stringify(DEMO_DOCUMENT)}`), 'a compact answer is kept as sent');
  // Indented JSON becomes one line; what its strings hold is kept.
  assert.deepEqual(parsed[1].body, JSON.parse(PRETTY_TEXT));
  assert.equal(parsed[2].body, 'plain text body');
  assert.equal(parsed[3].status, 404);
  assert.equal(parsed[4].error.type, 'urn:edge-relay:problem:upstream-invalid-json');
  assert.equal('id' in parsed[5], false, 'an item without id has none in its line');
  assert.deepEqual(parsed[5].body, DEMO_DOCUMENT);

  assertProblem(await jobResults(w.url, res.body.id, { headers: auth('other-key') }), 404, 'job-not-found');
  assertProblem(await jobResults(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60'), 404, 'job-not-found');
  assertProblem(await jobResults(w.url, 'not-a-job'), 404, 'job-not-found');
});

test('a transient failure is retried with the message and then succeeds; finished items are not re-run', async () => {
  const w = await worker({ JOBS_CHUNK_SIZE: '10' });
  const t = tag();
  const res = await submitJob(w.url, { requests: [item('ok', `/json?t=${t}`), item('flaky', `/flaky?key=${t}&fail=1`)] });
  assert.equal(res.status, 202);
  const job = (await waitForJob(w.url, res.body.id)).body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.progress, { total: 2, pending: 0, succeeded: 2, failed: 0 });
  assert.equal(job.results[1].body.attempt, 2);
  assert.equal(hitsOf(`/flaky?key=${t}&fail=1`), 2, 'the flaky item ran twice');
  assert.equal(hitsOf(`/json?t=${t}`), 1, 'the finished item in the same message ran once');
  const retried = w.logs.filter((l) => l.includes('"event":"job_chunk"') && l.includes('"outcome":"retry"'));
  assert.equal(retried.length, 1);
  assert.match(retried[0], /upstream answered 503/);
});

test('a message that keeps failing is retried up to max_retries, then dead-lettered: the job fails with the reason', async () => {
  const w = await worker({ JOBS_CHUNK_SIZE: '10' }, { maxRetries: 2 });
  const t = tag();
  const res = await submitJob(w.url, { requests: [item('ok', `/json?t=${t}`), item('down', `/status/503?t=${t}`)] });
  const job = (await waitForJob(w.url, res.body.id)).body;
  assert.equal(job.status, 'failed', JSON.stringify(job));
  assert.match(job.error, /items 0\.\.2 still failing after the queue's retries: item 1 \('down'\): upstream answered 503/);
  assert.deepEqual(job.progress, { total: 2, pending: 1, succeeded: 1, failed: 0 }, 'the finished item is counted once');
  assert.deepEqual(job.results.map((r) => r.id), ['ok'], 'finished results stay readable');
  assert.equal(hitsOf(`/status/503?t=${t}`), 3, '1 attempt + 2 retries');
  assert.equal(hitsOf(`/json?t=${t}`), 1);
  assert.ok(w.logs.some((l) => l.includes('"outcome":"dead_lettered"')));
});

test('a panic while handling one message retries and dead-letters that message alone; its batch finishes', async () => {
  // One item a message (JOBS_CHUNK_SIZE=1), so the three messages arrive in one batch.
  const w = await worker({ JOBS_CHUNK_SIZE: '1', ENABLE_TEST_ROUTES: 'true' }, { maxRetries: 2, diagnostics: true });
  const t = tag();
  const res = await submitJob(w.url, {
    requests: [item('first', `/json?t=${t}&n=1`), item('_test_panic', `/json?t=${t}&n=2`), item('last', `/json?t=${t}&n=3`)],
  });
  assert.equal(res.status, 202);
  const job = (await waitForJob(w.url, res.body.id)).body;
  assert.equal(job.status, 'failed', JSON.stringify(job));
  assert.match(job.error, /items 1\.\.2 still failing after the queue's retries: an internal error interrupted items 1\.\.2/);
  assert.doesNotMatch(job.error, /\.rs|panicked at|src\//, 'no internals reach the client');
  assert.deepEqual(job.progress, { total: 3, pending: 1, succeeded: 2, failed: 0 });
  assert.deepEqual(job.results.map((r) => r.id), ['first', 'last']);
  assert.equal(hitsOf(`/json?t=${t}&n=1`), 1, 'the other messages ran once');
  assert.equal(hitsOf(`/json?t=${t}&n=3`), 1);
  assert.equal(hitsOf(`/json?t=${t}&n=2`), 0, 'the panic struck before the call');
  const panics = w.logs.filter((l) => l.includes('"outcome":"panicked"'));
  assert.equal(panics.length, 3, '1 attempt + 2 retries, each logged');
  assert.match(panics[0], /deliberate panic from job item _test_panic/);
  // The isolate that panicked three times still serves requests and runs jobs.
  const next = await submitJob(w.url, { requests: [item('after', `/json?t=${t}&n=4`)] });
  assert.equal((await waitForJob(w.url, next.body.id)).body.status, 'succeeded');
});

test('idempotency: same key and body → same job, run once; same key, other body → 409', async () => {
  const w = await worker();
  const t = tag();
  const key = `order-${t}`;
  const body = { requests: [item('a', `/json?t=${t}`)] };
  const first = await submitJob(w.url, body, { key });
  assert.equal(first.status, 202);
  // The same request with its keys in another order is the same request.
  const again = await submitJob(w.url, `{"requests":[{"path":"/json?t=${t}","upstream":"demo","id":"a"}]}`, { key });
  assert.equal(again.status, 202);
  assert.equal(again.body.id, first.body.id);
  assert.equal((await waitForJob(w.url, first.body.id)).body.status, 'succeeded');
  const late = await submitJob(w.url, body, { key });
  assert.deepEqual(late.body, { id: first.body.id, status: 'succeeded', status_url: `/jobs/${first.body.id}` });
  assert.equal(hitsOf(`/json?t=${t}`), 1, 'the job ran once');

  const conflict = await submitJob(w.url, { requests: [item('b', `/json?t=${t}`)] }, { key });
  const problem = assertProblem(conflict, 409, 'idempotency-conflict');
  assert.match(problem.detail, new RegExp(key));
  const other = await submitJob(w.url, body, { key: `${key}-2` });
  assert.notEqual(other.body.id, first.body.id, 'another key is another job');
});

test('auth: missing or wrong key → 401, any configured key works, no API_KEYS → 503', async () => {
  const w = await worker();
  const body = { requests: [item('a', '/json')] };
  for (const headers of [{}, { authorization: `Basic ${API_KEY}` }]) {
    const res = await submitJob(w.url, body, { headers });
    assertProblem(res, 401, 'unauthorized');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="edge-relay"');
    assertProblem(await getJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60', '', headers), 401, 'unauthorized');
    assertProblem(await cancelJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60', headers), 401, 'unauthorized');
    assertProblem(await jobResults(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60', { headers }), 401, 'unauthorized');
    assertProblem(await listJobs(w.url, '', headers), 401, 'unauthorized');
  }
  for (const headers of [{ authorization: 'Bearer nope' }, { authorization: `Bearer ${API_KEY}x` }]) {
    const res = await submitJob(w.url, body, { headers });
    assertProblem(res, 401, 'invalid-token');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="edge-relay", error="invalid_token", error_description="the bearer key is not valid"');
    assertProblem(await getJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60', '', headers), 401, 'invalid-token');
    assertProblem(await cancelJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60', headers), 401, 'invalid-token');
    assertProblem(await listJobs(w.url, '', headers), 401, 'invalid-token');
  }
  const ok = await submitJob(w.url, body, { headers: auth('other-key') });
  assert.equal(ok.status, 202);
  assert.equal((await getJob(w.url, ok.body.id, '', auth('other-key'))).status, 200);

  const closed = await startJobsWorker({ UPSTREAMS: upstreams(), API_KEYS: '' });
  fixture.track(closed);
  const problem = assertProblem(await submitJob(closed.url, body), 503, 'not-configured');
  assert.match(problem.detail, /API_KEYS/);
  assertProblem(await getJob(closed.url, ok.body.id), 503, 'not-configured');
  assertProblem(await listJobs(closed.url), 503, 'not-configured');
});

test('bad input: 422 for the key, the body and the page; 404 for unknown ids; 503 without bindings', async () => {
  const w = await worker();
  const noKey = assertProblem(await submitJob(w.url, { requests: [item('a', '/json')] }, { key: null }), 422, 'validation-failed');
  assert.deepEqual(noKey.errors[0].loc, ['header', 'idempotency-key']);
  const requests = (n) => ({ requests: Array.from({ length: n }, (_, i) => item(`i${i}`, '/json')) });
  const many = assertProblem(await submitJob(w.url, requests(1001)), 422, 'validation-failed');
  assert.deepEqual(many.errors.map((e) => [e.loc, e.type]), [[['body', 'requests'], 'length']]);
  const unknown = assertProblem(await submitJob(w.url, { requests: [item('a', '/json'), { id: 'b', upstream: 'nope', path: '/x' }] }), 422, 'validation-failed');
  assert.deepEqual(unknown.errors.map((e) => e.type), ['unknown_upstream']);
  const unsafe = assertProblem(await submitJob(w.url, { requests: [item('a', '//evil.example/x')] }), 422, 'validation-failed');
  assert.deepEqual(unsafe.errors.map((e) => e.type), ['unsafe_path']);
  assertProblem(await submitJob(w.url, '{"requests": ['), 422, 'validation-failed');

  assertProblem(await getJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60'), 404, 'job-not-found');
  assertProblem(await getJob(w.url, 'not-a-job'), 404, 'job-not-found');
  const job = await submitJob(w.url, { requests: [item('a', '/json')] });
  const page = assertProblem(await getJob(w.url, job.body.id, '?limit=0&offset=x'), 422, 'validation-failed');
  assert.deepEqual(page.errors.map((e) => e.loc.join('.')), ['query.offset', 'query.limit']);

  const unbound = await startWorker({ UPSTREAMS: upstreams(), API_KEYS: API_KEY });
  fixture.track(unbound);
  const problem = assertProblem(await submitJob(unbound.url, { requests: [item('a', '/json')] }), 503, 'not-configured');
  assert.match(problem.detail, /JOBS_DB/);
  const noBucket = await worker({}, { results: false });
  assert.match(assertProblem(await submitJob(noBucket.url, { requests: [item('a', '/json')] }), 503, 'not-configured').detail, /JOBS_RESULTS/);

  // JOBS_MAX_ITEMS raises the cap (no consumer: the jobs need not run).
  const wide = await worker({ JOBS_MAX_ITEMS: '1500' }, { consumer: false });
  assert.equal((await submitJob(wide.url, requests(1500))).status, 202);
  const over = assertProblem(await submitJob(wide.url, requests(1501)), 422, 'validation-failed');
  assert.deepEqual(over.errors.map((e) => [e.loc, e.type]), [[['body', 'requests'], 'length']]);
  assert.match(over.errors[0].msg, /1500/);
});

test('a queued job survives a restart of the runtime (persisted D1) and completes', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'edge-relay-jobs-'));
  tmpDirs.push(dir);
  const vars = { JOBS_LEASE_S: '1' };
  const t = tag();
  // First runtime: no consumer, so the message waits in the queue and dies with the runtime.
  const first = await worker(vars, { consumer: false, persist: dir });
  const viaGet = await submitJob(first.url, { requests: [item('a', `/json?t=${t}-get`)] });
  const viaCron = await submitJob(first.url, { requests: [item('a', `/json?t=${t}-cron`)] });
  assert.equal(viaGet.status, 202);
  assert.equal((await getJob(first.url, viaGet.body.id)).body.status, 'queued');
  await first.dispose();

  await sleep(1100); // past the 1 s lease
  const second = await worker(vars, { persist: dir });
  // The cron trigger re-enqueues every stale job ...
  await (await second.mf.getWorker()).scheduled({ cron: '*/5 * * * *' });
  assert.ok(second.logs.some((l) => l.includes('"event":"jobs_sweep"')));
  const cronJob = await waitForJob(second.url, viaCron.body.id);
  assert.equal(cronJob.body.status, 'succeeded', JSON.stringify(cronJob.body));
  assert.equal(hitsOf(`/json?t=${t}-cron`), 1);
  // ... and so does reading a stale job (the sweep already took this one too).
  const getJobDone = await waitForJob(second.url, viaGet.body.id);
  assert.equal(getJobDone.body.status, 'succeeded');
  assert.equal(hitsOf(`/json?t=${t}-get`), 1);
});

test('a crash mid-job loses nothing and counts nothing twice', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'edge-relay-jobs-'));
  tmpDirs.push(dir);
  const vars = { JOBS_LEASE_S: '2', JOBS_CHUNK_SIZE: '1' };
  const t = tag();
  const requests = Array.from({ length: 6 }, (_, i) => item(`i${i}`, `/delay?ms=250&t=${t}-${i}`));
  const first = await worker(vars, { persist: dir });
  const res = await submitJob(first.url, { requests });
  const partial = await waitForJob(first.url, res.body.id, (job) => job.progress.succeeded >= 2);
  assert.equal(partial.body.status, 'running');
  await first.dispose(); // the runtime dies with a message in flight
  const finishedBeforeCrash = requests.filter((r) => hitsOf(r.path) > 0).length;
  assert.ok(finishedBeforeCrash < 6, 'the crash came mid-job');

  await sleep(2100); // past the lease
  const second = await worker(vars, { persist: dir });
  const job = (await waitForJob(second.url, res.body.id)).body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.progress, { total: 6, pending: 0, succeeded: 6, failed: 0 });
  assert.deepEqual(job.results.map((r) => r.id), requests.map((r) => r.id), 'each item once, in order');
  // Items recorded before the crash were not called again; at most the one in flight was.
  const calledTwice = requests.filter((r) => hitsOf(r.path) > 1).length;
  assert.ok(calledTwice <= 1, `${calledTwice} items re-run`);
});

test('migration 0002 keeps existing jobs and items (owner-less), and scopes idempotency keys per owner', async () => {
  const w = fixture.track(await startWorker({ UPSTREAMS: upstreams() }, { d1Databases: { JOBS_DB: 'edge-relay-migration-test' } }));
  const db = await w.mf.getD1Database('JOBS_DB');
  await applyMigrations(db, '0001_jobs.sql');
  await db.batch([
    db.prepare("INSERT INTO jobs (id, idempotency_key, request, total, status, created_at, updated_at, lease_until) VALUES ('j1', 'k', '{}', 1, 'queued', 1, 1, 1)"),
    db.prepare("INSERT INTO job_items (job_id, idx) VALUES ('j1', 0)"),
  ]);
  await applyMigrations(db);
  assert.deepEqual(await db.prepare('SELECT id, owner, idempotency_key, status FROM jobs').all().then((r) => r.results), [
    { id: 'j1', owner: '', idempotency_key: 'k', status: 'queued' },
  ]);
  assert.equal((await db.prepare("SELECT count(*) AS n FROM job_items WHERE job_id = 'j1'").first()).n, 1);
  await db.prepare("INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, updated_at, lease_until) VALUES ('j2', 'key:x', 'k', '{}', 1, 'queued', 1, 1, 1)").run();
  await assert.rejects(
    db.prepare("INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, updated_at, lease_until) VALUES ('j3', 'key:x', 'k', '{}', 1, 'queued', 1, 1, 1)").run(),
    /UNIQUE/,
  );
  const items = await db.prepare("SELECT sql FROM sqlite_master WHERE name = 'job_items'").first();
  assert.match(items.sql, /REFERENCES "jobs" \(id\)/);
  await assert.rejects(db.prepare("INSERT INTO job_items (job_id, idx) VALUES ('nope', 0)").run(), /FOREIGN KEY/);
});

test('migration 0004 keeps a job from before: its counts, its trace, its result in D1; it then runs on', async () => {
  const w = await worker({}, { lastMigration: '0003_job_trace.sql' });
  const db = await w.mf.getD1Database('JOBS_DB');
  const t = tag();
  const id = crypto.randomUUID();
  const [trace, traceparent] = ['4bf92f3577b34da6a3ce929d0e0e4736', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'];
  const stored = '{"id":"a","status":200,"body":{"x":1},"duration_ms":5}';
  const request = JSON.stringify({ requests: [item('a', `/json?t=${t}&n=0`), item('b', `/json?t=${t}&n=1`)] });
  const now = Date.now();
  // Running, item 0 finished, item 1 pending; its lease holds, so nothing runs until the test says.
  await db.batch([
    db.prepare(
      "INSERT INTO jobs (id, owner, idempotency_key, request, total, status, created_at, started_at, updated_at, enqueued_at, lease_until, traceparent, tracestate) VALUES (?, ?, 'old-4', ?, 2, 'running', ?, ?, ?, ?, ?, ?, 'vendor=old')",
    ).bind(id, ownerOf(API_KEY), request, now - 2000, now - 1000, now - 1000, now - 2000, now + 3_600_000, traceparent),
    db.prepare("INSERT INTO job_items (job_id, idx, outcome, result, finished_at) VALUES (?, 0, 'succeeded', ?, ?)").bind(id, stored, now - 1000),
    db.prepare('INSERT INTO job_items (job_id, idx) VALUES (?, 1)').bind(id),
  ]);
  await applyMigrations(db);

  const before = await getJob(w.url, id);
  assert.equal(before.status, 200, before.text);
  assert.equal(before.body.status, 'running');
  assert.deepEqual(before.body.progress, { total: 2, pending: 1, succeeded: 1, failed: 0 });
  assert.deepEqual(await db.prepare('SELECT traceparent, tracestate FROM jobs WHERE id = ?').bind(id).first(), { traceparent, tracestate: 'vendor=old' });
  const old = `{"index":0,${stored.slice(1)}`;
  const partial = await jobResults(w.url, id);
  assert.equal(partial.status, 200, partial.text);
  assert.deepEqual(partial.lines, [old], 'the result stored in D1 is served, with its index');

  // A lost lease: the next read puts the pending item back on the queue, under the job's trace.
  await db.prepare('UPDATE jobs SET lease_until = 0 WHERE id = ?').bind(id).run();
  const job = (await waitForJob(w.url, id)).body;
  assert.equal(job.status, 'succeeded', JSON.stringify(job));
  assert.deepEqual(job.progress, { total: 2, pending: 0, succeeded: 2, failed: 0 });
  const all = await jobResults(w.url, id);
  assert.equal(all.lines.length, 2, all.text);
  assert.equal(all.lines[0], old);
  const { index, id: itemId, status, body } = JSON.parse(all.lines[1]);
  assert.deepEqual({ index, itemId, status, body }, { index: 1, itemId: 'b', status: 200, body: DEMO_DOCUMENT });
  assert.equal(hitsOf(`/json?t=${t}&n=0`), 0, 'the finished item did not run again');
  assert.equal(hitsOf(`/json?t=${t}&n=1`), 1);
  const sent = fixture.upstream.requests.find((r) => r.search === `?t=${t}&n=1`);
  assert.equal(sent.headers.traceparent.split('-')[1], trace, "the item's call joined the stored trace");
});

test('a job store without (all) its migrations: 503 naming the command, the D1 error only in the log', async () => {
  const causes = { '': /no such table: jobs/, '0001_jobs.sql': /no such column|has no column named/, '0003_job_trace.sql': /no such column|has no column named/ };
  for (const [last, cause] of Object.entries(causes)) {
    const w = fixture.track(await startWorker({ UPSTREAMS: upstreams(), API_KEYS: API_KEY }, {
      d1Databases: { JOBS_DB: `edge-relay-unmigrated-${last || 'none'}` },
      queueProducers: { JOBS_QUEUE: 'edge-relay-jobs-unmigrated' },
      r2Buckets: { JOBS_RESULTS: RESULTS_BUCKET },
    }));
    if (last) await applyMigrations(await w.mf.getD1Database('JOBS_DB'), last);
    const res = await submitJob(w.url, { requests: [item('a', '/json')] });
    const problem = assertProblem(res, 503, 'storage-not-migrated');
    assert.match(problem.detail, /npx wrangler d1 migrations apply JOBS_DB --local/);
    assertProblem(await getJob(w.url, '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60'), 503, 'storage-not-migrated');
    const line = () => w.logs.map((l) => (l.startsWith('{') ? JSON.parse(l) : {})).find((l) => l.request_id === problem.instance);
    assert.ok(await eventually(() => line()), w.logs.join('\n'));
    assert.equal(line().error, 'storage-not-migrated');
    assert.match(line().cause, cause, 'the D1 error is in the log line');
  }
});
