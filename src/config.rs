//! Typed configuration, read once per isolate from the worker's vars and validated.

use std::cell::OnceCell;
use std::fmt;
use std::rc::Rc;

use worker::{console_error, Env, Url};

/// Bounds on `UPSTREAM_TIMEOUT_MS`: at least 1 ms, at most 5 minutes.
const TIMEOUT_RANGE_MS: std::ops::RangeInclusive<u32> = 1..=300_000;
const DEFAULT_TIMEOUT_MS: u32 = 5_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// The default upstream, called by `GET /external-api`.
    pub upstream_url: Url,
    /// Deadline for a whole upstream exchange, headers and body.
    pub upstream_timeout_ms: u32,
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
        let upstream_url = parse_upstream_url(lookup("UPSTREAM_URL"))?;
        let upstream_timeout_ms = parse_timeout(lookup("UPSTREAM_TIMEOUT_MS"))?;
        Ok(Config { upstream_url, upstream_timeout_ms })
    }

    /// The isolate's config: parsed on first use, then shared. A bad config is logged once
    /// and reported as a 500 by every route that needs it.
    pub fn load(env: &Env) -> Result<Rc<Config>, ConfigError> {
        thread_local! {
            static CONFIG: OnceCell<Result<Rc<Config>, ConfigError>> = const { OnceCell::new() };
        }
        CONFIG.with(|cell| {
            cell.get_or_init(|| {
                let parsed = Config::parse(|name| env.var(name).ok().map(|v| v.to_string()));
                if let Err(e) = &parsed {
                    console_error!("{}", serde_json::json!({"level": "error", "event": "config_invalid", "error": e.to_string()}));
                }
                parsed.map(Rc::new)
            })
            .clone()
        })
    }
}

fn parse_upstream_url(raw: Option<String>) -> Result<Url, ConfigError> {
    const VAR: &str = "UPSTREAM_URL";
    let raw = raw.filter(|s| !s.trim().is_empty()).ok_or(ConfigError::Missing { var: VAR })?;
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

fn parse_timeout(raw: Option<String>) -> Result<u32, ConfigError> {
    const VAR: &str = "UPSTREAM_TIMEOUT_MS";
    let Some(raw) = raw.filter(|s| !s.trim().is_empty()) else {
        return Ok(DEFAULT_TIMEOUT_MS);
    };
    let invalid = |reason: String| ConfigError::Invalid { var: VAR, reason };
    let ms: u32 = raw
        .trim()
        .parse()
        .map_err(|_| invalid(format!("'{raw}' is not a whole number of milliseconds")))?;
    if !TIMEOUT_RANGE_MS.contains(&ms) {
        return Err(invalid(format!(
            "{ms} is outside {}..={}",
            TIMEOUT_RANGE_MS.start(),
            TIMEOUT_RANGE_MS.end()
        )));
    }
    Ok(ms)
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
    fn defaults_timeout() {
        let c = parse(&[("UPSTREAM_URL", "https://api.example.com/v1/x?y=1")]).unwrap();
        assert_eq!(c.upstream_url.as_str(), "https://api.example.com/v1/x?y=1");
        assert_eq!(c.upstream_timeout_ms, 5_000);
    }

    #[test]
    fn reads_timeout() {
        let c = parse(&[("UPSTREAM_URL", "http://127.0.0.1:9/"), ("UPSTREAM_TIMEOUT_MS", " 250 ")]).unwrap();
        assert_eq!(c.upstream_timeout_ms, 250);
    }

    #[test]
    fn missing_or_blank_url_is_named() {
        for vars in [&[][..], &[("UPSTREAM_URL", "  ")][..]] {
            assert_eq!(parse(vars), Err(ConfigError::Missing { var: "UPSTREAM_URL" }));
        }
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in ["not a url", "/relative/path", "ftp://example.com/", "https://user:pw@example.com/"] {
            let err = parse(&[("UPSTREAM_URL", bad)]).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { var: "UPSTREAM_URL", .. }), "{bad}: {err:?}");
            assert!(err.to_string().contains("UPSTREAM_URL"));
        }
    }

    #[test]
    fn rejects_bad_timeouts() {
        for bad in ["0", "-5", "abc", "1.5", "300001", "99999999999"] {
            let err = parse(&[("UPSTREAM_URL", "https://x.test/"), ("UPSTREAM_TIMEOUT_MS", bad)]).unwrap_err();
            assert!(matches!(err, ConfigError::Invalid { var: "UPSTREAM_TIMEOUT_MS", .. }), "{bad}: {err:?}");
        }
    }
}
