//! Typed configuration, read once per isolate from the worker's vars and validated.

use std::cell::OnceCell;
use std::fmt;
use std::ops::RangeInclusive;
use std::rc::Rc;

use worker::{console_error, Env, Url};

/// Bounds on `UPSTREAM_TIMEOUT_MS`: at least 1 ms, at most 5 minutes.
const TIMEOUT_RANGE_MS: RangeInclusive<u32> = 1..=300_000;
const DEFAULT_TIMEOUT_MS: u32 = 5_000;
const DEFAULT_MAX_BODY_BYTES: u32 = 1024 * 1024;
const DEFAULT_CORS_MAX_AGE_S: u32 = 600;

/// Everything the worker reads from its vars. A bad value in the service-wide part fails
/// every route with a 500; a bad upstream only fails the routes that call it.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub upstream: Result<UpstreamConfig, ConfigError>,
    pub cors: CorsConfig,
    /// Largest accepted request body (`MAX_BODY_BYTES`).
    pub max_body_bytes: u32,
    /// Requests one isolate serves at once before shedding load with 503 (`MAX_IN_FLIGHT`, 0 = no cap).
    pub max_in_flight: u32,
    /// Requests per period per client, enforced by the `RATE_LIMITER` binding when bound.
    pub rate_limit_period_s: u32,
    /// Diagnostic routes under `/_test/` (`ENABLE_TEST_ROUTES`); off unless set to `true`.
    pub test_routes: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamConfig {
    /// The default upstream, called by `GET /external-api`.
    pub url: Url,
    /// Deadline for a whole upstream exchange, headers and body.
    pub timeout_ms: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct CorsConfig {
    /// Exact origins allowed (`CORS_ALLOW_ORIGINS`, comma-separated; `*` for any). Empty: CORS off.
    pub allow_origins: AllowedOrigins,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_s: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub enum AllowedOrigins {
    #[default]
    None,
    Any,
    List(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    Missing { var: &'static str },
    Invalid { var: &'static str, reason: String },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing { var } => write!(f, "configuration variable {var} is not set"),
            ConfigError::Invalid { var, reason } => {
                write!(f, "configuration variable {var} is invalid: {reason}")
            }
        }
    }
}

impl Config {
    /// Parses and validates config from any variable source (`lookup` returns a var's value).
    pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let upstream = parse_upstream_url(var("UPSTREAM_URL")).and_then(|url| {
            let timeout_ms = parse_u32("UPSTREAM_TIMEOUT_MS", var("UPSTREAM_TIMEOUT_MS"), DEFAULT_TIMEOUT_MS, TIMEOUT_RANGE_MS)?;
            Ok(UpstreamConfig { url, timeout_ms })
        });
        Ok(Config {
            upstream,
            cors: parse_cors(&var)?,
            max_body_bytes: parse_u32("MAX_BODY_BYTES", var("MAX_BODY_BYTES"), DEFAULT_MAX_BODY_BYTES, 1..=100 * 1024 * 1024)?,
            max_in_flight: parse_u32("MAX_IN_FLIGHT", var("MAX_IN_FLIGHT"), 0, 0..=100_000)?,
            rate_limit_period_s: parse_u32("RATE_LIMIT_PERIOD_S", var("RATE_LIMIT_PERIOD_S"), 60, 1..=3600)?,
            test_routes: parse_bool("ENABLE_TEST_ROUTES", var("ENABLE_TEST_ROUTES"))?,
        })
    }

    /// The isolate's config: parsed on first use, then shared. A bad config is logged once.
    pub fn load(env: &Env) -> Result<Rc<Config>, ConfigError> {
        thread_local! {
            static CONFIG: OnceCell<Result<Rc<Config>, ConfigError>> = const { OnceCell::new() };
        }
        CONFIG.with(|cell| {
            cell.get_or_init(|| {
                let parsed = Config::parse(|name| env.var(name).ok().map(|v| v.to_string()));
                let problem = match &parsed {
                    Err(e) => Some(e),
                    Ok(config) => config.upstream.as_ref().err(),
                };
                if let Some(e) = problem {
                    console_error!("{}", serde_json::json!({"level": "error", "event": "config_invalid", "error": e.to_string()}));
                }
                parsed.map(Rc::new)
            })
            .clone()
        })
    }
}

fn parse_cors(var: &impl Fn(&str) -> Option<String>) -> Result<CorsConfig, ConfigError> {
    let list = |raw: String| -> Vec<String> {
        raw.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    };
    let allow_origins = match var("CORS_ALLOW_ORIGINS").map(list) {
        None => AllowedOrigins::None,
        Some(origins) if origins == ["*"] => AllowedOrigins::Any,
        Some(origins) => {
            for origin in &origins {
                validate_origin(origin)?;
            }
            AllowedOrigins::List(origins)
        }
    };
    let allow_credentials = parse_bool("CORS_ALLOW_CREDENTIALS", var("CORS_ALLOW_CREDENTIALS"))?;
    if allow_credentials && allow_origins == AllowedOrigins::Any {
        return Err(ConfigError::Invalid {
            var: "CORS_ALLOW_CREDENTIALS",
            reason: "credentials cannot be allowed for every origin ('*'); list the origins".into(),
        });
    }
    let allow_methods = var("CORS_ALLOW_METHODS")
        .map(list)
        .unwrap_or_else(|| vec!["GET".into(), "HEAD".into(), "POST".into()]);
    if let Some(bad) = allow_methods.iter().find(|m| m.is_empty() || !m.bytes().all(|b| b.is_ascii_uppercase())) {
        return Err(ConfigError::Invalid { var: "CORS_ALLOW_METHODS", reason: format!("'{bad}' is not an upper-case method") });
    }
    let allow_headers = var("CORS_ALLOW_HEADERS")
        .map(list)
        .unwrap_or_else(|| vec!["Content-Type".into(), "X-Request-Id".into()]);
    if let Some(bad) = allow_headers.iter().find(|h| !h.bytes().all(is_token_byte)) {
        return Err(ConfigError::Invalid { var: "CORS_ALLOW_HEADERS", reason: format!("'{bad}' is not a header name") });
    }
    Ok(CorsConfig {
        allow_origins,
        allow_methods,
        allow_headers,
        allow_credentials,
        max_age_s: parse_u32("CORS_MAX_AGE_S", var("CORS_MAX_AGE_S"), DEFAULT_CORS_MAX_AGE_S, 0..=86_400)?,
    })
}

/// An origin is `scheme://host[:port]`, exactly as browsers send it in `Origin`.
fn validate_origin(origin: &str) -> Result<(), ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid { var: "CORS_ALLOW_ORIGINS", reason: format!("'{origin}' {reason}") };
    let url = Url::parse(origin).map_err(|_| invalid("is not an origin like https://app.example.com"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("is not http or https"));
    }
    if url.origin().ascii_serialization() != origin {
        return Err(invalid("must be scheme://host[:port] with no path, lowercase, default port omitted"));
    }
    Ok(())
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn parse_bool(var: &'static str, raw: Option<String>) -> Result<bool, ConfigError> {
    match raw.as_deref().map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ConfigError::Invalid { var, reason: format!("'{other}' is not true or false") }),
    }
}

fn parse_upstream_url(raw: Option<String>) -> Result<Url, ConfigError> {
    const VAR: &str = "UPSTREAM_URL";
    let raw = raw.ok_or(ConfigError::Missing { var: VAR })?;
    let invalid = |reason: String| ConfigError::Invalid { var: VAR, reason };
    let url = Url::parse(raw.trim()).map_err(|e| invalid(format!("'{raw}' is not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid(format!("scheme '{}' is not http or https", url.scheme())));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("credentials in the URL are not allowed; use a secret header".into()));
    }
    Ok(url)
}

fn parse_u32(var: &'static str, raw: Option<String>, default: u32, range: RangeInclusive<u32>) -> Result<u32, ConfigError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    let invalid = |reason: String| ConfigError::Invalid { var, reason };
    let n: u32 = raw.trim().parse().map_err(|_| invalid(format!("'{raw}' is not a whole number")))?;
    if !range.contains(&n) {
        return Err(invalid(format!("{n} is outside {}..={}", range.start(), range.end())));
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> =
            vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::parse(|k| map.get(k).cloned())
    }

    fn upstream(vars: &[(&str, &str)]) -> Result<UpstreamConfig, ConfigError> {
        parse(vars).unwrap().upstream
    }

    #[test]
    fn defaults() {
        let c = parse(&[("UPSTREAM_URL", "https://api.example.com/v1/x?y=1")]).unwrap();
        let up = c.upstream.unwrap();
        assert_eq!(up.url.as_str(), "https://api.example.com/v1/x?y=1");
        assert_eq!(up.timeout_ms, 5_000);
        assert_eq!(c.cors.allow_origins, AllowedOrigins::None);
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert_eq!(c.max_in_flight, 0);
        assert!(!c.test_routes);
    }

    #[test]
    fn reads_timeout() {
        let up = upstream(&[("UPSTREAM_URL", "http://127.0.0.1:9/"), ("UPSTREAM_TIMEOUT_MS", " 250 ")]).unwrap();
        assert_eq!(up.timeout_ms, 250);
    }

    #[test]
    fn missing_or_blank_url_is_named_but_not_fatal() {
        for vars in [&[][..], &[("UPSTREAM_URL", "  ")][..]] {
            assert_eq!(upstream(vars), Err(ConfigError::Missing { var: "UPSTREAM_URL" }));
        }
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in ["not a url", "/relative/path", "ftp://example.com/", "https://user:pw@example.com/"] {
            let err = upstream(&[("UPSTREAM_URL", bad)]).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { var: "UPSTREAM_URL", .. }), "{bad}: {err:?}");
            assert!(err.to_string().contains("UPSTREAM_URL"));
        }
    }

    #[test]
    fn rejects_bad_timeouts() {
        for bad in ["0", "-5", "abc", "1.5", "300001", "99999999999"] {
            let err = upstream(&[("UPSTREAM_URL", "https://x.test/"), ("UPSTREAM_TIMEOUT_MS", bad)]).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { var: "UPSTREAM_TIMEOUT_MS", .. }), "{bad}: {err:?}");
        }
    }

    #[test]
    fn reads_cors() {
        let c = parse(&[
            ("CORS_ALLOW_ORIGINS", "https://app.example.com, http://127.0.0.1:5173"),
            ("CORS_ALLOW_HEADERS", "Content-Type, X-Api-Version"),
            ("CORS_ALLOW_CREDENTIALS", "true"),
            ("CORS_MAX_AGE_S", "60"),
        ])
        .unwrap()
        .cors;
        assert_eq!(
            c.allow_origins,
            AllowedOrigins::List(vec!["https://app.example.com".into(), "http://127.0.0.1:5173".into()])
        );
        assert_eq!(c.allow_headers, vec!["Content-Type", "X-Api-Version"]);
        assert!(c.allow_credentials);
        assert_eq!(c.max_age_s, 60);
        assert_eq!(parse(&[("CORS_ALLOW_ORIGINS", "*")]).unwrap().cors.allow_origins, AllowedOrigins::Any);
    }

    #[test]
    fn rejects_bad_cors() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (&[("CORS_ALLOW_ORIGINS", "https://app.example.com/")], "CORS_ALLOW_ORIGINS"),
            (&[("CORS_ALLOW_ORIGINS", "app.example.com")], "CORS_ALLOW_ORIGINS"),
            (&[("CORS_ALLOW_ORIGINS", "https://APP.example.com")], "CORS_ALLOW_ORIGINS"),
            (&[("CORS_ALLOW_ORIGINS", "*"), ("CORS_ALLOW_CREDENTIALS", "true")], "CORS_ALLOW_CREDENTIALS"),
            (&[("CORS_ALLOW_CREDENTIALS", "yes")], "CORS_ALLOW_CREDENTIALS"),
            (&[("CORS_ALLOW_HEADERS", "X Bad")], "CORS_ALLOW_HEADERS"),
            (&[("CORS_ALLOW_METHODS", "get")], "CORS_ALLOW_METHODS"),
        ];
        for (vars, named) in cases {
            match parse(vars) {
                Err(ConfigError::Invalid { var, .. }) => assert_eq!(var, *named, "{vars:?}"),
                other => panic!("{vars:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn service_wide_errors_are_fatal() {
        for (var, bad) in [("MAX_BODY_BYTES", "0"), ("MAX_IN_FLIGHT", "-1"), ("ENABLE_TEST_ROUTES", "maybe")] {
            assert!(matches!(parse(&[(var, bad)]), Err(ConfigError::Invalid { var: v, .. }) if v == var), "{var}");
        }
        assert!(parse(&[("ENABLE_TEST_ROUTES", "true")]).unwrap().test_routes);
    }
}
