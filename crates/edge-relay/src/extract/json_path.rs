//! Where in a JSON body serde_json stopped: the field path of a shape error, found by reading
//! the body again up to the error's position. serde_json reports line and column only; a
//! deserializer wrapper that tracks the path (serde_path_to_error) would run on every body and
//! double the deserialisation code in the wasm, when only a rejected body needs the path.

/// One open container, and where in it the reader is.
enum Frame {
    /// `index` counts the commas seen: the element being read.
    Array { index: usize },
    /// The member being read, once its key has been read.
    Object { key: Option<String> },
}

/// The byte offset serde_json's `line`/`column` point at: the column counts the bytes of the
/// line the parser has consumed (a value of the wrong type is rejected before it is entered).
fn offset_of(json: &[u8], line: usize, column: usize) -> usize {
    let line_start = match line {
        0 | 1 => 0,
        _ => json.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(line - 2).map_or(json.len(), |(i, _)| i + 1),
    };
    (line_start + column).min(json.len())
}

/// The path (object keys, array indices) of the value serde_json was reading when it reported
/// a shape error at `line`/`column`, as serde_path_to_error would give it. Only meaningful for
/// `Category::Data` errors, which serde_json raises after reading valid JSON up to there.
/// Two differences, both naming more: a duplicate field is named (serde_path_to_error names
/// its parent), and an enum written as `{"variant": …}` names the variant as a key (no
/// request body has one).
pub fn path_at(json: &[u8], line: usize, column: usize) -> Vec<String> {
    let offset = offset_of(json, line, column);
    let mut stack: Vec<Frame> = Vec::new();
    let mut i = 0;
    while i < offset {
        match json[i] {
            b'{' => stack.push(Frame::Object { key: None }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array { index }) => *index += 1,
                Some(Frame::Object { key }) => *key = None,
                None => {}
            },
            b'"' => {
                let (text, next) = string_at(json, i + 1, offset);
                if let Some(Frame::Object { key: key @ None }) = stack.last_mut() {
                    *key = Some(text);
                }
                i = next;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    stack
        .into_iter()
        .filter_map(|frame| match frame {
            Frame::Array { index } => Some(index.to_string()),
            Frame::Object { key } => key,
        })
        .collect()
}

/// The decoded string starting at `start` (after its opening quote), read up to `end`, and
/// the offset after its closing quote. serde_json has already checked it.
fn string_at(json: &[u8], start: usize, end: usize) -> (String, usize) {
    let mut bytes = Vec::new();
    let mut i = start;
    while i < end && json[i] != b'"' {
        if json[i] != b'\\' {
            bytes.push(json[i]);
            i += 1;
            continue;
        }
        let escaped = json.get(i + 1).copied().unwrap_or(b'\\');
        i += 2;
        let ch = match escaped {
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let high = hex4(json, i);
                i += 4;
                let low = (0xD800..0xDC00).contains(&high).then(|| hex4(json, i + 2)).filter(|low| (0xDC00..0xE000).contains(low));
                match low {
                    Some(low) => {
                        i += 6;
                        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
                    }
                    None => char::from_u32(high),
                }
                .unwrap_or(char::REPLACEMENT_CHARACTER)
            }
            other => char::from(other),
        };
        bytes.extend_from_slice(ch.encode_utf8(&mut [0; 4]).as_bytes());
    }
    (String::from_utf8_lossy(&bytes).into_owned(), i + 1)
}

/// The four hex digits at `at` as a number (0 if they are not).
fn hex4(json: &[u8], at: usize) -> u32 {
    json.get(at..at + 4).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u32::from_str_radix(h, 16).ok()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use serde::de::DeserializeOwned;
    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::path_at;

    // The shapes of the request bodies: structs that deny unknown fields, lists of them,
    // integers, defaults, options and free-form JSON.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        requests: Vec<Item>,
        #[serde(rename = "type")]
        kind: String,
        payload: Map<String, Value>,
        count: u8,
        #[serde(default)]
        tags: Vec<String>,
        note: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        id: String,
        upstream: String,
        path: String,
    }

    /// The path serde_path_to_error finds, and the one `path_at` finds from the plain
    /// deserializer's error, for a body with a shape error (`None` for any other outcome).
    fn both_paths<T: DeserializeOwned + std::fmt::Debug>(json: &str) -> Option<(Vec<String>, Vec<String>)> {
        let tracked = serde_path_to_error::deserialize::<_, T>(&mut serde_json::Deserializer::from_str(json));
        let plain = T::deserialize(&mut serde_json::Deserializer::from_str(json));
        let (Err(tracked), Err(plain)) = (tracked, plain) else {
            return None;
        };
        assert_eq!(tracked.inner().to_string(), plain.to_string(), "{json}");
        if plain.classify() != serde_json::error::Category::Data {
            return None;
        }
        let mut expected: Vec<String> = tracked
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                serde_path_to_error::Segment::Map { key } | serde_path_to_error::Segment::Enum { variant: key } => key.clone(),
                serde_path_to_error::Segment::Unknown => "?".to_owned(),
            })
            .collect();
        // Where it found a duplicate field, `path_at` names the field too.
        if let Some(field) = plain.to_string().strip_prefix("duplicate field `").and_then(|rest| rest.split('`').next()) {
            expected.push(field.to_owned());
        }
        Some((expected, path_at(json.as_bytes(), plain.line(), plain.column())))
    }

    #[test]
    fn examples() {
        let cases: &[(&str, &[&str])] = &[
            (r#"{"requests":[{"id":"a","upstream":"u","path":"/"},{"id":5}]}"#, &["requests", "1", "id"]),
            (r#"{"requests":[{"id":"a","upstream":"u"}]}"#, &["requests", "0"]),
            (r#"{"requests":[],"type":"t","payload":{},"count":300}"#, &["count"]),
            (r#"{"requests":[],"type":["x"]}"#, &["type"]),
            (r#"{"requests":[], "t\u00e9\"\ud83d\ude00" : 1}"#, &["té\"😀"]),
            (r#"{"requests":[],"type":"t","payload":{},"count":1,"note":7}"#, &["note"]),
            (r#"{"requests":[{"id":[5]}]}"#, &["requests", "0", "id"]),
            ("{\"requests\":[{\"id\":\"a\",\"upstream\":\"u\"}\n]}", &["requests", "0"]),
            (r#"{"requests":[],"type":"t","payload":{}}"#, &[]),
            ("{\n  \"requests\": [\n    {\"id\": \"a\", \"upstream\": \"u\", \"path\": \"/\"},\n    {\"id\": \"b\", \"extra\": 1}\n  ]\n}", &["requests", "1", "extra"]),
            (r#"{"requests":[],"type":"t","payload":{},"count":1,"tags":["a",{}]}"#, &["tags", "1"]),
            (r#"{"requests":[],"type":"t","payload":[]}"#, &["payload"]),
            (r#"{"requests":[],"type":"t","requests":[]}"#, &["requests"]),
        ];
        for (json, path) in cases {
            let (expected, found) = both_paths::<Body>(json).unwrap_or_else(|| panic!("no shape error: {json}"));
            assert_eq!(expected, *path, "serde_path_to_error on {json}");
            assert_eq!(found, *path, "{json}");
        }
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }
    }

    const KEYS: &[&str] = &["requests", "id", "upstream", "path", "type", "payload", "count", "tags", "note", "extra", "é\"\\/x"];

    /// A random value, often of the expected shape for `key`, sometimes anything.
    fn value(rng: &mut Rng, key: &str, depth: usize) -> Value {
        let item = |rng: &mut Rng, depth| {
            let mut m = Map::new();
            for k in ["id", "upstream", "path"] {
                if rng.below(8) > 0 {
                    m.insert(k.into(), value(rng, k, depth + 1));
                }
            }
            Value::Object(m)
        };
        if depth > 4 || rng.below(14) == 0 {
            return match rng.below(7) {
                0 => Value::Null,
                1 => Value::Bool(rng.below(2) == 0),
                2 => Value::from(rng.below(400) as i64 - 100),
                3 => serde_json::json!(1.5),
                4 => Value::from("s"),
                5 => Value::Array((0..rng.below(3)).map(|_| value(rng, "", depth + 1)).collect()),
                _ => Value::Object((0..rng.below(3)).map(|_| (KEYS[rng.below(KEYS.len())].to_owned(), value(rng, "", depth + 1))).collect()),
            };
        }
        match key {
            "requests" => Value::Array((0..rng.below(6)).map(|_| item(rng, depth)).collect()),
            "count" => Value::from(rng.below(260)),
            "tags" => Value::Array((0..rng.below(4)).map(|_| value(rng, "type", depth + 1)).collect()),
            "note" => [Value::Null, Value::from("n")][rng.below(2)].clone(),
            "payload" => serde_json::json!({"user": {"id": 42, "roles": ["a", "b"]}}),
            _ => Value::from("text"),
        }
    }

    /// `value` as JSON text with random whitespace and, sometimes, escaped key characters.
    fn write(rng: &mut Rng, value: &Value, out: &mut String) {
        let space = |rng: &mut Rng, out: &mut String| out.push_str(["", "", " ", "\n", " \n  ", "\t"][rng.below(6)]);
        space(rng, out);
        match value {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(rng, item, out);
                }
                space(rng, out);
                out.push(']');
            }
            Value::Object(members) => {
                out.push('{');
                let mut members: Vec<_> = members.iter().collect();
                for i in (1..members.len()).rev() {
                    members.swap(i, rng.below(i + 1));
                }
                for (i, (key, item)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    space(rng, out);
                    let key = serde_json::to_string(key).unwrap();
                    out.push_str(&if rng.below(4) == 0 { key.replace('e', "\\u0065") } else { key });
                    space(rng, out);
                    out.push(':');
                    write(rng, item, out);
                }
                space(rng, out);
                out.push('}');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
        space(rng, out);
    }

    #[test]
    fn agrees_with_serde_path_to_error_on_generated_bodies() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let (mut shape_errors, mut in_items) = (0, 0);
        for _ in 0..20_000 {
            let mut body = Map::new();
            for key in KEYS {
                if ["requests", "type", "payload", "count"].contains(key) && rng.below(20) > 0 || rng.below(2) > 0 {
                    body.insert(key.to_string(), value(&mut rng, key, 0));
                }
            }
            if rng.below(8) > 0 {
                body.remove("extra");
                body.remove("é\"\\/x");
            }
            let mut json = String::new();
            write(&mut rng, &Value::Object(body), &mut json);
            if let Some((expected, found)) = both_paths::<Body>(&json) {
                shape_errors += 1;
                in_items += usize::from(found.len() >= 3);
                assert_eq!(found, expected, "{json}");
            }
        }
        assert!(shape_errors > 5_000 && in_items > 500, "the generator made {shape_errors} shape errors, {in_items} inside items");
    }
}
