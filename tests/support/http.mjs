// Small HTTP helpers shared by the integration tests.
import assert from 'node:assert/strict';

/** What must never reach a client: stack frames, runtime and source paths. */
const INTERNALS = /\bat \S+ \(|cloudflare-internal|node:internal|wasm-function|\.rs:\d+|\.m?js:\d+|\/(work|home|root|tmp)\//;

/** Asserts a problem body carries no internals (every problem any test provokes passes here). */
export function assertNoInternals(text) {
  assert.doesNotMatch(text, INTERNALS, 'a problem body leaks internals');
}

/** Fetches and decodes a response: { status, headers, body, text, ms }. */
export async function call(url, init = {}) {
  const started = performance.now();
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await res.text();
  const ms = performance.now() - started;
  if (res.headers.get('content-type') === 'application/problem+json') assertNoInternals(text);
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text, ms };
}

/** Asserts an RFC 9457 problem response of the given status and type slug; returns its body. */
export function assertProblem(res, status, slug) {
  assert.equal(res.status, status, res.text);
  assert.equal(res.headers.get('content-type'), 'application/problem+json');
  assert.equal(res.body.status, status);
  assert.equal(res.body.type, `urn:edge-relay:problem:${slug}`);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  return res.body;
}

/** Polls `check` until it returns true or `ms` pass; resolves to its last result. */
export async function eventually(check, ms = 5000) {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) if (check()) return true;
  return check();
}
