//! `traceparent` and `tracestate` in the OpenAPI document: optional on every operation, and
//! of any shape, since a malformed one only starts a new trace (host-only, `openapi`).

use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::Required;

use super::MAX_TRACESTATE_CHARS;

/// The two headers as optional parameters, for every operation.
pub fn header_parameters() -> [Parameter; 2] {
    let header = |name: &str, description: String| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(ObjectBuilder::new().schema_type(Type::String).build()))
            .build()
    };
    [
        header(
            "traceparent",
            "W3C Trace Context: a valid one (`00-<trace-id>-<parent-id>-<flags>`, or a later version) is continued — \
             every upstream call carries its trace id, a new parent id and its sampled flag; a missing or malformed \
             one starts a new trace and is never an error. The trace id is in every log line and problem."
                .to_owned(),
        ),
        header(
            "tracestate",
            format!(
                "W3C Trace Context: passed on with a continued trace (never without one), when every entry is valid and \
                 there are at most 32; cut to {MAX_TRACESTATE_CHARS} characters by whole entries. Anything else is dropped."
            ),
        ),
    ]
}
