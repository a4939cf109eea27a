//! A circuit breaker per upstream, per isolate: after `threshold` consecutive failed calls it
//! opens and calls are refused at once for `cooldown_ms`; then one probe is let through,
//! whose outcome closes it again or re-opens it. Pure: the caller passes the clock in.

use std::cell::RefCell;
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq)]
enum State {
    Closed { failures: u32 },
    Open { until_ms: f64 },
    /// A probe is in flight since `since_ms`; a probe that never reports back (its request
    /// was cancelled) stops blocking others after one cool-down.
    HalfOpen { since_ms: f64 },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Admission {
    Allowed,
    /// The one call that decides whether the breaker closes.
    Probe,
    Rejected { retry_after_ms: f64 },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Breaker {
    state: State,
    threshold: u32,
    cooldown_ms: f64,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown_ms: u32) -> Self {
        Breaker { state: State::Closed { failures: 0 }, threshold: threshold.max(1), cooldown_ms: f64::from(cooldown_ms) }
    }

    pub fn admit(&mut self, now_ms: f64) -> Admission {
        match self.state {
            State::Closed { .. } => Admission::Allowed,
            State::Open { until_ms } if now_ms < until_ms => Admission::Rejected { retry_after_ms: until_ms - now_ms },
            State::HalfOpen { since_ms } if now_ms < since_ms + self.cooldown_ms => {
                Admission::Rejected { retry_after_ms: since_ms + self.cooldown_ms - now_ms }
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                self.state = State::HalfOpen { since_ms: now_ms };
                Admission::Probe
            }
        }
    }

    pub fn record(&mut self, success: bool, now_ms: f64) {
        self.state = match (self.state, success) {
            (State::Closed { .. } | State::HalfOpen { .. }, true) => State::Closed { failures: 0 },
            (State::Closed { failures }, false) if failures + 1 < self.threshold => State::Closed { failures: failures + 1 },
            (State::Closed { .. } | State::HalfOpen { .. }, false) => State::Open { until_ms: now_ms + self.cooldown_ms },
            // A call admitted before the breaker opened reports late: it changes nothing.
            (open @ State::Open { .. }, _) => open,
        };
    }
}

thread_local! {
    /// Survives a panic in any request: a breaker's next state is computed whole and assigned
    /// in one step (`admit`, `record`), so an unwind can never leave it half-written; a probe
    /// whose request panics before `record` stops blocking after one cool-down (`HalfOpen`).
    static BREAKERS: RefCell<HashMap<String, Breaker>> = RefCell::new(HashMap::new());
}

/// Asks upstream `name`'s breaker (created on first use) whether a call may go.
pub fn admit(name: &str, threshold: u32, cooldown_ms: u32, now_ms: f64) -> Admission {
    BREAKERS.with(|b| {
        let mut breakers = b.borrow_mut();
        // Looked up by `&str` first: `entry` would allocate the name on every call.
        match breakers.get_mut(name) {
            Some(breaker) => breaker.admit(now_ms),
            None => breakers.entry(name.to_owned()).or_insert_with(|| Breaker::new(threshold, cooldown_ms)).admit(now_ms),
        }
    })
}

pub fn record(name: &str, success: bool, now_ms: f64) {
    BREAKERS.with(|b| {
        if let Some(breaker) = b.borrow_mut().get_mut(name) {
            breaker.record(success, now_ms);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_consecutive_failures_only() {
        let mut b = Breaker::new(3, 1_000);
        for _ in 0..2 {
            b.record(false, 0.0);
        }
        b.record(true, 0.0);
        for _ in 0..2 {
            b.record(false, 0.0);
        }
        assert_eq!(b.admit(10.0), Admission::Allowed);
        b.record(false, 10.0);
        assert_eq!(b.admit(10.0), Admission::Rejected { retry_after_ms: 1_000.0 });
        assert_eq!(b.admit(600.0), Admission::Rejected { retry_after_ms: 410.0 });
    }

    #[test]
    fn half_opens_with_a_single_probe() {
        let mut b = Breaker::new(1, 1_000);
        b.record(false, 0.0);
        assert_eq!(b.admit(1_000.0), Admission::Probe);
        assert!(matches!(b.admit(1_001.0), Admission::Rejected { .. }));
        b.record(true, 1_050.0);
        assert_eq!(b.admit(1_051.0), Admission::Allowed);
    }

    #[test]
    fn failed_probe_reopens() {
        let mut b = Breaker::new(1, 1_000);
        b.record(false, 0.0);
        assert_eq!(b.admit(1_000.0), Admission::Probe);
        b.record(false, 1_100.0);
        assert_eq!(b.admit(1_200.0), Admission::Rejected { retry_after_ms: 900.0 });
        assert_eq!(b.admit(2_100.0), Admission::Probe);
    }

    #[test]
    fn a_lost_probe_stops_blocking_after_a_cooldown() {
        let mut b = Breaker::new(1, 1_000);
        b.record(false, 0.0);
        assert_eq!(b.admit(1_000.0), Admission::Probe);
        assert!(matches!(b.admit(1_999.0), Admission::Rejected { .. }));
        assert_eq!(b.admit(2_000.0), Admission::Probe);
    }

    #[test]
    fn late_results_do_not_close_an_open_breaker() {
        let mut b = Breaker::new(1, 1_000);
        b.record(false, 0.0);
        b.record(true, 10.0);
        assert!(matches!(b.admit(20.0), Admission::Rejected { .. }));
    }
}
