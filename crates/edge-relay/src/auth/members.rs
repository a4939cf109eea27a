//! Typed members of the small JSON objects a token and a key set are made of. Read from a
//! `serde_json` map rather than with `#[derive(Deserialize)]` structs: one generic parser
//! instead of one per type (the derives cost ~1.9 KB of gzipped wasm).

use serde_json::{Map, Value};

pub type Object = Map<String, Value>;

/// The object a JSON text holds, or `None` for any other JSON or none.
pub fn object(json: &[u8]) -> Option<Object> {
    // From a `str`: the worker already carries that parser instance for `Value`.
    match serde_json::from_str(std::str::from_utf8(json).ok()?).ok()? {
        Value::Object(map) => Some(map),
        _ => None,
    }
}

/// A string member; absent or `null` is `None`, another type an error naming it.
pub fn text(map: &Object, name: &str) -> Result<Option<String>, String> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(format!("'{name}' is not a string")),
    }
}

/// A numeric member (a NumericDate may have a fraction).
pub fn number(map: &Object, name: &str) -> Result<Option<f64>, String> {
    match map.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v.as_f64().map(Some).ok_or_else(|| format!("'{name}' is not a number")),
    }
}

/// The strings of a member that is a string or an array of them (`aud`, `scp`, `key_ops`);
/// other array members are ignored.
pub fn strings<'a>(map: &'a Object, name: &str) -> Vec<&'a str> {
    match map.get(name) {
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(many)) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_typed_members() {
        let map = object(br#"{"s":"x","n":1.5,"z":null,"a":["p",1,"q"],"o":{}}"#).unwrap();
        assert_eq!(text(&map, "s"), Ok(Some("x".into())));
        assert_eq!(text(&map, "z"), Ok(None));
        assert_eq!(text(&map, "missing"), Ok(None));
        assert_eq!(text(&map, "n"), Err("'n' is not a string".into()));
        assert_eq!(number(&map, "n"), Ok(Some(1.5)));
        assert_eq!(number(&map, "s"), Err("'s' is not a number".into()));
        assert_eq!(strings(&map, "a"), ["p", "q"]);
        assert_eq!(strings(&map, "s"), ["x"]);
        assert!(strings(&map, "o").is_empty());
        for not_object in [&b"[]"[..], b"1", b"\"x\"", b"{", b""] {
            assert!(object(not_object).is_none());
        }
    }
}
