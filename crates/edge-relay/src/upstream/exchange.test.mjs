// src/upstream/exchange.mjs: the capped body read (with a stand-in for workerd's BYOB
// `readAtLeast`) and one whole exchange with a real server on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { readCapped, exchange, TOO_LARGE } from './exchange.mjs';
import { attemptFacts, recordingTracing } from '../../testing/tracing.mjs';

/** A response whose body arrives in `chunks`, read through workerd's `readAtLeast` contract. */
function chunked(chunks, headers = {}) {
  const queue = chunks.map((c) => new TextEncoder().encode(c));
  let cancelled = false;
  const reader = {
    reads: 0,
    // Fills `view` with at least `min` bytes unless the body ends first (then `done` may be false
    // with a short value, or true).
    async readAtLeast(min, view) {
      this.reads++;
      let filled = 0;
      while (filled < min && queue.length > 0) {
        const chunk = queue[0];
        const n = Math.min(chunk.byteLength, view.byteLength - filled);
        view.set(chunk.subarray(0, n), filled);
        filled += n;
        if (n === chunk.byteLength) queue.shift();
        else queue[0] = chunk.subarray(n);
      }
      return { done: filled === 0 && queue.length === 0, value: new Uint8Array(view.buffer, view.byteOffset, filled) };
    },
    async cancel() {
      cancelled = true;
    },
  };
  return {
    headers: new Headers(headers),
    body: { getReader: () => reader },
    reader,
    get cancelled() {
      return cancelled;
    },
  };
}

const text = (bytes) => new TextDecoder().decode(bytes);

test('a body without a length is read whole, in one read when it fits', async () => {
  const small = chunked(['{"a":', '1}']);
  assert.equal(text(await readCapped(small, 1024)), '{"a":1}');
  assert.equal(small.reader.reads, 1);
  const large = chunked(['x'.repeat(20_000), 'y'.repeat(20_000)]);
  assert.equal((await readCapped(large, 100_000)).byteLength, 40_000, 'the buffer grows as it fills');
});

test('a body past the cap is refused: by its length, or while it is read', async () => {
  await assert.rejects(readCapped({ headers: new Headers({ 'content-length': '11' }) }, 10), (e) => e === TOO_LARGE);
  const long = chunked(['x'.repeat(6), 'x'.repeat(6)]);
  await assert.rejects(readCapped(long, 10), (e) => e === TOO_LARGE);
  assert.ok(long.cancelled, 'the rest of the body is not read');
  const encoded = chunked(['x'.repeat(12)], { 'content-length': '4', 'content-encoding': 'gzip' });
  await assert.rejects(readCapped(encoded, 10), (e) => e === TOO_LARGE, 'an encoded length does not count');
});

let server;
let base;
before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/slow') return setTimeout(() => res.end('late'), 2000);
    const body = JSON.stringify({ method: req.method, accept: req.headers.accept, id: req.headers['x-request-id'], traceparent: req.headers.traceparent });
    // With its length: Node's streams have no `readAtLeast`, so the whole-body path is the one run here.
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), etag: '"v1"', 'retry-after': '5' });
    res.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.closeAllConnections() || server.close());

test('an exchange answers status, five headers and the body; a later header wins', async () => {
  const [meta, body] = await exchange(`${base}/json`, 'GET', 'Accept\ntext/plain\nX-Request-Id\nr1\nAccept\napplication/json', undefined, 2000, 1024);
  assert.equal(meta, '200\napplication/json\n5\n"v1"\n');
  assert.deepEqual(JSON.parse(text(body)), { method: 'GET', accept: 'application/json', id: 'r1' });
});

test('an attempt carries the traceparent of its facts and is a span that ends with the body', async () => {
  const { tracing, spans } = recordingTracing();
  const facts = attemptFacts({ upstream: 'users', attempt: 2 });
  const [, body] = await exchange(`${base}/json`, 'GET', 'traceparent\nforwarded-by-mistake', undefined, 2000, 1024, tracing, facts);
  assert.equal(JSON.parse(text(body)).traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'set last: it wins');
  assert.equal(spans.length, 1);
  assert.equal(spans[0].name, 'upstream users');
  assert.ok(spans[0].active && spans[0].ended);
  assert.equal(spans[0].attributes['upstream.attempt'], 2);
  assert.equal(spans[0].attributes['http.response.status_code'], 200);
  assert.equal(spans[0].attributes['http.response.body.size'], body.byteLength);
});

test('an exchange past its budget rejects with null; one past the cap with TOO_LARGE; each ends its span', async () => {
  const { tracing, spans } = recordingTracing();
  await assert.rejects(exchange(`${base}/slow`, 'GET', '', undefined, 100, 1024, tracing, attemptFacts()), (e) => e === null);
  await assert.rejects(exchange(`${base}/json`, 'GET', '', undefined, 2000, 5, tracing, attemptFacts()), (e) => e === TOO_LARGE);
  assert.deepEqual(spans.map((s) => [s.ended, s.attributes['error.type']]), [[true, 'timeout'], [true, TOO_LARGE]]);
  assert.equal(spans[1].attributes['http.response.status_code'], 200);
});
