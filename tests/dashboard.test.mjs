// GET /dashboard/{user_id}, the app route a BFF team writes first: two upstreams called at once
// and merged; one that fails leaves its part out with its problem, and the answer is still 200.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startWorker } from './support/worker.mjs';
import { startUpstream } from './support/upstream.mjs';
import { call, assertProblem } from './support/http.mjs';

let upstream;
const workers = [];

before(async () => {
  upstream = await startUpstream();
});
after(async () => {
  await Promise.all(workers.map((w) => w.dispose()));
  await upstream?.close();
});

async function dashboardWorker(upstreams) {
  const worker = await startWorker({ UPSTREAMS: JSON.stringify(upstreams), UPSTREAM_URL: `${upstream.url}/json` });
  workers.push(worker);
  return worker;
}

test('both parts, fetched at once and merged into one typed answer', async () => {
  const w = await dashboardWorker({ users: { base_url: upstream.url }, todos: { base_url: `${upstream.url}/` } });
  upstream.requests.length = 0;
  const res = await call(`${w.url}/dashboard/3`, { headers: { 'X-Request-Id': 'dash-1' } });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(res.body, {
    user: { id: 3, name: 'User 3', email: 'user3@example.com' },
    todos: [
      { id: 31, title: 'todo 1 of user 3', completed: true },
      { id: 32, title: 'todo 2 of user 3', completed: false },
    ],
    missing: [],
  });
  const seen = upstream.requests.map((r) => `${r.path}${r.search}`).sort();
  assert.deepEqual(seen, ['/todos?userId=3', '/users/3']);
  assert.ok(upstream.requests.every((r) => r.headers['x-request-id'] === 'dash-1'));
  assert.match(res.headers.get('server-timing'), /upstream;dur=\d+;desc="2 call\(s\)"/);
  assert.equal(res.headers.get('cache-control'), 'private, no-store', "the route's own layer");
});

test('the two calls are in flight at once', async () => {
  const w = await dashboardWorker({ users: { base_url: upstream.url }, todos: { base_url: upstream.url } });
  upstream.service.delayMs = 300;
  try {
    assert.equal((await call(`${w.url}/dashboard/4`)).status, 200);
  } finally {
    upstream.service.delayMs = 0;
  }
  const [a, b] = upstream.requests.filter((r) => r.path === '/users/4' || r.search === '?userId=4');
  assert.ok(a && b, 'both calls went out');
  assert.ok(b.startedAt < a.answeredAt && a.startedAt < b.answeredAt, 'each started before the other was answered');
});

test('a failing upstream leaves its part out, with its problem; the other part is served', async () => {
  const w = await dashboardWorker({ users: { base_url: upstream.url }, todos: { base_url: 'http://127.0.0.1:9', retries: 0, timeout_ms: 1000 } });
  const res = await call(`${w.url}/dashboard/2`);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.user.name, 'User 2');
  assert.equal(res.body.todos, undefined);
  assert.equal(res.body.missing.length, 1);
  assert.equal(res.body.missing[0].part, 'todos');
  assert.equal(res.body.missing[0].error.type, 'urn:edge-relay:problem:upstream-unreachable');
});

test("a user the users service does not know is the app's own 404 problem, with the id", async () => {
  const w = await dashboardWorker({ users: { base_url: upstream.url }, todos: { base_url: upstream.url } });
  const problem = assertProblem(await call(`${w.url}/dashboard/11`), 404, 'no-such-user');
  assert.equal(problem.title, 'No such user');
  assert.equal(problem.user_id, 11, 'an extension member of the app');
  assert.match(problem.detail, /no user 11/);
});

test('an upstream the deployment lacks is a missing part; a bad id is a 422', async () => {
  const w = await dashboardWorker({ users: { base_url: upstream.url } });
  const res = await call(`${w.url}/dashboard/1`);
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.missing.map((m) => [m.part, m.error.type]), [['todos', 'urn:edge-relay:problem:unknown-upstream']]);
  for (const bad of ['0', 'abc', '1000000001']) {
    const problem = assertProblem(await call(`${w.url}/dashboard/${bad}`), 422, 'validation-failed');
    assert.deepEqual(problem.errors[0].loc, ['path', 'user_id'], bad);
  }
});
