//! `GET /upstreams/{name}/{*path}`: forwards a GET to a configured upstream, never anywhere
//! else. The path is joined onto the upstream's `base_url` and cannot climb out of it.

use worker::Headers;

use crate::config::Config;
use crate::context::RequestContext;
use crate::error::{ApiError, FieldError};
use crate::response::Relayed;
use crate::upstream::{self, path, registry::ALWAYS_FORWARD, UpstreamError};

pub async fn proxy(
    headers: &Headers,
    config: &Config,
    ctx: &RequestContext,
    name: &str,
    rest: &str,
    query: Option<&str>,
) -> Result<Relayed, ApiError> {
    let registry = config.upstreams.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    let upstream = registry.get(name).ok_or_else(|| ApiError::UnknownUpstream { name: name.to_owned() })?;
    let url = path::join(&upstream.base_url, rest, query)
        .map_err(|reason| ApiError::Validation(vec![FieldError::path("path", "unsafe_path", reason, rest)]))?;
    let forwarded = ALWAYS_FORWARD
        .iter()
        .copied()
        .chain(upstream.forward_headers.iter().map(String::as_str))
        .filter_map(|h| headers.get(h).ok().flatten().map(|v| (h.to_owned(), v)))
        .collect();
    let answer = upstream::get(ctx, upstream, url, forwarded).await?;
    let response = answer.response;
    // The upstream's own 4xx answers are the client's business and pass through; a 5xx is
    // the upstream failing, reported as a 502 problem.
    if response.status >= 500 {
        return Err(UpstreamError::BadStatus { status: response.status }.into());
    }
    Ok(Relayed { status: response.status, content_type: response.content_type, body: response.body.to_vec(), cache_status: answer.cache_status })
}
