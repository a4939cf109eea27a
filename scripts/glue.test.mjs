import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const GLUE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'glue.mjs');

/** glue.mjs loaded over `bindings` (the text of a stand-in for wasm-bindgen's index.js). */
async function loadGlue(bindings) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'glue-test-'));
  await fs.copyFile(GLUE, path.join(dir, 'glue.mjs'));
  await fs.writeFile(path.join(dir, 'index.js'), bindings);
  try {
    return (await import(pathToFileURL(path.join(dir, 'glue.mjs')).href)).default;
  } finally {
    await fs.rm(dir, { recursive: true });
  }
}

test("each handler the wasm exports is on the prototype, called with the entry's env and ctx", async () => {
  const Glue = await loadGlue(`
    export function fetch(request, env, ctx) { return { request, env, ctx }; }
    export function queue(batch, env, ctx) { return { batch, env, ctx }; }
  `);
  assert.equal(Error.stackTraceLimit, 100);
  const self = { env: { A: '1' }, ctx: { waitUntil() {} } };
  assert.deepEqual(Glue.prototype.fetch.call(self, 'req'), { request: 'req', env: self.env, ctx: self.ctx });
  assert.deepEqual(Glue.prototype.queue.call(self, 'batch'), { batch: 'batch', env: self.env, ctx: self.ctx });
  assert.equal(Glue.prototype.scheduled, undefined, 'a handler the wasm lacks is absent');
});
