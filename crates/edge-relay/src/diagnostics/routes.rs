//! The diagnostic routes: a panic (in the request, in a background task or in a destructor)
//! and an abort, to prove what each costs, and a JSON echo that exercises the body layer (415,
//! 413, 422) end to end.

use serde::{Deserialize, Serialize};
use worker::{web_sys, Headers};

use crate::router::Route;
use crate::background;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::{ApiError, FieldError};
use crate::executor;
use crate::extract::{check_chars, json_body, QueryParams, Validate};
use crate::response::{IntoResponse, Json, Reply};

const TEST: Route = Route { tag: "test", ..Route::DEFAULT };

pub const PANIC: Route = Route {
    path: "/_test/panic",
    summary: "Panics (?in=background: in a background task; ?in=drop: in a destructor), to prove panic isolation",
    handler: |call| Box::pin(async move { panic(&call.ctx.query_params(), &call.ctx).await }),
    ..TEST
};

pub const ABORT: Route = Route {
    path: "/_test/abort",
    summary: "Aborts the wasm instance (?at=start: before the first await), to prove recovery",
    handler: |call| Box::pin(async move { abort(&call.ctx.query_params()).await }),
    ..TEST
};

pub const ECHO: Route = Route {
    method: "POST",
    path: "/_test/echo",
    summary: "Validates a JSON body and echoes it",
    handler: |call| Box::pin(async move { echo(&call.req, &call.headers, &call.config).await?.into_response() }),
    ..TEST
};

pub const MEMORY: Route = Route {
    path: "/_test/memory",
    summary: "The wasm instance's linear memory, in bytes, to prove a workload's memory bounded",
    handler: |_| Box::pin(async { Json(WasmMemory { bytes: wasm_memory_bytes() }).into_response() }),
    ..TEST
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct WasmMemory {
    bytes: u64,
}

/// Linear memory only grows: its size is the instance's high-water mark.
fn wasm_memory_bytes() -> u64 {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) as u64 * 65_536;
    #[cfg(not(target_arch = "wasm32"))]
    0
}

/// Panics in this request; with `?in=background`, in a background task after a 202; with
/// `?in=drop`, inside a destructor after the first await. Destructors do not unwind (the
/// build's `-Zpanic-in-drop=abort`, docs/build-size.md), so that one traps the instance like
/// an abort.
pub async fn panic(query: &QueryParams, ctx: &RequestContext) -> Result<Reply, ApiError> {
    struct PanicsWhenDropped;
    impl Drop for PanicsWhenDropped {
        fn drop(&mut self) {
            panic!("deliberate panic in a destructor");
        }
    }
    match query.single("in") {
        Ok(Some("background")) => {
            background::spawn(ctx, "test_panic", |_| async { panic!("deliberate panic in a background task") });
            Ok(Reply::empty(202))
        }
        Ok(Some("drop")) => {
            executor::sleep(0).await;
            drop(PanicsWhenDropped);
            Ok(Reply::empty(204))
        }
        _ => panic!("deliberate panic from /_test/panic"),
    }
}

/// A real abort (a wasm trap, not a panic): nothing can catch it, the instance is replaced.
/// After the request's first await, or with `?at=start` before it (inside the runtime's
/// `fetch` call, where the first poll runs).
pub async fn abort(query: &QueryParams) -> Result<Reply, ApiError> {
    if query.single("at") != Ok(Some("start")) {
        executor::sleep(0).await;
    }
    std::process::abort()
}

#[derive(Debug, Deserialize, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Echo {
    name: String,
    count: u8,
    #[serde(default)]
    tags: Vec<String>,
}

impl Validate for Echo {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        check_chars(errors, &["name"], &self.name, 1..=64);
        if self.count > 100 {
            errors.push(FieldError::body(&["count"], "range", "must be between 0 and 100"));
        }
        if self.tags.len() > 10 {
            errors.push(FieldError::body(&["tags"], "too_long", "at most 10 tags"));
        }
        for (i, tag) in self.tags.iter().enumerate() {
            check_chars(errors, &["tags", &i.to_string()], tag, 1..=32);
        }
    }
}

pub async fn echo(req: &web_sys::Request, headers: &Headers, config: &Config) -> Result<Json<Echo>, ApiError> {
    Ok(Json(json_body::<Echo>(req, headers, config.max_body_bytes).await?))
}
