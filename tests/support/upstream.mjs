// A real HTTP upstream on 127.0.0.1 for tests and for `npm run dev`: fixed JSON plus
// endpoints that misbehave on purpose (delay, status, bad JSON, slow body, dropped connection).
import http from 'node:http';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

export const DEMO_DOCUMENT = {
  id: 1,
  title: 'edge-relay demo upstream',
  tags: ['async', 'edge'],
  nested: { ok: true, ratio: 0.5 },
};

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * A compact JSON document of about `bytes` bytes, the same for the same `seed` (what `/seeded`
 * answers). Its numbers, escapes and key order are ones a parse-and-reserialise would change,
 * so a copy that is not the upstream's exact text shows.
 */
export function seededJson(seed, bytes) {
  let state = [...String(seed)].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0, 2166136261);
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0);
  const head = `{"seed":${JSON.stringify(String(seed))},"items":[`;
  const parts = [];
  for (let size = Buffer.byteLength(head) + 2, i = 0; size < bytes; i++) {
    const r = random();
    const part = `{"z":${i},"a":"w${r.toString(36)} caf\\u00e9 é \\/ \\"q\\"","f":${r % 100}.50,"e":${r % 9}E+3,"n":null,"t":true,"l":[-0,1e-7,${r}]}`;
    parts.push(part);
    size += Buffer.byteLength(part) + 1;
  }
  return `${head}${parts.join(',')}]}`;
}

/** What `/pretty` answers: indented JSON whose strings hold spaces and an escaped newline. */
export const PRETTY_TEXT = '{\n  "title": "two  spaces",\n  "lines": "a\\nb",\n  "list": [\n    1,\n    { "k": "v" }\n  ]\n}\n';

/** A fixed body for the content-encoding endpoints: compressible, and long enough to matter. */
export const ENCODED_TEXT = JSON.stringify({ items: Array.from({ length: 2000 }, (_, i) => ({ i, word: `item-${i}` })) });

/** Writes `total` bytes of a repeating pattern in `chunk`-byte writes, honouring backpressure;
 * `progress.sent` counts the bytes handed to the socket so far. */
async function writeLarge(res, total, chunk, afterFirst, progress = {}) {
  const block = Buffer.alloc(chunk);
  for (let i = 0; i < chunk; i++) block[i] = i % 251;
  for (let sent = 0; sent < total && !res.destroyed; sent += chunk) {
    const part = sent + chunk > total ? block.subarray(0, total - sent) : block;
    progress.sent = sent + part.length;
    if (!res.write(part)) {
      await new Promise((resolve) => {
        const go = () => {
          res.off('drain', go).off('close', go);
          resolve();
        };
        res.on('drain', go).on('close', go);
      });
    }
    if (sent === 0 && afterFirst) await afterFirst();
  }
  if (!res.destroyed) res.end();
}

/**
 * Starts the upstream; resolves to { url, requests, hits, deliveries, streams, release, close }.
 * `requests` records each request seen; `hits(path)` counts those to a path (query ignored);
 * `deliveries` holds the webhook POSTs received (`body` parsed, `raw` as sent); `streams`
 * each streamed answer with when its connection closed and whether it had finished; `uploads`
 * each body sent to `/sha256`; `release(key)` opens a `/large?gate=key`.
 */
export async function startUpstream({ port = 0, host = '127.0.0.1' } = {}) {
  const requests = [];
  const deliveries = [];
  const streams = [];
  const uploads = [];
  const gates = new Map();
  const gate = (key) => {
    if (!gates.has(key)) {
      let open;
      const opened = new Promise((resolve) => (open = resolve));
      gates.set(key, { opened, open });
    }
    return gates.get(key);
  };
  const counters = new Map();
  const next = (key) => {
    counters.set(key, (counters.get(key) ?? 0) + 1);
    return counters.get(key);
  };
  const sockets = new Set();
  const service = { delayMs: 0 };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://upstream');
    const ms = Math.min(Number(url.searchParams.get('ms') ?? 0) || 0, 60_000);
    const seen = { method: req.method, path: url.pathname, search: url.search, headers: req.headers };
    requests.push(seen);
    const status = url.pathname.match(/^\/status\/(\d{3})$/);
    if (url.pathname === '/json') return sendJson(res, 200, DEMO_DOCUMENT);
    // A users and a todos service, as a dashboard calls them: users 1 to 10 exist. Each answers
    // after `serviceDelayMs`, and records when it started and answered.
    const user = url.pathname.match(/^\/users\/(\d+)$/);
    if (user || url.pathname === '/todos') {
      seen.startedAt = Date.now();
      await sleep(service.delayMs);
      seen.answeredAt = Date.now();
    }
    if (user) {
      const id = Number(user[1]);
      if (id < 1 || id > 10) return sendJson(res, 404, { error: 'no such user' });
      return sendJson(res, 200, { id, name: `User ${id}`, email: `user${id}@example.com`, username: `user${id}` });
    }
    if (url.pathname === '/todos') {
      const userId = Number(url.searchParams.get('userId'));
      return sendJson(res, 200, [1, 2].map((n) => ({ userId, id: userId * 10 + n, title: `todo ${n} of user ${userId}`, completed: n === 1 })));
    }
    if (url.pathname === '/delay') {
      seen.startedAt = Date.now();
      await sleep(ms);
      seen.answeredAt = Date.now();
      return sendJson(res, 200, { delayed_ms: ms });
    }
    if (status) return sendJson(res, Number(status[1]), { error: `status ${status[1]} on purpose` });
    if (url.pathname === '/invalid-json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('<html>this is not JSON</html>');
    }
    if (url.pathname === '/slow-body') {
      // Headers and half the body now, the rest after `ms`.
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"slow": ');
      await sleep(ms);
      if (!res.destroyed) res.end('true}');
      return;
    }
    if (url.pathname === '/close') return req.socket.destroy();
    if (url.pathname === '/counter') {
      // A value that changes on every call, to tell a cached answer from a fresh one.
      return sendJson(res, 200, { count: next(`counter:${url.searchParams.get('key')}`) });
    }
    if (url.pathname === '/flaky') {
      // Fails `fail` times (with `status`, and `retry_after` if given), then succeeds.
      const n = next(`flaky:${url.searchParams.get('key')}`);
      if (n <= Number(url.searchParams.get('fail') ?? 1)) {
        const retryAfter = url.searchParams.get('retry_after');
        if (retryAfter) res.setHeader('retry-after', retryAfter);
        return sendJson(res, Number(url.searchParams.get('status') ?? 503), { attempt: n, ok: false });
      }
      return sendJson(res, 200, { attempt: n, ok: true });
    }
    if (url.pathname === '/webhook' && req.method === 'POST') {
      // Records each delivery (parsed, and its raw text for signature checks); answers after
      // `ms`, with `status` for the first `fail` of them (of those with the same `key`, if given).
      let body = '';
      for await (const chunk of req) body += chunk;
      const delivery = { body: JSON.parse(body), raw: body, search: url.search, headers: req.headers, receivedAt: Date.now(), answeredAt: null };
      deliveries.push(delivery);
      const key = url.searchParams.get('key');
      const nth = key === null ? undefined : next(`webhook:${key}`);
      await sleep(ms);
      delivery.answeredAt = Date.now();
      const failing = (nth ?? deliveries.length) <= Number(url.searchParams.get('fail') ?? 0);
      return sendJson(res, failing ? Number(url.searchParams.get('status') ?? 503) : 200, { received: true });
    }
    if (url.pathname === '/seeded') {
      const text = seededJson(url.searchParams.get('seed') ?? '', Math.min(Number(url.searchParams.get('bytes') ?? 0), 10_000_000));
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      return res.end(text);
    }
    if (url.pathname === '/pretty') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(PRETTY_TEXT) });
      return res.end(PRETTY_TEXT);
    }
    if (url.pathname === '/big') return sendJson(res, 200, { data: 'x'.repeat(Math.min(Number(url.searchParams.get('bytes') ?? 0), 10_000_000)) });
    if (url.pathname === '/chunked') {
      // A JSON string of `bytes` characters, sent without a length in 4 KiB writes,
      // `pause_ms` apart.
      const text = JSON.stringify({ data: 'y'.repeat(Math.min(Number(url.searchParams.get('bytes') ?? 0), 10_000_000)) });
      const pauseMs = Number(url.searchParams.get('pause_ms') ?? 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let at = 0; at < text.length && !res.destroyed; at += 4096) {
        res.write(text.slice(at, at + 4096));
        await sleep(pauseMs);
      }
      return res.end();
    }
    if (url.pathname === '/echo-headers') return sendJson(res, 200, { headers: req.headers, search: url.search });
    if (['/sse', '/large', '/stall', '/fail-midway'].includes(url.pathname)) {
      const record = { path: url.pathname, search: url.search, startedAt: Date.now(), closedAt: null, finished: false };
      streams.push(record);
      res.on('close', () => Object.assign(record, { closedAt: Date.now(), finished: res.writableFinished }));
    }
    if (url.pathname === '/sse') {
      // `events` events `interval_ms` apart, resuming after Last-Event-ID.
      const events = Math.min(Number(url.searchParams.get('events') ?? 8), 1000);
      const interval = Math.min(Number(url.searchParams.get('interval_ms') ?? 400), 10_000);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'max-age=3600' });
      for (let i = Number(req.headers['last-event-id'] ?? -1) + 1; i < events && !res.destroyed; i++) {
        res.write(`id: ${i}\nevent: tick\ndata: {"n": ${i}, "sent_at": ${Date.now()}}\n\n`);
        if (i < events - 1) await sleep(interval);
      }
      if (!res.destroyed) res.end();
      return;
    }
    if (url.pathname === '/chat' && req.method === 'POST') {
      // A stand-in for an LLM API's streaming chat completion: the reply's words as events.
      let body = '';
      for await (const chunk of req) body += chunk;
      let prompt = '';
      try {
        prompt = String(JSON.parse(body).prompt ?? '');
      } catch {
        return sendJson(res, 400, { error: 'expected {"prompt": "..."}' });
      }
      const words = `You said: ${prompt}`.split(/\s+/).filter(Boolean);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const word of words) {
        if (res.destroyed) return;
        res.write(`data: ${JSON.stringify({ token: word })}\n\n`);
        await sleep(Math.min(ms || 150, 2000));
      }
      if (!res.destroyed) res.end('data: [DONE]\n\n');
      return;
    }
    if (url.pathname === '/large') {
      // `mb` MiB (or `bytes`) of octets in `chunk_kb` writes; with `gate`, the rest waits after
      // the first chunk until the test opens the gate (30 s at most).
      const total = Math.min(Number(url.searchParams.get('bytes') ?? 0) || Number(url.searchParams.get('mb') ?? 1) * 1024 * 1024, 1024 ** 3);
      const chunk = Math.min(Number(url.searchParams.get('chunk_kb') ?? 64), 4096) * 1024;
      const key = url.searchParams.get('gate');
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': total });
      const wait = key ? () => Promise.race([gate(key).opened, sleep(30_000)]) : undefined;
      return writeLarge(res, total, chunk, wait, streams.at(-1));
    }
    if (url.pathname === '/stall') {
      // An event, then nothing for `ms`, then another.
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      await sleep(ms);
      if (!res.destroyed) res.end('data: second\n\n');
      return;
    }
    if (url.pathname === '/fail-midway') {
      // Part of a declared body, then the connection drops.
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.write('x'.repeat(100));
      await sleep(ms || 100);
      return req.socket.destroy();
    }
    if (url.pathname === '/encoded') {
      const encoding = url.searchParams.get('encoding') ?? 'gzip';
      const body = encoding === 'br' ? zlib.brotliCompressSync(ENCODED_TEXT) : zlib.gzipSync(ENCODED_TEXT);
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': encoding, 'content-length': body.length });
      return res.end(body);
    }
    if (url.pathname === '/hop-by-hop') {
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, X-Hop',
        'keep-alive': 'timeout=5',
        'x-hop': 'only for this connection',
        'x-end-to-end': 'kept',
        'set-cookie': 'upstream_session=1',
      });
      return res.end('hop');
    }
    if (url.pathname === '/sha256') {
      // Hashes whatever body arrives; the first `fail` requests per `key` answer 503 after reading it.
      // Each upload is recorded in `uploads`, whole or broken off.
      const hash = crypto.createHash('sha256');
      const upload = { key: url.searchParams.get('key'), bytes: 0, complete: false };
      uploads.push(upload);
      try {
        for await (const chunk of req) {
          hash.update(chunk);
          upload.bytes += chunk.length;
        }
      } catch {
        return req.socket.destroy();
      }
      upload.complete = true;
      const bytes = upload.bytes;
      const n = next(`sha256:${url.searchParams.get('key')}`);
      const digest = hash.digest('hex');
      const failing = n <= Number(url.searchParams.get('fail') ?? 0);
      return sendJson(res, failing ? 503 : 200, {
        method: req.method,
        sha256: digest,
        bytes,
        attempt: n,
        content_type: req.headers['content-type'] ?? null,
        content_length: req.headers['content-length'] ?? null,
        idempotency_key: req.headers['idempotency-key'] ?? null,
      });
    }
    if (url.pathname === '/versioned') {
      // A document with validators; answers 304 to a matching If-None-Match (counted by `hits`).
      const etag = `"v${url.searchParams.get('v') ?? 1}"`;
      const headers = { etag, 'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT', 'content-type': 'application/json' };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        return res.end();
      }
      const text = JSON.stringify({ version: etag, count: next(`versioned:${url.searchParams.get('key')}`) });
      res.writeHead(200, { ...headers, 'content-length': Buffer.byteLength(text) });
      return res.end(text);
    }
    if (url.pathname === '/text') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end('plain text body');
    }
    sendJson(res, 404, { error: 'no such demo endpoint' });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const { port: bound } = server.address();
  return {
    url: `http://${host}:${bound}`,
    requests,
    /** How long the users and todos services take to answer. */
    service,
    hits: (path) => requests.filter((r) => r.path === path).length,
    deliveries,
    streams,
    uploads,
    release: (key) => gate(key).open(),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  };
}
