//! Per-client limits from the `RATE_LIMITER` binding (Workers' rate limiting API), keyed by
//! the authenticated caller (so one subject's limit follows it across addresses, and callers
//! behind one address do not share one), else by the client address Cloudflare reports.
//! Fails open if the limiter itself errors.
//!
//! The binding is called through a two-line JS helper rather than `worker::RateLimiter`,
//! whose options and outcome went through serde-wasm-bindgen (docs/build-size.md).

use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::{console_warn, js_sys, Env, Headers};

use crate::error::{js_error_message, ApiError};
use crate::executor;

#[wasm_bindgen(module = "/src/middleware/rate_limit.mjs")]
extern "C" {
    /// Resolves to whether `key` is still within its limit.
    fn allows(env: &Env, key: &str) -> js_sys::Promise;
}

/// `Ok` if the request may go on; 429 with `Retry-After: period_s` if its client is over the limit.
/// `owner` is the authenticated caller's, if any.
pub async fn check(headers: &Headers, env: &Env, period_s: u32, owner: Option<&str>) -> Result<(), ApiError> {
    let key = match owner {
        Some(owner) => owner.to_owned(),
        None => headers.get("CF-Connecting-IP")?.unwrap_or_else(|| "unknown".to_owned()),
    };
    match executor::settled(&allows(env, &key)).await {
        Ok(verdict) if verdict.as_bool() == Some(false) => Err(ApiError::TooManyRequests { retry_after_s: period_s }),
        Ok(_) => Ok(()),
        Err(e) => {
            console_warn!("rate limiter failed, request allowed: {}", js_error_message(&e));
            Ok(())
        }
    }
}
