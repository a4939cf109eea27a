// src/inflight.mjs: response promises settled by Rust, and what an abort does to them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { begin, settle, prepare_abort, abandon_all } from './inflight.mjs';

test('a request\'s promise resolves to the response Rust settles it with, once', async () => {
  const promise = begin(1, 'r1');
  const response = new Response('ok');
  settle(1, response);
  settle(1, new Response('again'));
  assert.equal(await promise, response);
});

test('an abort answers the running request with the prepared problem and rejects the others', async () => {
  const errors = [];
  const error = console.error;
  console.error = (line) => errors.push(line);
  try {
    prepare_abort(JSON.stringify({ type: 'urn:edge-relay:problem:internal', status: 500, instance: '' }));
    const running = begin(7, 'r7', '4bf92f3577b34da6a3ce929d0e0e4736');
    const waiting = begin(8, 'r8');
    abandon_all(7);
    const response = await running;
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('x-request-id'), 'r7');
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.deepEqual(await response.json(), { type: 'urn:edge-relay:problem:internal', status: 500, instance: 'r7', trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' });
    await assert.rejects(waiting, /request r8: the wasm instance aborted/);
    assert.equal(JSON.parse(errors[0]).request_id, 'r7');
    assert.equal(JSON.parse(errors[0]).trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    settle(8, new Response('late'));
  } finally {
    console.error = error;
  }
});
