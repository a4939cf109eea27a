// src/jobs/queue.mjs against a stand-in for the queue producer binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { send_bodies } from './queue.mjs';

test('every body goes out as one message, in one sendBatch call', async () => {
  const sent = [];
  await send_bodies({ sendBatch: async (messages) => sent.push(messages) }, ['{"job":"a"}', '{"job":"b"}']);
  assert.deepEqual(sent, [[{ body: '{"job":"a"}' }, { body: '{"job":"b"}' }]]);
});
