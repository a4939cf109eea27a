// src/jobs/results.mjs against an in-memory stand-in for the R2 bucket binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DELETE_BATCH, delete_results, put_result, read_results, resultKey, results_stream } from './results.mjs';

/** Objects in a Map; `get` answers an object whose body streams its text in `chunk`-byte pieces. */
function bucket(chunk = 3) {
  const objects = new Map();
  const calls = { get: 0, delete: [] };
  return {
    objects,
    calls,
    put: async (key, value, options) => objects.set(key, { value, options }),
    get: async (key) => {
      calls.get++;
      if (!objects.has(key)) return null;
      const bytes = new TextEncoder().encode(objects.get(key).value);
      let at = 0;
      const body = new ReadableStream({
        pull(controller) {
          if (at >= bytes.length) return controller.close();
          controller.enqueue(bytes.slice(at, (at += chunk)));
        },
      });
      return { body, text: async () => objects.get(key).value };
    },
    delete: async (keys) => {
      calls.delete.push(keys.length);
      for (const key of keys) objects.delete(key);
    },
  };
}

test('results are stored one object per item, under the job', async () => {
  const b = bucket();
  await put_result(b, 'j', 7, '{"index":7}');
  assert.equal(resultKey('j', 7), 'jobs/j/7');
  assert.deepEqual(b.objects.get('jobs/j/7'), { value: '{"index":7}', options: { httpMetadata: { contentType: 'application/x-ndjson' } } });
});

test('a page reads its results in order; a missing one is null', async () => {
  const b = bucket();
  for (const i of [0, 1, 3]) await put_result(b, 'j', i, `{"index":${i}}`);
  assert.deepEqual(await read_results(b, 'j', new Uint32Array([0, 1, 2, 3])), ['{"index":0}', '{"index":1}', null, '{"index":3}']);
});

test('the stream sends one line per object, in order, chunk by chunk, skipping deleted ones', async () => {
  const b = bucket(4);
  for (const i of [0, 1, 3]) await put_result(b, 'j', i, JSON.stringify({ index: i, body: 'x'.repeat(i * 5) }));
  const reader = results_stream(b, 'j', new Uint32Array([0, 1, 2, 3])).getReader();
  const chunks = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(new TextDecoder().decode(value));
  }
  assert.ok(chunks.every((c) => c.length <= 4), 'no object is read whole');
  const lines = chunks.join('').split('\n');
  assert.equal(lines.pop(), '', 'every line ends with a newline');
  assert.deepEqual(lines.map((l) => JSON.parse(l).index), [0, 1, 3]);
});

test('the stream reads objects only as the client takes them', async () => {
  const b = bucket(1000);
  for (let i = 0; i < 30; i++) await put_result(b, 'j', i, `{"index":${i}}`);
  const reader = results_stream(b, 'j', Uint32Array.from({ length: 30 }, (_, i) => i)).getReader();
  await reader.read();
  assert.ok(b.calls.get <= 8, `${b.calls.get} lookups for the first chunk`);
  await reader.cancel();
});

test('a job\'s objects are deleted in batches of 1,000 keys', async () => {
  const b = bucket();
  for (const i of [0, 999, 1000, 2499]) await put_result(b, 'j', i, '{}');
  await put_result(b, 'other', 0, '{}');
  await delete_results(b, 'j', 2500);
  assert.deepEqual(b.calls.delete, [DELETE_BATCH, DELETE_BATCH, 500]);
  assert.deepEqual([...b.objects.keys()], ['jobs/other/0']);
});
