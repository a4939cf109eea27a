//! The one OpenID issuer whose access tokens this deployment trusts: `JWT_ISSUER` and the
//! vars beside it (names fixed, so operators and tools can rely on them).

use crate::config::error::ConfigError;
use crate::config::vars::parse_u32;
use crate::http_url::HttpUrl;

use super::jwk::Alg;

#[derive(Debug, Clone, PartialEq)]
pub struct Issuer {
    /// `JWT_ISSUER`: the exact `iss` of every accepted token.
    pub issuer: String,
    /// `JWT_AUDIENCE`: a token passes if any of its `aud` values is one of these.
    pub audiences: Vec<String>,
    /// `JWT_JWKS_URL`, by default `{JWT_ISSUER}/.well-known/jwks.json`.
    pub jwks_url: HttpUrl,
    /// `JWT_ALGORITHMS`, by default every one supported (asymmetric only).
    pub algorithms: Vec<Alg>,
    /// `JWT_LEEWAY_S`: clock skew allowed on `exp`, `nbf` and `iat`.
    pub leeway_s: u32,
}

impl Issuer {
    /// `None` when `JWT_ISSUER` is not set: JWT auth is off.
    pub fn parse(var: &impl Fn(&str) -> Option<String>) -> Result<Option<Issuer>, ConfigError> {
        match var("JWT_ISSUER") {
            Some(issuer) => Self::configured(issuer.trim().to_owned(), var).map(Some),
            None => Ok(None),
        }
    }

    /// Out of line: without JWT auth the first request neither runs nor compiles this.
    #[inline(never)]
    fn configured(issuer: String, var: &impl Fn(&str) -> Option<String>) -> Result<Issuer, ConfigError> {
        let invalid = |var: &'static str, reason: String| ConfigError::Invalid { var, reason };
        HttpUrl::parse(&issuer).map_err(|e| invalid("JWT_ISSUER", e))?;
        let list = |raw: String| -> Vec<String> { raw.split(',').map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect() };
        // RFC 8725 §3.9: a token minted for another service must not be accepted here.
        let audiences = var("JWT_AUDIENCE").map(list).filter(|a| !a.is_empty()).ok_or(ConfigError::Missing { var: "JWT_AUDIENCE" })?;
        let jwks = var("JWT_JWKS_URL").unwrap_or_else(|| format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')));
        let jwks_url = HttpUrl::parse(&jwks).map_err(|e| invalid("JWT_JWKS_URL", e))?;
        if !jwks_url.as_str().starts_with("https://") && !is_loopback(&jwks_url) {
            return Err(invalid("JWT_JWKS_URL", format!("'{jwks_url}' must be https (plain http only on localhost)")));
        }
        let algorithms = match var("JWT_ALGORITHMS").map(list) {
            None => Alg::ALL.to_vec(),
            Some(names) => {
                let mut algorithms = Vec::new();
                for name in names {
                    let alg = Alg::parse(&name).ok_or_else(|| {
                        invalid("JWT_ALGORITHMS", format!("'{name}' is not one of RS256, ES256, EdDSA (symmetric algorithms and 'none' are never accepted)"))
                    })?;
                    algorithms.push(alg);
                }
                algorithms
            }
        };
        if algorithms.is_empty() {
            return Err(invalid("JWT_ALGORITHMS", "lists no algorithm".into()));
        }
        Ok(Issuer { issuer, audiences, jwks_url, algorithms, leeway_s: parse_u32("JWT_LEEWAY_S", var("JWT_LEEWAY_S"), 60, 0..=600)? })
    }
}

fn is_loopback(url: &HttpUrl) -> bool {
    let authority = url.origin().trim_start_matches("http://");
    let host = if authority.ends_with(']') { authority } else { authority.rsplit_once(':').map_or(authority, |(h, _)| h) };
    ["localhost", "127.0.0.1", "[::1]"].contains(&host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse(vars: &[(&str, &str)]) -> Result<Option<Issuer>, ConfigError> {
        let map: HashMap<&str, &str> = vars.iter().copied().collect();
        Issuer::parse(&|k: &str| map.get(k).map(|v| v.to_string()))
    }

    #[test]
    fn off_without_an_issuer() {
        assert_eq!(parse(&[("JWT_AUDIENCE", "x")]), Ok(None));
    }

    #[test]
    fn defaults_follow_the_issuer() {
        let i = parse(&[("JWT_ISSUER", "https://id.example.com/"), ("JWT_AUDIENCE", "api, ,web")]).unwrap().unwrap();
        assert_eq!(i.issuer, "https://id.example.com/");
        assert_eq!(i.audiences, ["api", "web"]);
        assert_eq!(i.jwks_url.as_str(), "https://id.example.com/.well-known/jwks.json");
        assert_eq!((i.algorithms, i.leeway_s), (Alg::ALL.to_vec(), 60));
    }

    #[test]
    fn reads_every_var() {
        let i = parse(&[
            ("JWT_ISSUER", "https://id.example.com"),
            ("JWT_AUDIENCE", "api"),
            ("JWT_JWKS_URL", "http://127.0.0.1:9999/keys"),
            ("JWT_ALGORITHMS", "ES256, EdDSA"),
            ("JWT_LEEWAY_S", "5"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(i.jwks_url.as_str(), "http://127.0.0.1:9999/keys");
        assert_eq!((i.algorithms, i.leeway_s), (vec![Alg::ES256, Alg::EdDSA], 5));
    }

    #[test]
    fn refuses_what_would_weaken_verification() {
        let base = [("JWT_ISSUER", "https://id.example.com"), ("JWT_AUDIENCE", "api")];
        let with = |extra: (&'static str, &'static str)| {
            let mut vars = base.to_vec();
            vars.push(extra);
            parse(&vars)
        };
        assert_eq!(parse(&base[..1]), Err(ConfigError::Missing { var: "JWT_AUDIENCE" }));
        for (var, bad) in [
            ("JWT_ALGORITHMS", "HS256"),
            ("JWT_ALGORITHMS", "none"),
            ("JWT_ALGORITHMS", "RS256,HS512"),
            ("JWT_ALGORITHMS", " , "),
            ("JWT_JWKS_URL", "http://id.example.com/keys"),
            ("JWT_JWKS_URL", "ftp://id.example.com/keys"),
            ("JWT_LEEWAY_S", "3600"),
        ] {
            assert!(matches!(with((var, bad)), Err(ConfigError::Invalid { var: v, .. }) if v == var), "{var}={bad}");
        }
        assert!(matches!(parse(&[("JWT_ISSUER", "id.example.com"), ("JWT_AUDIENCE", "a")]), Err(ConfigError::Invalid { var: "JWT_ISSUER", .. })));
        for local in ["http://localhost:8080/jwks", "http://[::1]/jwks", "http://127.0.0.1/jwks"] {
            assert!(with(("JWT_JWKS_URL", local)).is_ok(), "{local}");
        }
    }
}
