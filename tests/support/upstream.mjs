// A real HTTP upstream on 127.0.0.1 for tests and for `npm run dev`: fixed JSON plus
// endpoints that misbehave on purpose (delay, status, bad JSON, slow body, dropped connection).
import http from 'node:http';

export const DEMO_DOCUMENT = {
  id: 1,
  title: 'edge-relay demo upstream',
  tags: ['async', 'edge'],
  nested: { ok: true, ratio: 0.5 },
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Starts the upstream; resolves to { url, requests, close }. `requests` records each request seen. */
export async function startUpstream({ port = 0, host = '127.0.0.1' } = {}) {
  const requests = [];
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
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(resolve);
      }),
  };
}
