//! A batch of upstream GETs: planned against the registry before any call is made, then
//! fanned out, at most `concurrency` at once, each with its upstream's own timeout, retries,
//! breaker and cache; one failure never fails the batch. `/aggregate`-style routes run one
//! in the request; the jobs consumer runs a job's items the same way.

pub mod model;

use std::rc::Rc;

use futures_util::stream::{self, StreamExt};
use serde_json::value::RawValue;

use crate::context::{ms_since, now_ms, RequestContext};
use crate::error::{ApiError, FieldError};
use crate::http_url::HttpUrl;
use crate::upstream::registry::{Registry, Upstream};
use crate::upstream::{self, path, UpstreamError};
use model::{item_error, Item, ItemResult};

/// An item checked against the registry, ready to call.
pub struct Planned {
    id: Option<String>,
    upstream: Rc<Upstream>,
    url: HttpUrl,
}

/// Resolves every item's upstream and URL; any unknown upstream or unsafe path is a 422
/// listing them all, before a single call is made.
pub fn plan(items: Vec<Item>, registry: &Registry) -> Result<Vec<Planned>, ApiError> {
    let mut errors = Vec::new();
    let mut planned = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match plan_item(i, item, registry) {
            Ok(item) => planned.push(item),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(planned)
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// One item's upstream and URL; the error names the item by its index `i`.
pub fn plan_item(i: usize, item: Item, registry: &Registry) -> Result<Planned, FieldError> {
    let Some(upstream) = registry.get(&item.upstream) else {
        let known: Vec<&str> = registry.names().collect();
        let msg = format!("no upstream named '{}'; configured: {}", item.upstream, known.join(", "));
        return Err(item_error(i, "upstream", "unknown_upstream", msg));
    };
    match path::join_relative(&upstream.base_url, &item.path) {
        Ok(url) => Ok(Planned { id: item.id, upstream: upstream.clone(), url }),
        Err(reason) => Err(item_error(i, "path", "unsafe_path", reason)),
    }
}

/// Every item's result, in order.
pub async fn run(ctx: &RequestContext, planned: Vec<Planned>, concurrency: u32) -> Vec<ItemResult> {
    stream::iter(planned).map(|item| call(ctx, item)).buffered(concurrency as usize).collect().await
}

/// One item's call; never fails: a failure is the result's `error`.
pub async fn call(ctx: &RequestContext, item: Planned) -> ItemResult {
    let started = now_ms();
    let outcome = upstream::get(ctx, &item.upstream, &item.url, &[]).await;
    let duration_ms = ms_since(started);
    match outcome.and_then(|answer| Ok((body_value(&answer.response)?, answer))) {
        Ok((body, answer)) => ItemResult {
            id: item.id,
            status: Some(answer.response.status),
            body: Some(body),
            cache: answer.cache_status,
            error: None,
            duration_ms,
        },
        Err(e) => ItemResult {
            id: item.id,
            status: None,
            body: None,
            cache: None,
            error: Some(ApiError::from(e).to_problem(&ctx.request_id)),
            duration_ms,
        },
    }
}

/// The body as JSON when it says it is JSON (and then it must parse), else as a JSON string.
fn body_value(response: &upstream::UpstreamResponse) -> Result<Box<RawValue>, UpstreamError> {
    let invalid = |e: serde_json::Error| UpstreamError::InvalidJson { reason: e.to_string() };
    if response.is_json() {
        serde_json::from_slice(&response.body).map_err(invalid)
    } else {
        serde_json::value::to_raw_value(&String::from_utf8_lossy(&response.body)).map_err(invalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::registry;

    fn registry() -> Registry {
        let vars = [("UPSTREAMS", r#"{"users": {"base_url": "https://api.example.com/v1"}}"#)];
        registry::parse(&|k: &str| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())).unwrap()
    }

    fn request(items: &str) -> Vec<Item> {
        serde_json::from_str(&format!("[{items}]")).unwrap()
    }

    #[test]
    fn plans_urls_under_each_base() {
        let planned = plan(request(r#"{"id":"a","upstream":"users","path":"/users/1?fields=name"}"#), &registry()).unwrap();
        assert_eq!(planned[0].url.as_str(), "https://api.example.com/v1/users/1?fields=name");
    }

    #[test]
    fn lists_every_unknown_upstream_and_unsafe_path() {
        let err = plan(
            request(
                r#"{"id":"a","upstream":"nope","path":"/x"},{"id":"b","upstream":"users","path":"/../admin"},
                   {"id":"c","upstream":"users","path":"relative"}"#,
            ),
            &registry(),
        );
        let Err(ApiError::Validation(errors)) = err else { panic!("{:?}", err.map(|p| p.len())) };
        let found: Vec<(String, &str)> = errors.iter().map(|e| (e.loc.join("."), e.kind)).collect();
        assert_eq!(
            found,
            vec![
                ("body.requests.0.upstream".into(), "unknown_upstream"),
                ("body.requests.1.path".into(), "unsafe_path"),
                ("body.requests.2.path".into(), "unsafe_path"),
            ]
        );
        assert!(errors[0].msg.contains("configured: users"));
    }

    #[test]
    fn bodies_are_json_or_text() {
        let response = |ct: &str, body: &[u8]| upstream::UpstreamResponse {
            status: 200,
            content_type: Some(ct.into()),
            retry_after: None,
            etag: None,
            last_modified: None,
            body: Rc::from(body),
        };
        let raw = |r: Result<Box<RawValue>, UpstreamError>| r.map(|v| v.get().to_owned());
        assert_eq!(raw(body_value(&response("application/json", br#"[1, {"a": 2.50}]"#))), Ok(r#"[1, {"a": 2.50}]"#.to_owned()));
        assert_eq!(raw(body_value(&response("text/plain", br#"say "hi""#))), Ok(r#""say \"hi\"""#.to_owned()));
        assert!(matches!(body_value(&response("application/json", b"<html>")), Err(UpstreamError::InvalidJson { .. })));
        assert!(matches!(body_value(&response("application/json", b"{} trailing")), Err(UpstreamError::InvalidJson { .. })));
    }
}
