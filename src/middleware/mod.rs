//! The layers every route gets: CORS, load shedding, rate limiting, request ids,
//! `Server-Timing`, problem responses for every error, and one access-log line.

pub mod access_log;
pub mod cors;

use std::rc::Rc;

use worker::{console_warn, web_sys, Env, Headers, Response};

use crate::config::Config;
use crate::context::{server_timing, RequestContext};
use crate::error::ApiError;
use crate::inflight;
use crate::response::problem_response;
use crate::routes;
use access_log::AccessLog;

/// Serves one request end to end; never fails (a failure becomes a problem response).
pub async fn handle(req: web_sys::Request, headers: Headers, env: Env, ctx: Rc<RequestContext>) -> web_sys::Response {
    let origin = headers.get("Origin").ok().flatten();
    // A CORS preflight: OPTIONS from a browser origin asking about a method.
    let preflight = match &origin {
        Some(origin) if ctx.method == "OPTIONS" => {
            headers.get("Access-Control-Request-Method").ok().flatten().map(|method| (origin.clone(), method))
        }
        _ => None,
    };
    let config = Config::load(&env).map_err(ApiError::from);
    let outcome = match (&config, &preflight) {
        (Ok(config), Some((origin, method))) => answer_preflight(&headers, config, origin, method),
        (Ok(config), None) => run(req, &headers, &env, config, &ctx).await,
        (Err(e), _) => Err(e.clone()),
    };
    let (response, error) = match outcome {
        Ok(response) => (Ok(response), None),
        Err(e) => (problem_response(&e, &ctx.request_id), Some(e)),
    };
    let cors = match &config {
        // A preflight answer carries its own CORS headers.
        Ok(config) if preflight.is_none() => cors::response_headers(&config.cors, origin.as_deref()),
        _ => Vec::new(),
    };
    let response = response.and_then(|r| decorate(r, &ctx, &cors));
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            // Building the response itself failed: the runtime's own plain 500 is all that is left.
            console_warn!("could not build a response: {e}");
            Response::error("Internal Server Error", 500).expect("a plain-text response always builds")
        }
    };
    access_log::emit(&AccessLog::new(&ctx, response.status_code(), error.as_ref(), None));
    response.into()
}

/// 204 with whatever `Access-Control-Allow-*` headers the config grants.
fn answer_preflight(headers: &Headers, config: &Config, origin: &str, method: &str) -> Result<Response, ApiError> {
    let requested = headers.get("Access-Control-Request-Headers")?;
    let response = Response::empty()?.with_status(204);
    for (name, value) in cors::preflight_headers(&config.cors, origin, method, requested.as_deref()) {
        response.headers().set(name, &value)?;
    }
    Ok(response)
}

async fn run(req: web_sys::Request, headers: &Headers, env: &Env, config: &Config, ctx: &RequestContext) -> Result<Response, ApiError> {
    let in_flight = inflight::count();
    if config.max_in_flight > 0 && in_flight > config.max_in_flight {
        return Err(ApiError::Overloaded { in_flight: in_flight - 1 });
    }
    if config.rate_limiter_bound && ctx.path != "/healthz" {
        rate_limit(headers, env, config).await?;
    }
    routes::dispatch(req, headers, env, config, ctx).await
}

/// Per-client limits from the `RATE_LIMITER` binding. Keyed by the client address
/// Cloudflare reports; fails open if the limiter itself errors.
async fn rate_limit(headers: &Headers, env: &Env, config: &Config) -> Result<(), ApiError> {
    let Ok(limiter) = env.rate_limiter("RATE_LIMITER") else {
        return Ok(());
    };
    let key = headers.get("CF-Connecting-IP")?.unwrap_or_else(|| "unknown".to_owned());
    match limiter.limit(key).await {
        Ok(outcome) if !outcome.success => Err(ApiError::TooManyRequests { retry_after_s: config.rate_limit_period_s }),
        Ok(_) => Ok(()),
        Err(e) => {
            console_warn!("rate limiter failed, request allowed: {e}");
            Ok(())
        }
    }
}

/// Adds the headers every response carries.
fn decorate(response: Response, ctx: &RequestContext, cors: &cors::HeaderList) -> worker::Result<Response> {
    let headers = response.headers();
    headers.set("X-Request-Id", &ctx.request_id)?;
    headers.set("Server-Timing", &server_timing(ctx.elapsed_ms(), &ctx.upstream_calls()))?;
    for (name, value) in cors {
        headers.set(name, value)?;
    }
    Ok(response)
}
