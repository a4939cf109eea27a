// The streaming relay end to end, against a real streaming upstream on 127.0.0.1: large
// bodies that pass through with flat memory, server-sent events as they are sent, hang-ups
// that reach the upstream, failures that never look like a clean end, headers, methods and
// request bodies, retries, conditional requests, and the cap on bodies read whole.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { startWorker } from './support/worker.mjs';
import { ENCODED_TEXT, sleep } from './support/upstream.mjs';
import { upstreamFixture } from './support/fixture.mjs';
import { call, assertProblem, eventually } from './support/http.mjs';

const MiB = 1024 * 1024;
const fixture = upstreamFixture();
let upstream;
let worker;

before(async () => {
  upstream = await fixture.start();
  const base = upstream.url;
  const UPSTREAMS = {
    stream: { base_url: base, timeout_ms: 3000, stream_idle_ms: 1000 },
    writer: { base_url: base, methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'], retries: 2, max_request_body_bytes: 8 * MiB },
    versioned: { base_url: base, cache_ttl_s: 1, stale_while_revalidate_s: 30 },
  };
  worker = fixture.track(
    await startWorker({ UPSTREAMS: JSON.stringify(UPSTREAMS), UPSTREAM_URL: `${base}/encoded?encoding=gzip`, MAX_UPSTREAM_BODY_BYTES: '16384' }),
  );
});

/** The workerd process serving this file's worker (node --test runs each file in its own process). */
function workerdPid() {
  const pids = execFileSync('pgrep', ['-P', String(process.pid), 'workerd']).toString().trim().split('\n');
  assert.equal(pids.length, 1, 'one workerd for this file');
  return pids[0];
}

const rssMiB = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

/**
 * A GET with Node's own client, chunk by chunk: resolves to { status, headers, chunks: [{ at, data }],
 * clean } where `clean` says whether the body ended properly (not cut off).
 */
function stream(url, { headers = {}, onChunk, onResponse } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const chunks = [];
    const req = http.get(url, { headers }, (res) => {
      onResponse?.(res);
      const done = (clean) => resolve({ status: res.statusCode, headers: res.headers, chunks, clean, ms: Date.now() - started });
      res.on('data', (data) => {
        chunks.push({ at: Date.now() - started, data });
        onChunk?.(data, req);
      });
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false));
      res.on('error', () => done(false));
      res.on('close', () => done(res.complete));
    });
    req.on('error', (e) => (e.code === 'ECONNRESET' ? resolve({ status: 0, chunks, clean: false }) : reject(e)));
  });
}

/**
 * A request with a body: a Buffer sent with its length, or an array of Buffers sent chunked.
 * `declare` sends that Content-Length and then only the body's first part, waiting for the
 * answer (a server may refuse a declared size before reading any of it).
 */
function send(url, method, body, headers = {}, { declare } = {}) {
  return new Promise((resolve, reject) => {
    const chunked = Array.isArray(body);
    const length = declare ?? (chunked ? undefined : body.length);
    let answered = false;
    const req = http.request(url, { method, headers: length === undefined ? headers : { ...headers, 'content-length': length } }, (res) => {
      answered = true;
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: new Headers(res.headers), text, body: text ? JSON.parse(text) : undefined }));
    });
    // Once answered, a refused body's unsent rest may meet a closed socket; that is expected.
    req.on('error', (e) => answered || reject(e));
    if (declare !== undefined) return req.write(body);
    for (const part of chunked ? body : [body]) req.write(part);
    req.end();
  });
}

const accessLines = (path) => worker.logs.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) => l.path === path);

test('a 200 MB body streams through: first bytes before the upstream sent the rest, memory flat', async (t) => {
  const pid = workerdPid();
  await call(`${worker.url}/upstreams/stream/large?mb=1`); // warm: the wasm instance exists
  const base = rssMiB(pid);
  let peak = base;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 20);
  let waitingAtFirstByte;
  const hash = crypto.createHash('sha256');
  const res = await stream(`${worker.url}/upstreams/stream/large?mb=200&gate=big`, {
    onChunk: (data) => {
      hash.update(data);
      if (waitingAtFirstByte === undefined) {
        waitingAtFirstByte = upstream.streams.find((s) => s.search.includes('gate=big')).finished === false && upstream.streams.find((s) => s.search.includes('gate=big')).closedAt === null;
        upstream.release('big');
      }
    },
  });
  clearInterval(sampler);
  assert.equal(res.status, 200);
  assert.ok(res.clean);
  assert.equal(res.chunks.reduce((n, c) => n + c.data.length, 0), 200 * MiB);
  assert.equal(res.headers['content-length'], String(200 * MiB), 'an identity body keeps its length');
  assert.equal(waitingAtFirstByte, true, 'the first bytes arrived while the upstream held the rest back');
  const expected = crypto.createHash('sha256');
  const block = Buffer.alloc(64 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = i % 251;
  for (let i = 0; i < 200 * 16; i++) expected.update(block);
  assert.equal(hash.digest('hex'), expected.digest('hex'), 'byte-identical');
  const growth = peak - base;
  t.diagnostic(`workerd RSS: ${base.toFixed(1)} MiB before, peak ${peak.toFixed(1)} MiB (+${growth.toFixed(1)} MiB) for 200 MiB`);
  assert.ok(growth < 64, `memory grew by ${growth.toFixed(1)} MiB for a 200 MiB body`);
  // The log line is written when the body has ended, and reaches the test through workerd's output.
  assert.ok(await eventually(() => accessLines('/upstreams/stream/large').some((l) => l.stream?.bytes === 200 * MiB && l.stream.outcome === 'complete')));
});

test('a slow client slows the upstream: backpressure reaches it through the worker', async (t) => {
  const MB = 200;
  const record = () => upstream.streams.find((s) => s.search.includes('tag=slow'));
  let sentWhilePaused;
  // The client takes its first chunk, then reads nothing for 1.5 s.
  const res = await stream(`${worker.url}/upstreams/stream/large?mb=${MB}&tag=slow`, {
    onResponse: (res) => {
      res.once('data', () => {
        res.pause();
        setTimeout(() => {
          sentWhilePaused = record().sent;
          res.resume();
        }, 1500);
      });
    },
  });
  assert.ok(res.clean);
  assert.equal(res.chunks.reduce((n, c) => n + c.data.length, 0), MB * MiB);
  t.diagnostic(`the upstream had sent ${(sentWhilePaused / MiB).toFixed(1)} MiB of ${MB} MiB after 1.5 s of a client reading nothing`);
  assert.ok(sentWhilePaused < 64 * MiB, `the upstream sent ${(sentWhilePaused / MiB).toFixed(1)} MiB while the client read nothing`);
});

test('server-sent events arrive as sent, also to a client that accepts gzip and br', async (t) => {
  const res = await stream(`${worker.url}/upstreams/stream/sse?events=8&interval_ms=400`, { headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(res.status, 200);
  assert.ok(res.clean);
  assert.equal(res.headers['content-type'], 'text/event-stream');
  assert.equal(res.headers['content-encoding'], undefined, 'not compressed: a compressor would hold events back');
  assert.equal(res.headers['cache-control'], 'no-cache, no-transform');
  assert.equal(res.headers['x-accel-buffering'], 'no');
  // Each event is its own arrival, spaced as the upstream spaced them.
  const arrivals = [];
  for (const { at, data } of res.chunks) for (const _ of data.toString().matchAll(/^data: /gm)) arrivals.push(at);
  assert.equal(arrivals.length, 8);
  const gaps = arrivals.slice(1).map((at, i) => at - arrivals[i]);
  t.diagnostic(`arrivals (ms): ${arrivals.join(', ')}; gaps: ${gaps.join(', ')}`);
  // Buffered, they would arrive together; streamed, each ~400 ms after the last (a loaded
  // machine may delay one delivery a little, never bring two together).
  for (const gap of gaps) assert.ok(gap >= 150, `events were lumped together: gaps ${gaps}`);
  assert.ok(arrivals.at(-1) - arrivals[0] >= 2400, `the 8 events arrived within ${arrivals.at(-1) - arrivals[0]} ms`);
});

test('Last-Event-ID goes up, so a reconnecting client resumes where it left off', async () => {
  const res = await stream(`${worker.url}/upstreams/stream/sse?events=8&interval_ms=10&tag=resume`, { headers: { 'last-event-id': '5' } });
  const ids = [...Buffer.concat(res.chunks.map((c) => c.data)).toString().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  assert.deepEqual(ids, [6, 7]);
  assert.equal(upstream.requests.find((r) => r.search.includes('tag=resume')).headers['last-event-id'], '5');
});

test('a client that hangs up cancels the upstream request, and the log says 499', async (t) => {
  let hungUpAt;
  await stream(`${worker.url}/upstreams/stream/sse?events=100&interval_ms=100&tag=hangup`, {
    onChunk: (data, req) => {
      if (!hungUpAt) {
        hungUpAt = Date.now();
        req.destroy();
      }
    },
  });
  const record = () => upstream.streams.find((s) => s.search.includes('tag=hangup'));
  assert.ok(await eventually(() => record()?.closedAt, 3000), 'the upstream connection was closed');
  const delay = record().closedAt - hungUpAt;
  assert.equal(record().finished, false, 'the upstream did not get to send everything');
  t.diagnostic(`the event stream's upstream saw the hang-up after ${delay} ms`);
  assert.ok(delay < 2000, `the upstream saw the hang-up after ${delay} ms`);
  assert.ok(await eventually(() => accessLines('/upstreams/stream/sse').some((l) => l.stream?.outcome === 'client-closed')));
  const line = accessLines('/upstreams/stream/sse').find((l) => l.stream?.outcome === 'client-closed');
  assert.equal(line.status, 499);

  // The same for a bulk body, which the runtime pipes without JS.
  let bulkHungUpAt;
  await stream(`${worker.url}/upstreams/stream/large?mb=50&gate=hangup`, {
    onChunk: (data, req) => {
      bulkHungUpAt ??= Date.now();
      req.destroy();
    },
  });
  const bulk = () => upstream.streams.find((s) => s.search.includes('gate=hangup'));
  upstream.release('hangup');
  assert.ok(await eventually(() => bulk()?.closedAt, 3000), 'the upstream connection was closed');
  assert.equal(bulk().finished, false);
  t.diagnostic(`the bulk body's upstream saw the hang-up after ${bulk().closedAt - bulkHungUpAt} ms`);
  assert.ok(bulk().closedAt - bulkHungUpAt < 2000);
  assert.ok(await eventually(() => accessLines('/upstreams/stream/large').some((l) => l.status === 499)), JSON.stringify(accessLines('/upstreams/stream/large')));
});

test('an upstream that fails mid-body, or an event stream that goes quiet, ends the response abnormally, never cleanly', async () => {
  const failed = await stream(`${worker.url}/upstreams/stream/fail-midway`);
  assert.equal(failed.status, 200);
  assert.equal(failed.clean, false, 'a dropped upstream is not a clean end');
  const quiet = await stream(`${worker.url}/upstreams/stream/stall?ms=5000`);
  assert.equal(quiet.clean, false);
  assert.equal(quiet.chunks.map((c) => c.data).join(''), 'data: first\n\n');
  assert.ok(quiet.ms < 4000, `cut off after the 1 s idle limit, not when the upstream resumed (${quiet.ms} ms)`);
  assert.ok(await eventually(() => upstream.streams.find((s) => s.path === '/stall')?.closedAt), 'the quiet upstream was hung up on');
  assert.ok(await eventually(() => accessLines('/upstreams/stream/stall').some((l) => l.stream?.outcome === 'upstream-idle')));
  assert.ok(await eventually(() => accessLines('/upstreams/stream/fail-midway').some((l) => l.error === 'stream-upstream-failed')));
});

test('hop-by-hop headers, cookies and encodings that no longer hold are dropped; bodies arrive decoded and identical', async () => {
  const hop = await call(`${worker.url}/upstreams/stream/hop-by-hop`);
  assert.equal(hop.headers.get('x-end-to-end'), 'kept');
  for (const name of ['x-hop', 'keep-alive', 'set-cookie']) assert.equal(hop.headers.get(name), null, name);
  for (const encoding of ['gzip', 'br']) {
    const res = await stream(`${worker.url}/upstreams/stream/encoded?encoding=${encoding}`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(res.headers['content-encoding'], undefined, encoding);
    const body = Buffer.concat(res.chunks.map((c) => c.data)).toString();
    assert.equal(body, ENCODED_TEXT, encoding);
    if (res.headers['content-length'] !== undefined) assert.equal(Number(res.headers['content-length']), Buffer.byteLength(ENCODED_TEXT));
  }
});

test('methods: allowed writes stream their body up intact; others are 405; the body limit holds while streaming', async () => {
  const body = crypto.randomBytes(5 * MiB);
  const digest = crypto.createHash('sha256').update(body).digest('hex');
  const posted = await send(`${worker.url}/upstreams/writer/sha256?key=post`, 'POST', body, { 'content-type': 'application/octet-stream' });
  assert.equal(posted.status, 200, posted.text);
  assert.deepEqual([posted.body.method, posted.body.sha256, posted.body.bytes], ['POST', digest, body.length]);
  assert.equal(posted.body.content_type, 'application/octet-stream');
  assert.equal(posted.body.content_length, String(body.length), 'a declared length goes up as one');
  const chunked = await send(`${worker.url}/upstreams/writer/sha256?key=chunked`, 'PATCH', [body.subarray(0, MiB), body.subarray(MiB)]);
  assert.deepEqual([chunked.status, chunked.body.method, chunked.body.sha256], [200, 'PATCH', digest]);

  const refused = await send(`${worker.url}/upstreams/stream/sha256`, 'POST', Buffer.from('{}'));
  assert.equal(refused.status, 405);
  assert.equal(refused.headers.get('allow'), 'GET, HEAD');

  const before = upstream.hits('/sha256');
  const declared = await send(`${worker.url}/upstreams/writer/sha256?key=big`, 'POST', Buffer.alloc(1024), {}, { declare: 8 * MiB + 1 });
  assertProblem(declared, 413, 'payload-too-large');
  assert.equal(upstream.hits('/sha256'), before, 'a declared oversize body never leaves');
  const tooBig = Buffer.alloc(8 * MiB + 1);
  const streamed = await send(`${worker.url}/upstreams/writer/sha256?key=big2`, 'POST', [tooBig.subarray(0, 4 * MiB), tooBig.subarray(4 * MiB)]);
  assert.equal(streamed.status, 413);
  assert.equal(JSON.parse(streamed.text).type, 'urn:edge-relay:problem:payload-too-large');
  // The upload was cut off, never ended as if the limit were the whole body.
  assert.ok(await eventually(() => upstream.uploads.some((u) => u.key === 'big2')));
  assert.ok(upstream.uploads.filter((u) => u.key === 'big2').every((u) => !u.complete), 'no truncated body passed for whole');
});

test('retries never re-send a body unless that is safe: idempotent method or Idempotency-Key', async () => {
  const body = crypto.randomBytes(64 * 1024);
  const digest = crypto.createHash('sha256').update(body).digest('hex');
  const once = await send(`${worker.url}/upstreams/writer/sha256?key=noretry&fail=1`, 'POST', body);
  assert.equal(once.status, 502, 'the 503 is reported, not retried');
  assert.equal(upstream.requests.filter((r) => r.search.includes('key=noretry')).length, 1);

  const keyed = await send(`${worker.url}/upstreams/writer/sha256?key=keyed&fail=1`, 'POST', body, { 'idempotency-key': 'k-1' });
  assert.equal(keyed.status, 200);
  assert.deepEqual([keyed.body.attempt, keyed.body.sha256, keyed.body.idempotency_key], [2, digest, 'k-1'], 'the same body, sent again');

  const put = await send(`${worker.url}/upstreams/writer/sha256?key=put&fail=1`, 'PUT', body);
  assert.deepEqual([put.status, put.body.attempt, put.body.sha256], [200, 2, digest]);
});

test('conditional requests: 304 from the cache, and a stale entry revalidated without a body', async () => {
  const path = `${worker.url}/upstreams/versioned/versioned?key=cond`;
  const first = await call(path);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('etag'), '"v1"');
  assert.equal(first.headers.get('last-modified'), 'Sun, 06 Nov 1994 08:49:37 GMT');
  await sleep(100); // the cache write happens after the response

  const hits = () => upstream.requests.filter((r) => r.search === '?key=cond');
  const matching = await call(path, { headers: { 'if-none-match': '"v0", "v1"' } });
  assert.equal(matching.status, 304);
  assert.equal(matching.text, '');
  assert.equal(matching.headers.get('etag'), '"v1"');
  assert.match(matching.headers.get('cache-status'), /hit/);
  const since = await call(path, { headers: { 'if-modified-since': 'Mon, 07 Nov 1994 00:00:00 GMT' } });
  assert.equal(since.status, 304);
  assert.equal((await call(path, { headers: { 'if-none-match': '"v2"' } })).status, 200);
  assert.equal(hits().length, 1, 'all answered from the cache');

  await sleep(1100); // past cache_ttl_s: served stale, revalidated in the background
  assert.match((await call(path)).headers.get('cache-status'), /stale-while-revalidate/);
  assert.ok(await eventually(() => hits().length === 2));
  assert.equal(hits()[1].headers['if-none-match'], '"v1"', 'revalidated with the entry\'s validator');
  await sleep(100);
  const refreshed = await call(path);
  assert.match(refreshed.headers.get('cache-status'), /hit; ttl=1$/, 'the 304 restarted the entry\'s lifetime');
  assert.deepEqual(refreshed.body, { version: '"v1"', count: 1 }, 'the stored body was kept');
});

test('routes that need a whole body cap it: MAX_UPSTREAM_BODY_BYTES, enforced while reading', async () => {
  // 16 KiB cap; the upstream's gzip body declares ~10 KiB but inflates past it.
  const external = assertProblem(await call(`${worker.url}/external-api`), 502, 'upstream-too-large');
  assert.match(external.detail, /16384 bytes/);
  const res = await call(`${worker.url}/aggregate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requests: [{ id: 'big', upstream: 'stream', path: '/big?bytes=20000' }, { id: 'chunked', upstream: 'stream', path: '/chunked?bytes=40000' }, { id: 'ok', upstream: 'stream', path: '/json' },
      // Under the cap, in four writes 30 ms apart: each read waits for the room it asked for
      // or the body's end, so none may pass a pause off as the end.
      { id: 'fits', upstream: 'stream', path: '/chunked?bytes=15000&pause_ms=30' }] }),
  });
  assert.equal(res.status, 200);
  const byId = Object.fromEntries(res.body.results.map((r) => [r.id, r]));
  assert.equal(byId.big.error.type, 'urn:edge-relay:problem:upstream-too-large');
  assert.equal(byId.chunked.error.type, 'urn:edge-relay:problem:upstream-too-large', 'no length: refused while read');
  assert.equal(byId.ok.status, 200);
  assert.equal(byId.fits.status, 200);
  assert.equal(byId.fits.body.data, 'y'.repeat(15000), 'a body under the cap arrives whole');
});
