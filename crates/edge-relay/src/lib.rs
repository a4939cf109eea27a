//! edge-relay: async JSON APIs in Rust on Cloudflare workerd. An app declares its routes in an
//! [`App`] and exports the worker's entry points with [`export!`]; the library serves them with
//! validation, problem+json errors, request ids, CORS, logs, named upstreams, background tasks
//! and durable jobs. This file holds the entry points only.
//!
//! A route is a plain async function and one declaration ([`router::get`] and its kin). Its
//! arguments are extractors ([`handler`]: the query, the path, a JSON body, the caller, the
//! app's own [`settings`]…), its return value anything that becomes a response ([`response`]),
//! its error a problem+json ([`error`]). The same types are the route's validation and its
//! OpenAPI operation ([`openapi`]). In a wasm built with `panic=unwind` (`worker-build
//! --panic-unwind`, nightly), a panic costs only the request, queue message or background task
//! it happened in.
//!
//! ```no_run
//! use edge_relay::prelude::*;
//! use edge_relay::{meta, openapi};
//! use serde::{Deserialize, Serialize};
//! use utoipa::ToSchema;
//!
//! #[derive(Deserialize, ToSchema)]
//! pub struct Hello {
//!     /// Who to greet (the world by default)
//!     name: Option<String>,
//! }
//!
//! /// The greeting
//! #[derive(Serialize, ToSchema)]
//! pub struct Greeting {
//!     greeting: String,
//! }
//!
//! pub async fn hello(Query(query): Query<Hello>) -> Json<Greeting> {
//!     let name = query.name.as_deref().unwrap_or("world");
//!     Json(Greeting { greeting: format!("Hello, {name}!") })
//! }
//!
//! pub const HELLO: Route = get("/hello", hello).summary("Greets `name`").tag("greetings");
//!
//! pub static APP: App = App {
//!     name: "hello",
//!     version: "0.1.0",
//!     description: "Greets whoever asks",
//!     routes: &[meta::INDEX, meta::HEALTHZ, openapi::SPEC, HELLO],
//!     test_routes: &[],
//!     tags: &[("greetings", "Greetings")],
//!     layers: &[],
//!     // An app embeds its checked-in document: `edge_relay::openapi_document!("openapi.json")`.
//!     document: b"{}",
//! };
//!
//! edge_relay::export!(APP);
//! # fn main() {}
//! ```

#![deny(missing_docs)]

pub mod auth;
pub mod background;
pub mod batch;
pub mod config;
pub mod context;
pub mod diagnostics;
pub mod error;
pub mod executor;
pub mod extract;
pub mod handler;
pub(crate) mod http_date;
pub mod http_url;
mod inflight;
pub mod jobs;
pub mod meta;
pub(crate) mod middleware;
pub mod openapi;
#[cfg(feature = "openapi")]
pub mod operation;
pub(crate) mod panics;
pub mod prelude;
pub mod response;
pub mod router;
pub mod settings;
pub mod trace;
pub mod upstream;

pub use router::App;

use std::rc::Rc;

use worker::wasm_bindgen::JsValue;
use worker::{js_sys, web_sys, worker_sys, Env, Headers};

use context::RequestContext;
use trace::{ids, Trace};

/// What [`export!`] expands to names; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use worker::wasm_bindgen;
    pub use worker::{js_sys, web_sys, worker_sys, Env};
}

/// std's dlmalloc was the largest single share of the wasm's own time on `/aggregate`; talc
/// is 2 KB less gzipped wasm and no slower there (docs/build-size.md).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// Exports the worker's entry points for `$app` (a `static` [`App`]): `fetch`, and `queue` and
/// `scheduled` for durable jobs. They are exported by hand rather than with workers-rs's
/// `#[event]` so that a panic is caught around its own request, message or task.
#[macro_export]
macro_rules! export {
    ($app:path) => {
        #[$crate::__private::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = $crate::__private::wasm_bindgen)]
        pub fn fetch(
            req: $crate::__private::web_sys::Request,
            env: $crate::__private::Env,
            runtime: $crate::__private::worker_sys::Context,
        ) -> $crate::__private::js_sys::Promise {
            $crate::serve(&$app, req, env, runtime)
        }

        #[$crate::__private::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = $crate::__private::wasm_bindgen)]
        pub fn queue(
            batch: $crate::__private::worker_sys::MessageBatch,
            env: $crate::__private::Env,
            runtime: $crate::__private::worker_sys::Context,
        ) -> $crate::__private::js_sys::Promise {
            $crate::consume(batch, env, runtime)
        }

        #[$crate::__private::wasm_bindgen::prelude::wasm_bindgen(wasm_bindgen = $crate::__private::wasm_bindgen)]
        pub fn scheduled(
            event: $crate::__private::worker_sys::ScheduledEvent,
            env: $crate::__private::Env,
            runtime: $crate::__private::worker_sys::ScheduleContext,
        ) -> $crate::__private::js_sys::Promise {
            $crate::sweep(event, env, runtime)
        }
    };
}

/// The fetch handler. The runtime's request stays as it is: `worker::Request` would read
/// `request.cf` and more on every request, so only routes that read a body convert it.
#[doc(hidden)]
pub fn serve(app: &'static App, req: web_sys::Request, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    let headers = Headers(req.headers());
    let (client_id, traceparent) = context::request_and_trace_ids(&headers.0);
    let tracestate = || headers.get("tracestate").ok().flatten();
    let trace = Trace::from_headers(traceparent.as_deref(), tracestate, ids::span_id(), ids::trace_id);
    let url = req.url();
    let (path, query) = http_url::path_and_query(&url);
    let ctx = Rc::new(RequestContext::new(client_id, req.method(), path, query, trace, runtime));
    inflight::serve(ctx.clone(), middleware::handle(app, req, headers, env, ctx))
}

/// The queue consumer of the jobs queue and its dead-letter queue. It catches a panic per
/// message itself, so nothing unwinds out of it.
#[doc(hidden)]
pub fn consume(batch: worker_sys::MessageBatch, env: Env, runtime: worker_sys::Context) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(std::panic::AssertUnwindSafe(async move {
        jobs::consumer::consume(batch, env, runtime).await;
        Ok(JsValue::UNDEFINED)
    }))
}

/// The cron trigger: re-enqueues jobs whose queue message was lost.
#[doc(hidden)]
pub fn sweep(_event: worker_sys::ScheduledEvent, env: Env, _runtime: worker_sys::ScheduleContext) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(std::panic::AssertUnwindSafe(async move {
        jobs::consumer::sweep(&env).await;
        Ok(JsValue::UNDEFINED)
    }))
}
