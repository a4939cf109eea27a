// What `wrangler deploy` would upload (scripts/test.sh writes it with `wrangler deploy --dry-run
// --outdir build-deploy`, which runs the build command of wrangler.toml): no diagnostic route,
// no test hook. The tests' own build, which has them, is the control that the search finds them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTICS_BUILD } from './support/worker.mjs';

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../build-deploy');

/** The bytes of the one .wasm file in `dir`. */
async function wasmIn(dir) {
  const files = (await fs.readdir(dir)).filter((f) => f.endsWith('.wasm'));
  assert.equal(files.length, 1, `${dir}: ${files}`);
  return fs.readFile(path.join(dir, files[0]));
}

// What only the diagnostics feature compiles in: its routes, the var that enables them, the
// consumer's panic item and the panics' own messages.
const TEST_ONLY = ['/_test/panic', '/_test/abort', '/_test/echo', '/_test/memory', 'ENABLE_TEST_ROUTES', '_test_panic', 'deliberate panic'];

test('the deployed wasm holds no test-only route or hook; the tests\' build does', async () => {
  const deployed = await wasmIn(DEPLOY);
  const diagnostics = await wasmIn(DIAGNOSTICS_BUILD);
  assert.ok(deployed.length > 100_000, 'the real worker');
  for (const text of TEST_ONLY) {
    assert.equal(deployed.includes(text), false, `deployed: ${text}`);
    assert.equal(diagnostics.includes(text), true, `diagnostics: ${text}`);
  }
  const entry = await fs.readFile(path.join(DEPLOY, 'index.js'), 'utf8');
  assert.ok(!entry.includes('/_test/'), 'nor its JS');
});
