// What the library's entry (crates/edge-relay/src/entry.mjs) imports as './glue.js': a class whose
// prototype holds the wasm's handlers, each called with `this` = { env, ctx }, as in the module
// shim worker-build writes for panic=unwind builds. scripts/build.mjs puts this file beside
// wasm-bindgen's output (index.js: its exports move to a fresh instance after an abort).
import * as wasm from './index.js';

// As in worker-build's shim: an error's stack in a log line has up to 100 frames, not 10.
Error.stackTraceLimit = 100;

export default class Glue {}
for (const name of ['fetch', 'queue', 'scheduled']) {
  const handler = wasm[name];
  if (handler) {
    Glue.prototype[name] = function (event) {
      return handler(event, this.env, this.ctx);
    };
  }
}
