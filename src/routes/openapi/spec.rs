//! Builds the OpenAPI 3.1 document from the route table (every route a default deployment
//! serves, in order) and the serde types the handlers return. Host-only: the result is
//! checked into `openapi.json`, which the worker serves as is, so the wasm carries neither
//! utoipa nor the builder. `documented_snapshot_is_current` fails when the two drift;
//! `UPDATE_OPENAPI=1 cargo test` rewrites the snapshot.

use std::ops::RangeInclusive;

use serde_json::{json, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Ref, Required};

use crate::auth::Guard;
use crate::error::{ApiError, FieldError, Problem};
use crate::routes::aggregate::model::{AggregateRequest, AggregateResponse, Item, ItemResult, MAX_ITEMS};
use crate::jobs::model::{JobAccepted, JobRequest, JobStatus, JobView, Progress, DEFAULT_PAGE, MAX_ITEMS as JOBS_MAX_ITEMS, MAX_PAGE};
use crate::routes::async_example::{Message, MAX_DELAY_MS};
use crate::routes::events::{EventAccepted, EventIn};
use crate::routes::meta::{self, Health, Index, RouteInfo};
use crate::routes::{served, Endpoint, Route};
use crate::upstream::UpstreamError;

/// The name of the bearer security scheme (an API key or a JWT access token).
const BEARER_SCHEME: &str = "bearer";

/// The request id the examples' problems carry.
const EXAMPLE_REQUEST_ID: &str = "3f1c8f0e-8a52-4c1e-9d36-2b7f0f4a9c11";

/// The OpenAPI 3.1 document of every route a default deployment serves.
pub fn build() -> OpenApi {
    let mut paths = Paths::new();
    for route in served(false) {
        if let Some(operation) = operation(route) {
            let method = match route.method {
                "POST" => HttpMethod::Post,
                "PUT" => HttpMethod::Put,
                "PATCH" => HttpMethod::Patch,
                "DELETE" => HttpMethod::Delete,
                _ => HttpMethod::Get,
            };
            paths.add_path_operation(route.path.replace("{*", "{"), vec![method], operation);
        }
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(env!("CARGO_PKG_NAME"))
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(env!("CARGO_PKG_DESCRIPTION")))
                .build(),
        )
        .paths(paths)
        .components(Some(
            ComponentsBuilder::new()
                .schema_from::<Index>()
                .schema_from::<RouteInfo>()
                .schema_from::<Health>()
                .schema_from::<Message>()
                .schema_from::<Problem>()
                .schema_from::<FieldError>()
                .schema_from::<AggregateRequest>()
                .schema_from::<Item>()
                .schema_from::<AggregateResponse>()
                .schema_from::<ItemResult>()
                .schema_from::<EventIn>()
                .schema_from::<EventAccepted>()
                .schema_from::<JobRequest>()
                .schema_from::<JobAccepted>()
                .schema_from::<JobStatus>()
                .schema_from::<JobView>()
                .schema_from::<Progress>()
                .security_scheme(
                    BEARER_SCHEME,
                    SecurityScheme::Http(
                        HttpBuilder::new()
                            .scheme(HttpAuthScheme::Bearer)
                            .bearer_format("JWT")
                            .description(Some(
                                "A JWT access token from the issuer in JWT_ISSUER (RS256, ES256 or EdDSA; `aud` one of \
                                 JWT_AUDIENCE; scopes in `scope` or `scp`), or one of the static API_KEYS, which holds \
                                 every scope. Each operation lists the scope it needs.",
                            ))
                            .build(),
                    ),
                )
                .build(),
        ))
        .build()
}

/// Each endpoint's operation; `None` for test-only routes, which are never documented.
fn operation(route: &Route) -> Option<utoipa::openapi::path::Operation> {
    let op = OperationBuilder::new().summary(Some(route.summary)).operation_id(Some(operation_id(route)));
    let any_json = ObjectBuilder::new().schema_type(SchemaType::AnyValue).build();
    let op = match route.endpoint {
        Endpoint::Index => op.response("200", json_response("The API index", "Index", example(meta::index_for(false)))),
        Endpoint::Healthz => op.response("200", json_response("The worker is alive", "Health", example(meta::healthz().0))),
        Endpoint::OpenApi => op.response(
            "200",
            ResponseBuilder::new()
                .description("This document")
                .content("application/json", ContentBuilder::new().schema(Some(any_json)).build()),
        ),
        Endpoint::Docs => op.response(
            "200",
            ResponseBuilder::new()
                .description("Swagger UI for this API")
                .content("text/html", ContentBuilder::new().schema(Some(ObjectBuilder::new().schema_type(Type::String))).build()),
        ),
        Endpoint::AsyncExample => op
            .parameter(int_query_parameter("delay_ms", "Milliseconds the runtime timer waits", 0..=MAX_DELAY_MS, Some(0)))
            .response("200", json_response("The timer completed", "Message", example(Message::completed())))
            .response(
                "422",
                problem_response(
                    "`delay_ms` is not an integer in range",
                    &ApiError::Validation(vec![FieldError::query("delay_ms", "int_parsing", "must be a whole number", Some("abc"))]),
                ),
            ),
        Endpoint::ExternalApi => op
            .response(
                "200",
                ResponseBuilder::new()
                    .description("The upstream's JSON body, as it sent it")
                    .content("application/json", ContentBuilder::new().schema(Some(any_json)).build()),
            )
            .response(
                "502",
                problem_response(
                    "The upstream failed: error status, invalid JSON, or connection failure",
                    &ApiError::Upstream(UpstreamError::BadStatus { status: 503 }),
                ),
            )
            .response(
                "504",
                problem_response(
                    "The upstream did not answer within UPSTREAM_TIMEOUT_MS",
                    &ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5000 }),
                ),
            ),
        Endpoint::UpstreamProxy => upstream_proxy(op, route.method, any_json),
        Endpoint::Aggregate => op
            .description(Some(format!(
                "1 to {MAX_ITEMS} GETs with unique ids, run concurrently (AGGREGATE_CONCURRENCY at once, 6 by default), \
                 each with its upstream's timeout, retries, breaker and cache. One failure never fails the batch."
            )))
            .request_body(Some(json_request_body(
                "AggregateRequest",
                json!({"requests": [
                    {"id": "user", "upstream": "users", "path": "/users/1"},
                    {"id": "orders", "upstream": "orders", "path": "/orders?user=1"}
                ]}),
            )))
            .response(
                "200",
                json_response(
                    "Every request's result, in order",
                    "AggregateResponse",
                    json!({"duration_ms": 312, "results": [
                        {"id": "user", "status": 200, "body": {"id": 1, "name": "Ada"}, "duration_ms": 305},
                        {"id": "orders", "error": example(ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 300 })
                            .to_problem(EXAMPLE_REQUEST_ID)), "duration_ms": 300}
                    ]}),
                ),
            )
            .response(
                "422",
                problem_response(
                    "Invalid batch: size, ids, unknown upstreams or unsafe paths, all listed",
                    &ApiError::Validation(vec![FieldError::body(&["requests", "0", "upstream"], "unknown_upstream", "no upstream named 'nope'; configured: users")]),
                ),
            ),
        Endpoint::Events => op
            .description(Some(
                "Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the EVENTS_WEBHOOK \
                 upstream after the response, with an Idempotency-Key of the event id, retried on that upstream's policy. \
                 A delivery failure is logged with the request id and never changes the response.",
            ))
            .request_body(Some(json_request_body("EventIn", json!({"type": "user.signed_up", "payload": {"user_id": 42}}))))
            .response(
                "202",
                json_response(
                    "Accepted; delivery continues in the background",
                    "EventAccepted",
                    json!({"id": "0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10", "status": "accepted"}),
                ),
            )
            .response(
                "422",
                problem_response(
                    "`type` not 1..=64 characters, or `payload` not an object of at most 64 KiB",
                    &ApiError::Validation(vec![FieldError::body(&["type"], "string_length", "must be 1 to 64 characters long, got 0")]),
                ),
            )
            .response(
                "503",
                problem_response("No EVENTS_WEBHOOK is configured", &ApiError::NotConfigured { feature: "event delivery", var: "EVENTS_WEBHOOK" }),
            ),
        Endpoint::SubmitJob => op
            .description(Some(format!(
                "Stores the job in D1 and queues it in chunks of JOBS_CHUNK_SIZE items; the queue consumer runs them \
                 (JOBS_CONCURRENCY at once), recording every result. Upstream timeouts, unreachable upstreams, 429 and \
                 5xx answers are retried with the message (exponential backoff from JOBS_RETRY_DELAY_S) until the \
                 queue's max_retries, then the job fails via the dead-letter queue. Same Idempotency-Key and body → \
                 the same job; same key, other body → 409. 1 to {JOBS_MAX_ITEMS} requests in /aggregate's format."
            )))
            .parameter(
                ParameterBuilder::new()
                    .name("Idempotency-Key")
                    .parameter_in(ParameterIn::Header)
                    .required(Required::True)
                    .description(Some("1 to 255 visible ASCII characters, unique per job"))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).min_length(Some(1)).max_length(Some(255)))),
            )
            .request_body(Some(json_request_body(
                "JobRequest",
                json!({"requests": [
                    {"id": "user-1", "upstream": "users", "path": "/users/1"},
                    {"id": "user-2", "upstream": "users", "path": "/users/2"}
                ]}),
            )))
            .response("202", json_response("Queued (or the job this key already named)", "JobAccepted", example(job_accepted())))
            .response(
                "409",
                problem_response("The Idempotency-Key was used with a different body", &ApiError::IdempotencyConflict { key: "order-42".into() }),
            )
            .response(
                "422",
                problem_response(
                    "Missing Idempotency-Key, or an invalid batch (as for /aggregate)",
                    &ApiError::Validation(vec![FieldError::header("idempotency-key", "missing", "POST /jobs needs an Idempotency-Key header", None)]),
                ),
            )
            .response(
                "503",
                problem_response(
                    "Neither API_KEYS nor JWT_ISSUER is configured (the route is closed), the issuer's keys cannot \
                     be fetched, or the store/queue failed",
                    &ApiError::NotConfigured { feature: "authentication", var: "API_KEYS or JWT_ISSUER" },
                ),
            ),
        Endpoint::JobStatus => op
            .description(Some("Only the caller that submitted the job can read it; to anyone else it does not exist (404)."))
            .parameter(path_parameter("id", "The job id POST /jobs returned"))
            .parameter(int_query_parameter("offset", "Results to skip", 0..=JOBS_MAX_ITEMS as u32, Some(0)))
            .parameter(int_query_parameter("limit", "Results per page", 1..=MAX_PAGE, Some(DEFAULT_PAGE)))
            .response(
                "200",
                json_response(
                    "The job; `results` once it has ended, `next` while more pages remain",
                    "JobView",
                    json!({
                        "id": job_accepted().id, "status": "succeeded",
                        "progress": {"total": 2, "pending": 0, "succeeded": 1, "failed": 1},
                        "created_at": "2026-11-25T18:00:00.000Z", "started_at": "2026-11-25T18:00:00.120Z",
                        "finished_at": "2026-11-25T18:00:00.480Z",
                        "results": [
                            {"id": "user-1", "status": 200, "body": {"id": 1, "name": "Ada"}, "duration_ms": 105},
                            {"id": "user-2", "status": 404, "body": {"error": "no such user"}, "duration_ms": 98}
                        ]
                    }),
                ),
            )
            .response("404", problem_response("No job has this id", &ApiError::JobNotFound { id: "nope".into() })),
        Endpoint::TestPanic | Endpoint::TestAbort | Endpoint::TestEcho => return None,
    };
    Some(guarded(op, route.guard).response("default", problem_response("Any other error, as an RFC 9457 problem", &ApiError::Overloaded { in_flight: 100 })).build())
}

/// The relay, for each method: GET and HEAD are open by default, the others where the
/// upstream's `methods` allow them. GET carries the full description and examples; the write
/// methods say what differs (a body goes up; 413), to keep the document small.
fn upstream_proxy(op: OperationBuilder, method: &str, any: utoipa::openapi::schema::Object) -> OperationBuilder {
    let op = op
        .parameter(path_parameter("name", "A configured upstream's name"))
        .parameter(path_parameter(
            "path",
            "Path under the upstream's base_url; may contain '/'. Dot segments, encoded '.', '/', '\\', '@' or '%', and absolute URLs are refused with 422",
        ))
        .response(
            "200",
            ResponseBuilder::new()
                .description("The upstream's answer (status < 500) with its headers; `Cache-Status` when the upstream is cached")
                .content("*/*", ContentBuilder::new().schema(Some(any.clone())).build()),
        );
    let problem = |description: &str, error: &ApiError| {
        if method == "GET" {
            problem_response(description, error)
        } else {
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
                .build()
        }
    };
    let op = op
        .response("404", problem("No upstream has this name", &ApiError::UnknownUpstream { name: "nope".into() }))
        .response(
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
        .response("504", problem("The upstream sent no headers in time", &ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5000 })));
    if method == "GET" {
        return op
            .description(Some(
                "Streams: the answer's body is passed on as the upstream sends it (events as they come, memory flat for any size); \
                 its headers pass except hop-by-hop ones, `Set-Cookie` and CORS. The upstream's `timeout_ms` covers the time to its \
                 headers; an event stream is cut off after `stream_idle_ms` without data. A cached upstream's GET is read whole (up to \
                 MAX_UPSTREAM_BODY_BYTES) and answered 304 to a matching If-None-Match / If-Modified-Since. `Last-Event-ID`, \
                 conditional and `Range` headers go up.",
            ))
            .response("304", ResponseBuilder::new().description("Not modified: the client's validators match (no body)").build());
    }
    let op = op.description(Some(
        "As GET, where the upstream's `methods` allow it. A body streams up as it arrives; it is sent again on a retry only \
         for PUT and DELETE or with an `Idempotency-Key`.",
    ));
    if method == "DELETE" {
        return op;
    }
    op.request_body(Some(
        RequestBodyBuilder::new()
            .description(Some("Any body, up to the upstream's max_request_body_bytes"))
            .content("*/*", ContentBuilder::new().schema(Some(any)).build())
            .build(),
    ))
    .response("413", problem("The body passed the upstream's max_request_body_bytes", &ApiError::Upstream(UpstreamError::RequestTooLarge { limit_bytes: 10_485_760 })))
}

fn job_accepted() -> JobAccepted {
    let id = "5c9e6f3a-0d41-4a8e-b1b7-6f2d3c4e5a60";
    JobAccepted { id: id.into(), status: JobStatus::Queued, status_url: format!("/jobs/{id}") }
}

/// A guarded operation's security requirement, with the scope it needs, and the RFC 6750
/// answers of its guard.
fn guarded(op: OperationBuilder, guard: Guard) -> OperationBuilder {
    let Some(scope) = guard.scope(true) else {
        return op;
    };
    let requirement = SecurityRequirement::new(BEARER_SCHEME, [scope]);
    let op = match guard {
        // Open unless JWT auth is on: the empty requirement says no credentials are needed.
        Guard::ScopeWhenJwt(_) => op.security(SecurityRequirement::default()).security(requirement),
        _ => op.security(requirement),
    };
    op.response(
        "400",
        problem_response(
            "`Authorization: Bearer` not followed by one token (`WWW-Authenticate: Bearer error=\"invalid_request\"`)",
            &ApiError::InvalidAuthorization { description: "the Bearer credentials are not one token" },
        ),
    )
    .response(
        "401",
        problem_response(
            "No credentials (`WWW-Authenticate: Bearer realm=\"edge-relay\"`), or a token that is not a valid API key \
             or JWT: bad signature, expired, wrong issuer or audience (`error=\"invalid_token\"` with an \
             `error_description`)",
            &ApiError::InvalidToken { description: "the token has expired".into() },
        ),
    )
    .response(
        "403",
        problem_response(
            &format!("The token lacks the scope `{scope}` (`error=\"insufficient_scope\"`)"),
            &ApiError::InsufficientScope { scope },
        ),
    )
}

/// An optional integer query parameter in `range`.
fn int_query_parameter(name: &str, description: &str, range: RangeInclusive<u32>, default: Option<u32>) -> utoipa::openapi::path::Parameter {
    let schema = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(*range.start()))
        .maximum(Some(*range.end()))
        .default(default.map(|d| json!(d)));
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Query)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// `GET /async-example` → `async_example`; `GET /` → `index`; a path served by more than one
/// method (the relay) adds the method: `upstreams_name_path_post`.
fn operation_id(route: &Route) -> String {
    let base = match route.path.trim_matches('/') {
        "" => "index".to_owned(),
        p => p.replace(['{', '}', '*'], "").replace(['-', '.', '/'], "_"),
    };
    if route.endpoint == Endpoint::UpstreamProxy && route.method != "GET" {
        return format!("{base}_{}", route.method.to_ascii_lowercase());
    }
    base
}

fn path_parameter(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

fn example(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn json_request_body(schema: &str, example: Value) -> utoipa::openapi::request_body::RequestBody {
    RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).example(Some(example)).build())
        .build()
}

fn json_response(description: &str, schema: &str, example: Value) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name(schema))).example(Some(example)).build(),
        )
        .build()
}

fn problem_response(description: &str, error: &ApiError) -> utoipa::openapi::Response {
    let example = example(error.to_problem(EXAMPLE_REQUEST_ID));
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).example(Some(example)).build(),
        )
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/openapi/openapi.json");

    fn doc() -> Value {
        serde_json::to_value(build()).unwrap()
    }

    #[test]
    fn is_openapi_3_1() {
        assert_eq!(doc()["openapi"], "3.1.0");
        assert_eq!(doc()["info"]["title"], "edge-relay");
    }

    #[test]
    fn documents_exactly_the_served_routes() {
        let doc = doc();
        let mut documented = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push(format!("{} {path}", method.to_uppercase()));
            }
        }
        let mut served: Vec<String> = served(false).map(|r| format!("{} {}", r.method, r.path.replace("{*", "{"))).collect();
        documented.sort();
        served.sort();
        assert_eq!(documented, served);
    }

    #[test]
    fn every_operation_has_a_success_and_an_error_response() {
        for (path, item) in doc()["paths"].as_object().unwrap() {
            let operation = item.as_object().unwrap().values().next().unwrap();
            let responses = &operation["responses"];
            assert!(responses.get("200").or(responses.get("202")).is_some(), "{path}");
            assert_eq!(responses["default"]["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem");
        }
    }

    #[test]
    fn documented_snapshot_is_current() {
        let fresh = serde_json::to_string_pretty(&build()).unwrap() + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(SNAPSHOT, &fresh).unwrap();
        }
        let committed = std::fs::read_to_string(SNAPSHOT).unwrap_or_default();
        assert!(committed == fresh, "{SNAPSHOT} is stale: run `UPDATE_OPENAPI=1 cargo test` and commit it");
    }

    #[test]
    fn operation_ids() {
        let ids: Vec<String> = served(false).map(operation_id).collect();
        for expected in ["index", "openapi_json", "async_example", "upstreams_name_path", "upstreams_name_path_post", "jobs_id"] {
            assert!(ids.iter().any(|id| id == expected), "{expected} in {ids:?}");
        }
        let mut unique = ids.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "operation ids are unique");
    }
}
