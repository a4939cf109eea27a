//! CORS for browser clients: which origins may call, and the preflight answer.
//! Pure functions over the config; the pipeline applies the headers they return.

use crate::config::{AllowedOrigins, CorsConfig};

pub type HeaderList = Vec<(&'static str, String)>;

/// Response headers a browser may read besides the CORS-safelisted ones.
const EXPOSE_HEADERS: &str = "X-Request-Id, Server-Timing, Retry-After";

/// The `Access-Control-Allow-Origin` value for `origin`, when it is allowed.
fn allow_origin(config: &CorsConfig, origin: &str) -> Option<String> {
    match &config.allow_origins {
        AllowedOrigins::None => None,
        // With credentials the exact origin must be echoed; config forbids `*` with them.
        AllowedOrigins::Any => Some("*".to_owned()),
        AllowedOrigins::List(list) => list.iter().any(|o| o == origin).then(|| origin.to_owned()),
    }
}

fn enabled(config: &CorsConfig) -> bool {
    config.allow_origins != AllowedOrigins::None
}

/// Headers for an ordinary (non-preflight) response.
pub fn response_headers(config: &CorsConfig, origin: Option<&str>) -> HeaderList {
    if !enabled(config) {
        return Vec::new();
    }
    let mut headers = vec![("Vary", "Origin".to_owned())];
    if let Some(allowed) = origin.and_then(|o| allow_origin(config, o)) {
        headers.push(("Access-Control-Allow-Origin", allowed));
        headers.push(("Access-Control-Expose-Headers", EXPOSE_HEADERS.to_owned()));
        if config.allow_credentials {
            headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
        }
    }
    headers
}

/// Headers for a preflight answer (always 204). A refused preflight carries no
/// `Access-Control-Allow-*` headers, which is how the browser learns it is refused.
pub fn preflight_headers(
    config: &CorsConfig,
    origin: &str,
    request_method: &str,
    request_headers: Option<&str>,
) -> HeaderList {
    let mut headers = vec![("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers".to_owned())];
    let Some(allowed) = allow_origin(config, origin) else {
        return headers;
    };
    let method_ok = config.allow_methods.iter().any(|m| m == request_method);
    let headers_ok = request_headers
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .all(|h| config.allow_headers.iter().any(|a| a.eq_ignore_ascii_case(h)));
    if !(method_ok && headers_ok) {
        return headers;
    }
    headers.push(("Access-Control-Allow-Origin", allowed));
    headers.push(("Access-Control-Allow-Methods", config.allow_methods.join(", ")));
    if !config.allow_headers.is_empty() {
        headers.push(("Access-Control-Allow-Headers", config.allow_headers.join(", ")));
    }
    headers.push(("Access-Control-Max-Age", config.max_age_s.to_string()));
    if config.allow_credentials {
        headers.push(("Access-Control-Allow-Credentials", "true".to_owned()));
    }
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(origins: AllowedOrigins, credentials: bool) -> CorsConfig {
        CorsConfig {
            allow_origins: origins,
            allow_methods: vec!["GET".into(), "HEAD".into(), "POST".into()],
            allow_headers: vec!["Content-Type".into(), "X-Request-Id".into()],
            allow_credentials: credentials,
            max_age_s: 600,
        }
    }

    fn get<'a>(headers: &'a HeaderList, name: &str) -> Option<&'a str> {
        headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    const APP: &str = "https://app.example.com";

    #[test]
    fn disabled_by_default() {
        let c = config(AllowedOrigins::None, false);
        assert!(response_headers(&c, Some(APP)).is_empty());
        assert_eq!(get(&preflight_headers(&c, APP, "GET", None), "Access-Control-Allow-Origin"), None);
    }

    #[test]
    fn listed_origin_is_echoed_with_vary() {
        let c = config(AllowedOrigins::List(vec![APP.into()]), false);
        let h = response_headers(&c, Some(APP));
        assert_eq!(get(&h, "Access-Control-Allow-Origin"), Some(APP));
        assert_eq!(get(&h, "Vary"), Some("Origin"));
        assert_eq!(get(&h, "Access-Control-Allow-Credentials"), None);
        assert!(get(&h, "Access-Control-Expose-Headers").unwrap().contains("X-Request-Id"));
        let other = response_headers(&c, Some("https://evil.example"));
        assert_eq!(get(&other, "Access-Control-Allow-Origin"), None);
        assert_eq!(get(&other, "Vary"), Some("Origin"));
    }

    #[test]
    fn wildcard_and_credentials() {
        let any = config(AllowedOrigins::Any, false);
        assert_eq!(get(&response_headers(&any, Some(APP)), "Access-Control-Allow-Origin"), Some("*"));
        let creds = config(AllowedOrigins::List(vec![APP.into()]), true);
        assert_eq!(get(&response_headers(&creds, Some(APP)), "Access-Control-Allow-Credentials"), Some("true"));
    }

    #[test]
    fn preflight_checks_origin_method_and_headers() {
        let c = config(AllowedOrigins::List(vec![APP.into()]), false);
        let ok = preflight_headers(&c, APP, "POST", Some("content-type, X-Request-Id"));
        assert_eq!(get(&ok, "Access-Control-Allow-Origin"), Some(APP));
        assert_eq!(get(&ok, "Access-Control-Allow-Methods"), Some("GET, HEAD, POST"));
        assert_eq!(get(&ok, "Access-Control-Max-Age"), Some("600"));
        for (origin, method, headers) in [
            ("https://evil.example", "GET", None),
            (APP, "DELETE", None),
            (APP, "GET", Some("Authorization")),
        ] {
            let refused = preflight_headers(&c, origin, method, headers);
            assert_eq!(get(&refused, "Access-Control-Allow-Origin"), None, "{origin} {method} {headers:?}");
            assert!(get(&refused, "Vary").is_some());
        }
    }
}
