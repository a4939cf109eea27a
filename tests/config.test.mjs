// Invalid configuration: a clear 500 naming the variable, logged once, never a panic.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { call, assertProblem } from './support/http.mjs';

const workers = [];
after(() => Promise.all(workers.map((w) => w.dispose())));

async function worker(vars) {
  const w = await startWorker(vars);
  workers.push(w);
  return w;
}

const configLogLines = (w) => w.logs.filter((l) => l.includes('config_invalid'));

const settle = async (until) => {
  // Logs reach us asynchronously from workerd's stdout.
  for (let i = 0; i < 50 && !until(); i++) await new Promise((r) => setTimeout(r, 20));
};

test('missing UPSTREAM_URL: 500 naming it, logged once, other routes unaffected', async () => {
  const w = await worker({});
  // The registry is read when a route first needs it: routes that call no upstream neither
  // read nor report it.
  assert.equal((await call(`${w.url}/healthz`)).status, 200);
  assert.equal((await call(`${w.url}/async-example`)).status, 200);
  await settle(() => w.logs.some((l) => l.includes('"path":"/async-example"')));
  assert.equal(configLogLines(w).length, 0, w.logs.join(''));
  for (let i = 0; i < 3; i++) {
    const problem = assertProblem(await call(`${w.url}/external-api`), 500, 'invalid-configuration');
    assert.match(problem.detail, /UPSTREAM_URL is not set/);
  }
  assert.equal((await call(`${w.url}/async-example`)).status, 200);
  assert.equal((await call(`${w.url}/healthz`)).status, 200);
  await settle(() => configLogLines(w).length > 0);
  assert.equal(configLogLines(w).length, 1, w.logs.join(''));
});

test('invalid values are named in the 500', async () => {
  const cases = [
    [{ UPSTREAM_URL: 'not a url' }, /UPSTREAM_URL is invalid/],
    [{ UPSTREAM_URL: 'ftp://example.com/x' }, /UPSTREAM_URL is invalid: scheme 'ftp'/],
    [{ UPSTREAM_URL: 'http://127.0.0.1:9/', UPSTREAM_TIMEOUT_MS: 'soon' }, /UPSTREAM_TIMEOUT_MS is invalid/],
    [{ UPSTREAM_URL: 'http://127.0.0.1:9/', UPSTREAM_TIMEOUT_MS: '0' }, /UPSTREAM_TIMEOUT_MS is invalid/],
  ];
  const started = await Promise.all(cases.map(([vars]) => worker(vars)));
  for (const [i, [, detail]] of cases.entries()) {
    const problem = assertProblem(await call(`${started[i].url}/external-api`), 500, 'invalid-configuration');
    assert.match(problem.detail, detail);
  }
});

test('UPSTREAMS may be a TOML table (a JSON object binding) as well as a JSON string', async () => {
  const { startUpstream, DEMO_DOCUMENT } = await import('./support/upstream.mjs');
  const upstream = await startUpstream();
  try {
    const w = await worker({ UPSTREAMS: { demo: { base_url: upstream.url, retries: 1 } } });
    const res = await call(`${w.url}/upstreams/demo/json`);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.body, DEMO_DOCUMENT);
    const bad = await worker({ UPSTREAMS: { demo: { base_url: 'ftp://x.test' } } });
    const problem = assertProblem(await call(`${bad.url}/upstreams/demo/json`), 500, 'invalid-configuration');
    assert.match(problem.detail, /UPSTREAMS is invalid: upstream 'demo': scheme 'ftp'/);
  } finally {
    await upstream.close();
  }
});
