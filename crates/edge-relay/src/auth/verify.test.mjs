// src/auth/verify.mjs: keys and signatures made by Node's own crypto (an independent
// implementation), verified by the module through WebCrypto; the key set read from a real
// server on 127.0.0.1 with its cap and deadline.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import crypto from 'node:crypto';
import { fetch_jwks, import_keys, verify_signature, key_digest } from './verify.mjs';
import { attemptFacts, recordingTracing } from '../../testing/tracing.mjs';

test('an API key digest is its SHA-256 in hex', async () => {
  assert.equal(await key_digest('beta-key'), crypto.createHash('sha256').update('beta-key').digest('hex'));
});

const KEYS = {
  RS256: [crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }), (data, key) => crypto.sign('sha256', data, key)],
  ES256: [
    crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }),
    (data, key) => crypto.sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
  ],
  EdDSA: [crypto.generateKeyPairSync('ed25519'), (data, key) => crypto.sign(null, data, key)],
};

test('each algorithm\'s key imports and verifies its own signatures only', async () => {
  for (const [alg, [pair, sign]] of Object.entries(KEYS)) {
    const [key] = await import_keys([JSON.stringify(pair.publicKey.export({ format: 'jwk' }))], [alg]);
    assert.equal(typeof key, 'object', `${alg}: ${key}`);
    const signature = new Uint8Array(sign(Buffer.from('header.payload'), pair.privateKey));
    assert.equal(await verify_signature(key, alg, signature, 'header.payload'), true, alg);
    assert.equal(await verify_signature(key, alg, signature, 'header.other'), false, alg);
  }
});

test('a key that cannot be imported comes back as the reason; private members are left out', async () => {
  const [refused] = await import_keys([JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB' })], ['ES256']);
  assert.equal(typeof refused, 'string');
  const [pair] = KEYS.EdDSA;
  const [key] = await import_keys([JSON.stringify(pair.privateKey.export({ format: 'jwk' }))], ['EdDSA']);
  assert.equal(key.type, 'public', 'a published private key is imported as its public half');
});

let server;
let base;
let traceparent;
before(async () => {
  server = http.createServer((req, res) => {
    traceparent = req.headers.traceparent;
    if (req.url === '/slow') return setTimeout(() => res.end('{}'), 2000);
    if (req.url === '/down') return res.writeHead(503).end('down');
    if (req.url === '/big') return res.writeHead(200).end('x'.repeat(2000));
    res.writeHead(200, { 'cache-control': 'max-age=60', 'content-type': 'application/json' }).end('{"keys":[]}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
});
after(() => server.closeAllConnections() || server.close());

test('the key set comes back with its Cache-Control; failures say why', async () => {
  const { tracing, spans } = recordingTracing();
  const facts = attemptFacts({ upstream: 'jwks' });
  assert.deepEqual(await fetch_jwks(`${base}/jwks`, 2000, 1024, tracing, facts), ['max-age=60', '{"keys":[]}']);
  assert.equal(traceparent, '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', 'the fetch joins the request\'s trace');
  await assert.rejects(fetch_jwks(`${base}/down`, 2000, 1024, tracing, facts), /answered 503/);
  await assert.rejects(fetch_jwks(`${base}/big`, 2000, 1024, tracing, facts), /larger than 1024 bytes/);
  await assert.rejects(fetch_jwks(`${base}/slow`, 100, 1024, tracing, facts), /no answer within 100 ms/);
  assert.deepEqual(spans.map((s) => [s.name, s.ended, s.attributes['http.response.status_code'], s.attributes['error.type']]), [
    ['upstream jwks', true, 200, undefined],
    ['upstream jwks', true, 503, 'unreachable'],
    ['upstream jwks', true, 200, 'unreachable'],
    ['upstream jwks', true, undefined, 'timeout'],
  ]);
  assert.equal(spans[0].attributes['http.response.body.size'], 11);
});
