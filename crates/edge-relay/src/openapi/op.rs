//! What a route module uses to document its operation beside its handler (host-only: utoipa
//! never reaches the wasm). An `Op` gathers the operation, the schemas it names and the
//! constraints its validators enforce, so `spec::build` only assembles.

use std::ops::RangeInclusive;

use serde_json::{json, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::ToSchema;

use super::UPSTREAM_NAMES;
use crate::error::ApiError;

/// The request id the examples' problems carry.
pub const EXAMPLE_REQUEST_ID: &str = "3f1c8f0e-8a52-4c1e-9d36-2b7f0f4a9c11";

pub struct Op {
    /// The app's index (`GET /`) as a default deployment serves it, for that route's example.
    pub index: Value,
    pub builder: OperationBuilder,
    /// Component schemas the operation refers to, nested ones included.
    pub schemas: Vec<(String, RefOr<Schema>)>,
    /// `(schema, JSON pointer into it, members to merge)`: a validator's limits, written into
    /// the schema from the same constants the validator uses.
    pub constraints: Vec<(&'static str, &'static str, Value)>,
}

impl Op {
    pub fn new(index: Value, builder: OperationBuilder) -> Op {
        Op { index, builder, schemas: Vec::new(), constraints: Vec::new() }
    }

    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.builder = self.builder.description(Some(text.into()));
        self
    }

    /// Anything else the builder offers.
    pub fn with(mut self, f: impl FnOnce(OperationBuilder) -> OperationBuilder) -> Self {
        self.builder = f(self.builder);
        self
    }

    fn schema<T: ToSchema>(&mut self) {
        self.schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(&mut self.schemas);
    }

    /// A parameter: where it goes, whether it must be there, and its value's schema.
    fn parameter(self, name: &str, location: ParameterIn, required: bool, description: &str, schema: ObjectBuilder) -> Self {
        let parameter = ParameterBuilder::new()
            .name(name)
            .parameter_in(location)
            .required(if required { Required::True } else { Required::False })
            .description(Some(description))
            .schema(Some(schema));
        self.with(|b| b.parameter(parameter))
    }

    /// An optional integer query parameter in `range`.
    pub fn query_int(self, name: &str, description: &str, range: RangeInclusive<i64>, default: Option<i64>) -> Self {
        let schema = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .minimum(Some(*range.start()))
            .maximum(Some(*range.end()))
            .default(default.map(|d| json!(d)));
        self.parameter(name, ParameterIn::Query, false, description, schema)
    }

    /// A required integer path parameter in `range`.
    pub fn path_int(self, name: &str, description: &str, range: RangeInclusive<i64>) -> Self {
        let schema = ObjectBuilder::new().schema_type(Type::Integer).minimum(Some(*range.start())).maximum(Some(*range.end()));
        self.parameter(name, ParameterIn::Path, true, description, schema)
    }

    /// A required string path parameter, optionally with a `pattern` its values must match.
    pub fn path_param(self, name: &str, description: &str, pattern: Option<&str>) -> Self {
        self.parameter(name, ParameterIn::Path, true, description, ObjectBuilder::new().schema_type(Type::String).pattern(pattern))
    }

    /// The `name` of a configured upstream that allows `method`: the served document lists
    /// the deployment's (and leaves the operation out where none does).
    pub fn upstream_name_param(self, method: &str, description: &str) -> Self {
        let mark = utoipa::openapi::extensions::ExtensionsBuilder::new().add(UPSTREAM_NAMES, method).build();
        self.parameter("name", ParameterIn::Path, true, description, ObjectBuilder::new().schema_type(Type::String).extensions(Some(mark)))
    }

    /// A required header of `chars` visible ASCII characters.
    pub fn header_param(self, name: &str, description: &str, chars: RangeInclusive<usize>) -> Self {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(*chars.start()))
            .max_length(Some(*chars.end()))
            .pattern(Some("^[!-~]+$"));
        self.parameter(name, ParameterIn::Header, true, description, schema)
    }

    /// A required JSON body of type `T`.
    pub fn json_body<T: ToSchema>(mut self, example: Value) -> Self {
        self.schema::<T>();
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(T::name()))).example(Some(example)).build();
        let body = RequestBodyBuilder::new().required(Some(Required::True)).content("application/json", content).build();
        self.with(|b| b.request_body(Some(body)))
    }

    /// A JSON response of type `T`.
    pub fn json<T: ToSchema>(self, status: &str, description: &str, example: Value) -> Self {
        self.json_linked::<T>(status, description, example, &[])
    }

    /// A JSON response of type `T` with links `(name, operation id, parameter, expression)`:
    /// where a value in this answer leads (e.g. a created job's id to reading it).
    pub fn json_linked<T: ToSchema>(mut self, status: &str, description: &str, example: Value, links: &[(&str, &str, &str, &str)]) -> Self {
        self.schema::<T>();
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(T::name()))).example(Some(example)).build();
        let mut response = ResponseBuilder::new().description(description).content("application/json", content);
        for (name, operation, parameter, expression) in links {
            let link = utoipa::openapi::link::LinkBuilder::new().operation_id(*operation).parameter(*parameter, *expression).build();
            response = response.link(*name, link);
        }
        self.with(|b| b.response(status, response.build()))
    }

    /// A response that is either one of ours (a problem) or whatever an upstream sent.
    pub fn problem_or_any(self, status: &str, description: &str) -> Self {
        let any = ObjectBuilder::new().schema_type(SchemaType::AnyValue).build();
        let response = ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
            .content("*/*", ContentBuilder::new().schema(Some(any)).build())
            .build();
        self.with(|b| b.response(status, response))
    }

    /// A response whose body may be anything (`media` type).
    pub fn any(self, status: &str, description: &str, media: &str) -> Self {
        let any = ObjectBuilder::new().schema_type(SchemaType::AnyValue).build();
        let response = ResponseBuilder::new().description(description).content(media, ContentBuilder::new().schema(Some(any)).build());
        self.with(|b| b.response(status, response))
    }

    /// A problem response, its example being `error`'s own problem.
    pub fn problem(self, status: &str, description: &str, error: &ApiError) -> Self {
        let response = problem_response(description, error);
        self.with(|b| b.response(status, response))
    }

    /// Merges `members` into the schema `schema` at `pointer` (e.g. a property's limits).
    pub fn constrain(mut self, schema: &'static str, pointer: &'static str, members: Value) -> Self {
        self.constraints.push((schema, pointer, members));
        self
    }
}

pub fn example(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

pub fn problem_response(description: &str, error: &ApiError) -> Response {
    let example = example(error.to_problem(EXAMPLE_REQUEST_ID));
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).example(Some(example)).build())
        .build()
}

/// A problem response without an example (for operations that share their siblings').
pub fn bare_problem_response(description: &str) -> Response {
    ResponseBuilder::new()
        .description(description)
        .content("application/problem+json", ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
        .build()
}

/// `{"minLength": …, "maxLength": …}` for a character range.
pub fn length(chars: &RangeInclusive<usize>) -> Value {
    json!({"minLength": chars.start(), "maxLength": chars.end()})
}
