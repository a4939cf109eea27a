//! W3C Trace Context Level 1 (`traceparent`, `tracestate`): a request continues its caller's
//! trace when the caller sent a valid `traceparent`, and starts a new one otherwise (a header
//! of any other shape is never an error). Every upstream attempt goes out as a child span of
//! it, with an id of its own. Pure: the runtime side (`ids`) brings the random ids.

#[cfg(feature = "openapi")]
pub mod document;
pub mod ids;
pub(crate) mod span;
mod state;

use std::fmt::{self, Write};
use std::rc::Rc;

use serde::{Serialize, Serializer};

pub use state::{parse_tracestate, MAX_TRACESTATE_CHARS};

/// The only `traceparent` version this code writes, and the one whose length is exact.
const VERSION: &str = "00";
/// `00-` + 32 + `-` + 16 + `-` + 2.
const TRACEPARENT_LEN: usize = 55;
/// The one trace flag Level 1 defines; the others are written as zero.
const SAMPLED: u8 = 0x01;

/// The id of a whole trace: 16 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TraceId(pub [u8; 16]);

/// The id of one span (a request, a task, an upstream attempt): 8 bytes, never all zero.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct SpanId(pub [u8; 8]);

/// A valid incoming `traceparent`: the trace it names, the caller's span and its sampled flag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Parent {
    /// The trace the caller's request belongs to.
    pub trace_id: TraceId,
    /// The caller's span: the parent of this request's.
    pub parent_id: SpanId,
    /// Whether the caller records the trace (flag `01`).
    pub sampled: bool,
}

/// The trace one unit of work (a request, a background task, a job chunk) belongs to, and its
/// own span in it.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The whole trace's id, kept on every call out.
    pub trace_id: TraceId,
    /// This unit of work's span: the parent of every upstream attempt it makes.
    pub span_id: SpanId,
    /// The caller's span, when the trace was continued (or the unit's parent span).
    pub parent_id: Option<SpanId>,
    /// The sampled flag, passed on unchanged.
    pub sampled: bool,
    /// The `tracestate` passed on, normalised and within `MAX_TRACESTATE_CHARS`.
    pub state: Option<Rc<str>>,
}

impl Trace {
    /// Continues the trace `traceparent` names, with the `tracestate` (read only then, as the
    /// spec says) passed on, as span `span_id`; without a valid `traceparent`, a new trace
    /// `new_trace()` (sampled: every request is logged) and no `tracestate` (the spec's
    /// restart drops it).
    pub fn from_headers(
        traceparent: Option<&str>,
        tracestate: impl FnOnce() -> Option<String>,
        span_id: SpanId,
        new_trace: impl FnOnce() -> TraceId,
    ) -> Trace {
        match traceparent.and_then(parse_traceparent) {
            Some(parent) => Trace {
                trace_id: parent.trace_id,
                span_id,
                parent_id: Some(parent.parent_id),
                sampled: parent.sampled,
                state: tracestate().as_deref().and_then(parse_tracestate).map(Rc::from),
            },
            None => Trace { trace_id: new_trace(), span_id, parent_id: None, sampled: true, state: None },
        }
    }

    /// The same trace, as a child span `span_id` of this one (work this one started).
    pub fn child(&self, span_id: SpanId) -> Trace {
        Trace { span_id, parent_id: Some(self.span_id), ..self.clone() }
    }

    /// The `traceparent` of a request sent out as span `span_id`, a child of this one (for a
    /// call a route makes outside `upstream`: `ctx.trace.traceparent_for(ids::span_id())`).
    pub fn traceparent_for(&self, span_id: SpanId) -> String {
        let mut value = String::with_capacity(TRACEPARENT_LEN);
        push_traceparent(&mut value, self.trace_id, span_id, self.sampled);
        value
    }

    /// What JS needs to send an upstream attempt as span `span_id` and to describe it in a
    /// span of the runtime's (`trace/span.mjs`): its `traceparent`, then the upstream's name,
    /// the attempt's number, what the breaker said and the cache's part (empty for an
    /// uncached upstream), a line each. One string: one crossing.
    pub fn attempt_facts(&self, span_id: SpanId, upstream: &str, attempt: u32, breaker: &str, cache: &str) -> String {
        let mut facts = String::with_capacity(TRACEPARENT_LEN + upstream.len() + breaker.len() + cache.len() + 8);
        push_traceparent(&mut facts, self.trace_id, span_id, self.sampled);
        // Writing into a `String` cannot fail.
        let _ = write!(facts, "\n{upstream}\n{attempt}\n{breaker}\n{cache}");
        facts
    }

    /// This span as the parent of work that outlives it (a job's items): its `traceparent`.
    pub fn as_parent(&self) -> String {
        self.traceparent_for(self.span_id)
    }
}

/// The spans of one upstream call's attempts, in order, held inline: a call makes at most
/// `CAPACITY` attempts (the registry's `MAX_RETRIES` + 1, held equal where it is defined).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct AttemptSpans {
    ids: [SpanId; AttemptSpans::CAPACITY],
    len: u8,
}

impl AttemptSpans {
    /// The most attempts one call makes.
    pub const CAPACITY: usize = 6;

    /// Records the next attempt's span (ignored past `CAPACITY`).
    pub fn push(&mut self, id: SpanId) {
        if let Some(slot) = self.ids.get_mut(usize::from(self.len)) {
            *slot = id;
            self.len += 1;
        }
    }

    /// The attempts' spans, in order.
    pub fn as_slice(&self) -> &[SpanId] {
        &self.ids[..usize::from(self.len)]
    }

    /// Whether no attempt went out (the cache or the breaker answered).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Serialize for AttemptSpans {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.as_slice())
    }
}

/// A `traceparent` of the version this code writes.
fn push_traceparent(out: &mut String, trace_id: TraceId, span_id: SpanId, sampled: bool) {
    out.push_str(VERSION);
    out.push('-');
    out.push_str(Hex::<32>::of(&trace_id.0).as_str());
    out.push('-');
    out.push_str(Hex::<16>::of(&span_id.0).as_str());
    out.push_str(if sampled { "-01" } else { "-00" });
}

/// The fields of a `traceparent`, or `None` for anything the spec says to restart on: a version
/// that is not two lowercase hex digits or is `ff`; version `00` of any length but 55; a
/// higher version shorter than 55 or whose flags are followed by anything but `-`; ids that
/// are not lowercase hex of their length or are all zero; flags that are not two lowercase
/// hex digits. Surrounding spaces and tabs are optional whitespace.
pub fn parse_traceparent(value: &str) -> Option<Parent> {
    let value = value.trim_matches([' ', '\t']).as_bytes();
    let version = value.get(..2)?;
    if !is_lower_hex(version) || version == b"ff" || value.get(2) != Some(&b'-') {
        return None;
    }
    let exact = version == VERSION.as_bytes();
    // A later version may add fields after the flags, each behind a dash.
    if value.len() < TRACEPARENT_LEN || (exact && value.len() != TRACEPARENT_LEN) {
        return None;
    }
    if value[35] != b'-' || value[52] != b'-' || (value.len() > TRACEPARENT_LEN && value[TRACEPARENT_LEN] != b'-') {
        return None;
    }
    let trace_id = TraceId(decode_hex(&value[3..35])?);
    let parent_id = SpanId(decode_hex(&value[36..52])?);
    let [flags] = decode_hex::<1>(&value[53..55])?;
    if !is_valid_id(&trace_id.0) || !is_valid_id(&parent_id.0) {
        return None;
    }
    Some(Parent { trace_id, parent_id, sampled: flags & SAMPLED != 0 })
}

/// Whether `bytes` may stand as an id: all zero may not (sent, or drawn at random).
pub fn is_valid_id(bytes: &[u8]) -> bool {
    bytes.iter().any(|b| *b != 0)
}

fn is_lower_hex(bytes: &[u8]) -> bool {
    bytes.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `2 × N` lowercase hex digits as `N` bytes (uppercase is not the spec's `HEXDIGLC`).
fn decode_hex<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    let nibble = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    if digits.len() != 2 * N {
        return None;
    }
    let mut bytes = [0; N];
    for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(bytes)
}


/// Lowercase hex of an id, as the headers and the log lines write it, on the stack.
struct Hex<const N: usize>([u8; N]);

impl<const N: usize> Hex<N> {
    fn of(bytes: &[u8]) -> Self {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0; N];
        for (pair, byte) in out.chunks_exact_mut(2).zip(bytes) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0xf)];
        }
        Hex(out)
    }

    fn as_str(&self) -> &str {
        // Only ASCII hex digits were written.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Hex::<32>::of(&self.0).as_str())
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(Hex::<16>::of(&self.0).as_str())
    }
}

impl Serialize for TraceId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Hex::<32>::of(&self.0).as_str())
    }
}

impl Serialize for SpanId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(Hex::<16>::of(&self.0).as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    const PARENT: &str = "00f067aa0ba902b7";

    fn id<const N: usize>(hex: &str) -> [u8; N] {
        decode_hex(hex.as_bytes()).unwrap()
    }

    #[test]
    fn a_valid_traceparent_is_parsed_and_the_sampled_bit_masked() {
        for (flags, sampled) in [("01", true), ("00", false), ("09", true), ("fe", false)] {
            let parsed = parse_traceparent(&format!("00-{TRACE}-{PARENT}-{flags}")).unwrap();
            assert_eq!(parsed, Parent { trace_id: TraceId(id(TRACE)), parent_id: SpanId(id(PARENT)), sampled }, "{flags}");
        }
        // Optional whitespace around the value.
        assert!(parse_traceparent(&format!(" \t00-{TRACE}-{PARENT}-01\t ")).is_some());
    }

    #[test]
    fn every_malformed_traceparent_is_refused() {
        let valid = format!("00-{TRACE}-{PARENT}-01");
        let cases = [
            String::new(),
            "-".into(),
            valid[..54].into(),
            format!("{valid}."),
            format!("{valid}-future-field"),
            format!("ff-{TRACE}-{PARENT}-01"),
            format!(".0-{TRACE}-{PARENT}-01"),
            format!("000-{TRACE}-{PARENT}-01"),
            format!("0-{TRACE}-{PARENT}-01"),
            format!("00-{}-{PARENT}-01", "0".repeat(32)),
            format!("00-{TRACE}-{}-01", "0".repeat(16)),
            format!("00-{}-{PARENT}-01", TRACE.to_uppercase()),
            format!("00-{TRACE}-{}-01", PARENT.to_uppercase()),
            format!("00-{TRACE}-{PARENT}-0A"),
            format!("00-{TRACE}1-{PARENT}-01"),
            format!("00-{}-{PARENT}-01", &TRACE[1..]),
            format!("00-{TRACE}-{PARENT}1-01"),
            format!("00-{TRACE}-{PARENT}-1"),
            format!("00-{TRACE}-{PARENT}-001"),
            format!("00-{TRACE}-{PARENT}-.0"),
            format!("00_{TRACE}-{PARENT}-01"),
            format!("00-{TRACE}_{PARENT}-01"),
            format!("00-{TRACE}-{PARENT}_01"),
            format!("00-{TRACE}-{PARENT}-01, 00-{TRACE}-{PARENT}-01"),
            format!("00-{}ü-{PARENT}-01", &TRACE[..30]),
            "x".repeat(10_000),
        ];
        for case in cases {
            assert_eq!(parse_traceparent(&case), None, "{case:?}");
        }
    }

    #[test]
    fn a_later_version_is_read_as_far_as_this_one_goes() {
        let parsed = parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01-what-the-future-will-be-like")).unwrap();
        assert_eq!((parsed.trace_id, parsed.sampled), (TraceId(id(TRACE)), true));
        assert!(parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01")).is_some());
        assert_eq!(parse_traceparent(&format!("cc-{TRACE}-{PARENT}-01.what-the-future-will-be-like")), None);
        assert_eq!(parse_traceparent(&format!("cc-{TRACE}-{PARENT}-0")), None);
    }

    #[test]
    fn a_continued_trace_keeps_its_id_flags_and_state_and_goes_out_as_version_00() {
        let span = SpanId(id("b7ad6b7169203331"));
        let trace = Trace::from_headers(Some(&format!("cc-{TRACE}-{PARENT}-09-x")), || Some("rojo=1, congo=2".into()), span, || unreachable!());
        assert_eq!(trace.parent_id, Some(SpanId(id(PARENT))));
        assert_eq!(trace.state.as_deref(), Some("rojo=1,congo=2"));
        let attempt = SpanId(id("0102030405060708"));
        assert_eq!(trace.traceparent_for(attempt), format!("00-{TRACE}-0102030405060708-01"));
        assert_eq!(trace.as_parent(), format!("00-{TRACE}-b7ad6b7169203331-01"));
        let unsampled = Trace::from_headers(Some(&format!("00-{TRACE}-{PARENT}-00")), || None, span, || unreachable!());
        assert_eq!(unsampled.traceparent_for(attempt), format!("00-{TRACE}-0102030405060708-00"));
    }

    #[test]
    fn no_or_a_malformed_traceparent_starts_a_sampled_trace_without_state() {
        let new = TraceId(id("0af7651916cd43dd8448eb211c80319c"));
        for header in [None, Some("garbage"), Some("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] {
            // The spec: a `tracestate` is not even read without a valid `traceparent`.
            let trace = Trace::from_headers(header, || panic!("tracestate read"), SpanId([1; 8]), || new);
            assert_eq!(trace, Trace { trace_id: new, span_id: SpanId([1; 8]), parent_id: None, sampled: true, state: None }, "{header:?}");
        }
    }

    #[test]
    fn a_child_span_keeps_the_trace_and_names_its_parent() {
        let trace = Trace::from_headers(None, || None, SpanId([1; 8]), || TraceId([7; 16]));
        let child = trace.child(SpanId([2; 8]));
        assert_eq!((child.trace_id, child.span_id, child.parent_id), (trace.trace_id, SpanId([2; 8]), Some(SpanId([1; 8]))));
    }

    #[test]
    fn attempts_keep_their_spans_in_order_up_to_capacity() {
        let mut spans = AttemptSpans::default();
        assert_eq!(serde_json::to_string(&spans).unwrap(), "[]");
        for i in 1..=8 {
            spans.push(SpanId([i; 8]));
        }
        assert_eq!(spans.as_slice().len(), AttemptSpans::CAPACITY);
        assert_eq!(spans.as_slice()[5], SpanId([6; 8]));
        let mut two = AttemptSpans::default();
        two.push(SpanId([1; 8]));
        two.push(SpanId([0xab; 8]));
        assert_eq!(serde_json::to_string(&two).unwrap(), r#"["0101010101010101","abababababababab"]"#);
    }

    #[test]
    fn attempt_facts_are_one_line_each() {
        let trace = Trace::from_headers(Some(&format!("00-{TRACE}-{PARENT}-01")), || None, SpanId([1; 8]), || unreachable!());
        let facts = trace.attempt_facts(SpanId(id("0102030405060708")), "users", 2, "half-open", "");
        assert_eq!(facts, format!("00-{TRACE}-0102030405060708-01\nusers\n2\nhalf-open\n"));
    }

    #[test]
    fn ids_serialise_as_lowercase_hex() {
        assert_eq!(serde_json::to_string(&SpanId([0xab, 0, 1, 2, 3, 4, 5, 0xff])).unwrap(), r#""ab000102030405ff""#);
        assert_eq!(TraceId(id(TRACE)).to_string(), TRACE);
        assert!(!is_valid_id(&[0; 8]) && is_valid_id(&[0, 0, 1]));
    }
}
