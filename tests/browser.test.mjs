// Real-browser checks: the /docs page renders and its "try it out" call works; CORS lets an
// allowed origin's page call the API through the TypeScript client (clients/typescript, bundled
// by esbuild as an app would) and makes the browser block any other origin.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { startWorker } from './support/worker.mjs';
import { startUpstream } from './support/upstream.mjs';
import { launchBrowser } from './support/browser.mjs';
import { startJobsWorker } from './support/jobs.mjs';
import { call } from './support/http.mjs';
import { makeKey, sign, claims, startIssuer } from './support/issuer.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'test-results');

/** The TypeScript client as a browser script: `edgeRelay.createEdgeRelayClient(…)`. */
async function bundleClient() {
  const { outputFiles } = await esbuild.build({
    entryPoints: [path.join(ROOT, 'clients/typescript/index.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'edgeRelay',
    write: false,
    logLevel: 'error',
  });
  return outputFiles[0].text;
}

/** A page server on 127.0.0.1 standing in for a browser app on another origin, with the client. */
async function startPageServer(client) {
  const server = http.createServer((req, res) => {
    if (req.url === '/client.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end(client);
    }
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title><script src="/client.js"></script><p>app page</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

let upstream;
let allowedApp;
let otherApp;
let worker;
let browser;

before(async () => {
  upstream = await startUpstream();
  const client = await bundleClient();
  [allowedApp, otherApp] = await Promise.all([startPageServer(client), startPageServer(client)]);
  worker = await startWorker({
    UPSTREAM_URL: `${upstream.url}/json`,
    UPSTREAMS: JSON.stringify({ demo: { base_url: upstream.url } }),
    CORS_ALLOW_ORIGINS: allowedApp.origin,
  });
  browser = await launchBrowser();
  await fs.mkdir(RESULTS, { recursive: true });
});
after(async () => {
  await browser?.close();
  await worker?.dispose();
  await Promise.all([allowedApp?.close(), otherApp?.close(), upstream?.close()]);
});

test('/docs renders every route and "try it out" on /async-example succeeds', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  try {
    await page.goto(`${worker.url}/docs`);
    await page.waitForSelector('.opblock-summary-path', { timeout: 15_000 });
    const paths = await page.$$eval('.opblock-summary-path', (els) => els.map((e) => e.textContent.trim()));
    const documented = Object.keys((await call(`${worker.url}/openapi.json`)).body.paths);
    assert.ok(documented.length > 10);
    assert.deepEqual([...new Set(paths.map((p) => p.replace(/\u200b/g, '')))].sort(), documented.sort());

    const op = page.locator('#operations-examples-async_example');
    await op.locator('.opblock-summary').click();
    await op.locator('input[placeholder="delay_ms"], input[placeholder="delay_ms - Milliseconds the runtime timer waits"]').first().fill('50');
    await op.locator('button.execute').click();
    const status = op.locator('.live-responses-table tbody .response-col_status').first();
    await status.waitFor({ timeout: 15_000 });
    assert.equal((await status.textContent()).trim(), '200');
    const body = await op.locator('.live-responses-table .microlight').first().textContent();
    assert.deepEqual(JSON.parse(body), { message: 'Async operation completed' });
    await page.screenshot({ path: path.join(RESULTS, 'docs.png'), fullPage: false });
  } finally {
    await page.close();
  }
});

test('/docs: "Authorize" with a JWT sends it with "try it out"', async () => {
  const key = makeKey('ES256', 'docs-1');
  const issuer = await startIssuer([key]);
  const jobs = await startJobsWorker({ ...issuer.vars, UPSTREAMS: JSON.stringify({ demo: { base_url: upstream.url } }) });
  const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
  try {
    await page.goto(`${jobs.url}/docs`);
    const op = page.locator('#operations-jobs-jobs_id');
    await op.waitFor({ timeout: 15_000 });
    await op.locator('.opblock-summary').click();
    await op.locator('input[placeholder="id"], input[placeholder^="id -"]').first().fill('5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60');
    const execute = async () => {
      await op.locator('button.execute').click();
      const status = op.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor({ timeout: 15_000 });
      const text = (await status.textContent()).trim();
      await op.locator('button.btn-clear').click();
      return text;
    };
    assert.equal(await execute(), '401', 'no token yet');

    await page.locator('.auth-wrapper button.authorize').click();
    await page.locator('.auth-container input').first().fill(sign(key, claims('docs-user', { scope: 'jobs:read' })));
    await page.locator('.auth-btn-wrapper button.authorize').click();
    await page.locator('.auth-btn-wrapper button.btn-done').click();
    assert.equal(await execute(), '404', 'the token is accepted: the job is simply not there');
  } finally {
    await page.close();
    await jobs.dispose();
    await issuer.close();
  }
});

/**
 * Calls the API at `baseUrl` through the TypeScript client in a page served from `origin`:
 * `client[method](route, init)`; resolves to what the page saw.
 */
async function callFrom(origin, baseUrl, method, route, init) {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(
      async ([baseUrl, method, route, init]) => {
        const client = globalThis.edgeRelay.createEdgeRelayClient({ baseUrl });
        try {
          const { data, error, response } = await client[method](route, init);
          return { ok: true, status: response.status, data, error, requestId: response.headers.get('x-request-id') };
        } catch (e) {
          return { ok: false, error: `${e.name}: ${e.message}` };
        }
      },
      [baseUrl, method, route, init],
    );
  } finally {
    await page.close();
  }
}

test('an allowed origin calls the API through the TypeScript client: answers, problems, a preflighted POST', async () => {
  const simple = await callFrom(allowedApp.origin, worker.url, 'GET', '/async-example', { params: { query: { delay_ms: 10 } } });
  assert.equal(simple.ok, true, simple.error);
  assert.equal(simple.status, 200);
  assert.deepEqual(simple.data, { message: 'Async operation completed' });
  assert.ok(simple.requestId, 'X-Request-Id is exposed to the page');

  const invalid = await callFrom(allowedApp.origin, worker.url, 'GET', '/async-example', { params: { query: { delay_ms: 'soon' } } });
  assert.equal(invalid.status, 422);
  assert.equal(invalid.data, undefined);
  assert.deepEqual(invalid.error.errors.map((e) => [e.loc, e.type]), [[['query', 'delay_ms'], 'int_parsing']]);

  // A JSON body and a request id of its own: the browser asks first (a preflight).
  const preflighted = await callFrom(allowedApp.origin, worker.url, 'POST', '/aggregate', {
    headers: { 'x-request-id': 'from-browser-1' },
    body: { requests: [{ id: 'doc', upstream: 'demo', path: '/json' }] },
  });
  assert.equal(preflighted.ok, true, preflighted.error);
  assert.equal(preflighted.status, 200);
  assert.equal(preflighted.requestId, 'from-browser-1');
  assert.deepEqual(preflighted.data.results.map((r) => [r.id, r.status]), [['doc', 200]]);
});

test('any other origin is blocked by the browser', async () => {
  const calls = [
    ['GET', '/async-example', {}],
    ['POST', '/aggregate', { body: { requests: [{ id: 'doc', upstream: 'demo', path: '/json' }] } }],
  ];
  for (const [method, route, init] of calls) {
    const res = await callFrom(otherApp.origin, worker.url, method, route, init);
    assert.equal(res.ok, false, `origin ${otherApp.origin} was allowed: ${JSON.stringify(res)}`);
    assert.match(res.error, /TypeError/);
  }
});
