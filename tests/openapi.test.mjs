// /openapi.json matches what is served: every documented operation answers, every served
// route is documented, and documented examples and schemas agree with real responses.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Ajv2020 from 'ajv/dist/2020.js';
import { startWorker } from './support/worker.mjs';
import { startUpstream } from './support/upstream.mjs';
import { call } from './support/http.mjs';

let upstream;
let worker;
let doc;
let ajv;

before(async () => {
  upstream = await startUpstream();
  // `open` lets every relay method through, so each documented operation can be called.
  const UPSTREAMS = { open: { base_url: `${upstream.url}/json`, methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] } };
  worker = await startWorker({ UPSTREAM_URL: `${upstream.url}/json`, UPSTREAMS: JSON.stringify(UPSTREAMS) });
  const res = await call(`${worker.url}/openapi.json`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/json');
  doc = res.body;
  // OpenAPI 3.1 schemas are JSON Schema 2020-12; `example` is an OpenAPI keyword.
  ajv = new Ajv2020({ strict: false, allErrors: true });
  ajv.addSchema(doc, 'openapi.json');
});
after(async () => {
  await worker?.dispose();
  await upstream?.close();
});

const pointer = (...parts) => parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

/** Validates `value` against the schema at the document location `parts`. */
function assertMatchesSchema(value, ...parts) {
  const validate = ajv.getSchema(`openapi.json#/${pointer(...parts)}`);
  assert.ok(validate, `no schema at ${parts.join(' ')}`);
  assert.ok(validate(value), `${parts.join(' ')}: ${JSON.stringify(validate.errors)} for ${JSON.stringify(value)}`);
}

function operations() {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, op]) => ({ path, method: method.toUpperCase(), op })),
  );
}

test('is an OpenAPI 3.1 document of this API', () => {
  assert.equal(doc.openapi, '3.1.0');
  assert.equal(doc.info.title, 'edge-relay');
  assert.ok(operations().length >= 6);
});

test('documents exactly the routes the API serves', async () => {
  const index = await call(`${worker.url}/`);
  const { upstreams } = (await call(`${worker.url}/upstreams`)).body;
  // The index shows route templates (`{*path}`); OpenAPI writes every parameter as `{path}`,
  // and the relay once per upstream, with the methods that upstream allows.
  const served = index.body.routes
    .flatMap(({ method, path }) => {
      const template = path.replace('{*', '{');
      if (!template.includes('{name}')) return [`${method} ${template}`];
      return upstreams.filter((u) => u.methods.includes(method)).map((u) => `${method} ${template.replace('{name}', u.name)}`);
    })
    .sort();
  const documented = operations().map(({ method, path }) => `${method} ${path}`).sort();
  assert.deepEqual(documented, served);
  for (const { method, path } of operations()) {
    const concrete = path.replace('{name}', 'open').replace('{path}', '');
    const res = await call(`${worker.url}${concrete}`, { method });
    assert.ok(![404, 405].includes(res.status), `${method} ${path} answered ${res.status}`);
  }
});

test('every documented example is valid against its own schema', () => {
  let checked = 0;
  for (const { path, method, op } of operations()) {
    for (const [status, response] of Object.entries(op.responses)) {
      for (const [type, content] of Object.entries(response.content ?? {})) {
        if (content.example === undefined) continue;
        assertMatchesSchema(content.example, 'paths', path, method.toLowerCase(), 'responses', status, 'content', type, 'schema');
        checked++;
      }
    }
  }
  assert.ok(checked >= 6, `only ${checked} examples`);
});

test('real responses match the documented examples and schemas', async () => {
  const cases = [
    ['/', 200, 'application/json', true],
    ['/healthz', 200, 'application/json', true],
    ['/async-example', 200, 'application/json', true],
    ['/async-example?delay_ms=abc', 422, 'application/problem+json', false],
    ['/external-api', 200, 'application/json', false],
  ];
  for (const [url, status, type, sameAsExample] of cases) {
    const res = await call(`${worker.url}${url}`);
    assert.equal(res.status, status, url);
    const path = new URL(url, 'http://x').pathname;
    const content = doc.paths[path].get.responses[status].content[type];
    assertMatchesSchema(res.body, 'paths', path, 'get', 'responses', status, 'content', type, 'schema');
    if (sameAsExample) assert.deepEqual(res.body, content.example, url);
  }
  const aggregate = await call(`${worker.url}/aggregate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ requests: [{ id: 'a', upstream: 'default', path: '/' }, { id: 'b', upstream: 'default', path: '/x' }] }),
  });
  assert.equal(aggregate.status, 200);
  assertMatchesSchema(aggregate.body, 'paths', '/aggregate', 'post', 'responses', 200, 'content', 'application/json', 'schema');
  assert.equal(aggregate.body.results[0].status, 200);
  assert.equal(aggregate.body.results[1].status, 404, 'an upstream 404 is a result, not an error');
  // Errors the document lists only as `default` still match the Problem schema.
  for (const url of ['/nope', '/openapi.json?x']) {
    const res = await call(`${worker.url}${url}`, { method: url === '/nope' ? 'GET' : 'DELETE' });
    assertMatchesSchema(res.body, 'components', 'schemas', 'Problem');
  }
});
