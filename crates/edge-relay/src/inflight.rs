//! The requests this isolate is serving: how many (for load shedding), and the one place a
//! request's future becomes the runtime's response promise (polled by `executor`).
//!
//! A panic is caught around its own request (`panics::catch`) and answered with a 500 problem;
//! nothing else notices. An abort (a wasm trap: out of memory, stack overflow,
//! `std::process::abort`) cannot be caught in Rust and poisons the instance, so each response
//! promise is settled from a small JS registry: when the instance aborts, the request that
//! was running gets a 500 problem built in JS, the others in flight are rejected at once
//! (Workers forbid building one request's response from another's handler; the runtime
//! answers a rejection with a plain 500), and the next request runs on a fresh instance. (An
//! abort during a request's first poll, which runs inside the runtime's `fetch` call, reaches
//! the runtime, which answers that request 500 itself.)

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use js_sys::Promise;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::web_sys;

use crate::context::RequestContext;
use crate::error::ApiError;
use crate::executor;
use crate::middleware::access_log;
use crate::panics;
use crate::response::problem_response;

thread_local! {
    static COUNT: Cell<u32> = const { Cell::new(0) };
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
    /// The request whose future is being polled, for the abort handler.
    static CURRENT: Cell<u32> = const { Cell::new(0) };
    static ABORT_HANDLER_SET: Cell<bool> = const { Cell::new(false) };
}

#[wasm_bindgen(module = "/src/inflight.mjs")]
extern "C" {
    /// The response promise the runtime gets for request `id`, settled by `settle` (or, if the
    /// instance aborts first, by `abandon_all`, whose problem names the request and its trace).
    fn begin(id: u32, request_id: &str, trace_id: &str) -> Promise;
    fn settle(id: u32, response: &web_sys::Response);
    /// Hands JS the problem (without `instance`) that `abandon_all` answers with.
    fn prepare_abort(problem: &str);
    /// Settles every guarded request after an abort: `current` with a 500 problem, the rest rejected.
    fn abandon_all(current: u32);
}

/// How many requests this isolate is serving, this one included.
pub fn count() -> u32 {
    COUNT.with(Cell::get)
}

/// One request counted as in flight until dropped, however its future ends.
struct Entered;

impl Entered {
    fn new() -> Self {
        COUNT.with(|c| c.set(c.get() + 1));
        Entered
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        COUNT.with(|c| c.set(c.get().saturating_sub(1)));
    }
}

/// Runs `handler` as a counted request and returns the promise of its response. A panic in
/// the handler answers this request alone with a 500 problem; nothing else is touched.
pub fn serve<F>(ctx: Rc<RequestContext>, handler: F) -> Promise
where
    F: Future<Output = web_sys::Response> + 'static,
{
    install_abort_handler();
    let id = NEXT_ID.with(|n| {
        n.set(n.get().wrapping_add(1).max(1));
        n.get()
    });
    let entered = Entered::new();
    let promise = begin(id, &ctx.request_id, &ctx.trace.trace_id.to_string());
    // Nothing unwinds out of this future: `panics::catch` stops a panic in the handler (and
    // drops it), and what the handler shared with other requests stays consistent as that
    // module describes.
    let request = async move {
        let _entered = entered;
        let response = match (Polled { id, inner: panics::catch(handler) }).await {
            Ok(response) => response,
            Err(message) => answer_panicked(&ctx, &message),
        };
        settle(id, &response);
    };
    executor::start(request, wasm_bindgen_futures::spawn_local::<executor::Deferred>);
    promise
}

/// Marks its request as the one running while it is polled.
struct Polled<F> {
    id: u32,
    inner: F,
}

impl<F: Future + Unpin> Future for Polled<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let previous = CURRENT.with(|c| c.replace(self.id));
        let result = Pin::new(&mut self.inner).poll(cx);
        CURRENT.with(|c| c.set(previous));
        result
    }
}

/// Registered on the first request: workers-rs registers its own handler (which only
/// schedules the reinit) at start-up, after ours would be.
fn install_abort_handler() {
    if !ABORT_HANDLER_SET.with(|set| set.replace(true)) {
        prepare_abort(ABORT_PROBLEM);
        wasm_bindgen::handler::set_on_abort(on_abort);
    }
}

/// The problem an aborted request is told (JS adds `instance` and `trace_id`): `problem_response` of
/// `internal_error()`, written out so the first request does not run and compile the problem
/// builder just for this (a host test holds the two equal).
const ABORT_PROBLEM: &str = r#"{"type":"urn:edge-relay:problem:internal","title":"Internal error","status":500,"detail":"an internal error ended this request; it is logged under the request id","instance":""}"#;

/// What a request that panicked or aborted is told; the cause goes to the log only.
fn internal_error() -> ApiError {
    ApiError::Internal { detail: "an unexpected error ended this request; it is logged under its request id".to_owned() }
}

/// Runs right after a trap, in the poisoned instance: it reads one number, hands the pending
/// requests to JS and has the next export call build a fresh instance.
fn on_abort() {
    let current = CURRENT.with(Cell::get);
    // wasm-bindgen's glue traps again after any import call while its terminated flag is set,
    // so only the first of these two calls would run. The flag is lowered for the two calls and
    // raised again, so the instance stays terminated. (wasm-bindgen is pinned exactly in
    // Cargo.toml; tests/panic.test.mjs proves both calls happen.)
    // SAFETY: single-threaded wasm; nothing else runs while this handler does.
    unsafe {
        wasm_bindgen::__rt::__instance_terminated = 0;
    }
    abandon_all(current);
    wasm_bindgen::handler::schedule_reinit();
    unsafe {
        wasm_bindgen::__rt::__instance_terminated = 1;
    }
}

/// The 500 problem for a request whose handler panicked; the message goes to the log only.
fn answer_panicked(ctx: &RequestContext, message: &str) -> web_sys::Response {
    let error = internal_error();
    access_log::send(problem_response(&error, &ctx.request_id, Some(ctx.trace.trace_id)), ctx, Some(&error), Some(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_abort_problem_is_the_internal_error_problem() {
        let built = problem_response(&internal_error(), "", None);
        assert_eq!(std::str::from_utf8(built.bytes()).unwrap(), ABORT_PROBLEM);
    }
}
