//! Named text values (a query string's, a path's) deserialised into a typed struct, with a 422
//! entry for every field at fault: serde stops at the first error, so a field that fails is
//! noted and left out, and the struct is read again (a pass per failing field, at most).

use std::fmt;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};

use crate::error::FieldError;

/// `T` from `pairs` (names and decoded values, in order), which came from `source` ("query",
/// "path"); every invalid, repeated or missing field is one error.
pub fn from_pairs<T: DeserializeOwned>(source: &'static str, pairs: &[(String, String)]) -> Result<T, Vec<FieldError>> {
    let mut skipped: Vec<&str> = Vec::new();
    let mut errors = Vec::new();
    loop {
        match T::deserialize(Fields { pairs, skipped: &skipped }) {
            Ok(value) if errors.is_empty() => return Ok(value),
            Ok(_) => return Err(errors),
            Err(error) => {
                let field = error.field.clone();
                // A field left out after its own error is then "missing": already reported.
                let repeat = error.kind == "missing" && field.as_deref().is_some_and(|f| skipped.contains(&f));
                if !repeat {
                    errors.push(error.into_field_error(source));
                }
                match field.and_then(|f| pairs.iter().find(|(name, _)| *name == f)) {
                    Some((name, _)) if !skipped.contains(&name.as_str()) => skipped.push(name),
                    _ => return Err(errors),
                }
            }
        }
    }
}

/// `T` from a path's values, named by the route's template (`/jobs/{id}`, `/{name}/{*rest}`):
/// a struct by field name, or the only value as itself (`String`, a number).
pub fn from_path<T: DeserializeOwned>(template: &str, values: &[String]) -> Result<T, Vec<FieldError>> {
    let names = template.split('/').filter_map(|part| part.strip_prefix('{')?.strip_suffix('}')).map(|name| name.trim_start_matches('*'));
    let pairs: Vec<(String, String)> = names.zip(values).map(|(name, value)| (name.to_owned(), value.clone())).collect();
    from_pairs("path", &pairs)
}

/// Why one field could not be read.
#[derive(Debug)]
pub struct Error {
    field: Option<String>,
    kind: &'static str,
    msg: String,
    input: Option<String>,
}

impl Error {
    fn new(kind: &'static str, msg: impl Into<String>) -> Self {
        Error { field: None, kind, msg: msg.into(), input: None }
    }

    fn into_field_error(self, source: &'static str) -> FieldError {
        let name = self.field.unwrap_or_default();
        FieldError { loc: vec![source.to_owned(), name], msg: self.msg, kind: self.kind, input: self.input }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error::new("value_error", msg.to_string())
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        let kind = match unexpected {
            de::Unexpected::Signed(_) | de::Unexpected::Unsigned(_) | de::Unexpected::Float(_) => "range",
            _ => "value_error",
        };
        Error::new(kind, format!("must be {expected}"))
    }

    fn missing_field(field: &'static str) -> Self {
        Error { field: Some(field.to_owned()), ..Error::new("missing", "is required") }
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        Error::new("enum", format!("must be one of {}, got '{variant}'", expected.join(", ")))
    }
}

/// The struct: each named field once, the values of a repeated name together.
struct Fields<'a> {
    pairs: &'a [(String, String)],
    skipped: &'a [&'a str],
}

impl<'a> Fields<'a> {
    /// The one value, for a target that is not a struct (`Path<String>`), named as its field.
    fn only(&self) -> Result<(&'a str, Values<'a>), Error> {
        match self.pairs {
            [(name, value)] => Ok((name, Values(vec![value.as_str()]))),
            _ => Err(Error::new("value_error", format!("{} values where one was expected", self.pairs.len()))),
        }
    }
}

/// Reads the one value as a scalar, naming its field in an error.
macro_rules! scalar {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            let (name, value) = self.only()?;
            let input = value.0.first().map(|v| v.to_string());
            value.$method(visitor).map_err(|e| Error { field: Some(name.to_owned()), input, ..e })
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Fields<'_> {
    type Error = Error;

    scalar! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64 deserialize_i128
        deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128 deserialize_f32
        deserialize_f64 deserialize_char deserialize_str deserialize_string
    }

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_struct("", &[], visitor)
    }

    /// The fields in the struct's order (so errors list them as the type declares them), then
    /// any other names.
    fn deserialize_struct<V: Visitor<'de>>(self, _: &'static str, fields: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        let present = fields.iter().copied().filter(|f| self.pairs.iter().any(|(name, _)| name == f));
        let mut names: Vec<&str> = Vec::new();
        for name in present.chain(self.pairs.iter().map(|(name, _)| name.as_str())) {
            if !names.contains(&name) && !self.skipped.contains(&name) {
                names.push(name);
            }
        }
        visitor.visit_map(FieldAccess { pairs: self.pairs, names: names.into_iter(), current: None })
    }

    serde::forward_to_deserialize_any! {
        bytes byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
        identifier ignored_any
    }
}

struct FieldAccess<'a, I> {
    pairs: &'a [(String, String)],
    names: I,
    current: Option<&'a str>,
}

impl<'de, 'a, I: Iterator<Item = &'a str>> MapAccess<'de> for FieldAccess<'a, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Error> {
        let Some(name) = self.names.next() else {
            return Ok(None);
        };
        self.current = Some(name);
        seed.deserialize(name.into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let name = self.current.unwrap_or_default();
        let values: Vec<&str> = self.pairs.iter().filter(|(n, _)| n == name).map(|(_, v)| v.as_str()).collect();
        let input = (values.len() == 1).then(|| values[0].to_owned());
        seed.deserialize(Values(values)).map_err(|e| Error { field: Some(name.to_owned()), input: e.input.or(input), ..e })
    }
}

/// One field's values: one, or several for a list.
struct Values<'a>(Vec<&'a str>);

impl<'a> Values<'a> {
    fn single(&self) -> Result<&'a str, Error> {
        match self.0[..] {
            [one] => Ok(one),
            _ => Err(Error::new("multiple_values", "must be given at most once")),
        }
    }

    /// An optional '-' then digits only: `from_str` alone would also take a leading '+'.
    fn integer(&self) -> Result<i128, Error> {
        let raw = self.single()?;
        let digits = raw.strip_prefix('-').unwrap_or(raw);
        let not_whole = || Error::new("int_parsing", "must be a whole number");
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(not_whole());
        }
        // Past i128 it is out of any range a field could have.
        Ok(raw.parse::<i128>().unwrap_or(if raw.starts_with('-') { i128::MIN } else { i128::MAX }))
    }
}

/// An integer visited as the widest type that holds it (the target checks its own range).
fn visit_integer<'de, V: Visitor<'de>>(n: i128, visitor: V) -> Result<V::Value, Error> {
    match (i64::try_from(n), u64::try_from(n)) {
        (Ok(n), _) => visitor.visit_i64(n),
        (_, Ok(n)) => visitor.visit_u64(n),
        _ => visitor.visit_i128(n),
    }
}

/// Deserializer methods that read as another one does.
macro_rules! widths {
    ($($($method:ident)* => $as:ident);*) => {$($(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
            self.$as(visitor)
        }
    )*)*};
}

impl<'de> de::Deserializer<'de> for Values<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_str(self.single()?)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.single()? {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(Error::new("bool_parsing", "must be true or false")),
        }
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visit_integer(self.integer()?, visitor)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let n: f64 = self.single()?.parse().map_err(|_| Error::new("float_parsing", "must be a number"))?;
        if !n.is_finite() {
            return Err(Error::new("float_parsing", "must be a finite number"));
        }
        visitor.visit_f64(n)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_seq(Each(self.0.into_iter()))
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(self, _: &'static str, _: &'static [&'static str], visitor: V) -> Result<V::Value, Error> {
        visitor.visit_enum(self.single()?.into_deserializer())
    }

    serde::forward_to_deserialize_any! {
        char str string bytes byte_buf unit unit_struct tuple tuple_struct map struct identifier ignored_any
    }

    // Every integer width is read the same way (its visitor checks that the value fits), and
    // both float widths.
    widths! {
        deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i128 deserialize_u8 deserialize_u16
        deserialize_u32 deserialize_u64 deserialize_u128 => deserialize_i64;
        deserialize_f32 => deserialize_f64
    }
}

/// A list field's values, each read as one value.
struct Each<'a, I: Iterator<Item = &'a str>>(I);

impl<'de, 'a, I: Iterator<Item = &'a str>> SeqAccess<'de> for Each<'a, I> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Error> {
        self.0.next().map(|value| seed.deserialize(Values(vec![value]))).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::QueryParams;
    use crate::handler::Int;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Page {
        #[serde(default)]
        offset: Int<0, 1000>,
        limit: Option<Int<1, 100>>,
        #[serde(default)]
        tags: Vec<String>,
        #[serde(default)]
        full: bool,
    }

    /// Each error's `(loc, type, input)`.
    type Found = Vec<(String, &'static str, Option<String>)>;

    fn query<T: DeserializeOwned>(q: &str) -> Result<T, Found> {
        from_pairs("query", QueryParams::parse(Some(q)).pairs())
            .map_err(|errors| errors.into_iter().map(|e| (e.loc.join("."), e.kind, e.input)).collect())
    }

    #[test]
    fn reads_typed_fields_defaults_and_lists() {
        let page: Page = query("offset=20&limit=10&tags=a&tags=b%20c&full=true&other=x").unwrap();
        assert_eq!((page.offset.get(), page.limit.map(Int::get)), (20, Some(10)));
        assert_eq!((page.tags, page.full), (vec!["a".to_owned(), "b c".to_owned()], true));
        let empty: Page = query("").unwrap();
        assert_eq!((empty.offset.get(), empty.limit, empty.full), (0, None, false));
    }

    #[test]
    fn every_field_at_fault_is_listed() {
        let errors = query::<Page>("full=yes&limit=a%20b&offset=-1").unwrap_err();
        assert_eq!(
            errors,
            vec![
                ("query.offset".into(), "range", Some("-1".into())),
                ("query.limit".into(), "int_parsing", Some("a b".into())),
                ("query.full".into(), "bool_parsing", Some("yes".into())),
            ]
        );
    }

    #[test]
    fn integers_are_digits_in_range() {
        for bad in ["", "1.5", "%2B5", "1e3", "%205", "0x10"] {
            assert_eq!(query::<Page>(&format!("offset={bad}")).unwrap_err()[0].1, "int_parsing", "{bad}");
        }
        for (q, msg) in [("offset=1001", "must be between 0 and 1000"), ("offset=99999999999999999999999999999999999999999", "must be between 0 and 1000")] {
            let errors = from_pairs::<Page>("query", QueryParams::parse(Some(q)).pairs()).unwrap_err();
            assert_eq!((errors[0].kind, errors[0].msg.as_str()), ("range", msg), "{q}");
        }
    }

    #[test]
    fn a_repeated_single_value_and_a_missing_field_are_errors() {
        assert_eq!(query::<Page>("offset=1&offset=2").unwrap_err(), vec![("query.offset".into(), "multiple_values", None)]);
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Needs {
            id: u32,
            name: String,
        }
        assert_eq!(query::<Needs>("name=x").unwrap_err(), vec![("query.id".into(), "missing", None)]);
        assert_eq!(query::<Needs>("id=x&name=y").unwrap_err(), vec![("query.id".into(), "int_parsing", Some("x".into()))]);
    }

    #[test]
    fn path_values_by_name_or_alone() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Relay {
            name: String,
            path: String,
        }
        let values = vec!["users".to_owned(), "v1/a".to_owned()];
        let relay: Relay = from_path("/upstreams/{name}/{*path}", &values).unwrap();
        assert_eq!(relay, Relay { name: "users".into(), path: "v1/a".into() });
        let id: String = from_path("/jobs/{id}", &["j1".to_owned()]).unwrap();
        assert_eq!(id, "j1");
        let n: Result<u32, _> = from_path("/items/{n}", &["x".to_owned()]);
        let e = &n.unwrap_err()[0];
        assert_eq!((e.loc.join("."), e.kind), ("path.n".to_owned(), "int_parsing"));
    }
}
