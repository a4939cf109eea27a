//! The runtime side of `span.mjs`: whether the runtime records this invocation's spans (asked
//! once per request, see `RequestContext::tracing`), and the span of a call that sent nothing.

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

#[wasm_bindgen(module = "/src/trace/span.mjs")]
extern "C" {
    /// The runtime's `tracing` where it records the invocation's spans, else null.
    pub(crate) fn tracing_of(ctx: &JsValue) -> JsValue;
    /// A span opened and ended at once: `upstream\nmethod\nbreaker\ncache\noutcome\ncoalesced`.
    pub(crate) fn record_call_span(tracing: &JsValue, facts: &str);
}
