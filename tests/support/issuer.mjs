// A local OpenID issuer for the auth tests: keys made with node:crypto (RSA, P-256, Ed25519),
// a JWKS endpoint on 127.0.0.1 whose contents, lifetime and health a test controls, and
// tokens signed with those keys.
import http from 'node:http';
import crypto from 'node:crypto';

export const ISSUER = 'https://issuer.edge-relay.test';
export const AUDIENCE = 'edge-relay';

const b64 = (data) => Buffer.from(typeof data === 'string' ? data : data).toString('base64url');

/**
 * A signing key: `alg` is RS256, ES256 or EdDSA; `bits` sizes an RSA key; `jwk` adds members
 * to the published JWK (e.g. `{ use: 'enc' }`).
 */
export function makeKey(alg, kid, { bits = 2048, jwk = {} } = {}) {
  const pair =
    alg === 'RS256'
      ? crypto.generateKeyPairSync('rsa', { modulusLength: bits })
      : alg === 'ES256'
        ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : crypto.generateKeyPairSync('ed25519');
  const published = { ...pair.publicKey.export({ format: 'jwk' }), ...(kid === undefined ? {} : { kid }), ...jwk };
  return { alg, kid, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk: published };
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a good token for `sub`, valid for 10 minutes; `extra` adds or overrides. */
export const claims = (sub, extra = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub, iat: now(), exp: now() + 600, ...extra });

/** A compact JWS of `payload` signed with `key`; `header` adds to or overrides its header
 * (`kid: undefined` leaves the kid out). */
export function sign(key, payload, header = {}) {
  const head = JSON.parse(JSON.stringify({ alg: key.alg, typ: 'JWT', kid: key.kid, ...header }));
  const input = `${b64(JSON.stringify(head))}.${b64(JSON.stringify(payload))}`;
  const data = Buffer.from(input);
  const signature =
    key.alg === 'RS256'
      ? crypto.sign('sha256', data, key.privateKey)
      : key.alg === 'ES256'
        ? crypto.sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })
        : crypto.sign(null, data, key.privateKey);
  return `${input}.${b64(signature)}`;
}

/** A token whose header names `alg` but is "signed" with an HMAC over `secret`. */
export function signHmac(secret, payload, header) {
  const input = `${b64(JSON.stringify({ alg: 'HS256', typ: 'JWT', ...header }))}.${b64(JSON.stringify(payload))}`;
  return `${input}.${b64(crypto.createHmac('sha256', secret).update(input).digest())}`;
}

export const bearer = (token) => ({ authorization: `Bearer ${token}` });

/**
 * Serves `{ keys }` at `/jwks`. `state.keys` (the published keys), `state.maxAge` (its
 * Cache-Control) and `state.down` (answer 503) may change at any time; `state.fetches`
 * counts requests, `state.headers` holds each one's headers. With `mint`, `GET /token?sub=…&scope=…&ttl=…` signs a token with the
 * first key (for `npm run dev`; tests sign their own).
 */
export async function startIssuer(keys = [], { port = 0, mint = false } = {}) {
  const state = { keys, maxAge: 300, down: false, fetches: 0, headers: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://issuer');
    if (mint && url.pathname === '/token') {
      const q = url.searchParams;
      const ttl = Number(q.get('ttl') ?? 3600);
      const payload = claims(q.get('sub') ?? 'dev-user', { scope: q.get('scope') ?? 'jobs:read jobs:write events:write', exp: now() + ttl });
      res.writeHead(200, { 'content-type': 'text/plain' }).end(sign(state.keys[0], payload));
      return;
    }
    state.fetches += 1;
    state.headers.push(req.headers);
    if (state.down || url.pathname !== '/jwks') {
      res.writeHead(state.down ? 503 : 404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': `public, max-age=${state.maxAge}` });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  const jwksUrl = `${url}/jwks`;
  return {
    state,
    url,
    jwksUrl,
    /** The vars that make a worker trust this issuer. */
    vars: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_JWKS_URL: jwksUrl },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
