//! Named upstreams (`UPSTREAMS`): the only hosts the API will call. Parsed and validated
//! once per isolate, on first use (`Config::upstreams`); secrets referenced by headers are
//! resolved at the same time.

use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;
use super::headers::is_hop_by_hop;
use crate::config::error::ConfigError;
use crate::http_url::HttpUrl;

/// The name `/external-api` calls.
pub const DEFAULT_UPSTREAM: &str = "default";

const DEFAULT_TIMEOUT_MS: u32 = 5_000;
const MAX_TIMEOUT_MS: u32 = 300_000;
const MAX_RETRIES: u32 = 5;
// Every attempt's span id is kept for the call's log entry, inline.
const _: () = assert!(MAX_RETRIES as usize + 1 == crate::trace::AttemptSpans::CAPACITY);
const DEFAULT_BREAKER_FAILURES: u32 = 5;
const DEFAULT_BREAKER_COOLDOWN_MS: u32 = 30_000;
/// A streamed answer may pause this long between chunks before it is cut off.
const DEFAULT_STREAM_IDLE_MS: u32 = 30_000;
/// Largest client body relayed to an upstream (it streams; only a retryable one is buffered).
const DEFAULT_MAX_REQUEST_BODY_BYTES: u32 = 10 * 1024 * 1024;
const MAX_MAX_REQUEST_BODY_BYTES: u32 = 512 * 1024 * 1024;
/// Largest upstream body read whole (`MAX_UPSTREAM_BODY_BYTES`): JSON routes, jobs, the cache.
pub const DEFAULT_MAX_UPSTREAM_BODY_BYTES: u32 = 8 * 1024 * 1024;
const MAX_MAX_UPSTREAM_BODY_BYTES: u32 = 100 * 1024 * 1024;
/// Methods an upstream may allow; the default opens nothing that changes state.
const RELAYABLE_METHODS: [&str; 6] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"];
const DEFAULT_METHODS: [&str; 2] = ["GET", "HEAD"];

/// One configured upstream, ready to call.
#[derive(Debug, Clone, PartialEq)]
pub struct Upstream {
    /// Shared by every call record that names it (`Rc`: no copy per call).
    pub name: Rc<str>,
    /// What every path of this upstream is joined onto, and cannot climb out of.
    pub base_url: HttpUrl,
    /// Deadline for one call, every attempt and backoff included.
    pub timeout_ms: u32,
    /// Extra attempts after the first, for idempotent requests only.
    pub retries: u32,
    /// Fresh lifetime of a cached success; 0 disables caching.
    pub cache_ttl_s: u32,
    /// How long past `cache_ttl_s` a stale copy may be served while it is refreshed.
    pub stale_while_revalidate_s: u32,
    /// Headers sent on every call (values from secrets already resolved).
    pub headers: Vec<(String, String)>,
    /// Client request headers passed on to this upstream (lower-case), beyond the defaults.
    pub forward_headers: Vec<String>,
    /// Consecutive failed calls that open its circuit breaker.
    pub breaker_failures: u32,
    /// How long an open breaker refuses calls before it lets one probe through.
    pub breaker_cooldown_ms: u32,
    /// Methods `/upstreams/{name}/…` relays (upper-case).
    pub methods: Vec<&'static str>,
    /// Longest pause between two chunks of a streamed answer.
    pub stream_idle_ms: u32,
    /// Largest client body relayed up.
    pub max_request_body_bytes: u32,
    /// Largest body read whole from this upstream (`MAX_UPSTREAM_BODY_BYTES`).
    pub max_body_bytes: u32,
}

impl Upstream {
    /// How long a cached copy is kept: fresh time plus stale-while-revalidate time.
    pub fn cache_lifetime_s(&self) -> u32 {
        self.cache_ttl_s + self.stale_while_revalidate_s
    }
}

/// The configured upstreams by name: the only hosts the API calls.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Registry(BTreeMap<String, Rc<Upstream>>);

impl Registry {
    /// The upstream called `name`.
    pub fn get(&self, name: &str) -> Option<&Rc<Upstream>> {
        self.0.get(name)
    }

    /// Every upstream's name, in alphabetical order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    base_url: String,
    timeout_ms: Option<u32>,
    #[serde(default)]
    retries: u32,
    #[serde(default)]
    cache_ttl_s: u32,
    stale_while_revalidate_s: Option<u32>,
    #[serde(default)]
    headers: BTreeMap<String, HeaderValue>,
    #[serde(default)]
    forward_headers: Vec<String>,
    breaker_failures: Option<u32>,
    breaker_cooldown_ms: Option<u32>,
    methods: Option<Vec<String>>,
    stream_idle_ms: Option<u32>,
    max_request_body_bytes: Option<u32>,
}

/// A header value given inline, or by the name of the secret that holds it.
#[derive(Deserialize)]
#[serde(untagged)]
enum HeaderValue {
    Inline(String),
    Secret { secret: String },
}

/// Client headers that are never forwarded, whatever the config says, beyond the hop-by-hop
/// ones: they describe the client's connection to us, not our call.
const NEVER_FORWARD: &[&str] = &["host", "content-length"];

/// Client headers every upstream gets, for content negotiation; anything else (cookies, the
/// client's `Authorization`) only when the upstream's `forward_headers` names it.
pub const ALWAYS_FORWARD: &[&str] = &["accept", "accept-language"];

/// Builds the registry from `UPSTREAMS` (a JSON object: name → settings) and the legacy
/// `UPSTREAM_URL`/`UPSTREAM_TIMEOUT_MS` pair, which defines the `default` upstream.
/// `lookup` reads vars and secrets by name.
pub fn parse(lookup: &impl Fn(&str) -> Option<String>) -> Result<Registry, ConfigError> {
    let mut registry = BTreeMap::new();
    let max_body_bytes = match lookup("MAX_UPSTREAM_BODY_BYTES") {
        None => DEFAULT_MAX_UPSTREAM_BODY_BYTES,
        Some(raw) => in_range(&raw, 1..=MAX_MAX_UPSTREAM_BODY_BYTES, "bytes")
            .map_err(|reason| ConfigError::Invalid { var: "MAX_UPSTREAM_BODY_BYTES", reason })?,
    };
    if let Some(raw) = lookup("UPSTREAMS") {
        let entries: BTreeMap<String, RawUpstream> = serde_json::from_str(&raw)
            .map_err(|e| ConfigError::Invalid { var: "UPSTREAMS", reason: format!("not a JSON object of upstreams: {e}") })?;
        for (name, raw) in entries {
            let upstream = build(&name, raw, max_body_bytes, lookup).map_err(|reason| ConfigError::Invalid {
                var: "UPSTREAMS",
                reason: format!("upstream '{name}': {reason}"),
            })?;
            registry.insert(name, Rc::new(upstream));
        }
    }
    if let Some(url) = lookup("UPSTREAM_URL") {
        if registry.contains_key(DEFAULT_UPSTREAM) {
            return Err(ConfigError::Invalid {
                var: "UPSTREAM_URL",
                reason: "UPSTREAMS already defines 'default'; set one or the other".into(),
            });
        }
        let base_url = HttpUrl::parse(&url).map_err(|reason| ConfigError::Invalid { var: "UPSTREAM_URL", reason })?;
        let timeout_ms = match lookup("UPSTREAM_TIMEOUT_MS") {
            None => DEFAULT_TIMEOUT_MS,
            Some(raw) => parse_timeout(&raw).map_err(|reason| ConfigError::Invalid { var: "UPSTREAM_TIMEOUT_MS", reason })?,
        };
        let upstream = Upstream { timeout_ms, ..defaults(DEFAULT_UPSTREAM, base_url, max_body_bytes) };
        registry.insert(DEFAULT_UPSTREAM.to_owned(), Rc::new(upstream));
    }
    Ok(Registry(registry))
}

fn defaults(name: &str, base_url: HttpUrl, max_body_bytes: u32) -> Upstream {
    Upstream {
        name: Rc::from(name),
        base_url,
        timeout_ms: DEFAULT_TIMEOUT_MS,
        retries: 0,
        cache_ttl_s: 0,
        stale_while_revalidate_s: 0,
        headers: Vec::new(),
        forward_headers: Vec::new(),
        breaker_failures: DEFAULT_BREAKER_FAILURES,
        breaker_cooldown_ms: DEFAULT_BREAKER_COOLDOWN_MS,
        methods: DEFAULT_METHODS.to_vec(),
        stream_idle_ms: DEFAULT_STREAM_IDLE_MS,
        max_request_body_bytes: DEFAULT_MAX_REQUEST_BODY_BYTES,
        max_body_bytes,
    }
}

fn build(name: &str, raw: RawUpstream, max_body_bytes: u32, lookup: &impl Fn(&str) -> Option<String>) -> Result<Upstream, String> {
    if name.is_empty() || name.len() > 32 || !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err("names are 1 to 32 characters of a-z, 0-9, '-' and '_'".into());
    }
    let base_url = HttpUrl::parse(&raw.base_url)?;
    let timeout_ms = raw.timeout_ms.map_or(Ok(DEFAULT_TIMEOUT_MS), |t| parse_timeout(&t.to_string()))?;
    if raw.retries > MAX_RETRIES {
        return Err(format!("retries {} is more than {MAX_RETRIES}", raw.retries));
    }
    let mut headers = Vec::new();
    for (header, value) in raw.headers {
        if header.is_empty() || !header.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(format!("'{header}' is not a header name"));
        }
        let value = match value {
            HeaderValue::Inline(v) => v,
            HeaderValue::Secret { secret } => {
                lookup(&secret).ok_or_else(|| format!("header {header} needs secret {secret}, which is not set"))?
            }
        };
        headers.push((header, value));
    }
    let forward_headers: Vec<String> = raw.forward_headers.iter().map(|h| h.to_ascii_lowercase()).collect();
    if let Some(bad) = forward_headers.iter().find(|h| is_hop_by_hop(h) || NEVER_FORWARD.contains(&h.as_str())) {
        return Err(format!("header '{bad}' can never be forwarded"));
    }
    let breaker_failures = raw.breaker_failures.unwrap_or(DEFAULT_BREAKER_FAILURES);
    if breaker_failures == 0 {
        return Err("breaker_failures must be at least 1".into());
    }
    let listed = match &raw.methods {
        None => DEFAULT_METHODS.to_vec(),
        Some(list) => list.iter().map(|m| relayable_method(m)).collect::<Result<Vec<_>, _>>()?,
    };
    // Each once, and HEAD wherever GET is (RFC 9110 §9.3.2), as the router serves every route.
    let mut methods: Vec<&'static str> = Vec::with_capacity(listed.len() + 1);
    for method in listed {
        let with_head = if method == "GET" { &["GET", "HEAD"][..] } else { std::slice::from_ref(&method) };
        for m in with_head {
            if !methods.contains(m) {
                methods.push(m);
            }
        }
    }
    let stream_idle_ms = raw.stream_idle_ms.map_or(Ok(DEFAULT_STREAM_IDLE_MS), |ms| in_range(&ms.to_string(), 1..=MAX_TIMEOUT_MS, "stream_idle_ms"))?;
    let max_request_body_bytes = raw
        .max_request_body_bytes
        .map_or(Ok(DEFAULT_MAX_REQUEST_BODY_BYTES), |b| in_range(&b.to_string(), 1..=MAX_MAX_REQUEST_BODY_BYTES, "max_request_body_bytes"))?;
    Ok(Upstream {
        timeout_ms,
        retries: raw.retries,
        cache_ttl_s: raw.cache_ttl_s,
        stale_while_revalidate_s: raw.stale_while_revalidate_s.unwrap_or(raw.cache_ttl_s),
        headers,
        forward_headers,
        breaker_failures,
        breaker_cooldown_ms: raw.breaker_cooldown_ms.unwrap_or(DEFAULT_BREAKER_COOLDOWN_MS),
        methods,
        stream_idle_ms,
        max_request_body_bytes,
        ..defaults(name, base_url, max_body_bytes)
    })
}

/// One entry of `methods`, as the static name the router's `Allow` header uses.
fn relayable_method(method: &str) -> Result<&'static str, String> {
    let upper = method.to_ascii_uppercase();
    RELAYABLE_METHODS
        .iter()
        .copied()
        .find(|m| *m == upper)
        .ok_or_else(|| format!("method '{method}' cannot be relayed; use any of {}", RELAYABLE_METHODS.join(", ")))
}

fn in_range(raw: &str, range: std::ops::RangeInclusive<u32>, what: &str) -> Result<u32, String> {
    match raw.trim().parse::<u32>() {
        Ok(n) if range.contains(&n) => Ok(n),
        Ok(n) => Err(format!("{what} {n} is outside {}..={}", range.start(), range.end())),
        Err(_) => Err(format!("{what} '{raw}' is not a whole number")),
    }
}


fn parse_timeout(raw: &str) -> Result<u32, String> {
    in_range(raw, 1..=MAX_TIMEOUT_MS, "timeout_ms")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse_vars(vars: &[(&str, &str)]) -> Result<Registry, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        parse(&|k: &str| map.get(k).cloned())
    }

    fn invalid_reason(vars: &[(&str, &str)]) -> String {
        match parse_vars(vars) {
            Err(ConfigError::Invalid { reason, .. }) => reason,
            other => panic!("{vars:?}: {other:?}"),
        }
    }

    #[test]
    fn parses_a_full_entry_with_a_secret_header() {
        let r = parse_vars(&[
            (
                "UPSTREAMS",
                r#"{"users": {"base_url": "https://api.example.com/v1", "timeout_ms": 2500, "retries": 2,
                    "cache_ttl_s": 60, "headers": {"Authorization": {"secret": "USERS_TOKEN"}, "X-Client": "edge-relay"},
                    "forward_headers": ["Accept-Language"], "breaker_failures": 3}}"#,
            ),
            ("USERS_TOKEN", "Bearer s3cret"),
        ])
        .unwrap();
        let users = r.get("users").unwrap();
        assert_eq!(users.base_url.as_str(), "https://api.example.com/v1");
        assert_eq!((users.timeout_ms, users.retries, users.cache_ttl_s, users.stale_while_revalidate_s), (2500, 2, 60, 60));
        assert_eq!(users.headers, vec![("Authorization".into(), "Bearer s3cret".into()), ("X-Client".into(), "edge-relay".into())]);
        assert_eq!(users.forward_headers, vec!["accept-language"]);
        assert_eq!((users.breaker_failures, users.breaker_cooldown_ms), (3, 30_000));
        assert!(r.get("default").is_none());
    }

    #[test]
    fn relay_settings_default_to_read_only_and_take_overrides() {
        let r = parse_vars(&[
            ("UPSTREAMS", r#"{"ro": {"base_url": "https://x.test"}, "llm": {"base_url": "https://y.test", "methods": ["get", "POST", "Get"], "stream_idle_ms": 90000, "max_request_body_bytes": 2048}}"#),
            ("MAX_UPSTREAM_BODY_BYTES", "65536"),
        ])
        .unwrap();
        let ro = r.get("ro").unwrap();
        assert_eq!((ro.methods.as_slice(), ro.stream_idle_ms, ro.max_request_body_bytes, ro.max_body_bytes), (&["GET", "HEAD"][..], 30_000, 10 << 20, 65_536));
        let llm = r.get("llm").unwrap();
        assert_eq!((llm.methods.as_slice(), llm.stream_idle_ms, llm.max_request_body_bytes), (&["GET", "HEAD", "POST"][..], 90_000, 2048));
        assert_eq!(parse_vars(&[("UPSTREAM_URL", "https://x.test/")]).unwrap().get(DEFAULT_UPSTREAM).unwrap().max_body_bytes, DEFAULT_MAX_UPSTREAM_BODY_BYTES);
        for bad in ["0", "-1", "8MiB", "104857601"] {
            let err = parse_vars(&[("UPSTREAM_URL", "https://x.test/"), ("MAX_UPSTREAM_BODY_BYTES", bad)]);
            assert!(matches!(err, Err(ConfigError::Invalid { var: "MAX_UPSTREAM_BODY_BYTES", .. })), "{bad}");
        }
    }

    #[test]
    fn upstream_url_defines_default() {
        let r = parse_vars(&[("UPSTREAM_URL", "http://127.0.0.1:9/json"), ("UPSTREAM_TIMEOUT_MS", "250")]).unwrap();
        let d = r.get(DEFAULT_UPSTREAM).unwrap();
        assert_eq!((d.base_url.as_str(), d.timeout_ms, d.retries), ("http://127.0.0.1:9/json", 250, 0));
        assert_eq!(parse_vars(&[]).unwrap(), Registry::default());
    }

    #[test]
    fn entry_errors_name_the_upstream() {
        let cases = [
            (r#"{"Bad Name": {"base_url": "https://x.test"}}"#, "upstream 'Bad Name'"),
            (r#"{"a": {"base_url": "ftp://x.test"}}"#, "scheme 'ftp'"),
            (r#"{"a": {"base_url": "https://u:p@x.test"}}"#, "credentials"),
            (r#"{"a": {"base_url": "https://x.test", "retries": 9}}"#, "retries 9"),
            (r#"{"a": {"base_url": "https://x.test", "timeout_ms": 0}}"#, "outside"),
            (r#"{"a": {"base_url": "https://x.test", "headers": {"X": {"secret": "NOPE"}}}}"#, "secret NOPE"),
            (r#"{"a": {"base_url": "https://x.test", "forward_headers": ["Connection"]}}"#, "'connection' can never"),
            (r#"{"a": {"base_url": "https://x.test", "bogus": 1}}"#, "unknown field"),
            (r#"{"a": {"base_url": "https://x.test", "methods": ["GET", "CONNECT"]}}"#, "method 'CONNECT' cannot be relayed"),
            (r#"{"a": {"base_url": "https://x.test", "stream_idle_ms": 0}}"#, "stream_idle_ms 0 is outside"),
            (r#"{"a": {"base_url": "https://x.test", "max_request_body_bytes": 0}}"#, "max_request_body_bytes 0 is outside"),
            (r#"["not", "an", "object"]"#, "not a JSON object"),
        ];
        for (json, expected) in cases {
            let reason = invalid_reason(&[("UPSTREAMS", json)]);
            assert!(reason.contains(expected), "{json}: {reason}");
        }
    }

    #[test]
    fn legacy_default_values_are_checked() {
        for bad in ["not a url", "/relative", "ftp://x.test/", "https://u:p@x.test/"] {
            assert!(matches!(parse_vars(&[("UPSTREAM_URL", bad)]), Err(ConfigError::Invalid { var: "UPSTREAM_URL", .. })), "{bad}");
        }
        for bad in ["0", "-5", "abc", "1.5", "300001"] {
            let err = parse_vars(&[("UPSTREAM_URL", "https://x.test/"), ("UPSTREAM_TIMEOUT_MS", bad)]);
            assert!(matches!(err, Err(ConfigError::Invalid { var: "UPSTREAM_TIMEOUT_MS", .. })), "{bad}");
        }
    }

    #[test]
    fn hosts_must_be_ascii() {
        // The IDNA back end is ASCII-only (see Cargo.toml): internationalised names go in as punycode.
        assert!(parse_vars(&[("UPSTREAM_URL", "https://bücher.example/")]).is_err());
        let r = parse_vars(&[("UPSTREAM_URL", "https://xn--bcher-kva.example/")]).unwrap();
        assert_eq!(r.get(DEFAULT_UPSTREAM).unwrap().base_url.origin(), "https://xn--bcher-kva.example");
    }

    #[test]
    fn default_defined_twice_is_an_error() {
        let err = parse_vars(&[("UPSTREAMS", r#"{"default": {"base_url": "https://x.test"}}"#), ("UPSTREAM_URL", "https://y.test")]);
        assert!(matches!(err, Err(ConfigError::Invalid { var: "UPSTREAM_URL", .. })));
    }
}
