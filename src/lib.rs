//! edge-relay: an async JSON API on Cloudflare workerd. Entry points only.

pub mod auth;
pub mod background;
pub mod config;
pub mod context;
pub mod error;
pub mod extract;
mod inflight;
pub mod jobs;
pub mod middleware;
pub mod response;
pub mod routes;
pub mod upstream;

use std::rc::Rc;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::{event, js_sys, web_sys, worker_sys, Context, Env, Headers, ScheduleContext, ScheduledEvent, Url};

use context::RequestContext;

#[event(start)]
fn start() {
    inflight::install_panic_hook();
}

/// The fetch handler. Exported by hand rather than with `#[event(fetch)]` so the response
/// promise is settled through `inflight`, which lets a panic still answer with a 500 problem.
/// The runtime's request stays as it is: `worker::Request` would read `request.cf` and more on
/// every request, so only routes that read a body convert it.
#[wasm_bindgen]
pub fn fetch(req: web_sys::Request, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    let headers = Headers(req.headers());
    let client_id = headers.get("X-Request-Id").ok().flatten();
    // The runtime only hands over absolute URLs; the fallback is never used.
    let url = Url::parse(&req.url()).unwrap_or_else(|_| Url::parse("http://invalid/").expect("a literal URL parses"));
    let ctx = Rc::new(RequestContext::new(client_id, req.method(), url, Context::new(runtime)));
    inflight::serve(ctx.clone(), middleware::handle(req, headers, env, ctx))
}

/// The queue consumer of the jobs queue and its dead-letter queue.
#[wasm_bindgen]
pub fn queue(batch: worker_sys::MessageBatch, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move {
        jobs::consumer::consume(batch, env, runtime).await;
        Ok(wasm_bindgen::JsValue::UNDEFINED)
    })
}

/// The cron trigger: re-enqueues jobs whose queue message was lost.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    jobs::consumer::sweep(&env).await;
}
