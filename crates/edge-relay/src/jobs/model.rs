//! The jobs API's bodies and the runtime-free rules of job processing: how a job is cut
//! into queue messages, how long a failed message waits, which item failures are worth a
//! retry, and how timestamps are shown.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::{ApiError, FieldError, Problem};
use crate::extract::Validate;
use crate::batch::model::{validate_items, Item, ItemResult};
use crate::upstream::retry::is_retryable_status;

/// Items in one job, at most.
pub const MAX_ITEMS: usize = 1000;
/// Longest wait before a failed message is retried.
pub(crate) const MAX_RETRY_DELAY_S: u32 = 900;
/// Results per page of `GET /jobs/{id}` when the client asks for no `limit`.
pub const DEFAULT_PAGE: u32 = 50;
/// The largest `limit`: with results capped at `MAX_RESULT_BYTES`, a page stays within a few
/// tens of MB of the isolate's 128 MB.
pub const MAX_PAGE: u32 = 100;
/// The largest item result stored (D1 rows hold up to 2 MB); a larger answer is recorded as
/// a failed item saying so.
pub(crate) const MAX_RESULT_BYTES: usize = 256 * 1024;

/// `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to 1,000 of them.
#[derive(Debug, Deserialize, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The upstream GETs, 1 to [`MAX_ITEMS`] with unique ids.
    pub requests: Vec<Item>,
}

impl Validate for JobRequest {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        validate_items(&self.requests, MAX_ITEMS, errors);
    }
}
/// Where a job is; `succeeded` and `failed` are final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    /// Stored and sent to the queue; no item has run yet.
    Queued,
    /// The queue consumer has started on its items.
    Running,
    /// Every item has finished, each with its own result (an error status included).
    Succeeded,
    /// Some items kept failing past the queue's retries; `error` says which and why.
    Failed,
}

impl JobStatus {
    /// Whether the job has ended: its status and results no longer change.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed)
    }
}

/// The 202 answer to `POST /jobs` (also to a replay with the same key and body).
#[derive(Debug, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct JobAccepted {
    /// The job's id.
    pub id: String,
    /// Where it is (`queued` when new).
    pub status: JobStatus,
    /// Where to read it: `GET /jobs/{id}`.
    pub status_url: String,
}

/// Item counts; `pending` items have not finished yet (or never will, in a failed job).
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct Progress {
    /// Items in the job.
    pub total: u32,
    /// Items not finished.
    pub pending: u32,
    /// Items whose upstream answered 2xx.
    pub succeeded: u32,
    /// Items that ended without a 2xx answer.
    pub failed: u32,
}

/// `GET /jobs/{id}`.
#[derive(Debug, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct JobView {
    /// The job's id.
    pub id: String,
    /// Where it is.
    pub status: JobStatus,
    /// Its items, counted by outcome.
    pub progress: Progress,
    /// RFC 3339, UTC.
    pub created_at: String,
    /// When its first item ran (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at: Option<String>,
    /// When it ended (RFC 3339, UTC).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<String>,
    /// Why a failed job failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The failure a running job is waiting to retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Once the job has ended: finished items' results in request order, one page of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<ItemResult>>)]
    pub results: Option<Vec<Box<RawValue>>>,
    /// The next page of results, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One queue message: items `start..end` of job `job`, and the trace its calls join.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct JobMessage {
    pub job: String,
    pub start: u32,
    pub end: u32,
    /// The submitting request's span as the parent of the items' calls; absent for a job
    /// stored before jobs kept their trace (its items start a new one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

/// Where a finished call leaves its item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ItemOutcome {
    /// A 2xx answer.
    Succeeded,
    /// A final answer that is not a success (4xx, invalid JSON, an unusable item).
    Failed,
    /// Worth another try later (timeout, unreachable, open breaker, 429/5xx): the item
    /// stays pending and its message is retried.
    Transient,
}

impl ItemOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemOutcome::Succeeded => "succeeded",
            ItemOutcome::Failed => "failed",
            ItemOutcome::Transient => "pending",
        }
    }
}

pub(crate) fn classify(result: &ItemResult) -> ItemOutcome {
    match (&result.error, result.status) {
        (Some(problem), _) if is_transient_problem(problem) => ItemOutcome::Transient,
        (Some(_), _) => ItemOutcome::Failed,
        (None, Some(status)) if (200..300).contains(&status) => ItemOutcome::Succeeded,
        (None, Some(status)) if is_retryable_status(status) => ItemOutcome::Transient,
        (None, _) => ItemOutcome::Failed,
    }
}

fn is_transient_problem(problem: &Problem) -> bool {
    ["upstream-timeout", "upstream-unreachable", "upstream-circuit-open"].iter().any(|slug| problem.kind.ends_with(slug))
}

/// A short description of the transient result of item `index`, for `last_error` and the
/// final reason.
pub(crate) fn describe_failure(index: u32, result: &ItemResult) -> String {
    let item = match &result.id {
        Some(id) => format!("item {index} ('{id}')"),
        None => format!("item {index}"),
    };
    match (&result.error, result.status) {
        (Some(problem), _) => format!("{item}: {}", problem.detail),
        (None, Some(status)) => format!("{item}: upstream answered {status}"),
        (None, None) => format!("{item}: no answer"),
    }
}

/// The result document to store for `result`: itself, or, when it is too large to store,
/// a failed result that says so.
pub(crate) fn storable(result: ItemResult, request_id: &str) -> (ItemOutcome, String) {
    let outcome = classify(&result);
    let document = serde_json::to_string(&result).unwrap_or_default();
    if document.len() <= MAX_RESULT_BYTES {
        return (outcome, document);
    }
    let error = ApiError::ResultTooLarge { bytes: document.len(), limit: MAX_RESULT_BYTES };
    let replacement = ItemResult {
        id: result.id,
        status: result.status,
        body: None,
        cache: result.cache,
        error: Some(error.to_problem(request_id)),
        duration_ms: result.duration_ms,
    };
    (ItemOutcome::Failed, serde_json::to_string(&replacement).unwrap_or_default())
}

/// The messages that cover `pending` item indices: chunks of `chunk_size` aligned to
/// multiples of it (so a re-enqueued chunk is the same chunk), only those with work left.
pub(crate) fn chunk_ranges(pending: &[u32], chunk_size: u32, total: u32) -> Vec<(u32, u32)> {
    let size = chunk_size.max(1);
    let mut starts: Vec<u32> = pending.iter().filter(|&&i| i < total).map(|i| i / size * size).collect();
    starts.sort_unstable();
    starts.dedup();
    starts.into_iter().map(|start| (start, (start + size).min(total))).collect()
}

/// Seconds before delivery `attempts` (1 = the first) is retried: `base`, doubled per
/// further attempt, capped.
pub(crate) fn retry_delay_s(attempts: u32, base_s: u32) -> u32 {
    let doublings = attempts.saturating_sub(1).min(20);
    base_s.saturating_mul(1 << doublings).min(MAX_RETRY_DELAY_S)
}

/// Characters in an `Idempotency-Key` (visible ASCII; the document states the same).
pub const IDEMPOTENCY_KEY_CHARS: std::ops::RangeInclusive<usize> = 1..=255;

/// The `Idempotency-Key` header's value, trimmed: required, [`IDEMPOTENCY_KEY_CHARS`] visible
/// ASCII characters; otherwise the 422 entry that says so.
pub fn idempotency_key(header: Option<&str>) -> Result<String, FieldError> {
    let name = "idempotency-key";
    let Some(key) = header.map(str::trim) else {
        return Err(FieldError::header(name, "missing", "POST /jobs needs an Idempotency-Key header", None));
    };
    if !IDEMPOTENCY_KEY_CHARS.contains(&key.len()) || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(FieldError::header(name, "invalid", "must be 1 to 255 visible ASCII characters", Some(key)));
    }
    Ok(key.to_owned())
}

/// Job ids are UUIDs; anything else cannot name a job, so it is a 404 without a lookup.
pub fn is_job_id(id: &str) -> bool {
    id.len() == 36 && id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-')
}

/// Milliseconds since the Unix epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(ms: f64) -> String {
    let ms = ms.max(0.0) as u64;
    let (days, rem) = ((ms / 86_400_000) as i64, ms % 86_400_000);
    // Civil-from-days (Howard Hinnant's algorithm), valid for every date after 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let (h, m, s, milli) = (rem / 3_600_000, rem / 60_000 % 60, rem / 1000 % 60, rem % 1000);
    format!("{year:04}-{month:02}-{day:02}T{h:02}:{m:02}:{s:02}.{milli:03}Z")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::{body_error_locs, parse_json};
    use crate::upstream::UpstreamError;

    fn result(status: Option<u16>, error: Option<ApiError>) -> ItemResult {
        ItemResult { id: Some("a".into()), status, body: None, cache: None, error: error.map(|e| e.to_problem("r")), duration_ms: 1 }
    }

    #[test]
    fn validates_like_aggregate_but_up_to_1000() {
        let items = |n: usize| (0..n).map(|i| format!(r#"{{"id":"{i}","upstream":"u","path":"/"}}"#)).collect::<Vec<_>>().join(",");
        assert_eq!(parse_json::<JobRequest>(format!(r#"{{"requests":[{}]}}"#, items(1000)).as_bytes()).map(|r| r.requests.len()).ok(), Some(1000));
        assert_eq!(body_error_locs::<JobRequest>(&format!(r#"{{"requests":[{}]}}"#, items(1001))), vec![("body.requests".into(), "length")]);
        assert_eq!(body_error_locs::<JobRequest>(r#"{"requests":[],"x":1}"#), vec![("body.x".into(), "json_type")]);
    }

    #[test]
    fn classifies_results() {
        assert_eq!(classify(&result(Some(200), None)), ItemOutcome::Succeeded);
        assert_eq!(classify(&result(Some(204), None)), ItemOutcome::Succeeded);
        assert_eq!(classify(&result(Some(404), None)), ItemOutcome::Failed);
        assert_eq!(classify(&result(Some(503), None)), ItemOutcome::Transient);
        assert_eq!(classify(&result(Some(429), None)), ItemOutcome::Transient);
        let invalid = ApiError::Upstream(UpstreamError::InvalidJson { reason: "x".into() });
        assert_eq!(classify(&result(None, Some(invalid))), ItemOutcome::Failed);
        for e in [
            UpstreamError::Timeout { timeout_ms: 5 },
            UpstreamError::Unreachable { reason: "refused".into() },
            UpstreamError::CircuitOpen { retry_after_ms: 5.0 },
        ] {
            assert_eq!(classify(&result(None, Some(ApiError::Upstream(e)))), ItemOutcome::Transient);
        }
    }

    #[test]
    fn describes_failures() {
        assert_eq!(describe_failure(3, &result(Some(503), None)), "item 3 ('a'): upstream answered 503");
        let timeout = result(None, Some(ApiError::Upstream(UpstreamError::Timeout { timeout_ms: 5 })));
        assert!(describe_failure(0, &timeout).starts_with("item 0 ('a'): "), "{}", describe_failure(0, &timeout));
        assert_eq!(describe_failure(7, &ItemResult { id: None, ..result(None, None) }), "item 7: no answer");
    }

    #[test]
    fn oversized_results_are_stored_as_failures() {
        let small = ItemResult { body: Some(serde_json::value::to_raw_value(&serde_json::json!({"ok": true})).unwrap()), ..result(Some(200), None) };
        let (outcome, doc) = storable(small, "job");
        assert_eq!(outcome, ItemOutcome::Succeeded);
        assert!(doc.contains(r#""ok":true"#));
        let big = ItemResult { body: Some(serde_json::value::to_raw_value(&"x".repeat(MAX_RESULT_BYTES)).unwrap()), ..result(Some(200), None) };
        let (outcome, doc) = storable(big, "job");
        assert_eq!(outcome, ItemOutcome::Failed);
        assert!(doc.len() < 1024, "{}", doc.len());
        let stored: serde_json::Value = serde_json::from_str(&doc).unwrap();
        assert_eq!(stored["status"], 200);
        assert_eq!(stored["error"]["type"], "urn:edge-relay:problem:result-too-large");
        assert_eq!(stored["error"]["instance"], "job");
    }

    #[test]
    fn chunks_cover_pending_items_once() {
        assert_eq!(chunk_ranges(&[0, 1, 2, 3, 4], 2, 5), vec![(0, 2), (2, 4), (4, 5)]);
        assert_eq!(chunk_ranges(&[5, 1, 4], 2, 6), vec![(0, 2), (4, 6)]);
        assert_eq!(chunk_ranges(&[], 50, 10), vec![]);
        assert_eq!(chunk_ranges(&[999], 50, 1000), vec![(950, 1000)]);
        assert_eq!(chunk_ranges(&[7], 50, 5), vec![], "indices past the end are ignored");
    }

    #[test]
    fn retry_delay_doubles_and_caps() {
        assert_eq!((1..=5).map(|a| retry_delay_s(a, 10)).collect::<Vec<_>>(), vec![10, 20, 40, 80, 160]);
        assert_eq!(retry_delay_s(30, 10), MAX_RETRY_DELAY_S);
        assert_eq!(retry_delay_s(3, 0), 0);
        assert_eq!(retry_delay_s(0, 10), 10);
    }

    #[test]
    fn idempotency_keys() {
        assert_eq!(idempotency_key(Some(" order-42 ")), Ok("order-42".into()));
        assert_eq!(idempotency_key(None).unwrap_err().loc, vec!["header", "idempotency-key"]);
        for bad in ["", "has space", "ünï", &"k".repeat(256)] {
            assert_eq!(idempotency_key(Some(bad)).unwrap_err().kind, "invalid", "{bad:?}");
        }
    }

    #[test]
    fn job_ids_are_uuids() {
        assert!(is_job_id("0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f10"));
        assert!(!is_job_id("nope"));
        assert!(!is_job_id("0b7d8a4e-5d0c-4b7e-9a55-3c1f7e2d9f1'"));
    }

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_795_634_096_789.0), "2026-11-25T19:14:56.789Z");
    }
}
