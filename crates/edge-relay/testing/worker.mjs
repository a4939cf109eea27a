// Testing an edge-relay app as it runs: its built worker (worker-build's index.js and wasm)
// inside the real workerd runtime (through Miniflare, which wrangler uses too), on a 127.0.0.1
// port, so a test speaks plain HTTP to it, like Hono's `app.request()` or FastAPI's TestClient
// but against the wasm that ships.
//
//   const app = await startWorker({ build: 'build', vars: { GREETING: 'Hello' } });
//   const res = await app.request('/hello?name=Ada');   // a fetch Response
//   await app.dispose();
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, Log, LogLevel, convertV4MiniflareOptions } from 'miniflare';

/** The streaming tail worker `spans: true` attaches. */
const SPAN_TAIL = path.join(path.dirname(fileURLToPath(import.meta.url)), 'span-tail.mjs');

/**
 * Starts the worker in `build` (a directory: index.js, index_bg.wasm) with `vars` as its vars
 * and secrets, `assets` (a directory) as its static assets, and any further Miniflare v4
 * options in `options` (D1 databases, queues…); resolves to { url, request, logs, spans, mf,
 * dispose }. `logs` collects what the worker writes to the console, one entry per call. With
 * `spans: true` a streaming tail worker is attached, so workerd traces the worker locally and
 * `spans()` resolves to the spans it reported (see `span-tail.mjs`).
 */
export async function startWorker({ build, vars = {}, assets, name = 'worker', compatibilityDate = '2026-11-01', spans = false, options = {} }) {
  const logs = [];
  const worker = {
    name,
    modulesRoot: build,
    modules: [
      { type: 'ESModule', path: path.join(build, 'index.js') },
      { type: 'CompiledWasm', path: path.join(build, 'index_bg.wasm') },
    ],
    compatibilityDate,
    // request.signal aborts when the client hangs up: a relay then cancels its upstream call.
    compatibilityFlags: ['enable_request_signal'],
    bindings: vars,
    ...(assets ? { assets: { directory: assets, routerConfig: { has_user_worker: true } } } : {}),
    ...(spans ? { streamingTails: ['spans'] } : {}),
    ...options,
  };
  const shared = {
    host: '127.0.0.1',
    port: 0,
    cf: false, // a placeholder `request.cf`: fetching the real one needs the internet
    log: new Log(LogLevel.WARN),
    handleStructuredLogs: ({ message }) => logs.push(message),
  };
  const tail = { name: 'spans', modules: true, scriptPath: SPAN_TAIL, compatibilityDate };
  // Miniflare 5 (the one wrangler ships) still takes the stable v4 option shape through this.
  const mf = new Miniflare(convertV4MiniflareOptions(spans ? { ...shared, workers: [worker, tail] } : { ...shared, ...worker }));
  const url = (await mf.ready).origin;
  return {
    url,
    /** A request to the worker: `path` with its query, and fetch's `init`. */
    request: (route, init) => fetch(`${url}${route}`, init),
    logs,
    spans: async () => (await (await mf.getWorker('spans')).fetch('http://spans/')).json(),
    mf,
    dispose: () => mf.dispose(),
  };
}
