//! The layers every route gets: CORS, load shedding, authentication where the route's guard
//! asks for it, rate limiting (per caller, else per client address) unless the route is exempt,
//! request ids, `Server-Timing`, problem responses for every error, and one access-log line;
//! then the route's own layers around its handler.

pub mod access_log;
pub mod cors;
pub mod rate_limit;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use worker::{web_sys, Env, Headers};

use crate::auth;
use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::inflight;
use crate::response::{problem_response, Reply};
use crate::router::{App, Call, Next};

/// Serves one request end to end; never fails (a failure becomes a problem response).
pub async fn handle(app: &'static App, req: web_sys::Request, headers: Headers, env: Env, ctx: Rc<RequestContext>) -> web_sys::Response {
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
        (Ok(config), None) => run(app, req, headers, env, config.clone(), ctx.clone()).await,
        (Err(e), _) => Err(e.clone()),
    };
    let (mut reply, error) = match outcome {
        Ok(reply) => (reply, None),
        Err(e) => (problem_response(&e, &ctx.request_id, Some(ctx.trace.trace_id)), Some(e)),
    };
    // A preflight answer carries its own CORS headers.
    if let (Ok(config), None) = (&config, &preflight) {
        reply.headers.extend(cors::response_headers(&config.cors, origin.as_deref()));
    }
    access_log::send(reply, &ctx, error.as_ref(), None)
}

/// 204 with whatever `Access-Control-Allow-*` headers the config grants. Out of line, as
/// `rate_limit` is boxed: code a request does not run stays out of `handle`, which the first
/// request compiles whole (docs/benchmark-history.md, "Startup and size").
#[inline(never)]
fn answer_preflight(headers: &Headers, config: &Config, origin: &str, method: &str) -> Result<Reply, ApiError> {
    let requested = headers.get("Access-Control-Request-Headers")?;
    let mut reply = Reply::empty(204);
    reply.headers.extend(cors::preflight_headers(&config.cors, origin, method, requested.as_deref()));
    Ok(reply)
}

async fn run(app: &'static App, req: web_sys::Request, headers: Headers, env: Env, config: Rc<Config>, ctx: Rc<RequestContext>) -> Result<Reply, ApiError> {
    let in_flight = inflight::count();
    if config.max_in_flight > 0 && in_flight > config.max_in_flight {
        return Err(ApiError::Overloaded { in_flight: in_flight - 1 });
    }
    let resolved = app.resolve(&ctx.method, &ctx.path, config.test_routes);
    let scope = resolved.as_ref().ok().and_then(|(route, _)| route.guard.scope(config.jwt.is_some()));
    let caller = match scope {
        Some(_) => {
            let header = headers.get("Authorization")?;
            // Boxed: kept out of this function's state machine, which every request polls
            // (inlined there, it cost 4.8 KB more of gzipped wasm).
            let authenticate: Pin<Box<dyn Future<Output = _>>> = Box::pin(auth::authenticate(&ctx, header.as_deref(), &config.api_keys, config.jwt.as_ref()));
            Some(authenticate.await)
        }
        None => None,
    };
    let exempt = resolved.as_ref().is_ok_and(|(route, _)| !route.rate_limited);
    if config.rate_limiter_bound && !exempt {
        let owner = caller.as_ref().and_then(|c| c.as_ref().ok()).map(|c| c.owner.as_str());
        let limited: Pin<Box<dyn Future<Output = _>>> = Box::pin(rate_limit::check(&headers, &env, config.rate_limit_period_s, owner));
        limited.await?;
    }
    let (route, params) = resolved?;
    let caller = caller.transpose()?;
    if let (Some(caller), Some(scope)) = (&caller, scope) {
        caller.require(scope)?;
    }
    let call = Call { req, headers, env, config, ctx, app, route, params, caller };
    Next::new(app.layers, route).run(call).await
}
