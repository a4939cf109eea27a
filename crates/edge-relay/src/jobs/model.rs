//! The jobs API's bodies: what `POST /jobs` takes, what the job's reads answer, what a
//! completion callback receives, the queue's messages; and how ids, keys and times are read
//! and shown.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::batch::model::{validate_items, Item};
use crate::error::FieldError;
use crate::extract::Validate;

pub use crate::config::jobs::{DEFAULT_MAX_ITEMS, MAX_ITEMS};

/// Results per page of `GET /jobs/{id}` when the client asks for no `limit`.
pub const DEFAULT_PAGE: u32 = 50;
/// The largest `limit` of `GET /jobs/{id}`.
pub const MAX_PAGE: u32 = 100;
/// Bytes of results one page of `GET /jobs/{id}` holds at most (a single larger result is a
/// page of its own): what keeps a page within the isolate's memory.
pub const PAGE_BYTES: u64 = 16 * 1024 * 1024;
/// Lines one `GET /jobs/{id}/results` response holds at most: one R2 read each, within the
/// calls to Cloudflare's services one request may make.
pub const RESULTS_PER_RESPONSE: u32 = 500;
/// Jobs per page of `GET /jobs` when the client asks for no `limit`.
pub const DEFAULT_LIST_PAGE: u32 = 20;

/// `POST /jobs`: the same list of upstream GETs as `/aggregate`, up to `JOBS_MAX_ITEMS` of
/// them, and where to report when the job ends.
#[derive(Debug, Deserialize, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobRequest {
    /// The upstream GETs, each answered at its position in the results.
    pub requests: Vec<Item>,
    /// A POST, signed, when the job ends (succeeded, failed or cancelled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback: Option<Callback>,
}

impl Validate for JobRequest {
    fn validate(&self, errors: &mut Vec<FieldError>) {
        // The most any deployment allows; `JOBS_MAX_ITEMS` is checked against the config.
        validate_items(&self.requests, MAX_ITEMS as usize, errors);
        if let Some(callback) = &self.callback {
            if let Some(msg) = crate::extract::chars_mismatch(&callback.path, crate::batch::model::PATH_CHARS) {
                errors.push(FieldError::body(&["callback", "path"], "string_length", msg));
            }
        }
    }
}

impl JobRequest {
    /// The 422 entry for more requests than `max_items` (the deployment's `JOBS_MAX_ITEMS`).
    pub fn over_limit(&self, max_items: u32) -> Option<FieldError> {
        let n = self.requests.len();
        (n > max_items as usize).then(|| FieldError::body(&["requests"], "length", format!("must hold 1 to {max_items} requests (JOBS_MAX_ITEMS), got {n}")))
    }
}

/// Where a job's completion is reported: a path on a configured upstream (never an open URL).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Callback {
    /// A configured upstream's name.
    pub upstream: String,
    /// The path (and query) under the upstream's `base_url`, e.g. `/hooks/jobs`.
    pub path: String,
}

/// Where a job is; `succeeded`, `failed` and `cancelled` are final.
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
    /// Its owner cancelled it: pending items never ran; items already running were kept.
    Cancelled,
}

impl JobStatus {
    /// Whether the job has ended: its status no longer changes.
    pub fn is_terminal(self) -> bool {
        matches!(self, JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// Its name in the API and the store.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
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

/// Item counts; `pending` items have not finished yet (or never will, in a failed or
/// cancelled job).
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

/// How a completion callback's delivery goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CallbackState {
    /// Not delivered yet: the job has not ended, or its delivery is being retried.
    Pending,
    /// The upstream answered 2xx.
    Delivered,
    /// Every retry failed; `last_error` says how the last one did.
    Failed,
}

/// A job's completion callback and its delivery.
#[derive(Debug, Clone, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct CallbackView {
    /// The upstream it is sent to.
    pub upstream: String,
    /// The path under the upstream's `base_url`.
    pub path: String,
    /// How its delivery goes.
    pub state: CallbackState,
    /// Deliveries tried so far.
    pub attempts: u32,
    /// How the latest failed delivery failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// One finished item's result, as `GET /jobs/{id}` and `GET /jobs/{id}/results` give it.
/// Only the document reads this type: results are served as the stored lines they are.
#[derive(Serialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct JobResult {
    /// The item's position in `requests`.
    index: u32,
    /// The item's result.
    #[schema(inline)]
    #[serde(flatten)]
    result: crate::batch::model::ItemResult,
}

/// A job: `GET /jobs/{id}`, `DELETE /jobs/{id}`, an entry of `GET /jobs` (without results), a
/// callback's `data`.
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
    /// Its completion callback, when it named one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub callback: Option<CallbackView>,
    /// Once the job has ended (`GET /jobs/{id}`): finished items' results in request order,
    /// one page of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<JobResult>>)]
    pub results: Option<Vec<Box<RawValue>>>,
    /// The next page of results, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// `GET /jobs`: one page of the caller's jobs, newest first.
#[derive(Debug, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct JobList {
    /// The jobs, without their results.
    pub jobs: Vec<JobView>,
    /// The next page, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// What a completion callback's POST carries (the Standard Webhooks payload shape).
#[derive(Debug, Serialize)]
pub struct JobEnded<'a> {
    /// `job.ended`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// When the job ended (RFC 3339, UTC).
    pub timestamp: &'a str,
    /// The job, without its results.
    pub data: &'a JobView,
}

/// A queue message: a chunk of a job's items to run, or a job's completion to report.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum QueueMessage {
    /// Items `start..end` of a job.
    Chunk(JobMessage),
    /// The completion callback of job `callback`.
    Callback(CallbackMessage),
}

impl QueueMessage {
    /// A message body: told apart by its fields (serde's untagged enums would cost the wasm
    /// its buffering deserializer).
    pub(crate) fn parse(body: &str) -> Option<QueueMessage> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Any {
            job: Option<String>,
            start: Option<u32>,
            end: Option<u32>,
            callback: Option<String>,
            traceparent: Option<String>,
            tracestate: Option<String>,
        }
        let any: Any = serde_json::from_str(body).ok()?;
        let (traceparent, tracestate) = (any.traceparent, any.tracestate);
        match (any.job, any.start, any.end, any.callback) {
            (Some(job), Some(start), Some(end), None) => Some(QueueMessage::Chunk(JobMessage { job, start, end, traceparent, tracestate })),
            (None, None, None, Some(callback)) => Some(QueueMessage::Callback(CallbackMessage { callback, traceparent, tracestate })),
            _ => None,
        }
    }
}

/// One queue message: items `start..end` of job `job`, and the trace its calls join.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct JobMessage {
    pub job: String,
    pub start: u32,
    pub end: u32,
    /// The submitting request's span as the parent of the items' calls; absent for a job
    /// stored before jobs kept their trace (its items start a new one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
}

/// The completion callback of job `callback`, in the job's trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct CallbackMessage {
    pub callback: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traceparent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
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

    #[test]
    fn validates_like_aggregate_up_to_the_most_any_deployment_allows() {
        let items = |n: usize| (0..n).map(|i| format!(r#"{{"id":"{i}","upstream":"u","path":"/"}}"#)).collect::<Vec<_>>().join(",");
        assert_eq!(parse_json::<JobRequest>(format!(r#"{{"requests":[{}]}}"#, items(10_000)).as_bytes()).map(|r| r.requests.len()).ok(), Some(10_000));
        assert_eq!(body_error_locs::<JobRequest>(&format!(r#"{{"requests":[{}]}}"#, items(10_001))), vec![("body.requests".into(), "length")]);
        assert_eq!(body_error_locs::<JobRequest>(r#"{"requests":[],"x":1}"#), vec![("body.x".into(), "json_type")]);
        let callback = r#"{"requests":[{"upstream":"u","path":"/"}],"callback":{"upstream":"hooks","path":"/done"}}"#;
        assert_eq!(parse_json::<JobRequest>(callback.as_bytes()).ok().and_then(|r| r.callback), Some(Callback { upstream: "hooks".into(), path: "/done".into() }));
        assert_eq!(body_error_locs::<JobRequest>(r#"{"requests":[{"upstream":"u","path":"/"}],"callback":{"upstream":"h","path":"/","url":"x"}}"#), vec![("body.callback.url".into(), "json_type")]);
    }

    #[test]
    fn queue_messages_are_told_apart_by_their_fields() {
        let chunk = JobMessage { job: "j".into(), start: 0, end: 50, traceparent: Some("t".into()), tracestate: None };
        assert_eq!(QueueMessage::parse(&serde_json::to_string(&chunk).unwrap()), Some(QueueMessage::Chunk(chunk)));
        let callback = CallbackMessage { callback: "j".into(), traceparent: None, tracestate: Some("s".into()) };
        assert_eq!(QueueMessage::parse(&serde_json::to_string(&callback).unwrap()), Some(QueueMessage::Callback(callback)));
        for bad in [r#"{"job":"j"}"#, r#"{"job":"j","start":0,"end":1,"callback":"j"}"#, r#"{"callback":"j","x":1}"#, "[]"] {
            assert_eq!(QueueMessage::parse(bad), None, "{bad}");
        }
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
