//! The runtime-free rules of job processing: which item failures are worth a retry, what an
//! item's stored result looks like, how a job is cut into queue messages and how long a failed
//! message waits.

use crate::batch::model::ItemResult;
use crate::error::{ApiError, Problem};
use crate::upstream::retry::is_retryable_status;

/// Longest wait before a failed message is retried.
pub(crate) const MAX_RETRY_DELAY_S: u32 = 900;

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

/// The stored result of item `index`: `{"index": …, …the result's members}` on one line (an
/// NDJSON line as `GET /jobs/{id}/results` sends it), or, when that is over `max_bytes`, a
/// failed result that says so.
pub(crate) fn storable(result: ItemResult, index: u32, request_id: &str, max_bytes: usize) -> (ItemOutcome, String) {
    let outcome = classify(&result);
    let line = stored_line(index, &result);
    if line.len() <= max_bytes {
        return (outcome, line);
    }
    let error = ApiError::ResultTooLarge { bytes: line.len(), limit: max_bytes };
    let replacement = ItemResult {
        id: result.id,
        status: result.status,
        body: None,
        cache: result.cache,
        error: Some(error.to_problem(request_id)),
        duration_ms: result.duration_ms,
    };
    (ItemOutcome::Failed, stored_line(index, &replacement))
}

fn stored_line(index: u32, result: &ItemResult) -> String {
    with_index(index, &serde_json::to_string(result).unwrap_or_else(|_| "{}".to_owned()))
}

/// A result `document` (a JSON object) as the stored line of item `index`: `index` first.
pub(crate) fn with_index(index: u32, document: &str) -> String {
    // A body is the upstream's JSON as sent, checked by the parser: a line break in it can
    // only be whitespace between tokens (strings escape theirs), so dropping it keeps the JSON.
    let members = document.strip_prefix('{').unwrap_or("}");
    let mut line = String::with_capacity(document.len() + 16);
    line.push_str(&format!("{{\"index\":{index}"));
    if members != "}" {
        line.push(',');
    }
    line.extend(members.chars().filter(|c| *c != '\n' && *c != '\r'));
    line
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

/// The items of a page of results: from the start of `sizes` (each result's bytes), as many as
/// fit in `budget` bytes, and always the first.
pub(crate) fn fit_page(sizes: &[u64], budget: u64) -> usize {
    let mut used = 0;
    sizes
        .iter()
        .take_while(|&&size| {
            used += size;
            used <= budget
        })
        .count()
        .max(sizes.len().min(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::upstream::UpstreamError;
    use serde_json::value::to_raw_value;

    fn result(status: Option<u16>, error: Option<ApiError>) -> ItemResult {
        ItemResult { id: Some("a".into()), status, body: None, cache: None, error: error.map(|e| e.to_problem("r")), duration_ms: 1 }
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
    fn stored_results_are_one_line_led_by_their_index() {
        let body = r#"{"a": [1,
  2.50], "s": "x\ny"}"#;
        let ok = ItemResult { body: Some(serde_json::from_str(body).unwrap()), ..result(Some(200), None) };
        let (outcome, line) = storable(ok, 7, "job", 1024);
        assert_eq!(outcome, ItemOutcome::Succeeded);
        assert_eq!(line, r#"{"index":7,"id":"a","status":200,"body":{"a": [1,  2.50], "s": "x\ny"},"duration_ms":1}"#);
        let compact = r#"{"k":[1,2.50,"é"]}"#;
        let same = ItemResult { body: Some(serde_json::from_str(compact).unwrap()), ..result(Some(200), None) };
        assert!(storable(same, 0, "job", 1024).1.contains(compact), "a compact body is kept byte for byte");
    }

    #[test]
    fn oversized_results_are_stored_as_failures() {
        let big = ItemResult { body: Some(to_raw_value(&"x".repeat(2000)).unwrap()), ..result(Some(200), None) };
        let (outcome, line) = storable(big, 3, "job", 1024);
        assert_eq!(outcome, ItemOutcome::Failed);
        let stored: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(stored["index"], 3);
        assert_eq!(stored["status"], 200);
        assert_eq!(stored["error"]["type"], "urn:edge-relay:problem:result-too-large");
        assert_eq!(stored["error"]["instance"], "job");
        assert!(stored["error"]["detail"].as_str().unwrap().contains("up to 1024 bytes"));
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
    fn pages_fit_their_byte_budget() {
        assert_eq!(fit_page(&[4, 4, 4], 10), 2);
        assert_eq!(fit_page(&[4, 4, 4], 12), 3);
        assert_eq!(fit_page(&[40, 4], 10), 1, "always at least one");
        assert_eq!(fit_page(&[], 10), 0);
    }
}
