//! Typed configuration, read once per isolate from the worker's vars and validated.

use std::cell::OnceCell;
use std::rc::Rc;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};
use worker::{console_error, js_sys, Env};

pub mod error;
pub(crate) mod jobs;
pub(crate) mod vars;

pub use error::ConfigError;
pub(crate) use jobs::JobsConfig;
use vars::{parse_bool, parse_u32};
use crate::extract::DEFAULT_MAX_BODY_BYTES;
use crate::auth::{ApiKeys, Issuer};
use crate::http_url::HttpUrl;
use crate::upstream::registry::{self, Registry};

const DEFAULT_CORS_MAX_AGE_S: u32 = 600;

/// Everything the worker reads from its vars. A bad value in the service-wide part fails
/// every route with a 500; a bad upstream only fails the routes that call it. Its fields are
/// the library's: an app reads [`Config::upstreams`], and its own settings as
/// [`crate::settings::Settings`].
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The named upstreams, read on first use (`upstreams`).
    upstreams: OnceCell<Result<Registry, ConfigError>>,
    pub(crate) cors: CorsConfig,
    /// Largest accepted request body (`MAX_BODY_BYTES`).
    pub(crate) max_body_bytes: u32,
    /// Requests one isolate serves at once before shedding load with 503 (`MAX_IN_FLIGHT`, 0 = no cap).
    pub(crate) max_in_flight: u32,
    /// Requests per period per client, enforced by the `RATE_LIMITER` binding when bound.
    pub(crate) rate_limit_period_s: u32,
    /// Whether the `RATE_LIMITER` binding exists, looked up once rather than per request.
    pub(crate) rate_limiter_bound: bool,
    /// Diagnostic routes under `/_test/` (`ENABLE_TEST_ROUTES`); off unless set to `true`, and
    /// only read by a build with the `diagnostics` feature (the tests').
    pub(crate) test_routes: bool,
    /// Static bearer keys (`API_KEYS`, a secret), each its own owner with every scope.
    pub(crate) api_keys: ApiKeys,
    /// The trusted JWT issuer (`JWT_ISSUER` and the vars beside it); `None`: JWT auth off.
    /// With neither keys nor an issuer the guarded routes answer 503.
    pub(crate) jwt: Option<Issuer>,
    pub(crate) jobs: JobsConfig,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct CorsConfig {
    /// Exact origins allowed (`CORS_ALLOW_ORIGINS`, comma-separated; `*` for any). Empty: CORS off.
    pub allow_origins: AllowedOrigins,
    pub allow_methods: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_s: u32,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) enum AllowedOrigins {
    #[default]
    None,
    Any,
    List(Vec<String>),
}

impl Config {
    /// Parses and validates config from any variable source (`lookup` returns a var's value).
    pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| set(lookup(name));
        Ok(Config {
            upstreams: OnceCell::new(),
            cors: parse_cors(&var)?,
            max_body_bytes: parse_u32("MAX_BODY_BYTES", var("MAX_BODY_BYTES"), DEFAULT_MAX_BODY_BYTES, 1..=100 * 1024 * 1024)?,
            max_in_flight: parse_u32("MAX_IN_FLIGHT", var("MAX_IN_FLIGHT"), 0, 0..=100_000)?,
            rate_limit_period_s: parse_u32("RATE_LIMIT_PERIOD_S", var("RATE_LIMIT_PERIOD_S"), 60, 1..=3600)?,
            rate_limiter_bound: false,
            #[cfg(feature = "diagnostics")]
            test_routes: parse_bool("ENABLE_TEST_ROUTES", var("ENABLE_TEST_ROUTES"))?,
            #[cfg(not(feature = "diagnostics"))]
            test_routes: false,
            api_keys: ApiKeys::parse(var("API_KEYS").as_deref()),
            jwt: Issuer::parse(&var)?,
            jobs: JobsConfig::parse(&var)?,
        })
    }

    /// The isolate's config: parsed on first use, then shared. A bad config is logged once.
    pub fn load(env: &Env) -> Result<Rc<Config>, ConfigError> {
        thread_local! {
            /// Survives a panic: a panic while parsing leaves the cell empty (`get_or_init`
            /// stores only a finished value), and the next request parses again.
            static CONFIG: OnceCell<Result<Rc<Config>, ConfigError>> = const { OnceCell::new() };
        }
        CONFIG.with(|cell| {
            cell.get_or_init(|| {
                let parsed = Config::parse(|name| read_var(env, name));
                if let Err(e) = &parsed {
                    log_invalid(e);
                }
                parsed.map(|config| Rc::new(Config { rate_limiter_bound: has_rate_limiter(env), ..config }))
            })
            .clone()
        })
    }

    /// The named upstreams (`UPSTREAMS`, plus `default` from `UPSTREAM_URL`), read from `env`
    /// the first time a route asks and then kept: a request that calls none (`/healthz`,
    /// `/docs`) neither runs nor compiles their parser. What is wrong with them (or that there
    /// is no `default`, which `/external-api` needs) is logged then, once; a bad registry fails
    /// only the routes that call upstreams.
    pub fn upstreams(&self, env: &Env) -> Result<&Registry, ConfigError> {
        let read = self.upstreams.get_or_init(|| {
            let read = read_upstreams(|name| read_var(env, name));
            if let Some(e) = registry_problem(&read) {
                log_invalid(&e);
            }
            read
        });
        read.as_ref().map_err(Clone::clone)
    }
}

/// The registry from vars read with `lookup`.
pub fn read_upstreams(lookup: impl Fn(&str) -> Option<String>) -> Result<Registry, ConfigError> {
    registry::parse(&|name: &str| set(lookup(name)))
}

/// A var's value if it is set: a blank one counts as unset.
pub(crate) fn set(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// What the log should say about a registry just read: its error, or that `default` is missing.
fn registry_problem(read: &Result<Registry, ConfigError>) -> Option<ConfigError> {
    match read {
        Err(e) => Some(e.clone()),
        Ok(registry) => registry.get(registry::DEFAULT_UPSTREAM).is_none().then_some(ConfigError::Missing { var: "UPSTREAM_URL" }),
    }
}

#[wasm_bindgen(module = "/src/middleware/rate_limit.mjs")]
extern "C" {
    /// Whether the `RATE_LIMITER` binding (Workers' rate limiting API) is bound.
    fn has_rate_limiter(env: &Env) -> bool;
}

/// Out of line: the first request compiles only the code it runs (docs/benchmark-history.md,
/// "Startup and size").
#[cold]
#[inline(never)]
fn log_invalid(e: &ConfigError) {
    console_error!("{}", serde_json::json!({"level": "error", "event": "config_invalid", "error": e.to_string()}));
}

/// A var or secret as text; a var given as a TOML table (like `UPSTREAMS`) comes back as JSON.
/// One property read per var: worker's `var`/`secret`/`object_var` chain formatted an error for
/// each miss, and went through serde-wasm-bindgen for a table.
pub(crate) fn read_var(env: &Env, name: &str) -> Option<String> {
    let value = js_sys::Reflect::get(env, &JsValue::from_str(name)).ok()?;
    match value.as_string() {
        Some(text) => Some(text),
        None if value.is_null_or_undefined() => None,
        // `JSON.stringify` gives `undefined`, not a string, for a value JSON cannot hold.
        None => js_sys::JSON::stringify(&value).ok().and_then(|json| json.as_string()),
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
        .unwrap_or_else(|| ["Content-Type", "X-Request-Id", "Authorization", "Idempotency-Key"].map(String::from).to_vec());
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
    if origin.split_once("://").is_some_and(|(scheme, _)| !["http", "https"].contains(&scheme.to_ascii_lowercase().as_str())) {
        return Err(invalid("is not http or https"));
    }
    let url = HttpUrl::parse(origin).map_err(|_| invalid("is not an origin like https://app.example.com"))?;
    if url.origin() != origin {
        return Err(invalid("must be scheme://host[:port] with no path, lowercase, default port omitted"));
    }
    Ok(())
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
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

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.upstreams.get(), None, "read on first use");
        assert_eq!(read_upstreams(|_| None), Ok(Registry::default()));
        assert_eq!(c.cors.allow_origins, AllowedOrigins::None);
        assert_eq!(c.max_body_bytes, 1024 * 1024);
        assert_eq!(c.max_in_flight, 0);
        assert!(!c.test_routes);
        assert!(c.api_keys.is_empty());
        assert_eq!(c.jobs, JobsConfig::parse(&|_| None).unwrap());
    }

    #[test]
    fn reads_jobs_settings() {
        let c = parse(&[("API_KEYS", "k1,k2"), ("JOBS_CHUNK_SIZE", "2"), ("JOBS_RETRY_DELAY_S", "0"), ("JOBS_LEASE_S", "1")]).unwrap();
        assert!(!c.api_keys.is_empty());
        assert_eq!((c.jobs.chunk_size, c.jobs.retry_delay_s, c.jobs.lease_s), (2, 0, 1));
        assert!(matches!(parse(&[("JOBS_CHUNK_SIZE", "0")]), Err(ConfigError::Invalid { var: "JOBS_CHUNK_SIZE", .. })), "a bad JOBS_* var is fatal");
    }

    #[test]
    fn a_bad_upstream_is_not_fatal() {
        let vars = [("UPSTREAM_URL", "not a url")];
        assert!(parse(&vars).is_ok());
        let read = read_upstreams(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string()));
        assert!(matches!(read, Err(ConfigError::Invalid { var: "UPSTREAM_URL", .. })));
        assert_eq!(registry_problem(&read), read.clone().err());
    }

    #[test]
    fn a_registry_without_default_is_reported() {
        assert_eq!(registry_problem(&read_upstreams(|_| None)), Some(ConfigError::Missing { var: "UPSTREAM_URL" }));
        assert_eq!(registry_problem(&read_upstreams(|k| (k == "UPSTREAM_URL").then(|| "https://api.example".into()))), None);
        // Blank, like unset.
        assert_eq!(read_upstreams(|k| (k == "UPSTREAMS").then(|| "  ".into())), Ok(Registry::default()));
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
    fn bad_origins_say_what_is_wrong() {
        for (origin, says) in [
            ("ftp://app.example.com", "is not http or https"),
            ("app.example.com", "is not an origin like"),
            ("https://app.example.com/", "with no path"),
            ("https://APP.example.com", "lowercase"),
        ] {
            match parse(&[("CORS_ALLOW_ORIGINS", origin)]) {
                Err(ConfigError::Invalid { reason, .. }) => assert!(reason.contains(says), "{origin}: {reason}"),
                other => panic!("{origin}: {other:?}"),
            }
        }
    }

    #[test]
    fn service_wide_errors_are_fatal() {
        for (var, bad) in [("MAX_BODY_BYTES", "0"), ("MAX_IN_FLIGHT", "-1"), ("CORS_MAX_AGE_S", "x")] {
            assert!(matches!(parse(&[(var, bad)]), Err(ConfigError::Invalid { var: v, .. }) if v == var), "{var}");
        }
    }

    #[test]
    fn test_routes_need_the_diagnostics_feature() {
        let enabled = parse(&[("ENABLE_TEST_ROUTES", "true")]).map(|c| c.test_routes);
        if cfg!(feature = "diagnostics") {
            assert_eq!(enabled, Ok(true));
            assert!(matches!(parse(&[("ENABLE_TEST_ROUTES", "maybe")]), Err(ConfigError::Invalid { var: "ENABLE_TEST_ROUTES", .. })));
        } else {
            assert_eq!(enabled, Ok(false), "a build without the feature has no test routes to enable");
        }
    }
}
