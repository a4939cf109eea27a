//! `POST /events`: accepts an event at once (202) and delivers it to the `EVENTS_WEBHOOK`
//! upstream in the background, retried on that upstream's policy.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use serde_json::{Map, Value};
use worker::Env;

use edge_relay::background;
use edge_relay::config::ConfigError;
use edge_relay::context::new_id;
use edge_relay::error::{AppProblem, FieldError};
use edge_relay::extract::{check_chars, Validate};
use edge_relay::prelude::*;
use edge_relay::upstream;

/// The largest `payload`, serialised.
const MAX_PAYLOAD_BYTES: usize = 64 * 1024;
/// Characters in `type`.
const TYPE_CHARS: std::ops::RangeInclusive<usize> = 1..=64;

pub const ROUTE: Route = post("/events", accept)
    .summary("Accepts an event (202) and delivers it to EVENTS_WEBHOOK in the background")
    .describe(
        "Answers 202 at once; the event is then POSTed as {id, type, payload, request_id} to the EVENTS_WEBHOOK \
         upstream after the response, with an Idempotency-Key of the event id, retried on that upstream's policy. \
         A delivery failure is logged with the request id and never changes the response.",
    )
    .tag("events")
    .guard(Guard::ScopeWhenJwt("events:write"))
    .doc(edge_relay::doc!(document));

#[cfg(feature = "openapi")]
fn document(op: edge_relay::operation::Op) -> edge_relay::operation::Op {
    use edge_relay::operation::length;
    use serde_json::json;
    op.body_example(json!({"type": "user.signed_up", "payload": {"user_id": 42}}))
        .constrain("EventIn", "/properties/type", length(&TYPE_CHARS))
        .problem(
            "413",
            "The body is larger than MAX_BODY_BYTES, or its `payload` larger than 64 KiB as JSON (a size, which a schema cannot state)",
            &payload_too_large(MAX_PAYLOAD_BYTES + 1).into(),
        )
        .problem(
            "422",
            "`type` not 1..=64 characters, or `payload` not an object",
            &ApiError::Validation(vec![FieldError::body(&["type"], "string_length", "must be 1 to 64 characters long, got 0")]),
        )
        .problem("503", "No EVENTS_WEBHOOK is configured", &ApiError::NotConfigured { feature: "event delivery", var: "EVENTS_WEBHOOK" })
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventIn {
    #[serde(rename = "type")]
    pub kind: String,
    pub payload: Map<String, Value>,
}

impl Validate for EventIn {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        check_chars(errors, &["type"], &self.kind, TYPE_CHARS);
    }
}

/// A payload of `bytes` past the limit: too large to deliver, as HTTP says of a body (413).
fn payload_too_large(bytes: usize) -> AppProblem {
    AppProblem::new(413, "urn:edge-relay:problem:payload-too-large", "Request body too large")
        .detail(format!("the event's payload is {bytes} bytes as JSON; events carry at most {MAX_PAYLOAD_BYTES}"))
        .member("limit_bytes", MAX_PAYLOAD_BYTES)
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

/// Accepted; delivery continues in the background
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"id": "0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10", "status": "accepted"}))]
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
    let size = serde_json::to_vec(&event.payload).map_or(0, |v| v.len());
    if size > MAX_PAYLOAD_BYTES {
        return Err(payload_too_large(size).into());
    }
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
    }
}
