// Identity: JWT access tokens from a local OpenID issuer (keys made here: RSA, P-256,
// Ed25519) beside static API keys; RFC 8725 rules, RFC 6750 errors, scopes, job ownership,
// and rate limits per subject. Real workerd, real JWKS server on 127.0.0.1.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { upstreamFixture } from './support/fixture.mjs';
import { startWorker } from './support/worker.mjs';
import { call, assertProblem } from './support/http.mjs';
import { auth, getJob, startJobsWorker, submitJob, API_KEY } from './support/jobs.mjs';
import { AUDIENCE, ISSUER, bearer, claims, makeKey, sign, signHmac, startIssuer } from './support/issuer.mjs';

const fixture = upstreamFixture();
const keys = {
  rsa: makeKey('RS256', 'rsa-1'),
  ec: makeKey('ES256', 'ec-1'),
  ed: makeKey('EdDSA', 'ed-1'),
  weak: makeKey('RS256', 'rsa-weak', { bits: 1024 }),
  enc: makeKey('RS256', 'rsa-enc', { jwk: { use: 'enc' } }),
};
let issuer;
before(async () => {
  issuer = await startIssuer(Object.values(keys));
});
after(() => issuer.close());

const ANY_JOB = '5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60';
const ALL = 'jobs:read jobs:write events:write';
const token = (key = keys.ed, extra = {}, header = {}) => sign(key, claims('user-1', { scope: ALL, ...extra }), header);

/** A worker with JWT auth and no jobs bindings: a request that passes the guard of
 * `GET /jobs/{id}` then gets 503 for the missing D1 binding. */
async function guardWorker(vars = {}, extra = {}) {
  await fixture.start();
  return fixture.track(await startWorker({ ...issuer.vars, API_KEYS: API_KEY, ...vars }, extra));
}

const probe = (w, headers) => call(`${w.url}/jobs/${ANY_JOB}`, { headers });
const passed = (res) => assert.match(assertProblem(res, 503, 'not-configured').detail, /JOBS_DB/, 'the guard let it through');

function invalidToken(res, description) {
  const problem = assertProblem(res, 401, 'invalid-token');
  assert.match(problem.detail, description);
  const challenge = res.headers.get('www-authenticate');
  assert.match(challenge, /^Bearer realm="edge-relay", error="invalid_token", error_description="[^"]+"$/);
  assert.ok(challenge.includes(problem.detail.replace(/[^ !#-[\]-~]/g, '?')), challenge);
}

test('each algorithm verifies with its own key; a token without kid needs exactly one fitting key', async () => {
  const w = await guardWorker();
  for (const key of [keys.rsa, keys.ec, keys.ed]) passed(await probe(w, bearer(token(key))));
  // One RSA key fits (the 1024-bit and the encryption key do not): no kid is fine.
  passed(await probe(w, bearer(token(keys.rsa, {}, { kid: undefined }))));
  passed(await probe(w, bearer(token(keys.rsa, { aud: ['other', AUDIENCE] }))));
  passed(await probe(w, bearer(token(keys.ed, { exp: Math.floor(Date.now() / 1000) - 30 }))), 'expired within the 60 s leeway');
  passed(await probe(w, auth()), 'an API key beside JWT auth');
});

test('RFC 6750: no credentials → 401 challenge, malformed header → 400, bad tokens → 401 invalid_token', async (t) => {
  const w = await guardWorker();
  for (const headers of [{}, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }]) {
    const res = await probe(w, headers);
    assertProblem(res, 401, 'unauthorized');
    assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="edge-relay"');
  }
  for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer "quoted"']) {
    const res = await probe(w, { authorization });
    assertProblem(res, 400, 'invalid-authorization');
    assert.match(res.headers.get('www-authenticate'), /^Bearer realm="edge-relay", error="invalid_request", error_description="/);
  }
  const now = Math.floor(Date.now() / 1000);
  const payload = claims('user-1', { scope: ALL });
  const pem = keys.rsa.publicKey.export({ type: 'spki', format: 'pem' });
  const [head, body] = token(keys.ed).split('.');
  const cases = [
    ['not a JWT', 'opaque-token', /not a valid key|not a JWT/],
    ['alg none', `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`, /'none' is not accepted/],
    ['HS256 with the RSA public key (PEM) as secret', signHmac(pem, payload, { kid: 'rsa-1' }), /'HS256' is not accepted/],
    ['HS256 with the RSA modulus as secret', signHmac(keys.rsa.jwk.n, payload, { kid: 'rsa-1' }), /'HS256' is not accepted/],
    ['alg of another key type', sign(keys.rsa, payload, { alg: 'ES256' }), /ES256 signature must be 64 bytes/],
    ['kid of a key of another type', sign(keys.ed, payload, { alg: 'EdDSA', kid: 'rsa-1' }), /no EdDSA key with kid 'rsa-1'/],
    ['RSA key under 2048 bits', sign(keys.weak, payload), /no RS256 key with kid 'rsa-weak'/],
    ['key published for encryption', sign(keys.enc, payload), /no RS256 key with kid 'rsa-enc'/],
    ['tampered payload', `${head}.${Buffer.from(JSON.stringify({ ...payload, sub: 'admin' })).toString('base64url')}.${token(keys.ed).split('.')[2]}`, /signature does not verify/],
    ['signed by a stranger under a known kid', sign(makeKey('EdDSA', 'ed-1'), payload), /signature does not verify/],
    ['expired', token(keys.ed, { exp: now - 120 }), /expired/],
    ['no exp', sign(keys.ed, { ...payload, exp: undefined }), /no expiry/],
    ['not yet valid', token(keys.ed, { nbf: now + 300 }), /'nbf'/],
    ['issued in the future', token(keys.ed, { iat: now + 300 }), /'iat'/],
    ['wrong issuer', token(keys.ed, { iss: `${ISSUER}/other` }), /'iss'/],
    ['wrong audience', token(keys.ed, { aud: 'someone-else' }), /'aud'/],
    ['no subject', token(keys.ed, { sub: undefined }), /'sub'/],
    ['critical extension', token(keys.ed, {}, { crit: ['b64'], b64: false }), /'crit'/],
    ['a made-up kid', token(keys.ed, {}, { kid: 'nobody' }), /no EdDSA key with kid 'nobody'/],
  ];
  for (const [name, bad, description] of cases) {
    await t.test(name, async () => invalidToken(await probe(w, bearer(bad)), description));
  }
});

test('several keys fit a token without kid: refused, not guessed', async () => {
  const second = makeKey('ES256', 'ec-2');
  issuer.state.keys.push(second);
  try {
    const w = await guardWorker();
    invalidToken(await probe(w, bearer(token(keys.ec, {}, { kid: undefined }))), /several of the issuer's keys/);
    passed(await probe(w, bearer(token(second))));
  } finally {
    issuer.state.keys.pop();
  }
});

test('scopes: a missing one is 403 insufficient_scope naming it; scp arrays count; API keys hold all', async () => {
  const w = await guardWorker();
  const res = await probe(w, bearer(token(keys.ed, { scope: 'jobs:write' })));
  const problem = assertProblem(res, 403, 'insufficient-scope');
  assert.match(problem.detail, /jobs:read/);
  assert.equal(
    res.headers.get('www-authenticate'),
    `Bearer realm="edge-relay", error="insufficient_scope", error_description="this operation requires the scope 'jobs:read'", scope="jobs:read"`,
  );
  passed(await probe(w, bearer(token(keys.ed, { scope: undefined, scp: ['jobs:read'] }))));
  assertProblem(await probe(w, bearer(token(keys.ed, { scope: 'jobs:readx jobs' }))), 403, 'insufficient-scope');

  const submit = await call(`${w.url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'k', ...bearer(token(keys.ed, { scope: 'jobs:read' })) },
    body: '{"requests":[]}',
  });
  assert.match(assertProblem(submit, 403, 'insufficient-scope').detail, /jobs:write/);
});

test('/events takes events:write when JWT auth is on (and stays open without it)', async () => {
  await fixture.start();
  const UPSTREAMS = JSON.stringify({ hook: { base_url: `${fixture.upstream.url}/webhook` } });
  const w = await guardWorker({ UPSTREAMS, EVENTS_WEBHOOK: 'hook' });
  const post = (headers) =>
    call(`${w.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"type":"t","payload":{}}' });
  assertProblem(await post({}), 401, 'unauthorized');
  assertProblem(await post(bearer(token(keys.ed, { scope: 'jobs:write' }))), 403, 'insufficient-scope');
  assert.equal((await post(bearer(token(keys.ed, { scope: 'events:write' })))).status, 202);
  assert.equal((await post(auth())).status, 202);

  const open = fixture.track(await startWorker({ UPSTREAMS, EVENTS_WEBHOOK: 'hook', API_KEYS: API_KEY }));
  assert.equal((await call(`${open.url}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"type":"t","payload":{}}' })).status, 202);
});

test('jobs belong to their caller: others get 404, idempotency keys are per owner, API keys beside JWTs', async () => {
  await fixture.start();
  const UPSTREAMS = JSON.stringify({ demo: { base_url: fixture.upstream.url, timeout_ms: 3000 } });
  const w = fixture.track(await startJobsWorker({ UPSTREAMS, ...issuer.vars }));
  const alice = bearer(sign(keys.rsa, claims('alice', { scope: 'jobs:read jobs:write' })));
  const bob = bearer(sign(keys.ec, claims('bob', { scp: ['jobs:read', 'jobs:write'] })));
  const body = { requests: [{ id: 'a', upstream: 'demo', path: '/json' }] };
  const key = `shared-${crypto.randomUUID()}`;

  const byAlice = await submitJob(w.url, body, { key, headers: alice });
  const byBob = await submitJob(w.url, body, { key, headers: bob });
  const byKey = await submitJob(w.url, body, { key, headers: auth() });
  for (const res of [byAlice, byBob, byKey]) assert.equal(res.status, 202, res.text);
  const ids = [byAlice.body.id, byBob.body.id, byKey.body.id];
  assert.equal(new Set(ids).size, 3, 'one Idempotency-Key, three owners, three jobs');
  assert.equal((await submitJob(w.url, body, { key, headers: alice })).body.id, byAlice.body.id, 'a replay by the owner is the same job');

  const owners = [alice, bob, auth(), auth('other-key')];
  for (const [i, id] of ids.entries()) {
    for (const [j, headers] of owners.entries()) {
      const res = await getJob(w.url, id, '', headers);
      if (i === j) assert.equal(res.status, 200, res.text);
      else assert.equal(assertProblem(res, 404, 'job-not-found').detail, `no job has id '${id}'`);
    }
  }
  // Another subject of the same issuer is another owner, whatever the key it signs with.
  const alsoAlice = bearer(sign(keys.ed, claims('alice', { scope: 'jobs:read' })));
  assert.equal((await getJob(w.url, byAlice.body.id, '', alsoAlice)).status, 200);
});

test('rate limits count per subject: one caller over its limit does not limit another', async () => {
  const w = await guardWorker(
    { RATE_LIMIT_PERIOD_S: '60' },
    { ratelimits: { RATE_LIMITER: { namespace_id: '1001', simple: { limit: 3, period: 60 } } } },
  );
  const carol = bearer(token(keys.ed, { sub: 'carol' }));
  const dave = bearer(token(keys.ed, { sub: 'dave' }));
  for (let i = 0; i < 3; i++) passed(await probe(w, carol));
  assertProblem(await probe(w, carol), 429, 'rate-limited');
  passed(await probe(w, dave));
  passed(await probe(w, auth()));
});
