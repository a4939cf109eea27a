// src/upstream/relay.mjs: the client's body capped on its way up, and a streamed exchange with
// a real server on 127.0.0.1 (workerd's FixedLengthStream stood in for by a TransformStream).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { relay_body, relay_open, relay_discard, body_of, signal_of } from './relay.mjs';
import { CLIENT_CLOSED } from '../response.mjs';
import { TOO_LARGE } from './exchange.mjs';
import { attemptFacts, recordingTracing } from '../../testing/tracing.mjs';

globalThis.FixedLengthStream ??= class extends TransformStream {};

const request = (body, headers = {}, signal) => new Request('http://127.0.0.1/', { method: 'POST', body, headers, duplex: 'half', signal });
const text = (buffer) => new TextDecoder().decode(buffer);

test('no body goes up as none', async () => {
  assert.equal(await relay_body(new Request('http://127.0.0.1/'), 10, false), null);
});

test('a body that may be sent again is read whole, up to the limit', async () => {
  const { body, tooLarge } = await relay_body(request('hello'), 10, true);
  assert.equal(text(body), 'hello');
  assert.equal(tooLarge(), false);
  await assert.rejects(relay_body(request('x'.repeat(11)), 10, true), (e) => e === TOO_LARGE);
  await assert.rejects(relay_body(request('x', { 'content-length': '11' }), 10, true), (e) => e === TOO_LARGE, 'by its length');
});

test('a streamed body fails past the limit and aborts the upload', async () => {
  const source = await relay_body(request(new Blob(['x'.repeat(8), 'y'.repeat(8)]).stream()), 10, false);
  await assert.rejects(new Response(source.body).arrayBuffer());
  assert.ok(source.tooLarge());
  assert.ok(source.control.signal.aborted);
});

let server;
let base;
let received;
before(async () => {
  server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    received = { method: req.method, headers: req.headers, body: Buffer.concat(chunks).toString() };
    if (req.url === '/slow') return setTimeout(() => res.end(), 2000);
    if (req.url === '/moved') return res.writeHead(302, { location: '/elsewhere' }).end();
    res.writeHead(201, { 'content-type': 'text/plain', 'x-up': '1' }).end('made');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.closeAllConnections() || server.close());

test('an opened relay answers status and every header, the body still to read', async () => {
  const client = request('ping');
  const source = await relay_body(client, 100, true);
  const { tracing, spans } = recordingTracing();
  const [meta, response, span] = await relay_open(`${base}/make`, 'POST', 'X-Request-Id\nr1\nX-Request-Id\nr2', source, 2000, client, tracing, attemptFacts());
  const lines = meta.split('\n');
  assert.equal(lines[0], '201');
  assert.equal(lines[lines.indexOf('x-up') + 1], '1');
  assert.deepEqual([received.method, received.headers['x-request-id'], received.body], ['POST', 'r2', 'ping']);
  assert.equal(received.headers.traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
  assert.equal(await new Response(body_of(response)).text(), 'made');
  assert.equal(signal_of(client), client.signal);
  assert.ok(span, 'the span comes back with the answer');
  assert.deepEqual([spans[0].attributes['http.response.status_code'], spans[0].ended], [201, false], 'open until the body has been passed on');
});

test('redirects are passed on, not followed; an answer let go ends its span', async () => {
  const client = new Request('http://127.0.0.1/');
  const { tracing, spans } = recordingTracing();
  const [meta, response, span] = await relay_open(`${base}/moved`, 'GET', '', null, 2000, client, tracing, attemptFacts());
  assert.equal(meta.split('\n')[0], '302');
  relay_discard(response, span);
  assert.deepEqual([spans[0].ended, spans[0].attributes['upstream.passed_on']], [true, false]);
});

test('no headers within the budget rejects with null; a client that hung up with CLIENT_CLOSED', async () => {
  const { tracing, spans } = recordingTracing();
  await assert.rejects(relay_open(`${base}/slow`, 'GET', '', null, 100, new Request('http://127.0.0.1/'), tracing, attemptFacts()), (e) => e === null);
  const control = new AbortController();
  const client = new Request('http://127.0.0.1/', { signal: control.signal });
  const opened = relay_open(`${base}/slow`, 'GET', '', null, 5000, client, tracing, attemptFacts());
  control.abort();
  await assert.rejects(opened, (e) => e === CLIENT_CLOSED);
  assert.deepEqual(spans.map((s) => [s.ended, s.attributes['error.type']]), [[true, 'timeout'], [true, CLIENT_CLOSED]]);
});
