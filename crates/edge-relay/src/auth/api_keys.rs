//! Static bearer keys (`API_KEYS`, a secret), accepted beside JWTs: each key is its own
//! owner and holds every scope.

use std::fmt;

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

    /// The configured key equal to `token`. Every key is compared, each in time independent
    /// of where the bytes differ.
    pub fn matching(&self, token: &str) -> Option<&str> {
        self.0.iter().fold(None, |found, key| if constant_time_eq(token.as_bytes(), key.as_bytes()) { Some(key.as_str()) } else { found })
    }
}

impl fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiKeys({} redacted)", self.0.len())
    }
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
    fn matches_exactly_one_configured_key() {
        assert_eq!(keys().matching("alpha-key"), Some("alpha-key"));
        assert_eq!(keys().matching("beta-key"), Some("beta-key"));
        for wrong in ["", "alpha-ke", "alpha-keyy", "ALPHA-KEY", "alpha-key,beta-key", " alpha-key"] {
            assert_eq!(keys().matching(wrong), None, "{wrong}");
        }
        assert_eq!(ApiKeys::default().matching(""), None);
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
