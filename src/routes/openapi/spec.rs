//! Assembles the OpenAPI 3.1 document from the route table: each route's method, path,
//! summary, tag and guard, and the operation its own module documents beside its handler
//! (`Route::doc`), with the schemas and the validators' limits it names. Host-only: the result
//! is checked into `openapi.json`, which the worker serves, so the wasm carries neither utoipa
//! nor this code. `documented_snapshot_is_current` fails when the two drift;
//! `UPDATE_OPENAPI=1 cargo test` rewrites the snapshot.

use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApiBuilder, Paths};

use super::op::{problem_response, Op};
use crate::auth::Guard;
use crate::error::{ApiError, FieldError, Problem};
use crate::routes::{served, Route};

/// The name of the bearer security scheme (an API key or a JWT access token).
const BEARER_SCHEME: &str = "bearer";

/// The groups of `/docs`, in order.
const TAGS: &[(&str, &str)] = &[
    ("meta", "The index, liveness, this document and its UI"),
    ("examples", "Async patterns on the runtime"),
    ("upstreams", "Named upstreams: relaying, fan-out"),
    ("events", "Background delivery"),
    ("jobs", "Durable jobs on a queue, owned by their caller"),
];

/// The OpenAPI 3.1 document of every route a default deployment serves.
pub fn build() -> Value {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new().schema_from::<Problem>().schema_from::<FieldError>();
    let mut constraints = Vec::new();
    for route in served(false) {
        let op = Op::new(OperationBuilder::new().summary(Some(route.summary)).operation_id(Some(operation_id(route))).tag(route.tag));
        let Op { builder, schemas, constraints: limits } = (route.doc)(route, op);
        let builder = guarded(builder, route.guard)
            .response("default", problem_response("Any other error, as an RFC 9457 problem", &ApiError::Overloaded { in_flight: 100 }));
        for (name, schema) in schemas {
            components = components.schema(name, schema);
        }
        constraints.extend(limits);
        let method = match route.method {
            "POST" => HttpMethod::Post,
            "PUT" => HttpMethod::Put,
            "PATCH" => HttpMethod::Patch,
            "DELETE" => HttpMethod::Delete,
            _ => HttpMethod::Get,
        };
        paths.add_path_operation(route.path.replace("{*", "{"), vec![method], builder.build());
    }
    let components = components.security_scheme(
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
    );
    let document = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title(env!("CARGO_PKG_NAME"))
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(env!("CARGO_PKG_DESCRIPTION")))
                .build(),
        )
        .tags(Some(TAGS.iter().map(|(name, description)| TagBuilder::new().name(*name).description(Some(*description)).build())))
        .paths(paths)
        .components(Some(components.build()))
        .build();
    let mut document = serde_json::to_value(document).unwrap_or(Value::Null);
    // utoipa 5 writes a link's `operationId` as `operation_id`.
    for item in document["paths"].as_object_mut().into_iter().flat_map(|paths| paths.values_mut()) {
        for op in item.as_object_mut().into_iter().flat_map(|ops| ops.values_mut()) {
            for response in op["responses"].as_object_mut().into_iter().flat_map(|r| r.values_mut()) {
                for link in response.get_mut("links").and_then(Value::as_object_mut).into_iter().flat_map(|l| l.values_mut()) {
                    if let Some(id) = link.as_object_mut().and_then(|l| l.remove("operation_id")) {
                        link["operationId"] = id;
                    }
                }
            }
        }
    }
    for (schema, pointer, members) in constraints {
        let target = document.pointer_mut(&format!("/components/schemas/{schema}{pointer}"));
        let (Some(Value::Object(target)), Value::Object(members)) = (target, members) else {
            panic!("no schema member {schema}{pointer} to constrain");
        };
        target.extend(members);
    }
    document
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

/// `GET /async-example` → `async_example`; `GET /` → `index`; a path served by more than one
/// method (the relay) adds the method to all but GET: `upstreams_name_path_post`.
fn operation_id(route: &Route) -> String {
    let base = match route.path.trim_matches('/') {
        "" => "index".to_owned(),
        p => p.replace(['{', '}', '*'], "").replace(['-', '.', '/'], "_"),
    };
    let shared = served(false).filter(|r| r.path == route.path).count() > 1;
    if shared && route.method != "GET" {
        return format!("{base}_{}", route.method.to_ascii_lowercase());
    }
    base
}

#[cfg(test)]
mod tests {
    use super::*;

    const SNAPSHOT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/src/routes/openapi/openapi.json");

    fn doc() -> Value {
        build()
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

    /// Whether `body` passes `T`'s parser and validator.
    fn accepts<T: serde::de::DeserializeOwned + crate::extract::Validate + std::fmt::Debug>(body: &Value) -> bool {
        crate::extract::parse_json::<T>(body.to_string().as_bytes()).is_ok()
    }

    /// Each limit the document states, at and just past its bounds, against the validator
    /// that enforces it: they come from the same constants, and this proves they agree.
    #[test]
    fn the_documents_limits_are_the_validators() {
        use crate::jobs::model::JobRequest;
        use crate::routes::aggregate::model::AggregateRequest;
        use crate::routes::events::EventIn;
        use serde_json::json;

        let doc = doc();
        let bound = |schema: &str, property: &str, key: &str| {
            doc["components"]["schemas"][schema]["properties"][property][key].as_u64().unwrap_or_else(|| panic!("{schema}.{property}.{key}")) as usize
        };
        let around = |lo: usize, hi: usize| [(lo, true), (hi, true), (lo.wrapping_sub(1), false), (hi + 1, false)].into_iter().filter(|(n, _)| *n != usize::MAX);
        for (n, valid) in around(bound("EventIn", "type", "minLength"), bound("EventIn", "type", "maxLength")) {
            assert_eq!(accepts::<EventIn>(&json!({"type": "t".repeat(n), "payload": {}})), valid, "EventIn.type of {n}");
        }
        let path = |n: usize| if n == 0 { String::new() } else { format!("/{}", "p".repeat(n - 1)) };
        let item = |id: usize, chars: usize| json!({"id": "i".repeat(id), "upstream": "u", "path": path(chars)});
        let one = |item: Value| json!({"requests": [item]});
        for (n, valid) in around(bound("Item", "id", "minLength"), bound("Item", "id", "maxLength")) {
            assert_eq!(accepts::<AggregateRequest>(&one(item(n, 5))), valid, "Item.id of {n}");
        }
        for (n, valid) in around(bound("Item", "path", "minLength"), bound("Item", "path", "maxLength")) {
            assert_eq!(accepts::<AggregateRequest>(&one(item(3, n))), valid, "Item.path of {n}");
        }
        let many = |n: usize| json!({"requests": (0..n).map(|i| json!({"id": format!("r{i}"), "upstream": "u", "path": "/x"})).collect::<Vec<_>>()});
        for (n, valid) in around(bound("AggregateRequest", "requests", "minItems"), bound("AggregateRequest", "requests", "maxItems")) {
            assert_eq!(accepts::<AggregateRequest>(&many(n)), valid, "AggregateRequest of {n}");
        }
        for (n, valid) in around(bound("JobRequest", "requests", "minItems"), bound("JobRequest", "requests", "maxItems")) {
            assert_eq!(accepts::<JobRequest>(&many(n)), valid, "JobRequest of {n}");
        }
    }

    #[test]
    fn operations_are_grouped_by_declared_tags() {
        let doc = doc();
        let declared: Vec<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let tag = op["tags"][0].as_str().unwrap_or_default();
                assert!(declared.contains(&tag), "{method} {path}: tag '{tag}'");
            }
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
