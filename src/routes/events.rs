//! `POST /events`: accepts an event at once (202) and delivers it to the `EVENTS_WEBHOOK`
//! upstream in the background, retried on that upstream's policy.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::Env;

use edge_relay::auth::Guard;
use edge_relay::background;
use edge_relay::config::ConfigError;
use edge_relay::context::new_id;
use edge_relay::error::{ApiError, FieldError};
use edge_relay::extract::{check_chars, Validate};
use edge_relay::handler::{handler, Cfg, Ctx, Json};
use edge_relay::response::Accepted;
use edge_relay::router::Route;
use edge_relay::settings::{FromVars, Settings, Vars};
use edge_relay::upstream;

/// The largest `payload`, serialised.
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Characters in `type`.
const TYPE_CHARS: std::ops::RangeInclusive<usize> = 1..=64;

pub const ROUTE: Route = Route {
    method: "POST",
    path: "/events",
    summary: "Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background",
    tag: "events",
    guard: Guard::ScopeWhenJwt("events:write"),
    handler: handler(accept),
    #[cfg(feature = "openapi")]
    doc: document,
    ..Route::DEFAULT
};

#[cfg(feature = "openapi")]
fn document(_: &Route, op: edge_relay::openapi::op::Op) -> edge_relay::openapi::op::Op {
    use edge_relay::openapi::op::length;
    use serde_json::json;
    op.description(
        "Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the EVENTS_WEBHOOK \
         upstream after the response, with an Idempotency-Key of the event id, retried on that upstream's policy. \
         A delivery failure is logged with the request id and never changes the response.",
    )
    .json_body::<EventIn>(json!({"type": "user.signed_up", "payload": {"user_id": 42}}))
    .constrain("EventIn", "/properties/type", length(&TYPE_CHARS))
    .constrain("EventIn", "/properties/payload", json!({"description": format!("At most {MAX_PAYLOAD_BYTES} bytes as JSON.")}))
    .json::<EventAccepted>(
        "202",
        "Accepted; delivery continues in the background",
        json!({"id": "0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10", "status": "accepted"}),
    )
    .problem(
        "422",
        "`type` not 1..=64 characters, or `payload` not an object of at most 64 KiB",
        &ApiError::Validation(vec![FieldError::body(&["type"], "string_length", "must be 1 to 64 characters long, got 0")]),
    )
    .problem("503", "No EVENTS_WEBHOOK is configured", &ApiError::NotConfigured { feature: "event delivery", var: "EVENTS_WEBHOOK" })
}

#[derive(Debug, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Map<String, Value>,
}

impl Validate for EventIn {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        check_chars(errors, &["type"], &self.kind, TYPE_CHARS);
        let size = serde_json::to_vec(&self.payload).map_or(0, |v| v.len());
        if size > MAX_PAYLOAD_BYTES {
            let msg = format!("must be at most {MAX_PAYLOAD_BYTES} bytes as JSON, got {size}");
            errors.push(FieldError::body(&["payload"], "too_large", msg));
        }
    }
}

/// What the webhook receives.
#[derive(Serialize)]
struct Delivery<'a> {
    id: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    payload: &'a Map<String, Value>,
    request_id: &'a str,
}

#[derive(Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventAccepted {
    pub id: String,
    pub status: &'static str,
}

/// The upstream events are delivered to (`EVENTS_WEBHOOK`, a name in `UPSTREAMS`).
pub struct Webhook(Option<String>);

impl FromVars for Webhook {
    fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        Ok(Webhook(vars.text("EVENTS_WEBHOOK")))
    }
}

pub async fn accept(Json(event): Json<EventIn>, Settings(webhook): Settings<Webhook>, env: Env, config: Cfg, ctx: Ctx) -> Result<Accepted<EventAccepted>, ApiError> {
    let webhook = webhook.0.as_ref().ok_or(ApiError::NotConfigured {
        feature: "event delivery",
        var: "EVENTS_WEBHOOK",
    })?;
    let registry = config.upstreams(&env)?;
    let upstream = registry
        .get(webhook)
        .ok_or_else(|| {
            ApiError::Config(ConfigError::Invalid { var: "EVENTS_WEBHOOK", reason: format!("no upstream named '{webhook}' in UPSTREAMS") })
        })?
        .clone();
    let id = new_id();
    let body = serde_json::to_vec(&Delivery { id: &id, kind: &event.kind, payload: &event.payload, request_id: &ctx.request_id })
        .map_err(|e| ApiError::Internal { detail: format!("could not encode the event: {e}") })?;
    let event_id = id.clone();
    background::spawn(&ctx, "deliver_event", move |task| async move {
        match upstream::post_json(&task, &upstream, &body, &event_id).await {
            Ok(r) if r.is_success() => Ok(()),
            Ok(r) => Err(format!("event {event_id}: webhook '{}' answered {}", upstream.name, r.status)),
            Err(e) => Err(format!("event {event_id}: webhook '{}': {e}", upstream.name)),
        }
    });
    Ok(Accepted(EventAccepted { id, status: "accepted" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge_relay::extract::{body_error_locs, parse_json};

    fn errors(json: &str) -> Vec<(String, &'static str)> {
        body_error_locs::<EventIn>(json)
    }

    #[test]
    fn accepts_an_event() {
        let e = parse_json::<EventIn>(br#"{"type":"user.signed_up","payload":{"id":1}}"#).unwrap();
        assert_eq!(e.kind, "user.signed_up");
    }

    #[test]
    fn rejects_bad_events() {
        assert_eq!(errors(r#"{"type":"","payload":{}}"#), vec![("body.type".into(), "string_length")]);
        assert_eq!(errors(&format!(r#"{{"type":"{}","payload":{{}}}}"#, "x".repeat(65))), vec![("body.type".into(), "string_length")]);
        assert_eq!(errors(r#"{"type":"a","payload":[1]}"#), vec![("body.payload".into(), "json_type")]);
        assert_eq!(errors(r#"{"type":"a"}"#), vec![("body.payload".into(), "missing")]);
        let big = format!(r#"{{"type":"a","payload":{{"x":"{}"}}}}"#, "y".repeat(MAX_PAYLOAD_BYTES));
        assert_eq!(errors(&big), vec![("body.payload".into(), "too_large")]);
    }
}
