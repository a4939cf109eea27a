//! A batch's items and results: the `requests` list that `/aggregate`-style fan-outs and durable
//! jobs share, its rules, and one result per item.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{FieldError, Problem};
use crate::extract::chars_mismatch;

/// Characters in an item's `id` (the document states the same limits).
pub const ID_CHARS: RangeInclusive<usize> = 1..=64;
/// Characters in an item's `path`, query included (the document states the same limits).
pub const PATH_CHARS: RangeInclusive<usize> = 1..=2048;

/// One upstream GET: `path` (with any query) is joined onto the upstream's `base_url`. Its
/// result is the one at the same position in the results.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// A label of the caller's, echoed in this item's result (any text; items may share one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// A configured upstream's name.
    pub upstream: String,
    /// The path (and query) under the upstream's `base_url`, e.g. `/users/1?fields=name`.
    pub path: String,
}

/// A `requests` list: 1..=`max` items of sane lengths.
pub fn validate_items(items: &[Item], max: usize, errors: &mut Vec<FieldError>) {
    if !(1..=max).contains(&items.len()) {
        errors.push(FieldError::body(&["requests"], "length", format!("must hold 1 to {max} requests, got {}", items.len())));
    }
    for (i, item) in items.iter().enumerate() {
        if let Some(msg) = item.id.as_deref().and_then(|id| chars_mismatch(id, ID_CHARS)) {
            errors.push(item_error(i, "id", "string_length", msg));
        }
        if let Some(msg) = chars_mismatch(&item.path, PATH_CHARS) {
            errors.push(item_error(i, "path", "string_length", msg));
        }
    }
}

/// An error in the `field` of item `i` (its index written only when an error needs it).
pub fn item_error(i: usize, field: &str, kind: &'static str, msg: impl Into<String>) -> FieldError {
    FieldError::body(&["requests", &i.to_string(), field], kind, msg)
}

/// The limits `validate_items` enforces, written into the document: on the `requests` of
/// the request body `schema` (1..=`max` items) and on every item.
#[cfg(feature = "openapi")]
pub fn document_items(op: crate::operation::Op, schema: &'static str, max: usize) -> crate::operation::Op {
    use crate::operation::length;
    op.constrain(
        schema,
        "/properties/requests",
        serde_json::json!({"minItems": 1, "maxItems": max, "description": "Answered in order: the n-th result is the n-th request's."}),
    )
    .constrain("Item", "/properties/id", length(&ID_CHARS))
    .constrain("Item", "/properties/path", length(&PATH_CHARS))
    .constrain("Item", "/properties/path", serde_json::json!({"pattern": crate::upstream::path::ITEM_PATH_PATTERN}))
    .constrain("Item", "/properties/upstream", serde_json::json!({crate::openapi::UPSTREAM_NAMES: "GET"}))
}

/// An upstream's answer (`status`, `body`: parsed JSON, or text) or an `error` problem.
#[derive(Debug, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct ItemResult {
    /// The request's `id`, when it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The upstream's status, when it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// The upstream's body: its JSON exactly as sent (checked, not re-encoded), or its text as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<serde_json::Value>)]
    pub body: Option<Box<RawValue>>,
    /// `Cache-Status` when the upstream is cached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<String>,
    /// Why there is no answer: a timeout, an open breaker, a body that is not JSON…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
    /// Wall time of the call, retries included.
    pub duration_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::Validate;

    #[derive(Debug, Deserialize)]
    struct Batch {
        requests: Vec<Item>,
    }

    impl Validate for Batch {
        fn validate(&self, errors: &mut Vec<FieldError>) {
            validate_items(&self.requests, 2, errors);
        }
    }

    fn errors(json: &str) -> Vec<(String, &'static str)> {
        crate::extract::body_error_locs::<Batch>(json)
    }

    #[test]
    fn rejects_empty_and_oversized_batches_and_accepts_shared_or_missing_ids() {
        assert_eq!(errors(r#"{"requests":[]}"#), vec![("body.requests".into(), "length")]);
        let three = r#"{"requests":[{"id":"a","upstream":"u","path":"/"},{"id":"b","upstream":"u","path":"/"},{"id":"c","upstream":"u","path":"/"}]}"#;
        assert_eq!(errors(three), vec![("body.requests".into(), "length")]);
        for shared_or_none in [
            r#"{"requests":[{"id":"a","upstream":"u","path":"/"},{"id":"a","upstream":"u","path":"/"}]}"#,
            r#"{"requests":[{"upstream":"u","path":"/"},{"upstream":"u","path":"/"}]}"#,
        ] {
            assert!(crate::extract::parse_json::<Batch>(shared_or_none.as_bytes()).is_ok(), "{shared_or_none}");
        }
        assert_eq!(errors(r#"{"requests":[{"id":"","upstream":"u","path":"/x"}]}"#), vec![("body.requests.0.id".into(), "string_length")]);
        assert_eq!(errors(r#"{"requests":[{"id":"a","upstream":"u"}]}"#), vec![("body.requests.0.path".into(), "missing")]);
    }
}
