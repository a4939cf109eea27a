// src/executor/settled.mjs: every outcome reaches the one callback by slot, and a callback
// set again (a fresh instance after an abort) never gets the old instance's outcomes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { set_fire, when, after, cancel } from './settled.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

test('settled promises and timers fire with their slot, generation and outcome', async () => {
  const fired = [];
  set_fire((...args) => fired.push(args));
  when(Promise.resolve('v'), 1, 0);
  when(Promise.reject(new Error('no')), 2, 3);
  after(5, 4, 1);
  cancel(after(5, 5, 1));
  await sleep(30);
  assert.deepEqual(fired.map(([i, g, ok]) => [i, g, ok]), [[1, 0, true], [2, 3, false], [4, 1, true]]);
  assert.equal(fired[0][3], 'v');
  assert.match(fired[1][3].message, /no/);
  assert.equal(fired[2][3], undefined);
});

test('an outcome for a replaced callback is dropped', async () => {
  const old = [];
  const fresh = [];
  set_fire((...args) => old.push(args));
  let resolve;
  when(new Promise((r) => { resolve = r; }), 1, 0);
  after(5, 2, 0);
  set_fire((...args) => fresh.push(args));
  resolve('late');
  await sleep(30);
  assert.deepEqual([old, fresh], [[], []]);
});
