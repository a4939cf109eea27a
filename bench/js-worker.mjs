// The plain JavaScript worker: the same routes and behaviour as edge-relay's, written the way
// a careful JS developer would, on the same workerd. "Same behaviour" includes what every
// edge-relay response carries: an `X-Request-Id` (the client's, if valid, else a random UUID),
// `Server-Timing` (total, and upstream time when there were calls), problem bodies with the
// request id as `instance`, and one JSON access-log line per request on the console. It reads
// upstream bodies with edge-relay's own capped reader (crates/edge-relay/src/upstream/exchange.mjs).
import { readCapped, TOO_LARGE } from '../crates/edge-relay/src/upstream/exchange.mjs';

const REQUEST_ID = /^[A-Za-z0-9\-_.:]{1,128}$/;

const json = (body, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** Per-request state: id, start time, upstream calls. */
class Call {
  constructor(request) {
    const given = request.headers.get('x-request-id');
    this.requestId = given && REQUEST_ID.test(given) ? given : crypto.randomUUID();
    this.started = Date.now();
    this.upstream = [];
    this.error = undefined;
  }

  /** The request's own problem response (logged as its error). */
  problem(status, slug, detail) {
    this.error = slug;
    return problemResponse(status, slug, detail, this.requestId);
  }
}

const problemResponse = (status, slug, detail, instance) =>
  new Response(JSON.stringify({ type: `urn:edge-relay:problem:${slug}`, status, detail, instance }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });

/** As edge-relay's MAX_UPSTREAM_BODY_BYTES: a body needed whole is read up to a cap. */
const MAX_UPSTREAM_BODY_BYTES = 8 * 1024 * 1024;

async function getJson(call, url, timeoutMs) {
  const signal = AbortSignal.timeout(timeoutMs);
  const started = Date.now();
  const record = (outcome, status) => call.upstream.push({ name: 'bench', duration_ms: Date.now() - started, outcome, status });
  const failed = (status, slug, detail, upstreamStatus) => {
    record(slug, upstreamStatus);
    return { error: problemResponse(status, slug, detail, call.requestId), slug, status: upstreamStatus };
  };
  try {
    const res = await fetch(url, { headers: { accept: 'application/json', 'x-request-id': call.requestId }, signal });
    let text;
    try {
      text = new TextDecoder().decode(await readCapped(res, MAX_UPSTREAM_BODY_BYTES));
    } catch (e) {
      if (e !== TOO_LARGE) throw e;
      return failed(502, 'upstream-too-large', `upstream body is larger than ${MAX_UPSTREAM_BODY_BYTES} bytes`, res.status);
    }
    if (!res.ok) return failed(502, 'upstream-bad-status', `upstream answered with status ${res.status}`, res.status);
    try {
      JSON.parse(text);
    } catch (e) {
      return failed(502, 'upstream-invalid-json', String(e), res.status);
    }
    record('ok', res.status);
    return { status: res.status, text };
  } catch (e) {
    return signal.aborted
      ? failed(504, 'upstream-timeout', `no answer within ${timeoutMs} ms`)
      : failed(502, 'upstream-unreachable', String(e));
  }
}

/** Headers that describe one connection, or are ours to set: never relayed. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'set-cookie', 'x-request-id', 'server-timing']);
const FORWARD = ['accept', 'accept-language', 'if-none-match', 'if-modified-since', 'range', 'last-event-id'];

/** GET /upstreams/bench/…: the relay, streaming the body through untouched (as edge-relay does). */
async function relay(request, env, call, url, timeoutMs) {
  if (request.method !== 'GET' && request.method !== 'HEAD') return call.problem(405, 'method-not-allowed', `method ${request.method} is not allowed here`);
  const headers = new Headers({ 'x-request-id': call.requestId });
  for (const name of FORWARD) if (request.headers.has(name)) headers.set(name, request.headers.get(name));
  const control = new AbortController();
  const timer = setTimeout(() => control.abort(), timeoutMs);
  request.signal?.addEventListener('abort', () => control.abort());
  const started = Date.now();
  let res;
  try {
    res = await fetch(env.UPSTREAM_BASE + url.pathname.slice('/upstreams/bench'.length) + url.search, { method: request.method, headers, signal: control.signal });
  } catch (e) {
    call.upstream.push({ name: 'bench', duration_ms: Date.now() - started, outcome: 'upstream-unreachable' });
    return control.signal.aborted ? call.problem(504, 'upstream-timeout', 'no headers in time') : call.problem(502, 'upstream-unreachable', String(e));
  } finally {
    clearTimeout(timer);
  }
  call.upstream.push({ name: 'bench', duration_ms: Date.now() - started, outcome: 'ok', status: res.status });
  if (res.status >= 500) {
    res.body?.cancel();
    return call.problem(502, 'upstream-bad-status', `upstream answered with status ${res.status}`);
  }
  const out = new Headers();
  const connection = (res.headers.get('connection') ?? '').toLowerCase().split(',').map((t) => t.trim());
  const decoded = ['gzip', 'x-gzip', 'br'].includes((res.headers.get('content-encoding') ?? '').toLowerCase());
  for (const [name, value] of res.headers) {
    if (HOP_BY_HOP.has(name) || connection.includes(name) || name.startsWith('access-control-')) continue;
    if (decoded && (name === 'content-encoding' || name === 'content-length')) continue;
    out.append(name, value);
  }
  if (!res.body) return new Response(null, { status: res.status, headers: out });
  // The body goes through the runtime's own pipe; the access line is written when it ends.
  const length = out.get('content-length');
  const { readable, writable } = length === null ? new IdentityTransformStream() : new FixedLengthStream(Number(length));
  call.streamed = res.body.pipeTo(writable).then(() => 'complete', () => (request.signal?.aborted ? 'client-closed' : 'upstream-failed'));
  return new Response(readable, { status: res.status, headers: out });
}

/** Runs `tasks` with at most `limit` in flight, keeping their order. */
async function withLimit(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

export default {
  async fetch(request, env) {
    const call = new Call(request);
    const url = new URL(request.url);
    const response = await route(request, env, call, url);
    const total = Date.now() - call.started;
    let timing = `total;dur=${total}`;
    if (call.upstream.length) {
      const upstream = call.upstream.reduce((sum, c) => sum + c.duration_ms, 0);
      timing = `upstream;dur=${upstream};desc="${call.upstream.length} call(s)", ${timing}`;
    }
    response.headers.set('x-request-id', call.requestId);
    response.headers.set('server-timing', timing);
    const line = { event: 'request', request_id: call.requestId, method: request.method, path: url.pathname, status: response.status, duration_ms: total, upstream: call.upstream };
    if (call.error) line.error = call.error;
    if (call.streamed) {
      call.streamed.then((outcome) => console.log(JSON.stringify({ ...line, stream: { outcome, duration_ms: Date.now() - call.started } })));
    } else {
      console.log(JSON.stringify(line));
    }
    return response;
  },
};

async function route(request, env, call, url) {
  const problem = (status, slug, detail) => call.problem(status, slug, detail);
  const timeoutMs = Number(env.UPSTREAM_TIMEOUT_MS ?? 5000);
  if (url.pathname === '/healthz') return json({ status: 'ok' });
  if (url.pathname === '/async-example' && request.method === 'GET') {
    const raw = url.searchParams.get('delay_ms') ?? '0';
    const delay = Number(raw);
    if (!/^\d+$/.test(raw) || delay > 10000) return problem(422, 'validation-failed', 'delay_ms must be 0..=10000');
    await new Promise((resolve) => setTimeout(resolve, delay));
    return json({ message: 'Async operation completed' });
  }
  if (url.pathname.startsWith('/upstreams/bench/')) return relay(request, env, call, url, timeoutMs);
  if (url.pathname === '/external-api' && request.method === 'GET') {
    const out = await getJson(call, env.UPSTREAM_URL, timeoutMs);
    if (out.error) call.error = out.slug;
    return out.error ?? new Response(out.text, { headers: { 'content-type': 'application/json' } });
  }
  if (url.pathname === '/aggregate' && request.method === 'POST') {
    let body;
    try {
      body = await request.json();
    } catch {
      return problem(422, 'validation-failed', 'malformed JSON');
    }
    const items = body?.requests;
    if (!Array.isArray(items) || items.length < 1 || items.length > 50) return problem(422, 'validation-failed', '1..=50 requests');
    const started = Date.now();
    const results = await withLimit(
      items.map((item) => async () => {
        const t = Date.now();
        const out = await getJson(call, env.UPSTREAM_BASE + item.path, timeoutMs);
        const duration_ms = Date.now() - t;
        return out.error
          ? { id: item.id, error: await out.error.json(), duration_ms }
          : { id: item.id, status: out.status, body: JSON.parse(out.text), duration_ms };
      }),
      6,
    );
    return json({ duration_ms: Date.now() - started, results });
  }
  return problem(404, 'not-found', `no route matches path '${url.pathname}'`);
}
