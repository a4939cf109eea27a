//! The one error type of the API and its RFC 9457 `application/problem+json` body.
//!
//! Handlers return `Result<_, ApiError>`, or `Result<_, E>` with the app's own error type `E`
//! made into one (`impl From<E> for ApiError`, usually through an [`AppProblem`]); nothing else
//! builds error JSON.

use serde::Serialize;
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};

use crate::config::error::ConfigError;
use crate::upstream::outcome::{UpstreamError, CLIENT_CLOSED};

/// Every way a request can fail, each mapped to one status and one problem `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiError {
    /// 404: no route has this path.
    NotFound {
        /// The request's path.
        path: String,
    },
    /// 404: a job id that names no job.
    JobNotFound {
        /// The id asked for.
        id: String,
    },
    /// 401: no bearer credentials at all (RFC 6750 §3.1: the challenge carries no error code).
    Unauthorized {
        /// What the client should send, for `detail`.
        reason: &'static str,
    },
    /// 401: a bearer token that is not a valid key or JWT: expired, wrong issuer, bad signature…
    InvalidToken {
        /// Why, for `detail` and the challenge's `error_description`.
        description: String,
    },
    /// 400: an `Authorization: Bearer` header that is not one token.
    InvalidAuthorization {
        /// What is wrong with it, for `detail` and the challenge.
        description: &'static str,
    },
    /// 403: a valid token without the scope the route requires.
    InsufficientScope {
        /// The scope required.
        scope: &'static str,
    },
    /// 503: the issuer's keys are needed but cannot be had now (being fetched, or the issuer is down).
    KeysUnavailable {
        /// Why, for `detail`.
        reason: &'static str,
    },
    /// 409: an `Idempotency-Key` reused with a different request.
    IdempotencyConflict {
        /// The key.
        key: String,
    },
    /// 404: no upstream of this name is configured.
    UnknownUpstream {
        /// The name asked for.
        name: String,
    },
    /// 405, with `Allow`: the path exists, not for this method.
    MethodNotAllowed {
        /// The request's method.
        method: String,
        /// The methods the path serves.
        allow: Vec<&'static str>,
    },
    /// 413: the request body is larger than the limit.
    PayloadTooLarge {
        /// The limit (`MAX_BODY_BYTES` for a JSON body).
        limit_bytes: u32,
    },
    /// 415: a JSON body was expected.
    UnsupportedMediaType {
        /// The `Content-Type` sent, if any.
        content_type: Option<String>,
    },
    /// 422: invalid inputs, each one a [`FieldError`] in the problem's `errors`.
    Validation(Vec<FieldError>),
    /// 429, with `Retry-After`: the caller is over its rate limit.
    TooManyRequests {
        /// Seconds until the client may try again.
        retry_after_s: u32,
    },
    /// 503, with `Retry-After`: the isolate already serves `MAX_IN_FLIGHT` requests.
    Overloaded {
        /// How many it is already serving.
        in_flight: u32,
    },
    /// 503: a feature whose configuration is absent, so it is switched off.
    NotConfigured {
        /// What is off, e.g. `event delivery`.
        feature: &'static str,
        /// What would switch it on, e.g. `EVENTS_WEBHOOK`.
        var: &'static str,
    },
    /// 503: the job store or queue failed; the request may be retried as is.
    StorageUnavailable {
        /// The store's own error, for the log only.
        detail: String,
    },
    /// 503: the job store lacks tables or columns: its migrations were not (all) applied.
    StoreNotMigrated {
        /// The store's own error, for the log only.
        detail: String,
    },
    /// 502: an upstream answer too large to keep as a job result.
    ResultTooLarge {
        /// The result's size.
        bytes: usize,
        /// The largest result kept.
        limit: usize,
    },
    /// An upstream call failed: 502, or by [`UpstreamError`] 503 (open breaker), 504 (timeout),
    /// 413 (a relayed body too large) or 499 (the client hung up; only the log sees it).
    Upstream(UpstreamError),
    /// 500: a var is missing or invalid (`detail` names it).
    Config(ConfigError),
    /// 500: a runtime call failed.
    Internal {
        /// How, for the log only.
        detail: String,
    },
    /// One of the app's own problems.
    App(Box<AppProblem>),
}

/// One invalid input, in the spirit of FastAPI's `detail` items.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct FieldError {
    /// Where the input came from and its name, e.g. `["query", "delay_ms"]`.
    pub loc: Vec<String>,
    /// What is wrong, for a person: `must be between 0 and 10000`.
    pub msg: String,
    /// Machine-readable kind, e.g. `int_parsing`, `less_than_equal`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The offending value as received, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<String>,
}

impl FieldError {
    /// An error in a query parameter.
    pub fn query(name: &str, kind: &'static str, msg: impl Into<String>, input: Option<&str>) -> Self {
        Self {
            loc: vec!["query".to_owned(), name.to_owned()],
            msg: msg.into(),
            kind,
            input: input.map(str::to_owned),
        }
    }

    /// An error in a path parameter.
    pub fn path(name: &str, kind: &'static str, msg: impl Into<String>, input: &str) -> Self {
        Self { loc: vec!["path".to_owned(), name.to_owned()], msg: msg.into(), kind, input: Some(input.to_owned()) }
    }

    /// An error in a request header.
    pub fn header(name: &str, kind: &'static str, msg: impl Into<String>, input: Option<&str>) -> Self {
        Self { loc: vec!["header".to_owned(), name.to_owned()], msg: msg.into(), kind, input: input.map(str::to_owned) }
    }

    /// An error in a JSON body; `path` is the field path below the body, e.g. `["tags", "2"]`.
    pub fn body(path: &[&str], kind: &'static str, msg: impl Into<String>) -> Self {
        let mut loc = vec!["body".to_owned()];
        loc.extend(path.iter().map(|p| p.to_string()));
        Self { loc, msg: msg.into(), kind, input: None }
    }
}

/// The RFC 9457 problem document, with our extension members.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct Problem {
    /// The `type`: a URI naming the kind of problem (`urn:edge-relay:problem:{slug}` for the library's own).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary, the same for every occurrence of the type.
    pub title: &'static str,
    /// The response's status.
    pub status: u16,
    /// What happened this time.
    pub detail: String,
    /// The request id, so a client report can be matched with the access log.
    pub instance: String,
    /// The W3C trace the request belongs to (a response's problem only): its traces and logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub trace_id: Option<String>,
    /// A 422's invalid inputs, one entry each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The status the upstream answered with, where it answered at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_status: Option<u16>,
    /// An app's own extension members.
    #[serde(flatten)]
    #[schema(ignore)]
    pub members: Members,
}

/// Problem types are URNs: stable identifiers that need no hosted page.
const TYPE_PREFIX: &str = "urn:edge-relay:problem:";

impl ApiError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotFound { .. } | ApiError::UnknownUpstream { .. } | ApiError::JobNotFound { .. } => 404,
            ApiError::Unauthorized { .. } | ApiError::InvalidToken { .. } => 401,
            ApiError::InvalidAuthorization { .. } => 400,
            ApiError::InsufficientScope { .. } => 403,
            ApiError::IdempotencyConflict { .. } => 409,
            ApiError::MethodNotAllowed { .. } => 405,
            ApiError::PayloadTooLarge { .. } | ApiError::Upstream(UpstreamError::RequestTooLarge { .. }) => 413,
            // nginx's code for a client that closed the connection first; only the log sees it.
            ApiError::Upstream(UpstreamError::ClientClosed) => 499,
            ApiError::UnsupportedMediaType { .. } => 415,
            ApiError::Validation(_) => 422,
            ApiError::TooManyRequests { .. } => 429,
            ApiError::Overloaded { .. }
            | ApiError::NotConfigured { .. }
            | ApiError::StorageUnavailable { .. }
            | ApiError::StoreNotMigrated { .. }
            | ApiError::KeysUnavailable { .. } => 503,
            ApiError::Internal { .. } => 500,
            ApiError::App(problem) => problem.status,
            ApiError::Upstream(UpstreamError::Timeout { .. }) => 504,
            ApiError::Upstream(UpstreamError::CircuitOpen { .. }) => 503,
            ApiError::Upstream(_) | ApiError::ResultTooLarge { .. } => 502,
            ApiError::Config(_) => 500,
        }
    }

    /// Short machine-readable slug, also used as the problem `type` suffix (an app's problem:
    /// its whole `type`).
    pub fn slug(&self) -> &'static str {
        match self {
            ApiError::App(problem) => problem.kind,
            ApiError::NotFound { .. } => "not-found",
            ApiError::JobNotFound { .. } => "job-not-found",
            ApiError::Unauthorized { .. } => "unauthorized",
            ApiError::InvalidToken { .. } => "invalid-token",
            ApiError::InvalidAuthorization { .. } => "invalid-authorization",
            ApiError::InsufficientScope { .. } => "insufficient-scope",
            ApiError::KeysUnavailable { .. } => "keys-unavailable",
            ApiError::IdempotencyConflict { .. } => "idempotency-conflict",
            ApiError::StorageUnavailable { .. } => "storage-unavailable",
            ApiError::StoreNotMigrated { .. } => "storage-not-migrated",
            ApiError::ResultTooLarge { .. } => "result-too-large",
            ApiError::UnknownUpstream { .. } => "unknown-upstream",
            ApiError::MethodNotAllowed { .. } => "method-not-allowed",
            ApiError::PayloadTooLarge { .. } | ApiError::Upstream(UpstreamError::RequestTooLarge { .. }) => "payload-too-large",
            ApiError::UnsupportedMediaType { .. } => "unsupported-media-type",
            ApiError::Validation(_) => "validation-failed",
            ApiError::TooManyRequests { .. } => "rate-limited",
            ApiError::Overloaded { .. } => "overloaded",
            ApiError::NotConfigured { .. } => "not-configured",
            ApiError::Internal { .. } => "internal",
            ApiError::Upstream(UpstreamError::BadStatus { .. }) => "upstream-bad-status",
            ApiError::Upstream(UpstreamError::InvalidJson { .. }) => "upstream-invalid-json",
            ApiError::Upstream(UpstreamError::Timeout { .. }) => "upstream-timeout",
            ApiError::Upstream(UpstreamError::Unreachable { .. }) => "upstream-unreachable",
            ApiError::Upstream(UpstreamError::CircuitOpen { .. }) => "upstream-circuit-open",
            ApiError::Upstream(UpstreamError::TooLarge { .. }) => "upstream-too-large",
            ApiError::Upstream(UpstreamError::ClientClosed) => CLIENT_CLOSED,
            ApiError::Config(_) => "invalid-configuration",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::App(problem) => problem.title,
            ApiError::NotFound { .. } => "Not Found",
            ApiError::JobNotFound { .. } => "Job not found",
            ApiError::Unauthorized { .. } => "Unauthorized",
            ApiError::InvalidToken { .. } => "Invalid token",
            ApiError::InvalidAuthorization { .. } => "Malformed Authorization header",
            ApiError::InsufficientScope { .. } => "Insufficient scope",
            ApiError::KeysUnavailable { .. } => "Token keys unavailable",
            ApiError::IdempotencyConflict { .. } => "Idempotency key reused",
            ApiError::StorageUnavailable { .. } => "Job storage unavailable",
            ApiError::StoreNotMigrated { .. } => "Job storage has no schema",
            ApiError::ResultTooLarge { .. } => "Result too large to store",
            ApiError::UnknownUpstream { .. } => "Unknown upstream",
            ApiError::MethodNotAllowed { .. } => "Method Not Allowed",
            ApiError::PayloadTooLarge { .. } | ApiError::Upstream(UpstreamError::RequestTooLarge { .. }) => "Request body too large",
            ApiError::UnsupportedMediaType { .. } => "Unsupported media type",
            ApiError::Validation(_) => "Request validation failed",
            ApiError::TooManyRequests { .. } => "Too many requests",
            ApiError::Overloaded { .. } => "Service overloaded",
            ApiError::NotConfigured { .. } => "Feature not configured",
            ApiError::Internal { .. } => "Internal error",
            ApiError::Upstream(UpstreamError::BadStatus { .. }) => "Upstream returned an error status",
            ApiError::Upstream(UpstreamError::InvalidJson { .. }) => "Upstream returned invalid JSON",
            ApiError::Upstream(UpstreamError::Timeout { .. }) => "Upstream timed out",
            ApiError::Upstream(UpstreamError::Unreachable { .. }) => "Upstream unreachable",
            ApiError::Upstream(UpstreamError::CircuitOpen { .. }) => "Upstream circuit open",
            ApiError::Upstream(UpstreamError::TooLarge { .. }) => "Upstream body too large",
            ApiError::Upstream(UpstreamError::ClientClosed) => "Client closed the request",
            ApiError::Config(_) => "Server misconfigured",
        }
    }

    fn detail(&self) -> String {
        match self {
            ApiError::App(problem) => problem.detail.clone(),
            ApiError::NotFound { path } => format!("no route matches path '{path}'"),
            ApiError::JobNotFound { id } => format!("no job has id '{id}'"),
            ApiError::Unauthorized { reason } => (*reason).to_owned(),
            ApiError::InvalidToken { description } => description.clone(),
            ApiError::InvalidAuthorization { description } => (*description).to_owned(),
            ApiError::InsufficientScope { scope } => format!("this operation requires the scope '{scope}'"),
            ApiError::KeysUnavailable { reason } => format!("{reason}; retry shortly"),
            ApiError::IdempotencyConflict { key } => {
                format!("Idempotency-Key '{key}' was already used with a different request body; use a new key")
            }
            ApiError::StorageUnavailable { .. } => {
                "the job store or queue did not answer; retry with the same Idempotency-Key (the error is logged under the request id)".to_owned()
            }
            ApiError::StoreNotMigrated { .. } => "the job store (D1) lacks tables or columns: run `npx wrangler d1 migrations apply JOBS_DB --local` \
                 (`--remote` for the deployed database), or start with `npm run dev`, which applies them"
                .to_owned(),
            ApiError::ResultTooLarge { bytes, limit } => {
                format!("the upstream's answer makes a {bytes}-byte result; job results are kept up to {limit} bytes")
            }
            ApiError::UnknownUpstream { name } => format!("no upstream named '{name}' is configured"),
            ApiError::MethodNotAllowed { method, allow } => {
                format!("method {method} is not allowed here; allowed: {}", allow.join(", "))
            }
            ApiError::PayloadTooLarge { limit_bytes } => {
                format!("the request body exceeds the limit of {limit_bytes} bytes")
            }
            ApiError::UnsupportedMediaType { content_type } => format!(
                "expected Content-Type application/json, got {}",
                content_type.as_deref().map_or("none".to_owned(), |c| format!("'{c}'"))
            ),
            ApiError::TooManyRequests { retry_after_s } => {
                format!("rate limit exceeded; retry after {retry_after_s} s")
            }
            ApiError::Overloaded { in_flight } => {
                format!("this instance is already serving {in_flight} requests; retry shortly")
            }
            ApiError::NotConfigured { feature, var } => format!("{feature} is off: set {var} to enable it"),
            ApiError::Internal { .. } => "an internal error ended this request; it is logged under the request id".to_owned(),
            ApiError::Validation(errors) => match errors.len() {
                1 => "1 input is invalid".to_owned(),
                n => format!("{n} inputs are invalid"),
            },
            ApiError::Upstream(e) => e.to_string(),
            ApiError::Config(e) => e.to_string(),
        }
    }

    /// What went wrong inside, for the log line only, never a problem body: a store's or the
    /// runtime's own words can carry stack frames and runtime paths.
    pub fn cause(&self) -> Option<&str> {
        match self {
            ApiError::StorageUnavailable { detail } | ApiError::StoreNotMigrated { detail } | ApiError::Internal { detail } => Some(detail),
            _ => None,
        }
    }

    /// The whole story, for a log: the cause where there is one, else what the client sees.
    pub fn log_detail(&self) -> String {
        self.cause().map_or_else(|| self.detail(), str::to_owned)
    }

    /// The response headers this error adds beyond the content type.
    pub fn extra_headers(&self) -> Vec<(&'static str, String)> {
        match self {
            ApiError::MethodNotAllowed { allow, .. } => vec![("Allow", allow.join(", "))],
            ApiError::TooManyRequests { retry_after_s } => vec![("Retry-After", retry_after_s.to_string())],
            ApiError::Overloaded { .. } | ApiError::StorageUnavailable { .. } | ApiError::KeysUnavailable { .. } => {
                vec![("Retry-After", "1".to_owned())]
            }
            ApiError::Unauthorized { .. } => vec![("WWW-Authenticate", bearer_challenge(&[]))],
            ApiError::InvalidToken { description } => {
                vec![("WWW-Authenticate", bearer_challenge(&[("error", "invalid_token"), ("error_description", description)]))]
            }
            ApiError::InvalidAuthorization { description } => {
                vec![("WWW-Authenticate", bearer_challenge(&[("error", "invalid_request"), ("error_description", description)]))]
            }
            ApiError::InsufficientScope { scope } => {
                let description = self.detail();
                vec![("WWW-Authenticate", bearer_challenge(&[("error", "insufficient_scope"), ("error_description", &description), ("scope", scope)]))]
            }
            ApiError::Upstream(UpstreamError::CircuitOpen { retry_after_ms }) => {
                vec![("Retry-After", ((retry_after_ms / 1000.0).ceil() as u64).max(1).to_string())]
            }
            ApiError::App(problem) => problem.headers.clone(),
            _ => Vec::new(),
        }
    }

    /// The problem+json body, `instance` being the request id.
    pub fn to_problem(&self, request_id: &str) -> Problem {
        Problem {
            kind: match self {
                ApiError::App(problem) => problem.kind.to_owned(),
                _ => format!("{TYPE_PREFIX}{}", self.slug()),
            },
            title: self.title(),
            status: self.status(),
            detail: self.detail(),
            instance: request_id.to_owned(),
            trace_id: None,
            errors: match self {
                ApiError::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
            upstream_status: match self {
                ApiError::Upstream(UpstreamError::BadStatus { status }) => Some(*status),
                _ => None,
            },
            members: match self {
                ApiError::App(problem) => problem.members.clone(),
                _ => Members::default(),
            },
        }
    }
}

/// An RFC 6750 §3 challenge. Values are quoted strings of the characters the RFC allows
/// (a description can quote a client's `kid`): anything else becomes `?`.
fn bearer_challenge(params: &[(&str, &str)]) -> String {
    let mut challenge = String::from("Bearer realm=\"edge-relay\"");
    for (name, value) in params {
        let safe: String = value.chars().map(|c| if matches!(c, ' ' | '!' | '#'..='[' | ']'..='~') { c } else { '?' }).collect();
        challenge.push_str(&format!(", {name}=\"{safe}\""));
    }
    challenge
}

impl From<UpstreamError> for ApiError {
    fn from(e: UpstreamError) -> Self {
        ApiError::Upstream(e)
    }
}

/// A failed runtime call (building a response, reading a body): our fault, not the client's.
impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::Internal { detail: format!("runtime error: {e}") }
    }
}

impl From<ConfigError> for ApiError {
    fn from(e: ConfigError) -> Self {
        ApiError::Config(e)
    }
}

/// The message of a JS error (e.g. "Network connection lost."), never its stack; or the
/// value's debug form.
pub fn js_error_message(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map_or_else(|| format!("{e:?}"), |e| String::from(e.message()))
}

mod app;

pub use app::{AppProblem, Members};

#[cfg(test)]
mod tests;
