//! The issuer's signing keys as one isolate holds them, and when to fetch them again.
//!
//! Workers forbid a request from awaiting a promise another request created, so a fetch is
//! never shared while pending: the request that starts it awaits it alone, and the others
//! decide from what is already known — the keys in hand, or "being fetched" (503). Pure: the
//! runtime side (`verify.rs`) brings the clock, the fetch and the imported key handles.

use super::jwk::{select, Alg, Jwk, Selection};

/// An unknown `kid`, or a failed fetch, triggers at most one fetch per this interval: a flood
/// of made-up kids costs the issuer nothing, and an outage is not hammered.
pub const REFETCH_INTERVAL_MS: f64 = 30_000.0;
/// How long a fetch of the key set may take.
pub const FETCH_TIMEOUT_MS: u32 = 5_000;
/// Bounds on the lifetime the issuer's `Cache-Control: max-age` gives its key set.
pub const MIN_TTL_MS: f64 = 5_000.0;
pub const MAX_TTL_MS: f64 = 86_400_000.0;
/// Without a `max-age`.
pub const DEFAULT_TTL_MS: f64 = 600_000.0;

/// The keys fetched last, each with the runtime's handle of its imported form.
pub struct KeyCache<K> {
    keys: Vec<(Jwk, K)>,
    expires_at: f64,
    last_attempt: Option<f64>,
    last_failed: bool,
    /// When the fetch now pending started; a fetch whose request went away (a hang-up drops
    /// its future) counts as pending only until its timeout could have fired.
    pending_since: Option<f64>,
}

/// What a request does with a token's header.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// Verify with the key at this index.
    Use(usize),
    /// Fetch the key set now (this request awaits it), then plan again with `after_fetch`.
    Fetch,
    /// The token cannot be verified with the keys there are: 401.
    Invalid(String),
    /// A key the token needs may exist but cannot be had now: 503.
    Unavailable(&'static str),
}

impl<K> Default for KeyCache<K> {
    fn default() -> Self {
        KeyCache { keys: Vec::new(), expires_at: 0.0, last_attempt: None, last_failed: false, pending_since: None }
    }
}

impl<K> KeyCache<K> {
    pub fn key(&self, index: usize) -> Option<&K> {
        self.keys.get(index).map(|(_, k)| k)
    }

    fn pending(&self, now: f64) -> bool {
        self.pending_since.is_some_and(|since| now - since < f64::from(FETCH_TIMEOUT_MS) + 1_000.0)
    }

    fn recent_attempt(&self, now: f64) -> bool {
        self.last_attempt.is_some_and(|at| now - at < REFETCH_INTERVAL_MS)
    }

    /// The set's lifetime ran out, and (after a failure) the retry interval too.
    pub fn refresh_due(&self, now: f64) -> bool {
        now >= self.expires_at && !(self.last_failed && self.recent_attempt(now))
    }

    /// The next step for a token signed with `alg` under `kid`. `fetched` says this request
    /// has fetched already, so it decides from what it got.
    pub fn plan(&self, alg: Alg, kid: Option<&str>, now: f64, fetched: bool) -> Plan {
        let keys: Vec<&Jwk> = self.keys.iter().map(|(jwk, _)| jwk).collect();
        let may_fetch = !fetched && !self.pending(now);
        let refresh = may_fetch && self.refresh_due(now);
        match select(&keys, alg, kid) {
            // Stale keys still verify while a refresh is pending or failing.
            Selection::Key(_) if refresh => Plan::Fetch,
            Selection::Key(i) => Plan::Use(i),
            _ if refresh || (may_fetch && !self.recent_attempt(now)) => Plan::Fetch,
            Selection::Ambiguous => Plan::Invalid("the token has no 'kid' and several of the issuer's keys fit it".into()),
            _ if !fetched && self.pending(now) => Plan::Unavailable("the issuer's keys are being fetched"),
            _ if self.last_failed => Plan::Unavailable("the issuer's keys cannot be fetched"),
            Selection::NoKey => Plan::Invalid(format!("the issuer has no key for {}", alg.name())),
            Selection::UnknownKid => Plan::Invalid(format!("the issuer has no {} key with kid '{}'", alg.name(), kid.unwrap_or_default())),
        }
    }

    /// Marks a fetch as started by this request.
    pub fn begin_fetch(&mut self, now: f64) {
        self.last_attempt = Some(now);
        self.pending_since = Some(now);
    }

    /// Takes a fetched set (replacing the keys, so a key the issuer dropped stops verifying),
    /// or keeps the old keys after a failure.
    pub fn finish_fetch(&mut self, now: f64, fetched: Option<(Vec<(Jwk, K)>, f64)>) {
        self.pending_since = None;
        match fetched {
            Some((keys, ttl_ms)) => {
                self.keys = keys;
                self.expires_at = now + ttl_ms;
                self.last_failed = false;
            }
            None => self.last_failed = true,
        }
    }
}

/// The key set's lifetime from its `Cache-Control`: `max-age` within the bounds, the lower
/// bound for `no-cache`/`no-store`, the default without either.
pub fn ttl_ms(cache_control: Option<&str>) -> f64 {
    let Some(header) = cache_control else {
        return DEFAULT_TTL_MS;
    };
    let mut ttl = None;
    for directive in header.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-cache" || lower == "no-store" {
            return MIN_TTL_MS;
        }
        if let Some(seconds) = lower.strip_prefix("max-age=").and_then(|s| s.trim_matches('"').parse::<u64>().ok()) {
            ttl = Some(seconds as f64 * 1000.0);
        }
    }
    ttl.map_or(DEFAULT_TTL_MS, |ms| ms.clamp(MIN_TTL_MS, MAX_TTL_MS))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(kid: &str) -> (Jwk, &'static str) {
        let jwk = Jwk { kty: "OKP".into(), kid: Some(kid.into()), usage: None, alg: None, crv: Some("Ed25519".into()), key_ops: None, n: None };
        (jwk, "handle")
    }

    fn loaded(kids: &[&str], now: f64, ttl: f64) -> KeyCache<&'static str> {
        let mut cache = KeyCache::default();
        cache.begin_fetch(now);
        cache.finish_fetch(now, Some((kids.iter().map(|k| key(k)).collect(), ttl)));
        cache
    }

    const T: f64 = 1_000_000.0;

    #[test]
    fn the_first_token_fetches_and_others_wait_without_sharing_the_fetch() {
        let mut cache = KeyCache::<&str>::default();
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), T, false), Plan::Fetch);
        cache.begin_fetch(T);
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), T + 10.0, false), Plan::Unavailable("the issuer's keys are being fetched"));
        cache.finish_fetch(T + 50.0, Some((vec![key("a")], DEFAULT_TTL_MS)));
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), T + 60.0, true), Plan::Use(0));
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), T + 60.0, false), Plan::Use(0));
    }

    #[test]
    fn unknown_kids_refetch_at_most_once_per_interval() {
        let mut cache = loaded(&["a"], T, DEFAULT_TTL_MS);
        assert!(matches!(cache.plan(Alg::EdDSA, Some("new"), T + 1_000.0, false), Plan::Invalid(m) if m.contains("kid 'new'")));
        let later = T + REFETCH_INTERVAL_MS;
        assert_eq!(cache.plan(Alg::EdDSA, Some("new"), later, false), Plan::Fetch);
        cache.begin_fetch(later);
        cache.finish_fetch(later, Some((vec![key("a"), key("new")], DEFAULT_TTL_MS)));
        assert_eq!(cache.plan(Alg::EdDSA, Some("new"), later, true), Plan::Use(1));
        // A made-up kid right after: no fetch, however many arrive.
        for i in 0..100 {
            assert!(matches!(cache.plan(Alg::EdDSA, Some(&format!("junk{i}")), later + 10.0, false), Plan::Invalid(_)));
        }
        // Having fetched, a request never fetches twice.
        assert!(matches!(cache.plan(Alg::EdDSA, Some("junk"), later + REFETCH_INTERVAL_MS, true), Plan::Invalid(_)));
    }

    #[test]
    fn a_stale_set_is_refreshed_and_a_dropped_key_stops_verifying() {
        let mut cache = loaded(&["old", "new"], T, 5_000.0);
        assert_eq!(cache.plan(Alg::EdDSA, Some("old"), T + 4_999.0, false), Plan::Use(0));
        assert_eq!(cache.plan(Alg::EdDSA, Some("old"), T + 5_000.0, false), Plan::Fetch);
        cache.begin_fetch(T + 5_000.0);
        // Meanwhile other requests keep using the stale keys.
        assert_eq!(cache.plan(Alg::EdDSA, Some("old"), T + 5_001.0, false), Plan::Use(0));
        cache.finish_fetch(T + 5_010.0, Some((vec![key("new")], 5_000.0)));
        assert!(matches!(cache.plan(Alg::EdDSA, Some("old"), T + 5_010.0, true), Plan::Invalid(_)));
        assert_eq!(cache.plan(Alg::EdDSA, Some("new"), T + 5_010.0, false), Plan::Use(0));
    }

    #[test]
    fn an_outage_keeps_cached_keys_and_makes_new_ones_unavailable() {
        let mut cache = loaded(&["a"], T, 5_000.0);
        let now = T + REFETCH_INTERVAL_MS;
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), now, false), Plan::Fetch);
        cache.begin_fetch(now);
        cache.finish_fetch(now + 5.0, None);
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), now + 5.0, true), Plan::Use(0));
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), now + 10.0, false), Plan::Use(0), "no retry within the interval");
        assert_eq!(cache.plan(Alg::EdDSA, Some("b"), now + 10.0, false), Plan::Unavailable("the issuer's keys cannot be fetched"));
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), now + REFETCH_INTERVAL_MS, false), Plan::Fetch);
        // With nothing ever fetched, a failure is 503 too, and retried after the interval.
        let mut empty = KeyCache::<&str>::default();
        empty.begin_fetch(T);
        empty.finish_fetch(T, None);
        assert_eq!(empty.plan(Alg::EdDSA, Some("a"), T, true), Plan::Unavailable("the issuer's keys cannot be fetched"));
        assert_eq!(empty.plan(Alg::EdDSA, None, T + 1.0, false), Plan::Unavailable("the issuer's keys cannot be fetched"));
        assert_eq!(empty.plan(Alg::EdDSA, None, T + REFETCH_INTERVAL_MS, false), Plan::Fetch);
    }

    #[test]
    fn an_abandoned_fetch_stops_counting_as_pending() {
        let mut cache = KeyCache::<&str>::default();
        cache.begin_fetch(T);
        assert!(matches!(cache.plan(Alg::EdDSA, Some("a"), T + 1.0, false), Plan::Unavailable(_)));
        // It never finished: the next request fetches again.
        assert_eq!(cache.plan(Alg::EdDSA, Some("a"), T + f64::from(FETCH_TIMEOUT_MS) + 1_000.0, false), Plan::Fetch);
    }

    #[test]
    fn no_kid_needs_exactly_one_fitting_key() {
        let cache = loaded(&["a"], T, DEFAULT_TTL_MS);
        assert_eq!(cache.plan(Alg::EdDSA, None, T + 1.0, false), Plan::Use(0));
        let two = loaded(&["a", "b"], T, DEFAULT_TTL_MS);
        assert!(matches!(two.plan(Alg::EdDSA, None, T + 1.0, false), Plan::Invalid(m) if m.contains("several")));
        assert!(matches!(cache.plan(Alg::ES256, None, T + 1.0, false), Plan::Invalid(m) if m.contains("no key for ES256")));
    }

    #[test]
    fn lifetime_comes_from_cache_control() {
        assert_eq!(ttl_ms(None), DEFAULT_TTL_MS);
        assert_eq!(ttl_ms(Some("public, max-age=3600")), 3_600_000.0);
        assert_eq!(ttl_ms(Some("max-age=1")), MIN_TTL_MS);
        assert_eq!(ttl_ms(Some("max-age=999999999")), MAX_TTL_MS);
        assert_eq!(ttl_ms(Some("no-store")), MIN_TTL_MS);
        assert_eq!(ttl_ms(Some("public")), DEFAULT_TTL_MS);
    }
}
