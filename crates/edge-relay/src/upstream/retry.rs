//! When to try an upstream call again, and how long to wait first: exponential backoff with
//! full jitter, capped attempts, `Retry-After` honoured, never past the call's deadline.

/// First backoff step and the largest one.
const BASE_DELAY_MS: f64 = 100.0;
const MAX_DELAY_MS: f64 = 2_000.0;
/// An attempt started with less time than this left cannot succeed; don't start it.
const MIN_ATTEMPT_MS: f64 = 20.0;

/// Statuses worth retrying: the upstream or a proxy in front of it is briefly unable.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

/// The wait before the next attempt, or `None` to stop. `attempts_made` ≥ 1; `retries` is
/// the upstream's allowance; `remaining_ms` is what is left of the deadline; `random` is
/// uniform in [0, 1) (full jitter: a random wait up to the exponential bound).
pub fn next_delay(attempts_made: u32, retries: u32, retry_after_ms: Option<f64>, remaining_ms: f64, random: f64) -> Option<f64> {
    if attempts_made > retries {
        return None;
    }
    let bound = (BASE_DELAY_MS * 2f64.powi(attempts_made as i32 - 1)).min(MAX_DELAY_MS);
    let delay = retry_after_ms.unwrap_or(random.clamp(0.0, 1.0) * bound);
    (delay + MIN_ATTEMPT_MS <= remaining_ms).then_some(delay)
}

/// `Retry-After` as milliseconds from `now_ms`: delta-seconds or an IMF-fixdate.
pub fn parse_retry_after(value: &str, now_ms: f64) -> Option<f64> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u32>() {
        return Some(f64::from(seconds) * 1000.0);
    }
    crate::http_date::parse(value).map(|at| (at - now_ms).max(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retryable_statuses() {
        let retryable: Vec<u16> = (100..600).filter(|s| is_retryable_status(*s)).collect();
        assert_eq!(retryable, vec![429, 502, 503, 504]);
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_with_full_jitter() {
        let bound = |attempts| next_delay(attempts, 10, None, 1e9, 0.999_999).unwrap().round();
        assert_eq!([bound(1), bound(2), bound(3), bound(4), bound(5), bound(6)], [100.0, 200.0, 400.0, 800.0, 1600.0, 2000.0]);
        assert_eq!(next_delay(3, 10, None, 1e9, 0.0), Some(0.0));
        assert_eq!(next_delay(3, 10, None, 1e9, 0.5), Some(200.0));
    }

    #[test]
    fn stops_when_retries_are_spent() {
        assert_eq!(next_delay(1, 0, None, 1e9, 0.5), None);
        assert!(next_delay(2, 2, None, 1e9, 0.5).is_some());
        assert_eq!(next_delay(3, 2, None, 1e9, 0.5), None);
    }

    #[test]
    fn never_waits_past_the_deadline() {
        assert_eq!(next_delay(1, 3, None, 70.0, 0.5), Some(50.0));
        assert_eq!(next_delay(1, 3, None, 69.0, 0.5), None);
        assert_eq!(next_delay(1, 3, Some(5_000.0), 4_000.0, 0.5), None);
        assert_eq!(next_delay(1, 3, Some(1_000.0), 4_000.0, 0.5), Some(1_000.0));
    }

    #[test]
    fn parses_retry_after() {
        assert_eq!(parse_retry_after("3", 0.0), Some(3_000.0));
        assert_eq!(parse_retry_after(" 0 ", 0.0), Some(0.0));
        let at = crate::http_date::parse("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        assert_eq!(at, 784_111_777_000.0);
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:39 GMT", at), Some(2_000.0));
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:30 GMT", at), Some(0.0));
        for bad in ["soon", "-1", "1.5", "Sun, 06 Nov 1994 08:49:37 PST", ""] {
            assert_eq!(parse_retry_after(bad, 0.0), None, "{bad}");
        }
    }
}
