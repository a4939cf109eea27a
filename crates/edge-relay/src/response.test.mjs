// src/response.mjs on Node's fetch primitives; workerd's own stream classes are stood in for by
// TransformStreams (they pass bytes through, as the runtime's do).
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { addHeaderLines, build_response, stream_response, CLIENT_CLOSED } from './response.mjs';
import { recordingTracing } from '../testing/tracing.mjs';

let logged;
const log = console.log;
beforeEach(() => {
  logged = [];
  console.log = (line) => logged.push(line);
  globalThis.IdentityTransformStream ??= class extends TransformStream {};
  globalThis.FixedLengthStream ??= class extends TransformStream {
    constructor() {
      super();
    }
  };
});
afterEach(() => {
  console.log = log;
});

const line = JSON.stringify({ event: 'request', status: 200 });
const streamOf = (...chunks) => new ReadableStream({
  start(controller) {
    for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
    controller.close();
  },
});
const until = async (condition) => {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
};

test('header lines: a repeated name is appended, or the later one wins', () => {
  const appended = addHeaderLines(new Headers(), 'Vary\nOrigin\nVary\nAccept\nX-Id\na');
  assert.equal(appended.get('vary'), 'Origin, Accept');
  assert.equal(appended.get('x-id'), 'a');
  const set = addHeaderLines(new Headers({ accept: 'text/plain' }), 'Accept\napplication/json\nAccept\n*/*', 'set');
  assert.equal(set.get('accept'), '*/*');
  assert.deepEqual([...addHeaderLines(new Headers(), '')], [], 'an empty list adds nothing');
});

test('a whole response has its status, headers and a copy of the body, and logs its line', async () => {
  const body = new TextEncoder().encode('{"ok":true}');
  const response = build_response(201, 'Content-Type\napplication/json\nX-Request-Id\nr1', body, line);
  body.fill(0);
  assert.equal(response.status, 201);
  assert.equal(response.headers.get('x-request-id'), 'r1');
  assert.equal(await response.text(), '{"ok":true}', 'the body was copied out of wasm memory');
  assert.deepEqual(logged, [line]);
});

test('null-body statuses carry no body', async () => {
  for (const status of [204, 304]) {
    const response = build_response(status, 'ETag\n"v1"', new Uint8Array([1, 2]), line);
    assert.equal(response.body, null, String(status));
    assert.equal(response.headers.get('etag'), '"v1"');
  }
});

test('a bulk body is piped through and logged once it ends, when its span ends too', async () => {
  const { tracing, spans } = recordingTracing();
  const span = tracing.startSpan('upstream demo');
  const response = stream_response(200, 'Content-Type\napplication/octet-stream\nContent-Length\n4', streamOf('ab', 'cd'), null, 1000, line, span);
  assert.deepEqual(logged, [], 'not logged before the body has ended');
  assert.equal(spans[0].ended, false);
  assert.equal(await response.text(), 'abcd');
  await until(() => logged.length > 0);
  const entry = JSON.parse(logged[0]);
  assert.equal(entry.stream.outcome, 'complete');
  assert.equal(entry.status, 200);
  assert.deepEqual(spans[0], { name: 'upstream demo', active: false, ended: true, attributes: { 'upstream.stream': 'complete', 'http.response.body.size': 4 } });
});

test('an absent body is logged at once; a null-body status cancels the upstream body', async () => {
  let cancelled = false;
  const body = new ReadableStream({ cancel() { cancelled = true; } });
  const response = stream_response(304, 'ETag\n"v1"', body, null, 1000, line);
  assert.equal(response.body, null);
  await until(() => cancelled);
  assert.ok(cancelled);
  stream_response(200, '', null, null, 1000, line);
  assert.equal(logged.length, 2);
});

test('an event stream that goes quiet is cut off after idleMs, and says so', async () => {
  const quiet = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('data: 1\n\n'));
    },
  });
  const response = stream_response(200, 'Content-Type\ntext/event-stream; charset=utf-8', quiet, null, 50, line);
  const reader = response.body.getReader();
  assert.equal(new TextDecoder().decode((await reader.read()).value), 'data: 1\n\n');
  await assert.rejects(reader.read(), /sent nothing for 50 ms/);
  const entry = JSON.parse(logged[0]);
  assert.deepEqual([entry.stream.outcome, entry.stream.bytes, entry.error], ['upstream-idle', 9, 'stream-upstream-idle']);
});

test('a client that hangs up is logged as 499, once', async () => {
  const control = new AbortController();
  const endless = new ReadableStream({ pull: () => new Promise(() => {}) });
  const response = stream_response(200, 'Content-Type\ntext/event-stream', endless, control.signal, 10_000, line);
  const reader = response.body.getReader();
  reader.read().catch(() => {});
  control.abort();
  await reader.cancel();
  await until(() => logged.length > 0);
  assert.equal(logged.length, 1);
  const entry = JSON.parse(logged[0]);
  assert.equal(entry.status, 499);
  assert.equal(entry.stream.outcome, CLIENT_CLOSED);
});
