// Index, health, routing errors and /async-example, against the built worker in workerd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startWorker } from './support/worker.mjs';
import { startUpstream } from './support/upstream.mjs';
import { call, assertProblem } from './support/http.mjs';

let upstream;
let worker;

before(async () => {
  upstream = await startUpstream();
  worker = await startWorker({ UPSTREAM_URL: `${upstream.url}/json` });
});
after(async () => {
  await worker?.dispose();
  await upstream?.close();
});

test('GET / lists name, version and every route: each one the document describes', async () => {
  const res = await call(`${worker.url}/`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.body.name, 'edge-relay');
  assert.match(res.body.version, /^\d+\.\d+\.\d+$/);
  for (const r of res.body.routes) assert.ok(r.summary.length > 0);
  // The document names a final `{*rest}` segment `{rest}`; otherwise the two lists are one.
  const listed = res.body.routes.map((r) => `${r.method} ${r.path.replace('{*', '{')}`);
  // The checked-in document (the one served drops what this deployment's upstreams cannot serve).
  const doc = JSON.parse(await fs.readFile(new URL('../src/routes/openapi.json', import.meta.url), 'utf8'));
  const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${path}`));
  assert.deepEqual([...listed].sort(), [...documented].sort());
  assert.deepEqual(listed.slice(0, 4), ['GET /', 'GET /healthz', 'GET /openapi.json', 'GET /docs'], 'the library\'s routes first, as the table lists them');
});

test('GET /healthz is ok', async () => {
  const res = await call(`${worker.url}/healthz`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { status: 'ok' });
});

test('HEAD is served wherever GET is, without a body', async () => {
  const res = await call(`${worker.url}/healthz`, { method: 'HEAD' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.equal(res.text, '');
});

test('unknown path is a 404 problem', async () => {
  const res = await call(`${worker.url}/no/such/route?x=1`);
  const problem = assertProblem(res, 404, 'not-found');
  assert.match(problem.detail, /\/no\/such\/route/);
});

test('wrong method is a 405 problem with Allow', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await call(`${worker.url}/async-example`, { method, body: method === 'DELETE' ? undefined : '{}' });
    const problem = assertProblem(res, 405, 'method-not-allowed');
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    assert.match(problem.detail, new RegExp(method));
  }
});

test('GET /async-example completes with the default delay', async () => {
  const res = await call(`${worker.url}/async-example`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  assert.deepEqual(res.body, { message: 'Async operation completed' });
});

test('GET /async-example?delay_ms waits on a runtime timer', async () => {
  const res = await call(`${worker.url}/async-example?delay_ms=400`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body, { message: 'Async operation completed' });
  assert.ok(res.ms >= 390, `answered after ${res.ms} ms, before the 400 ms timer`);
});

test('GET /async-example accepts the bounds 0 and 10000', async () => {
  const res = await call(`${worker.url}/async-example?delay_ms=0`);
  assert.equal(res.status, 200);
  // 10000 is valid; don't wait for it, only check it is not rejected.
  const controller = new AbortController();
  const pending = fetch(`${worker.url}/async-example?delay_ms=10000`, { signal: controller.signal });
  const early = await Promise.race([pending.then((r) => r.status), new Promise((r) => setTimeout(() => r('pending'), 300))]);
  controller.abort();
  await pending.catch(() => {});
  assert.equal(early, 'pending');
});

test('GET /async-example rejects a bad delay_ms with a 422 naming it', async () => {
  const cases = [
    ['abc', 'int_parsing'],
    ['', 'int_parsing'],
    ['1.5', 'int_parsing'],
    ['10001', 'range'],
    ['-1', 'range'],
    ['99999999999999999999999', 'range'],
  ];
  for (const [value, type] of cases) {
    const res = await call(`${worker.url}/async-example?delay_ms=${encodeURIComponent(value)}`);
    const problem = assertProblem(res, 422, 'validation-failed');
    assert.equal(problem.errors.length, 1, value);
    const [error] = problem.errors;
    assert.deepEqual(error.loc, ['query', 'delay_ms']);
    assert.equal(error.type, type, value);
    assert.equal(error.input, value);
    assert.ok(error.msg.length > 0);
  }
  const repeated = await call(`${worker.url}/async-example?delay_ms=1&delay_ms=2`);
  assert.equal(assertProblem(repeated, 422, 'validation-failed').errors[0].type, 'multiple_values');
});

test("every Allow is exactly the served document's methods for that path and upstream (HEAD with GET)", async () => {
  const UPSTREAMS = {
    reads: { base_url: upstream.url },
    writes: { base_url: upstream.url, methods: ['GET', 'POST', 'DELETE'] },
  };
  const w = await startWorker({ UPSTREAM_URL: `${upstream.url}/json`, UPSTREAMS: JSON.stringify(UPSTREAMS), API_KEYS: 'k' });
  try {
    const doc = (await call(`${w.url}/openapi.json`)).body;
    assert.ok(doc.paths['/upstreams/reads/{path}'] && doc.paths['/upstreams/writes/{path}'], 'the relay, once per upstream');
    assert.equal(doc.paths['/upstreams/{name}/{path}'], undefined);
    const allow = (methods) => methods.flatMap((m) => (m === 'get' ? ['GET', 'HEAD'] : [m.toUpperCase()])).sort().join(', ');
    for (const [template, item] of Object.entries(doc.paths)) {
      const path = template.replace(/\{[^}]+\}/g, (name) => (name === '{id}' ? '00000000-0000-4000-8000-000000000000' : name === '{user_id}' ? '1' : 'json'));
      const documented = allow(Object.keys(item));
      for (const method of ['OPTIONS', 'PUT', 'PATCH'].filter((m) => !documented.includes(m))) {
        const res = await call(`${w.url}${path}`, { method, headers: { Authorization: 'Bearer k' } });
        assert.equal(res.status, 405, `${method} ${path}: ${res.text}`);
        assert.equal(res.headers.get('allow').split(', ').sort().join(', '), documented, `${method} ${path}`);
      }
    }
  } finally {
    await w.dispose();
  }
});
