// The runtime interleaves requests: 20 concurrent 300 ms timers finish together, not in series.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { call } from './support/http.mjs';

let worker;
before(async () => {
  worker = await startWorker({ UPSTREAM_URL: 'http://127.0.0.1:9/' });
  await call(`${worker.url}/healthz`); // warm the isolate
});
after(() => worker?.dispose());

test('20 concurrent /async-example?delay_ms=300 all succeed in far less than 20 x 300 ms', async () => {
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 20 }, () => call(`${worker.url}/async-example?delay_ms=300`)),
  );
  const elapsed = performance.now() - started;
  for (const res of results) {
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { message: 'Async operation completed' });
    assert.ok(res.ms >= 290, `a request finished in ${res.ms} ms, before its timer`);
  }
  assert.ok(elapsed < 3000, `batch took ${elapsed} ms; serial would be 6000 ms`);
});
