//! `tracestate`: the vendors' entries passed on with a continued trace, checked against Level
//! 1's grammar and limits. A header that breaks them (a bad key or value, a key twice, more
//! than 32 entries) is dropped whole, as the spec's test suite expects; one that is valid but
//! long is cut to `MAX_TRACESTATE_CHARS` by whole entries.

/// Entries a `tracestate` may hold.
const MAX_ENTRIES: usize = 32;
/// The most this service passes on: the spec asks for at least 512 characters and lets a
/// vendor document its own maximum; 512 keeps each request's copy small.
pub const MAX_TRACESTATE_CHARS: usize = 512;
/// Entries longer than this go first when the header must be cut.
const LONG_ENTRY_CHARS: usize = 128;

/// The `tracestate` to pass on, normalised (`key=value` entries joined by `,`, no optional
/// whitespace), or `None` when there is nothing valid to pass on. Several header fields
/// arrive joined by `,`, as the runtime combines them.
pub fn parse_tracestate(value: &str) -> Option<String> {
    // Bounded by `MAX_ENTRIES`: a longer list is refused before it grows.
    let mut entries: Vec<&str> = Vec::new();
    for member in value.split(',') {
        let member = member.trim_matches([' ', '\t']);
        if member.is_empty() {
            continue;
        }
        let (key, val) = member.split_once('=')?;
        if !is_key(key) || !is_value(val) || entries.len() == MAX_ENTRIES {
            return None;
        }
        if entries.iter().any(|e| e.split_once('=').is_some_and(|(k, _)| k == key)) {
            return None;
        }
        entries.push(member);
    }
    let mut length = joined_len(&entries);
    while length > MAX_TRACESTATE_CHARS {
        let drop = entries.iter().rposition(|e| e.len() > LONG_ENTRY_CHARS).unwrap_or(entries.len() - 1);
        entries.remove(drop);
        length = joined_len(&entries);
    }
    (!entries.is_empty()).then(|| entries.join(","))
}

fn joined_len(entries: &[&str]) -> usize {
    entries.iter().map(|e| e.len()).sum::<usize>() + entries.len().saturating_sub(1)
}

/// `simple-key / tenant-id "@" system-id` (Level 1): lowercase letters, digits, `_ - * /`.
fn is_key(key: &str) -> bool {
    let rest = |part: &str| part.bytes().skip(1).all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'*' | b'/'));
    let starts = |part: &str, digit: bool| part.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || (digit && b.is_ascii_digit()));
    match key.split_once('@') {
        None => key.len() <= 256 && starts(key, false) && rest(key),
        Some((tenant, system)) => {
            tenant.len() <= 241 && starts(tenant, true) && rest(tenant) && system.len() <= 14 && starts(system, false) && rest(system)
        }
    }
}

/// 1 to 256 printable ASCII characters but `,` and `=`, not ending in a space.
fn is_value(value: &str) -> bool {
    (1..=256).contains(&value.len())
        && !value.ends_with(' ')
        && value.bytes().all(|b| matches!(b, 0x20..=0x7e) && b != b',' && b != b'=')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_kept_in_order_without_optional_whitespace() {
        assert_eq!(parse_tracestate("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE").as_deref(), Some("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"));
        assert_eq!(parse_tracestate("foo=1 \t , \t bar=2, \t baz=3").as_deref(), Some("foo=1,bar=2,baz=3"));
        // Several header fields, joined by the runtime; empty members are allowed.
        assert_eq!(parse_tracestate("foo=1, , bar=2,").as_deref(), Some("foo=1,bar=2"));
        // A value's leading spaces are its own.
        assert_eq!(parse_tracestate("foo= a b").as_deref(), Some("foo= a b"));
        assert_eq!(parse_tracestate(""), None);
        assert_eq!(parse_tracestate(" , \t"), None);
    }

    #[test]
    fn every_allowed_character_passes() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
        let value: String = (0x20u8..=0x7e).filter(|b| *b != b',' && *b != b'=').map(char::from).collect();
        for key in [key.to_owned(), format!("{key}@a-z0-9_-*/"), "0tenant@sys".to_owned()] {
            let header = format!("{key}={value}");
            assert_eq!(parse_tracestate(&header), Some(header.clone()), "{key}");
        }
    }

    #[test]
    fn a_header_breaking_the_grammar_is_dropped_whole() {
        let many = |n: usize| (0..n).map(|i| format!("k{i}=v")).collect::<Vec<_>>().join(",");
        assert_eq!(parse_tracestate(&many(32)).map(|s| s.matches('=').count()), Some(32));
        let cases = [
            many(33),
            "foo=1,foo=1".into(),
            "foo=1,foo=2".into(),
            "foo =1".into(),
            "FOO=1".into(),
            "foo.bar=1".into(),
            "1foo=1".into(),
            "foo@=1,bar=2".into(),
            "@foo=1,bar=2".into(),
            "foo@@bar=1,bar=2".into(),
            "foo@bar@baz=1,bar=2".into(),
            "foo@1sys=1".into(),
            format!("foo@{}=1", "s".repeat(15)),
            format!("{}@s=1", "t".repeat(242)),
            format!("{}=1", "k".repeat(257)),
            "foo=".into(),
            "foo".into(),
            "foo=a=b".into(),
            "foo=tab\there".into(),
            "foo=ünï".into(),
            format!("foo={}", "v".repeat(257)),
            "bar=2,foo".into(),
        ];
        for case in cases {
            assert_eq!(parse_tracestate(&case), None, "{case:?}");
        }
    }

    #[test]
    fn a_long_header_loses_long_entries_first_then_entries_from_the_end() {
        let entry = |key: &str, len: usize| format!("{key}={}", "v".repeat(len - key.len() - 1));
        let long = entry("long", 200);
        let shorts: Vec<String> = (0..6).map(|i| entry(&format!("s{i}"), 60)).collect();
        let header = format!("{},{long},{}", shorts[..3].join(","), shorts[3..].join(","));
        // 6 × 60 + 200 + 6 commas = 566: the long entry goes, the rest fit (365).
        assert_eq!(parse_tracestate(&header), Some(shorts.join(",")));
        let many: Vec<String> = (0..10).map(|i| entry(&format!("s{i}"), 100)).collect();
        let kept = parse_tracestate(&many.join(",")).unwrap();
        assert_eq!(kept, many[..5].join(","), "whole entries from the end");
        assert!(kept.len() <= MAX_TRACESTATE_CHARS);
    }
}
