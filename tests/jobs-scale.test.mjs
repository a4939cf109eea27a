// Jobs at scale: large item results (kept in R2, served byte for byte as the upstream sent
// them), pages of GET /jobs/{id} bounded by bytes, and a 10,000-item job with what it costs in
// D1 and in workerd's memory (reported; bounded generously, no speed asserted). Real workerd
// (Miniflare) with local D1, R2 and queues, a real upstream stub.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_DOCUMENT, seededJson } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { allJobResults, getJob, jobResults, startJobsWorker, submitJob, waitForJob } from './support/jobs.mjs';

/** Lines one GET /jobs/{id}/results response holds at most (the library's RESULTS_PER_RESPONSE). */
const RESULTS_PER_RESPONSE = 500;

const fixture = upstreamFixture();
const upstreams = () => JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 10_000 } });

async function worker(vars = {}, options = {}) {
  return fixture.track(await startJobsWorker({ UPSTREAMS: upstreams(), ...vars }, options));
}

const item = (id, p) => ({ id, upstream: 'demo', path: p });
const tag = () => Math.random().toString(36).slice(2, 10);
const PAGE_BYTES = 16 * 1024 * 1024;
const mib = (bytes) => (bytes / 1024 / 1024).toFixed(1);

/**
 * Asserts `line` (one stored result) holds `expected` as its body, byte for byte; on a
 * mismatch reports where, not the megabytes around it.
 */
function assertBodyText(line, expected, label) {
  const at = line.indexOf('"body":') + '"body":'.length;
  const actual = line.slice(at, at + expected.length);
  if (actual === expected) return;
  let i = 0;
  while (i < expected.length && actual[i] === expected[i]) i++;
  assert.fail(`${label}: body differs at character ${i}: ${JSON.stringify(actual.slice(Math.max(0, i - 30), i + 30))} instead of ${JSON.stringify(expected.slice(Math.max(0, i - 30), i + 30))}`);
}

/** The pids of the workerd processes this test process started (Miniflare's runtimes). */
function workerdPids() {
  const pids = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const status = fs.readFileSync(`/proc/${entry}/status`, 'utf8');
      if (/^Name:\s+workerd$/m.test(status) && status.match(/^PPid:\s+(\d+)$/m)?.[1] === String(process.pid)) pids.push(Number(entry));
    } catch {
      // The process ended while being read.
    }
  }
  return pids;
}

/** A process's resident memory now (`rss`) and at its peak so far (`hwm`), in bytes. */
function memoryOf(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const bytes = (field) => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm'))[1]) * 1024;
  return { rss: bytes('VmRSS'), hwm: bytes('VmHWM') };
}

/** The D1 database's size in bytes, as D1 reports it after a query. */
async function d1Size(db) {
  const size = (await db.prepare('SELECT 1').run()).meta.size_after;
  assert.equal(typeof size, 'number', 'D1 reports size_after');
  return size;
}

test('20 answers of 300 KB: all stored, listed and streamed as 20 NDJSON lines, each body byte-identical to the upstream\'s', { timeout: 120_000 }, async () => {
  const w = await worker();
  const t = tag();
  const seeds = Array.from({ length: 20 }, (_, i) => `${t}-${i}`);
  const res = await submitJob(w.url, { requests: seeds.map((seed, i) => item(`r${i}`, `/seeded?seed=${seed}&bytes=300000`)) });
  assert.equal(res.status, 202, res.text);
  const done = await waitForJob(w.url, res.body.id, undefined, 90_000, 200);
  assert.equal(done.body.status, 'succeeded', done.text.slice(0, 2000));
  assert.deepEqual(done.body.progress, { total: 20, pending: 0, succeeded: 20, failed: 0 });
  assert.deepEqual(done.body.results.map((r) => [r.index, r.id, r.status]), seeds.map((_, i) => [i, `r${i}`, 200]));
  assert.equal(done.body.next, undefined, 'one page holds them');

  const stream = await jobResults(w.url, res.body.id, { timeoutMs: 60_000 });
  assert.equal(stream.status, 200, stream.text.slice(0, 2000));
  assert.equal(stream.headers.get('content-type'), 'application/x-ndjson');
  assert.ok(stream.text.endsWith('\n'));
  assert.equal(stream.lines.length, 20);
  for (const [i, line] of stream.lines.entries()) {
    assert.ok(line.startsWith(`{"index":${i},`), line.slice(0, 100));
    const parsed = JSON.parse(line);
    assert.equal(parsed.id, `r${i}`);
    const expected = seededJson(seeds[i], 300000);
    assertBodyText(line, expected, `line ${i}`);
    assert.ok(done.text.includes(line), `result ${i} in GET /jobs/{id} is the same text as line ${i}`);
  }
});

test('pages of GET /jobs/{id} stop before 16 MiB of results; `next` continues, each result once, in order', { timeout: 120_000 }, async () => {
  const w = await worker();
  const t = tag();
  const seeds = Array.from({ length: 20 }, (_, i) => `${t}-${i}`);
  const res = await submitJob(w.url, { requests: seeds.map((seed, i) => item(`m${i}`, `/seeded?seed=${seed}&bytes=1000000`)) });
  assert.equal(res.status, 202, res.text);
  const done = await waitForJob(w.url, res.body.id, undefined, 90_000, 200);
  assert.equal(done.body.status, 'succeeded', done.text.slice(0, 2000));
  assert.deepEqual(done.body.progress, { total: 20, pending: 0, succeeded: 20, failed: 0 });

  // Each result's size: its NDJSON line is the same JSON.
  const stream = await jobResults(w.url, res.body.id, { timeoutMs: 60_000 });
  assert.equal(stream.lines.length, 20);
  const sizes = stream.lines.map((line) => Buffer.byteLength(line));
  const pages = [];
  for (let query = '?limit=100'; query; ) {
    assert.ok(pages.length < 25, 'the pages end');
    const page = await getJob(w.url, res.body.id, query);
    assert.equal(page.status, 200, page.text.slice(0, 2000));
    const indexes = page.body.results.map((r) => r.index);
    assert.ok(indexes.length >= 1, 'every page holds a result');
    pages.push(indexes);
    query = page.body.next?.slice(page.body.next.indexOf('?'));
  }
  assert.deepEqual(pages.flat(), seeds.map((_, i) => i), 'each result once, in order');
  assert.ok(pages.length >= 2, `20 MB of results on ${pages.length} page(s)`);
  for (const [n, indexes] of pages.entries()) {
    const bytes = indexes.reduce((sum, i) => sum + sizes[i], 0);
    assert.ok(bytes <= PAGE_BYTES, `page ${n}: ${bytes} bytes of results`);
    // Full: the next result would not have fitted (a little room for separators).
    const following = pages[n + 1]?.[0];
    if (following !== undefined) assert.ok(bytes + sizes[following] + 1024 > PAGE_BYTES, `page ${n} stopped at ${bytes} bytes`);
  }
});

test('a 10,000-item job: every item called once, 10,000 NDJSON lines in order; D1 bytes per item and workerd memory reported', { timeout: 240_000 }, async (t) => {
  const others = new Set(workerdPids());
  // Storage on disk, so workerd's memory is the runtime's, not the simulated D1's and R2's;
  // small results, so the 20 calls at once fit the consumer's in-flight byte budget.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-relay-scale-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const vars = { JOBS_MAX_ITEMS: '10000', JOBS_CHUNK_SIZE: '100', JOBS_CONCURRENCY: '20', JOBS_MAX_RESULT_BYTES: '65536' };
  // The tests' build, for /_test/memory: the wasm instance's linear memory, which only grows.
  const w = await worker({ ...vars, ENABLE_TEST_ROUTES: 'true' }, { persist: dir, diagnostics: true });
  const wasmMemory = async () => (await (await fetch(`${w.url}/_test/memory`)).json()).bytes;
  const wasmBefore = await wasmMemory();
  const mine = workerdPids().filter((pid) => !others.has(pid));
  assert.equal(mine.length, 1, `the worker's own workerd: ${mine}`);
  const [pid] = mine;
  const db = await w.mf.getD1Database('JOBS_DB');
  const sizeBefore = await d1Size(db);
  const before = memoryOf(pid);
  const seenBefore = fixture.upstream.requests.length;

  const started = Date.now();
  const res = await submitJob(w.url, { requests: Array.from({ length: 10_000 }, (_, i) => ({ upstream: 'demo', path: `/json?i=${i}` })) });
  assert.equal(res.status, 202, res.text);
  // Polled slowly: the polling shares the runtime with the consumer.
  const done = await waitForJob(w.url, res.body.id, undefined, 220_000, 500);
  t.diagnostic(`10,000 items: ended in ${Date.now() - started} ms`);
  assert.equal(done.body.status, 'succeeded', JSON.stringify({ ...done.body, results: undefined }));
  assert.deepEqual(done.body.progress, { total: 10_000, pending: 0, succeeded: 10_000, failed: 0 });

  const sizeAfter = await d1Size(db);
  const perItem = (sizeAfter - sizeBefore) / 10_000;
  t.diagnostic(`D1: ${sizeBefore} → ${sizeAfter} bytes, ${perItem.toFixed(1)} bytes per item`);
  assert.ok(perItem < 200, `${perItem} bytes of D1 per item`);
  const afterJob = memoryOf(pid);

  const calls = new Array(10_000).fill(0);
  for (const r of fixture.upstream.requests.slice(seenBefore)) if (r.path === '/json') calls[Number(new URLSearchParams(r.search).get('i'))] += 1;
  const notOnce = calls.flatMap((n, i) => (n === 1 ? [] : [`item ${i} called ${n} times`]));
  assert.deepEqual(notOnce.slice(0, 10), [], `${notOnce.length} items not called exactly once`);

  const streamStarted = Date.now();
  const { responses, lines } = await allJobResults(w.url, res.body.id, { timeoutMs: 120_000 });
  const bytes = responses.reduce((sum, r) => sum + r.text.length, 0);
  t.diagnostic(`NDJSON: ${bytes} bytes in ${responses.length} responses, ${Date.now() - streamStarted} ms`);
  // A response reads one R2 object a line: it holds a bounded number, and `Link` goes on.
  assert.deepEqual(responses.map((r) => r.status), responses.map(() => 200));
  assert.equal(responses.length, Math.ceil(10_000 / RESULTS_PER_RESPONSE));
  assert.ok(responses.every((r) => r.lines.length <= RESULTS_PER_RESPONSE && r.text.endsWith('\n')));
  assert.equal(responses.at(-1).headers.get('link'), null, 'the last response names no next one');
  const stream = { lines };
  assert.equal(stream.lines.length, 10_000);
  const wrong = stream.lines.flatMap((line, i) => {
    try {
      const r = JSON.parse(line);
      return r.index === i && r.status === 200 ? [] : [`line ${i}: index ${r.index}, status ${r.status}`];
    } catch {
      return [`line ${i}: not JSON`];
    }
  });
  assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} lines out of place`);
  assert.deepEqual(JSON.parse(stream.lines[9999]).body, DEMO_DOCUMENT);
  const afterStream = memoryOf(pid);

  const wasmAfter = await wasmMemory();
  t.diagnostic(`wasm memory: ${mib(wasmBefore)} MiB before, ${mib(wasmAfter)} MiB after the job and the NDJSON`);
  assert.ok(wasmAfter <= 32 * 1024 ** 2, `the instance's memory grew to ${mib(wasmAfter)} MiB`);
  // workerd's own memory grows with any 10,000 operations on its local D1, R2 and requests
  // (docs/jobs.md): reported, and only held to a generous bound.
  t.diagnostic(
    `workerd RSS: ${mib(before.rss)} MiB before, ${mib(afterJob.rss)} after the job, ${mib(afterStream.rss)} after the NDJSON; peak ${mib(afterStream.hwm)} MiB`,
  );
  assert.ok(afterStream.hwm - before.rss < 1024 ** 3, `workerd grew to a peak of ${mib(afterStream.hwm)} MiB from ${mib(before.rss)}`);
});
