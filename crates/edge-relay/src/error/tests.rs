//! The mapping of every error to its status, type and headers.

use super::*;
use serde_json::json;

#[test]
fn upstream_errors_map_to_gateway_statuses() {
    let cases = [
        (UpstreamError::BadStatus { status: 500 }, 502, "upstream-bad-status"),
        (UpstreamError::InvalidJson { reason: "x".into() }, 502, "upstream-invalid-json"),
        (UpstreamError::Timeout { timeout_ms: 10 }, 504, "upstream-timeout"),
        (UpstreamError::Unreachable { reason: "x".into() }, 502, "upstream-unreachable"),
        (UpstreamError::CircuitOpen { retry_after_ms: 1.0 }, 503, "upstream-circuit-open"),
        (UpstreamError::TooLarge { limit_bytes: 8 }, 502, "upstream-too-large"),
        (UpstreamError::RequestTooLarge { limit_bytes: 8 }, 413, "payload-too-large"),
        (UpstreamError::ClientClosed, 499, "client-closed"),
    ];
    for (e, status, slug) in cases {
        let err = ApiError::from(e);
        assert_eq!((err.status(), err.slug()), (status, slug));
        assert_eq!(err.to_problem("rid").kind, format!("urn:edge-relay:problem:{slug}"));
    }
}

#[test]
fn bad_status_problem_carries_upstream_status() {
    let problem = ApiError::from(UpstreamError::BadStatus { status: 503 }).to_problem("rid");
    let v = serde_json::to_value(&problem).unwrap();
    assert_eq!(v["status"], 502);
    assert_eq!(v["upstream_status"], 503);
    assert!(v.get("errors").is_none());
}

#[test]
fn validation_problem_lists_field_errors() {
    let err = ApiError::Validation(vec![FieldError::query(
        "delay_ms",
        "int_parsing",
        "must be an integer",
        Some("abc"),
    )]);
    let v = serde_json::to_value(err.to_problem("rid-1")).unwrap();
    assert_eq!(v["status"], 422);
    assert_eq!(v["detail"], "1 input is invalid");
    assert_eq!(v["instance"], "rid-1");
    assert_eq!(
        v["errors"],
        json!([{"loc": ["query", "delay_ms"], "msg": "must be an integer", "type": "int_parsing", "input": "abc"}])
    );
    assert!(v.get("upstream_status").is_none());
}

#[test]
fn method_not_allowed_sets_allow_header() {
    let err = ApiError::MethodNotAllowed { method: "POST".into(), allow: vec!["GET", "HEAD"] };
    assert_eq!(err.status(), 405);
    assert_eq!(err.extra_headers(), vec![("Allow", "GET, HEAD".to_owned())]);
    assert!(err.to_problem("rid").detail.contains("POST"));
}

#[test]
fn every_status_has_its_own_type() {
    let errors = [
        ApiError::NotFound { path: "/x".into() },
        ApiError::UnknownUpstream { name: "x".into() },
        ApiError::MethodNotAllowed { method: "PUT".into(), allow: vec!["GET"] },
        ApiError::PayloadTooLarge { limit_bytes: 10 },
        ApiError::UnsupportedMediaType { content_type: None },
        ApiError::Validation(vec![]),
        ApiError::TooManyRequests { retry_after_s: 60 },
        ApiError::Overloaded { in_flight: 4 },
        ApiError::NotConfigured { feature: "x", var: "X" },
        ApiError::Internal { detail: "x".into() },
        ApiError::JobNotFound { id: "x".into() },
        ApiError::Unauthorized { reason: "x" },
        ApiError::IdempotencyConflict { key: "k".into() },
        ApiError::StorageUnavailable { detail: "x".into() },
        ApiError::ResultTooLarge { bytes: 2, limit: 1 },
        ApiError::InvalidToken { description: "x".into() },
        ApiError::InvalidAuthorization { description: "x" },
        ApiError::InsufficientScope { scope: "x" },
        ApiError::KeysUnavailable { reason: "x" },
        ApiError::StoreNotMigrated { detail: "x".into() },
    ];
    let statuses: Vec<u16> = errors.iter().map(ApiError::status).collect();
    assert_eq!(statuses, [404, 404, 405, 413, 415, 422, 429, 503, 503, 500, 404, 401, 409, 503, 502, 401, 400, 403, 503, 503]);
    let mut slugs: Vec<&str> = errors.iter().map(ApiError::slug).collect();
    slugs.dedup();
    assert_eq!(slugs.len(), errors.len());
    assert_eq!(errors[6].extra_headers(), vec![("Retry-After", "60".to_owned())]);
    assert_eq!(errors[7].extra_headers(), vec![("Retry-After", "1".to_owned())]);
    assert!(errors[4].to_problem("r").detail.contains("got none"));
    let open = ApiError::from(UpstreamError::CircuitOpen { retry_after_ms: 1_500.0 });
    assert_eq!(open.extra_headers(), vec![("Retry-After", "2".to_owned())]);
}

#[test]
fn auth_errors_carry_rfc_6750_challenges() {
    let challenge = |e: ApiError| e.extra_headers().into_iter().find(|(n, _)| *n == "WWW-Authenticate").map(|(_, v)| v);
    assert_eq!(challenge(ApiError::Unauthorized { reason: "x" }).as_deref(), Some("Bearer realm=\"edge-relay\""));
    assert_eq!(
        challenge(ApiError::InvalidToken { description: "the issuer has no key with kid 'a\"b\\c\u{e9}'".into() }).as_deref(),
        Some("Bearer realm=\"edge-relay\", error=\"invalid_token\", error_description=\"the issuer has no key with kid 'a?b?c?'\"")
    );
    assert_eq!(
        challenge(ApiError::InvalidAuthorization { description: "the Bearer credentials are empty" }).as_deref(),
        Some("Bearer realm=\"edge-relay\", error=\"invalid_request\", error_description=\"the Bearer credentials are empty\"")
    );
    assert_eq!(
        challenge(ApiError::InsufficientScope { scope: "jobs:write" }).as_deref(),
        Some("Bearer realm=\"edge-relay\", error=\"insufficient_scope\", error_description=\"this operation requires the scope 'jobs:write'\", scope=\"jobs:write\"")
    );
    assert_eq!(challenge(ApiError::KeysUnavailable { reason: "x" }), None);
}

#[test]
fn internals_reach_the_log_not_the_problem() {
    let raw = "D1_ERROR: no such column: x: SQLITE_ERROR at cloudflare-internal:d1-api:192:24";
    for e in [ApiError::StorageUnavailable { detail: raw.into() }, ApiError::Internal { detail: raw.into() }] {
        let problem = e.to_problem("rid");
        assert!(!problem.detail.contains("cloudflare-internal") && !problem.detail.contains("D1_ERROR"), "{}", problem.detail);
        assert!(problem.detail.contains("logged under the request id"));
        assert_eq!((e.cause(), e.log_detail()), (Some(raw), raw.to_owned()));
    }
    assert!(ApiError::StoreNotMigrated { detail: "no such table: jobs".into() }.to_problem("r").detail.contains("npx wrangler d1 migrations apply JOBS_DB --local"));
    assert_eq!(ApiError::NotFound { path: "/x".into() }.cause(), None);
}

#[test]
fn config_error_names_the_variable() {
    let err = ApiError::from(ConfigError::Missing { var: "UPSTREAM_URL" });
    assert_eq!(err.status(), 500);
    assert!(err.to_problem("rid").detail.contains("UPSTREAM_URL"));
}

#[test]
fn an_apps_problem_keeps_its_type_title_members_and_headers() {
    use super::AppProblem;
    let err: ApiError = AppProblem::new(409, "urn:shop:problem:out-of-stock", "Out of stock")
        .detail("sku-1 is sold out")
        .member("sku", "sku-1")
        .member("restock_days", 3)
        .member("status", 200)
        .member("instance", "forged")
        .header("Retry-After", "60")
        .into();
    assert_eq!((err.status(), err.slug()), (409, "urn:shop:problem:out-of-stock"));
    assert_eq!(err.extra_headers(), vec![("Retry-After", "60".to_owned())]);
    let body = serde_json::to_value(err.to_problem("rid")).unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "type": "urn:shop:problem:out-of-stock", "title": "Out of stock", "status": 409,
            "detail": "sku-1 is sold out", "instance": "rid", "sku": "sku-1", "restock_days": 3
        }),
        "standard members are never replaced by extension members"
    );
    assert_eq!(ApiError::from(AppProblem::new(200, "urn:x", "Not an error")).status(), 500, "a problem always has an error status");
}
