// A real HTTP upstream on 127.0.0.1 for tests and for `npm run dev`: fixed JSON plus
// endpoints that misbehave on purpose (delay, status, bad JSON, slow body, dropped connection).
import http from 'node:http';

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
 * Starts the upstream; resolves to { url, requests, hits, deliveries, close }. `requests`
 * records each request seen; `hits(path)` counts those to a path (query ignored);
 * `deliveries` holds the webhook POSTs received.
 */
export async function startUpstream({ port = 0, host = '127.0.0.1' } = {}) {
  const requests = [];
  const deliveries = [];
  const counters = new Map();
  const next = (key) => {
    counters.set(key, (counters.get(key) ?? 0) + 1);
    return counters.get(key);
  };
  const sockets = new Set();
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://upstream');
    const ms = Math.min(Number(url.searchParams.get('ms') ?? 0) || 0, 60_000);
    requests.push({ method: req.method, path: url.pathname, search: url.search, headers: req.headers });
    const status = url.pathname.match(/^\/status\/(\d{3})$/);
    if (url.pathname === '/json') return sendJson(res, 200, DEMO_DOCUMENT);
    if (url.pathname === '/delay') {
      await sleep(ms);
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
      // Records each delivery; answers after `ms`, with `status` for the first `fail` of them.
      let body = '';
      for await (const chunk of req) body += chunk;
      const delivery = { body: JSON.parse(body), headers: req.headers, receivedAt: Date.now(), answeredAt: null };
      deliveries.push(delivery);
      await sleep(ms);
      delivery.answeredAt = Date.now();
      const failing = deliveries.length <= Number(url.searchParams.get('fail') ?? 0);
      return sendJson(res, failing ? Number(url.searchParams.get('status') ?? 503) : 200, { received: true });
    }
    if (url.pathname === '/big') return sendJson(res, 200, { data: 'x'.repeat(Math.min(Number(url.searchParams.get('bytes') ?? 0), 10_000_000)) });
    if (url.pathname === '/echo-headers') return sendJson(res, 200, { headers: req.headers, search: url.search });
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
    hits: (path) => requests.filter((r) => r.path === path).length,
    deliveries,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  };
}
