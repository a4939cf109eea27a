//! edge-relay: an async JSON API on Cloudflare workerd. Entry points only.

pub mod auth;
pub mod background;
pub mod config;
pub mod context;
pub mod error;
mod executor;
pub mod extract;
pub mod http_date;
pub mod http_url;
mod inflight;
pub mod jobs;
pub mod middleware;
pub mod panics;
pub mod response;
pub mod routes;
pub mod upstream;

use std::rc::Rc;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::{event, js_sys, web_sys, worker_sys, Context, Env, Headers, ScheduleContext, ScheduledEvent};

use context::RequestContext;

/// std's dlmalloc was the largest single share of the wasm's own time on `/aggregate`; talc
/// is 2 KB less gzipped wasm and no slower there (docs/build-size.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The fetch handler. Exported by hand rather than with `#[event(fetch)]` so that a panic is
/// caught around this request alone and answered with a 500 problem (see `inflight`).
/// The runtime's request stays as it is: `worker::Request` would read `request.cf` and more on
/// every request, so only routes that read a body convert it.
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    let headers = Headers(req.headers());
    let client_id = headers.get("X-Request-Id").ok().flatten();
    let url = req.url();
    let (path, query) = http_url::path_and_query(&url);
    let ctx = Rc::new(RequestContext::new(client_id, req.method(), path, query, Context::new(runtime)));
    inflight::serve(ctx.clone(), middleware::handle(req, headers, env, ctx))
}

/// The queue consumer of the jobs queue and its dead-letter queue. It catches a panic per
/// message itself, so nothing unwinds out of it.
#[wasm_bindgen]
pub fn queue(batch: worker_sys::MessageBatch, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(std::panic::AssertUnwindSafe(async move {
        jobs::consumer::consume(batch, env, runtime).await;
        Ok(wasm_bindgen::JsValue::UNDEFINED)
    }))
}

/// The cron trigger: re-enqueues jobs whose queue message was lost.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    jobs::consumer::sweep(&env).await;
}
