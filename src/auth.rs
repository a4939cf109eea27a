//! Bearer-key authentication for the routes that spend resources on a caller's behalf
//! (`/jobs`). Keys come from the `API_KEYS` secret; with none configured those routes are
//! closed (503), never open.

use std::fmt;

use crate::error::ApiError;

/// The accepted keys. Debug output never shows them.
#[derive(Clone, PartialEq, Default)]
pub struct ApiKeys(Vec<String>);

impl ApiKeys {
    /// `API_KEYS`: comma-separated; blanks around and between keys are ignored.
    pub fn parse(raw: Option<&str>) -> Self {
        ApiKeys(raw.unwrap_or("").split(',').map(str::trim).filter(|k| !k.is_empty()).map(str::to_owned).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} redacted)", self.0.len())
    }
}

/// Checks an `Authorization` header value against the keys.
pub fn authorize(header: Option<&str>, keys: &ApiKeys) -> Result<(), ApiError> {
    if keys.is_empty() {
        return Err(ApiError::NotConfigured { feature: "the jobs API", var: "API_KEYS" });
    }
    let Some(token) = header.and_then(bearer_token) else {
        return Err(ApiError::Unauthorized { reason: "send Authorization: Bearer <key>" });
    };
    // Every key is compared, each in time independent of where the bytes differ.
    let matched = keys.0.iter().fold(false, |found, key| found | constant_time_eq(token.as_bytes(), key.as_bytes()));
    if matched {
        Ok(())
    } else {
        Err(ApiError::Unauthorized { reason: "the bearer key is not valid" })
    }
}

/// The token of `Bearer <token>` (scheme case-insensitive, RFC 9110 §11.1).
fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Equality whose running time depends only on the lengths, not on the contents.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> ApiKeys {
        ApiKeys::parse(Some(" alpha-key , ,beta-key"))
    }

    #[test]
    fn parses_and_redacts_keys() {
        assert_eq!(keys().0, vec!["alpha-key", "beta-key"]);
        assert_eq!(format!("{:?}", keys()), "ApiKeys(2 redacted)");
        assert!(ApiKeys::parse(Some(" , ")).is_empty());
        assert!(ApiKeys::parse(None).is_empty());
    }

    #[test]
    fn accepts_any_configured_key() {
        assert_eq!(authorize(Some("Bearer alpha-key"), &keys()), Ok(()));
        assert_eq!(authorize(Some("bearer  beta-key "), &keys()), Ok(()));
    }

    #[test]
    fn rejects_missing_malformed_and_wrong_keys() {
        for header in [None, Some(""), Some("Bearer"), Some("Bearer "), Some("Basic alpha-key"), Some("alpha-key")] {
            assert!(matches!(authorize(header, &keys()), Err(ApiError::Unauthorized { .. })), "{header:?}");
        }
        for wrong in ["Bearer alpha-ke", "Bearer alpha-keyy", "Bearer ALPHA-KEY", "Bearer alpha-key,beta-key"] {
            assert_eq!(authorize(Some(wrong), &keys()), Err(ApiError::Unauthorized { reason: "the bearer key is not valid" }));
        }
    }

    #[test]
    fn closed_without_keys() {
        let err = authorize(Some("Bearer anything"), &ApiKeys::default()).unwrap_err();
        assert_eq!(err.status(), 503);
    }

    #[test]
    fn constant_time_eq_compares_whole_slices() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"a"));
        assert!(constant_time_eq(b"", b""));
    }
}
