// The repository's app in workerd, through the library's own test harness
// (crates/edge-relay/testing/worker.mjs), with this app's builds and static assets.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWorker as start } from '../../crates/edge-relay/testing/worker.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The production build (what `wrangler deploy` ships), and the tests' one with the diagnostic routes. */
export const BUILD = path.join(ROOT, 'build');
export const DIAGNOSTICS_BUILD = path.join(ROOT, 'build-diagnostics');

/**
 * Starts the app with the given vars (and any further Miniflare v4 options, e.g. bindings);
 * resolves to { url, request, logs, spans, mf, dispose }. `diagnostics: true` runs the build
 * with the `diagnostics` feature (`/_test/…` routes, the consumer's panic hook), which
 * `ENABLE_TEST_ROUTES: 'true'` then switches on; `spans: true` attaches a streaming tail
 * worker, so workerd traces the worker and `spans()` lists what it reported.
 */
export function startWorker(vars = {}, { diagnostics = false, spans = false, ...options } = {}) {
  return start({
    name: 'edge-relay',
    build: diagnostics ? DIAGNOSTICS_BUILD : BUILD,
    vars,
    spans,
    // Swagger UI's files for /docs, as wrangler.toml's [assets] serves them.
    assets: path.join(ROOT, 'public'),
    options,
  });
}
