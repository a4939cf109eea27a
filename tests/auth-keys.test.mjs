// The issuer's key set as one isolate holds it: rotation, the refetch limit for unknown kids,
// and an issuer outage. Each test has its own issuer and worker, so fetch counts are its own.
// Slow by design (it waits out key-set lifetimes and the 30 s refetch interval), so it lives
// in its own file and runs beside the others.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { upstreamFixture } from './support/fixture.mjs';
import { startWorker } from './support/worker.mjs';
import { call, assertProblem, eventually } from './support/http.mjs';
import { sleep } from './support/upstream.mjs';
import { bearer, claims, makeKey, sign, startIssuer } from './support/issuer.mjs';

const fixture = upstreamFixture();
const issuers = [];
after(() => Promise.all(issuers.map((i) => i.close())));

const ANY_JOB = '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60';
/** The key set's shortest lifetime (keys.rs MIN_TTL_MS), and the refetch interval. */
const MIN_TTL_MS = 5_000;
const REFETCH_INTERVAL_MS = 30_000;

async function setup(keys, maxAge = 300) {
  const issuer = await startIssuer(keys);
  issuer.state.maxAge = maxAge;
  issuers.push(issuer);
  await fixture.start();
  const w = fixture.track(await startWorker(issuer.vars));
  const status = async (key, sub = 'user-1') => {
    const res = await call(`${w.url}/jobs/${ANY_JOB}`, { headers: bearer(sign(key, claims(sub, { scope: 'jobs:read' }))) });
    // 503 not-configured (no D1 here) means the token was accepted.
    if (res.status === 503 && res.body.type.endsWith(':not-configured')) return 'accepted';
    return res;
  };
  return { issuer, w, status };
}

test('rotation: the new key is published first, both verify during the overlap, then the old one stops', async () => {
  const [old, next] = [makeKey('ES256', '2026-a'), makeKey('ES256', '2026-b')];
  const { issuer, status } = await setup([old], 0); // max-age=0: the shortest lifetime (5 s)
  assert.equal(await status(old), 'accepted');
  assert.equal(issuer.state.fetches, 1);

  issuer.state.keys = [old, next];
  await sleep(MIN_TTL_MS + 200);
  assert.equal(await status(next), 'accepted', 'the refreshed set has the new key');
  assert.equal(await status(old), 'accepted', 'the old key still verifies during the overlap');
  assert.equal(issuer.state.fetches, 2);

  issuer.state.keys = [next];
  await sleep(MIN_TTL_MS + 200);
  const res = await status(old);
  assert.equal(assertProblem(res, 401, 'invalid-token').detail, "the issuer has no ES256 key with kid '2026-a'");
  assert.equal(await status(next), 'accepted');
  assert.equal(issuer.state.fetches, 3);
});

test('a flood of unknown kids fetches the key set once; a new kid is fetched again after 30 s', async () => {
  const known = makeKey('EdDSA', 'known');
  const { issuer, status } = await setup([known]);
  const stranger = (i) => makeKey('EdDSA', `made-up-${i}`);
  // The first token with an unknown kid fetches (nothing is cached yet); then none do.
  const first = await status(stranger(0));
  assertProblem(first, 401, 'invalid-token');
  assert.equal(issuer.state.fetches, 1);
  const strangers = Array.from({ length: 20 }, (_, i) => stranger(i + 1));
  const flood = await Promise.all(strangers.map((key) => status(key)));
  for (const res of flood) assert.equal(res.status, 401, res.text);
  assert.equal(issuer.state.fetches, 1, 'no fetch per made-up kid');
  assert.equal(await status(known), 'accepted');

  // A key published now is unknown to the isolate until the interval has passed.
  const added = makeKey('EdDSA', 'added');
  issuer.state.keys = [known, added];
  assertProblem(await status(added), 401, 'invalid-token');
  assert.equal(issuer.state.fetches, 1);
  await sleep(REFETCH_INTERVAL_MS + 500);
  assert.equal(await status(added), 'accepted');
  assert.equal(issuer.state.fetches, 2);
});

test('issuer down: cached keys keep verifying, a token that needs a new key gets 503 (not 401)', async () => {
  const [cached, unseen] = [makeKey('RS256', 'cached'), makeKey('RS256', 'unseen')];
  const { issuer, w, status } = await setup([cached, unseen].slice(0, 1), 0);
  assert.equal(await status(cached), 'accepted');
  issuer.state.down = true;
  issuer.state.keys = [cached, unseen];
  await sleep(MIN_TTL_MS + 200);
  assert.equal(await status(cached), 'accepted', 'the refresh failed; the cached key still verifies');
  assert.equal(issuer.state.fetches, 2);
  const res = await status(unseen);
  assert.match(assertProblem(res, 503, 'keys-unavailable').detail, /cannot be fetched/);
  assert.equal(res.headers.get('retry-after'), '1');
  assert.equal(issuer.state.fetches, 2, 'an outage is not retried within the interval');
  const failure = (line) => line.startsWith('{') && JSON.parse(line).event === 'jwks_fetch_failed' && JSON.parse(line).error;
  assert.ok(await eventually(() => w.logs.some(failure)), w.logs.join('\n'));
  assert.equal(w.logs.map(failure).find(Boolean), 'the JWKS URL answered 503');

  // An isolate that never had the keys: 503 too, and the issuer is not asked again at once.
  const fresh = fixture.track(await startWorker(issuer.vars));
  const probe = () => call(`${fresh.url}/jobs/${ANY_JOB}`, { headers: bearer(sign(cached, claims('u', { scope: 'jobs:read' }))) });
  assertProblem(await probe(), 503, 'keys-unavailable');
  assertProblem(await probe(), 503, 'keys-unavailable');
  assert.equal(issuer.state.fetches, 3);
});
