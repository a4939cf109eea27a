// The starter app's own test, the way any app on edge-relay tests a route: its built worker in
// workerd (the library's crates/edge-relay/testing/worker.mjs), spoken to over HTTP.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startWorker } from '../../../crates/edge-relay/testing/worker.mjs';

let app;
before(async () => {
  app = await startWorker({ build: fileURLToPath(new URL('../build', import.meta.url)), vars: { GREETING: 'Ahoy' } });
});
after(() => app?.dispose());

test('GET /hello greets the name it is given, with the configured word', async () => {
  const res = await app.request('/hello?name=Ada');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { greeting: 'Ahoy, Ada!' });
  assert.deepEqual(await (await app.request('/hello')).json(), { greeting: 'Ahoy, world!' });
});

test("the app's own layer wraps every route, the library's included", async () => {
  for (const path of ['/hello', '/healthz', '/openapi.json']) {
    const res = await app.request(path);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
  }
});

test('a repeated name is a 422 naming the field; another method is a 405', async () => {
  const res = await app.request('/hello?name=a&name=b');
  assert.equal(res.status, 422);
  const problem = await res.json();
  assert.deepEqual(problem.errors.map((e) => [e.loc.join('.'), e.type]), [['query.name', 'multiple_values']]);
  const post = await app.request('/hello', { method: 'POST' });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get('allow'), 'GET, HEAD');
});

test('the index and the document list the route', async () => {
  const index = await (await app.request('/')).json();
  assert.equal(index.name, 'edge-relay-starter');
  assert.deepEqual(index.routes.map((r) => r.path), ['/', '/healthz', '/openapi.json', '/hello']);
  const doc = await (await app.request('/openapi.json')).json();
  assert.equal(doc.paths['/hello'].get.summary, 'Greets `name` (the world by default)');
});
