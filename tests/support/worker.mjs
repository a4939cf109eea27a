// Runs the built worker (build/index.js + wasm) inside the real workerd runtime via Miniflare,
// listening on a real 127.0.0.1 port so tests speak plain HTTP to it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare, Log, LogLevel, convertV4MiniflareOptions } from 'miniflare';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The production build (what `wrangler deploy` ships), and the tests' one with the diagnostic routes. */
export const BUILD = path.join(ROOT, 'build');
export const DIAGNOSTICS_BUILD = path.join(ROOT, 'build-diagnostics');

/**
 * Starts the worker with the given vars (and any further Miniflare v4 options, e.g. bindings);
 * resolves to { url, logs, mf, dispose }. `logs` collects what the worker writes to the console.
 * `diagnostics: true` runs the build with the `diagnostics` feature (`/_test/…` routes, the
 * consumer's panic hook), which `ENABLE_TEST_ROUTES: 'true'` then switches on.
 */
export async function startWorker(vars = {}, { diagnostics = false, ...extra } = {}) {
  const logs = [];
  const build = diagnostics ? DIAGNOSTICS_BUILD : BUILD;
  // Miniflare 5 (the one wrangler ships) still takes the stable v4 option shape through this.
  const options = convertV4MiniflareOptions({
    name: 'edge-relay',
    modulesRoot: build,
    modules: [
      { type: 'ESModule', path: path.join(build, 'index.js') },
      { type: 'CompiledWasm', path: path.join(build, 'index_bg.wasm') },
    ],
    compatibilityDate: '2026-11-01',
    compatibilityFlags: ['enable_request_signal'],
    bindings: vars,
    // Swagger UI's files for /docs, as wrangler.toml's [assets] serves them.
    assets: { directory: path.join(ROOT, 'public'), routerConfig: { has_user_worker: true } },
    host: '127.0.0.1',
    port: 0,
    cf: false, // a placeholder `request.cf`: fetching the real one needs the internet
    log: new Log(LogLevel.WARN),
    // What the worker writes to the console, one entry per call.
    handleStructuredLogs: ({ message }) => logs.push(message),
    ...extra,
  });
  const mf = new Miniflare(options);
  const url = await mf.ready;
  return { url: url.origin, logs, mf, dispose: () => mf.dispose() };
}
