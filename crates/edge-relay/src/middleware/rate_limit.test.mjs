// src/middleware/rate_limit.mjs against a stand-in for the RATE_LIMITER binding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { has_rate_limiter, allows } from './rate_limit.mjs';

test('the binding is found only where it has a limit function', () => {
  assert.equal(has_rate_limiter({ RATE_LIMITER: { limit: async () => ({ success: true }) } }), true);
  for (const env of [{}, { RATE_LIMITER: 'x' }, { RATE_LIMITER: { limit: 1 } }]) assert.equal(has_rate_limiter(env), false);
});

test('a key is allowed exactly when the limiter says success', async () => {
  const asked = [];
  const env = { RATE_LIMITER: { limit: async (options) => (asked.push(options), { success: options.key === 'ok' }) } };
  assert.equal(await allows(env, 'ok'), true);
  assert.equal(await allows(env, 'over'), false);
  assert.deepEqual(asked, [{ key: 'ok' }, { key: 'over' }]);
  await assert.rejects(allows({ RATE_LIMITER: { limit: async () => { throw new Error('limiter down'); } } }, 'k'), /limiter down/);
});
