// The worker's entry: the handlers of worker-build's glue as a plain module export.
//
// The glue exports a class (a `WorkerEntrypoint`) behind a `Proxy` that rebuilds an instance
// after the wasm instance has been reset; workerd constructs it, proxy and all, for every
// request. The class holds no state (its methods only pass `env` and `ctx` on), and the
// exported functions it calls already move to a fresh wasm instance after an abort, so an
// object export does the same work without the per-request construction
// (docs/benchmark.md, "Where the time goes"). scripts/build.sh bundles this file over the glue.
import Glue from './glue.js';

const entry = {};
for (const name of ['fetch', 'queue', 'scheduled']) {
  const handler = Glue.prototype[name];
  if (handler) entry[name] = (event, env, ctx) => handler.call({ env, ctx }, event);
}
export default entry;
