//! `/upstreams/{name}/{*path}`: relays a request to a configured upstream, never anywhere
//! else. The path is joined onto the upstream's `base_url` and cannot climb out of it; the
//! method must be in the upstream's `methods` (GET and HEAD by default).
//!
//! A cached upstream's GET is read whole (up to `MAX_UPSTREAM_BODY_BYTES`), kept with its
//! validators and answered 304 to a client whose `If-None-Match` / `If-Modified-Since`
//! matches. Every other relay streams both ways (see `upstream::relay`).

use worker::{web_sys, Headers};

use crate::config::Config;
use crate::context::RequestContext;
use crate::error::{ApiError, FieldError};
use crate::response::{IntoResponse, Relayed, Reply};
use crate::upstream::conditional::{self, Preconditions};
use crate::upstream::headers::RELAY_FORWARD;
use crate::upstream::registry::{Upstream, ALWAYS_FORWARD};
use crate::upstream::{self, path, relay, Attempted, UpstreamError};

pub async fn proxy(
    req: &web_sys::Request,
    headers: &Headers,
    config: &Config,
    ctx: &RequestContext,
    name: &str,
    rest: &str,
) -> Result<Reply, ApiError> {
    let registry = config.upstreams.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    let upstream = registry.get(name).ok_or_else(|| ApiError::UnknownUpstream { name: name.to_owned() })?;
    let method = ctx.method.as_str();
    if !upstream.methods.contains(&method) {
        return Err(ApiError::MethodNotAllowed { method: method.to_owned(), allow: upstream.methods.clone() });
    }
    let url = path::join(&upstream.base_url, rest, ctx.query.as_deref())
        .map_err(|reason| ApiError::Validation(vec![FieldError::path("path", "unsafe_path", reason, rest)]))?;
    let cached = upstream.cache_ttl_s > 0 && matches!(method, "GET" | "HEAD");
    if cached {
        let preconditions = Preconditions {
            if_none_match: headers.get("If-None-Match").ok().flatten(),
            if_modified_since: headers.get("If-Modified-Since").ok().flatten(),
        };
        let answer = upstream::get(ctx, upstream, url, forwarded(headers, upstream, &[])).await?;
        let response = &answer.response;
        // The upstream's own 4xx answers are the client's business and pass through; a 5xx
        // is the upstream failing, reported as a 502 problem.
        if response.status >= 500 {
            return Err(UpstreamError::BadStatus { status: response.status }.into());
        }
        let unchanged = response.status == 200 && conditional::not_modified(&preconditions, response.etag.as_deref(), response.last_modified.as_deref());
        let relayed = Relayed::from(answer);
        return if unchanged { Ok(relayed.not_modified()) } else { relayed.into_response() };
    }
    let opened = relay::open(ctx, upstream, req, &url, &forwarded(headers, upstream, RELAY_FORWARD)).await?;
    if opened.status >= 500 {
        opened.discard();
        return Err(UpstreamError::BadStatus { status: opened.status }.into());
    }
    let status = opened.status;
    Ok(Reply::streamed(status, opened.into_streamed(req, upstream.stream_idle_ms)))
}

/// The client headers that go up: the defaults, `extra`, and those the upstream's
/// `forward_headers` names (names lower-case).
fn forwarded(headers: &Headers, upstream: &Upstream, extra: &[&'static str]) -> Vec<(String, String)> {
    ALWAYS_FORWARD
        .iter()
        .chain(extra)
        .copied()
        .chain(upstream.forward_headers.iter().map(String::as_str))
        .filter_map(|h| headers.get(h).ok().flatten().map(|v| (h.to_owned(), v)))
        .collect()
}
