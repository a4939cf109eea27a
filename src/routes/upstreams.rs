//! `/upstreams/{name}/{*path}`: relays a request to a configured upstream, never anywhere
//! else. The path is joined onto the upstream's `base_url` and cannot climb out of it; the
//! method must be in the upstream's `methods` (GET and HEAD by default).
//!
//! A cached upstream's GET is read whole (up to `MAX_UPSTREAM_BODY_BYTES`), kept with its
//! validators and answered 304 to a client whose `If-None-Match` / `If-Modified-Since`
//! matches. Every other relay streams both ways (see `upstream::relay`).

use serde::Deserialize;
use utoipa::ToSchema;
use worker::{web_sys, Env, Headers};

use edge_relay::config::Config;
use edge_relay::context::RequestContext;
use edge_relay::error::FieldError;
use edge_relay::prelude::*;
use edge_relay::response::{Relayed, Reply};
use edge_relay::upstream::conditional::{self, Preconditions};
use edge_relay::upstream::headers::RELAY_FORWARD;
use edge_relay::upstream::registry::{Upstream, ALWAYS_FORWARD};
use edge_relay::upstream::{self, path, relay, UpstreamError};

/// The relay's path: every method reaches it; each upstream's `methods` decides.
pub const PATH: &str = "/upstreams/{name}/{*path}";

/// Every method reaches the relay (`any_method`): the upstream's `methods` decide, and its 405
/// lists them.
const RELAY: Route = get(PATH, relay_request).tag("upstreams").any_method().doc(edge_relay::doc!(document));

pub const GET: Route = RELAY.summary("Relays a GET to a configured upstream (base_url + path + query), streaming its answer");
pub const POST: Route = Route { method: "POST", ..RELAY }.summary("Relays a POST, streaming the body both ways, where the upstream's methods allow it");
pub const PUT: Route = Route { method: "PUT", ..RELAY }.summary("Relays a PUT, streaming the body both ways, where the upstream's methods allow it");
pub const PATCH: Route = Route { method: "PATCH", ..RELAY }.summary("Relays a PATCH, streaming the body both ways, where the upstream's methods allow it");
pub const DELETE: Route = Route { method: "DELETE", ..RELAY }.summary("Relays a DELETE where the upstream's methods allow it");

#[derive(Deserialize, ToSchema)]
pub struct RelayPath {
    /// A configured upstream's name
    name: String,
    /// The path under its base_url
    path: String,
}

pub async fn relay_request(
    Path(RelayPath { name, path }): Path<RelayPath>,
    req: web_sys::Request,
    headers: Headers,
    env: Env,
    config: Cfg,
    ctx: Ctx,
) -> Result<Reply, ApiError> {
    proxy(&req, &headers, &env, &config, &ctx, &name, &path).await
}

pub async fn proxy(
    req: &web_sys::Request,
    headers: &Headers,
    env: &Env,
    config: &Config,
    ctx: &RequestContext,
    name: &str,
    rest: &str,
) -> Result<Reply, ApiError> {
    let registry = config.upstreams(env)?;
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
        let answer = upstream::get(ctx, upstream, &url, &forwarded(headers, upstream, &[])).await?;
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
    let status = opened.status;
    if status >= 500 {
        opened.discard();
        return Err(UpstreamError::BadStatus { status }.into());
    }
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

/// The relay, for each method: GET and HEAD are open by default, the others where the
/// upstream's `methods` allow them. GET carries the full description and examples; the write
/// methods say what differs (a body goes up; 413), to keep the document small.
#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::operation::{bare_problem_response, problem_response};
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::request_body::RequestBodyBuilder;
    use utoipa::openapi::response::ResponseBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

    let method = op.method;
    let problem = |description: &str, error: &ApiError| {
        if method == "GET" {
            problem_response(description, error)
        } else {
            bare_problem_response(description)
        }
    };
    let op = op
        .parameter(
            "name",
            ParameterIn::Path,
            true,
            Some("A configured upstream's name (one whose `methods` allow this method)"),
            edge_relay::openapi::upstream_name_schema(method),
        )
        .parameter(
            "path",
            ParameterIn::Path,
            true,
            Some(
                "Path under the upstream's base_url: segments of letters, digits and -._~!$&'()*+,;=: separated by '/' \
                 (sent unencoded), percent-escapes except of '.', '/', '\\', '@', '%' and NUL; no '.' or '..' segments, \
                 no empty ones. Anything else is refused with 422. The pattern describes one segment without escapes.",
            ),
            ObjectBuilder::new().schema_type(Type::String).pattern(Some(edge_relay::upstream::path::RELAY_SEGMENT_PATTERN)),
        )
        .any("200", "The upstream's answer (status < 500) with its headers; `Cache-Status` when the upstream is cached", "*/*")
        .any("2XX", "The upstream's other success answers, passed on", "*/*")
        .any("3XX", "The upstream's redirects, passed on (not followed)", "*/*")
        .any("4XX", "The upstream's own client-error answers, passed on", "*/*")
        .problem_or_any("404", "No upstream has this name (a problem), or the upstream's own 404")
        .with(|b| {
            b.response(
                    "405",
                    problem(
                        "The upstream's `methods` do not include this method (`Allow` lists those that do)",
                        &ApiError::MethodNotAllowed { method: method.to_owned(), allow: vec!["GET", "HEAD"] },
                    ),
                )
                .response(
                    "422",
                    problem(
                        "The path would leave the upstream's base URL",
                        &ApiError::Validation(vec![FieldError::path("path", "unsafe_path", "'.' and '..' segments are not allowed", "../admin")]),
                    ),
                )
                .response("502", problem("The upstream answered 5xx or could not be reached", &ApiError::Upstream(UpstreamError::BadStatus { status: 500 })))
                .response("503", problem("The upstream's circuit breaker is open", &ApiError::Upstream(UpstreamError::CircuitOpen { retry_after_ms: 30_000.0 })))
                .response("504", problem("The upstream sent no headers in time", &ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5000 })))
        });
    if method == "GET" {
        return op
            .description(
                "Streams: the answer's body is passed on as the upstream sends it (events as they come, memory flat for any size); \
                 its headers pass except hop-by-hop ones, `Set-Cookie` and CORS. The upstream's `timeout_ms` covers the time to its \
                 headers; an event stream is cut off after `stream_idle_ms` without data. A cached upstream's GET is read whole (up to \
                 MAX_UPSTREAM_BODY_BYTES) and answered 304 to a matching If-None-Match / If-Modified-Since. `Last-Event-ID`, \
                 conditional and `Range` headers go up.",
            )
            .with(|b| b.response("304", ResponseBuilder::new().description("Not modified: the client's validators match (no body)").build()));
    }
    let op = op.description(
        "As GET, where the upstream's `methods` allow it. A body streams up as it arrives; it is sent again on a retry only \
         for PUT and DELETE or with an `Idempotency-Key`.",
    );
    if method == "DELETE" {
        return op;
    }
    let any = ObjectBuilder::new().schema_type(SchemaType::AnyValue).build();
    let body = RequestBodyBuilder::new()
        .description(Some("Any body, up to the upstream's max_request_body_bytes"))
        .content("*/*", ContentBuilder::new().schema(Some(any)).build())
        .build();
    op.with(|b| {
        b.request_body(Some(body)).response(
            "413",
            problem("The body passed the upstream's max_request_body_bytes", &ApiError::Upstream(UpstreamError::RequestTooLarge { limit_bytes: 10_485_760 })),
        )
    })
}
