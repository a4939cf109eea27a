//! Assembles an app's OpenAPI 3.1 document from its route table: each route's method, path,
//! summary, tag and guard, the operation its handler's types document (`Route::derived`) and
//! what the route adds by hand (`Route::doc`), with the schemas and the validators' limits
//! they name. Host-only (the
//! `openapi` feature): an app's test checks the result into the file its
//! [`crate::openapi_document!`] embeds, so the wasm carries neither utoipa nor this code.

use serde_json::Value;
use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::tag::TagBuilder;
use utoipa::openapi::{ComponentsBuilder, InfoBuilder, OpenApiBuilder, Paths};

use crate::operation::{problem_response, Op};
use crate::auth::Guard;
use crate::error::{ApiError, FieldError, Problem};
use crate::router::{App, Route};

/// The name of the bearer security scheme (an API key or a JWT access token).
const BEARER_SCHEME: &str = "bearer";

/// The library's own routes' group in `/docs`.
const META_TAG: (&str, &str) = ("meta", "The index, liveness, this document and its UI");

/// The OpenAPI 3.1 document of every route a default deployment of `app` serves.
pub fn build(app: &'static App) -> Value {
    let mut paths = Paths::new();
    let mut components = ComponentsBuilder::new().schema_from::<Problem>().schema_from::<FieldError>();
    let mut constraints = Vec::new();
    let index = crate::operation::example(crate::meta::index(app, false).0);
    for route in app.served(false) {
        let mut builder = OperationBuilder::new().summary(Some(route.summary)).operation_id(Some(operation_id(app, route)));
        if !route.tag.is_empty() {
            builder = builder.tag(route.tag);
        }
        if !route.description.is_empty() {
            builder = builder.description(Some(route.description));
        }
        let op = (route.doc)((route.derived)(Op::new(index.clone(), route.method, route.path, builder)));
        let (builder, schemas, limits) = op.build();
        let builder = guarded(builder, route.guard)
            .parameters(Some(crate::trace::document::header_parameters()))
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
                .title(app.name)
                .version(app.version)
                .description(Some(app.description))
                .build(),
        )
        .tags(Some(
            std::iter::once(&META_TAG).chain(app.tags).map(|(name, description)| TagBuilder::new().name(*name).description(Some(*description)).build()),
        ))
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

/// Fails unless the file at `path` holds `app`'s document as `build` makes it now (pretty
/// JSON): an app's test, so the checked-in document never drifts from the code. With
/// `UPDATE_OPENAPI` set it writes the file first.
pub fn assert_current(app: &'static App, path: &str) {
    let fresh = serde_json::to_string_pretty(&build(app)).unwrap_or_default() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &fresh).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(committed == fresh, "{path} is stale: run `UPDATE_OPENAPI=1 cargo test` and commit it");
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
/// method adds the method to all but its first route: `upstreams_name_path_post`, `jobs_get`.
fn operation_id(app: &'static App, route: &Route) -> String {
    let base = match route.path.trim_matches('/') {
        "" => "index".to_owned(),
        p => p.replace(['{', '}', '*'], "").replace(['-', '.', '/'], "_"),
    };
    // The path's first route in the table keeps the bare name, so a method added to a path
    // later leaves the ids generated clients already call as they were.
    let first = app.served(false).find(|r| r.path == route.path).is_some_and(|r| r.method == route.method);
    if !first {
        return format!("{base}_{}", route.method.to_ascii_lowercase());
    }
    base
}

