// src/jobs/store.mjs against a stand-in for the D1 binding's prepare/bind/batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { d1_batch } from './store.mjs';

test('statements run in one batch; each comes back as [rows, changes]', async () => {
  const calls = [];
  const db = {
    prepare: (sql) => ({ bind: (...args) => ({ sql, args }) }),
    batch: async (prepared) => {
      calls.push(prepared);
      return [{ results: [{ value: 1 }], meta: { changes: 0 } }, { meta: { changes: 2 } }];
    },
  };
  const json = await d1_batch(db, [['SELECT ?1 AS value', [1]], ['UPDATE jobs SET x = ?1 WHERE id = ?2', ['a', 'b']]]);
  assert.deepEqual(JSON.parse(json), [[[{ value: 1 }], 0], [[], 2]]);
  assert.deepEqual(calls, [[{ sql: 'SELECT ?1 AS value', args: [1] }, { sql: 'UPDATE jobs SET x = ?1 WHERE id = ?2', args: ['a', 'b'] }]]);
});
