//! A route's documented operation as it is built (host-only: utoipa never reaches the wasm):
//! first from the handler's types (each extractor's and the return type's `document`), then
//! from what the route adds by hand ([`crate::router::Route::doc`]). An `Op` gathers the
//! operation, the schemas it names and the constraints its validators enforce, so
//! `spec::build` only assembles.

use std::ops::RangeInclusive;

use serde_json::{json, Map, Value};
use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{OperationBuilder, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::{RequestBody, RequestBodyBuilder};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::{Ref, RefOr, Required};
use utoipa::ToSchema;

use crate::error::{ApiError, FieldError};

/// The request id the examples' problems carry.
pub const EXAMPLE_REQUEST_ID: &str = "3f1c8f0e-8a52-4c1e-9d36-2b7f0f4a9c11";

/// One operation being documented.
pub struct Op {
    /// The app's index (`GET /`) as a default deployment serves it, for that route's example.
    pub index: Value,
    /// The route's method (`GET`, …).
    pub method: &'static str,
    /// The route's path template (`/items/{id}`).
    pub path: &'static str,
    /// Everything but the parameters and the request body.
    pub builder: OperationBuilder,
    /// Its parameters, one per name and location.
    pub parameters: Vec<Parameter>,
    /// Its request body.
    pub request_body: Option<RequestBody>,
    /// Component schemas the operation refers to, nested ones included.
    pub schemas: Vec<(String, RefOr<Schema>)>,
    /// `(schema, JSON pointer into it, members to merge)`: a validator's limits, written into
    /// the schema from the same constants the validator uses.
    pub constraints: Vec<(&'static str, &'static str, Value)>,
}

impl Op {
    /// The operation of `method path`, started as `builder`.
    pub fn new(index: Value, method: &'static str, path: &'static str, builder: OperationBuilder) -> Op {
        Op { index, method, path, builder, parameters: Vec::new(), request_body: None, schemas: Vec::new(), constraints: Vec::new() }
    }

    /// The finished operation.
    pub fn build(self) -> (OperationBuilder, Vec<(String, RefOr<Schema>)>, Vec<(&'static str, &'static str, Value)>) {
        let parameters = (!self.parameters.is_empty()).then_some(self.parameters);
        let mut builder = self.builder.parameters(parameters);
        if self.request_body.is_some() {
            builder = builder.request_body(self.request_body);
        }
        (builder, self.schemas, self.constraints)
    }

    /// The operation's description (Markdown), replacing any before.
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

    /// A parameter: where it goes, whether it must be there, and its value's schema. It
    /// replaces one of the same name and location (a hand-written one the derived one).
    pub fn parameter(mut self, name: &str, location: ParameterIn, required: bool, description: Option<&str>, schema: impl Into<RefOr<Schema>>) -> Self {
        let parameter = ParameterBuilder::new()
            .name(name)
            .parameter_in(location.clone())
            .required(if required { Required::True } else { Required::False })
            .description(description)
            .schema(Some(schema))
            .build();
        self.parameters.retain(|p| !(p.name == name && p.parameter_in == location));
        self.parameters.push(parameter);
        self
    }

    /// A parameter per field of `T` (a struct; or, in the path, a single value named by the
    /// route's only `{…}`), each with its type's schema and limits and its doc comment; and,
    /// where a value can be refused, the 422 that says which.
    pub fn params<T: ToSchema>(mut self, location: ParameterIn) -> Self {
        let mut named = Vec::new();
        T::schemas(&mut named);
        let components: Map<String, Value> = named.into_iter().map(|(name, schema)| (name, example(schema))).collect();
        let schema = example(T::schema());
        let in_path = location == ParameterIn::Path;
        let fields: Vec<(String, Value, bool)> = match (schema.get("properties"), schema.get("required")) {
            (Some(Value::Object(properties)), required) => {
                let required = |name: &String| required.and_then(Value::as_array).is_some_and(|r| r.iter().any(|n| n == name));
                properties.iter().map(|(name, s)| (name.clone(), s.clone(), in_path || required(name))).collect()
            }
            _ => template_names(self.path).take(1).map(|name| (name.to_owned(), schema.clone(), true)).collect(),
        };
        let mut refusable = None;
        for (name, schema, required) in fields {
            let (schema, description) = plain(schema, &components);
            refusable = refusable.or_else(|| refusal(&location, &name, &schema, required));
            let schema: RefOr<Schema> = serde_json::from_value(schema).unwrap_or_else(|e| panic!("{name}'s schema: {e}"));
            self = self.parameter(&name, location.clone(), required, description.as_deref(), schema);
        }
        match refusable {
            Some(error) => {
                let place = if in_path { "path" } else { "query" };
                self.validation_problem(&format!("A {place} parameter is invalid: each one at fault is listed in `errors`"), error)
            }
            None => self,
        }
    }

    /// A required JSON body of type `T`, and what reading one can answer: 413 past
    /// `MAX_BODY_BYTES`, 415 without a JSON content type, 422 naming each field at fault.
    pub fn json_request<T: ToSchema>(mut self) -> Self {
        self.schema::<T>();
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(T::name()))).build();
        self.request_body = Some(RequestBodyBuilder::new().required(Some(Required::True)).content("application/json", content).build());
        self.problem("413", "The body is larger than MAX_BODY_BYTES", &ApiError::PayloadTooLarge { limit_bytes: crate::extract::DEFAULT_MAX_BODY_BYTES })
            .problem("415", "The body is not declared as JSON", &ApiError::UnsupportedMediaType { content_type: Some("text/plain".into()) })
            .validation_problem(
                "The body is not valid: each field at fault is listed in `errors`",
                FieldError::body(&[], "json_invalid", "expected value at line 1 column 1"),
            )
    }

    /// The example of the request body (a JSON body [`Op::json_request`] documented).
    pub fn body_example(mut self, example: Value) -> Self {
        if let Some(content) = self.request_body.as_mut().and_then(|body| body.content.get_mut("application/json")) {
            content.example = Some(example);
        }
        self
    }

    /// A JSON response of type `T`, described by `T`'s doc comment and with its example.
    pub fn json_response<T: ToSchema>(mut self, status: &str) -> Self {
        self.schema::<T>();
        let schema = example(T::schema());
        let description = schema.get("description").and_then(Value::as_str).unwrap_or("Success");
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(T::name()))).example(schema.get("example").cloned()).build();
        let response = ResponseBuilder::new().description(description).content("application/json", content).build();
        self.with(|b| b.response(status, response))
    }

    /// A 422 validation problem: `description` joins that of one already documented (a route
    /// can refuse its query and its body), whose example stays.
    fn validation_problem(mut self, description: &str, error: FieldError) -> Self {
        let mut op = std::mem::take(&mut self.builder).build();
        match op.responses.responses.get_mut("422") {
            Some(RefOr::T(existing)) => existing.description = format!("{}; or: {}", existing.description, description.to_lowercase()),
            _ => {
                self.builder = op.into();
                return self.problem("422", description, &ApiError::Validation(vec![error]));
            }
        }
        self.builder = op.into();
        self
    }

    /// A required header of `chars` visible ASCII characters.
    pub fn header_param(self, name: &str, description: &str, chars: RangeInclusive<usize>) -> Self {
        let schema = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(*chars.start()))
            .max_length(Some(*chars.end()))
            .pattern(Some("^[!-~]+$"));
        self.parameter(name, ParameterIn::Header, true, Some(description), schema)
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

    /// A newline-delimited JSON response (`application/x-ndjson`): one `T` per line.
    pub fn ndjson<T: ToSchema>(mut self, status: &str, description: &str) -> Self {
        self.schema::<T>();
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(T::name()))).build();
        let response = ResponseBuilder::new().description(description).content("application/x-ndjson", content).build();
        self.with(|b| b.response(status, response))
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

    /// A JSON response of any value, its schema named `name` (`what` describes it), so a
    /// client has a type to name: an upstream's body passed on, a document served as is.
    pub fn json_value(mut self, status: &str, description: &str, name: &str, what: &str) -> Self {
        let any = ObjectBuilder::new().schema_type(SchemaType::AnyValue).description(Some(what)).build();
        self.schemas.push((name.to_owned(), any.into()));
        let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(name))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", content).build();
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

/// `value` as JSON (an example, or a schema to read).
pub fn example(value: impl serde::Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The names of a path template's `{…}` (and `{*…}`) segments, in order.
fn template_names(template: &str) -> impl Iterator<Item = &str> {
    template.split('/').filter_map(|part| part.strip_prefix('{')?.strip_suffix('}')).map(|name| name.trim_start_matches('*'))
}

/// A field's schema as a parameter's: a reference to a named schema resolved (a parameter's
/// schema stands alone), `null` left out (a parameter is absent rather than null), and its
/// description taken out for the parameter's own.
fn plain(schema: Value, components: &Map<String, Value>) -> (Value, Option<String>) {
    let Value::Object(mut schema) = schema else {
        return (schema, None);
    };
    let mut description = schema.remove("description").and_then(|d| d.as_str().map(str::to_owned));
    if let Some(Value::String(reference)) = schema.remove("$ref") {
        let name = reference.trim_start_matches("#/components/schemas/");
        if let Some(Value::Object(named)) = components.get(name) {
            schema.extend(named.clone());
        }
    }
    if let Some(Value::Array(items)) = schema.get("oneOf") {
        let mut items = items.iter().filter(|item| item.get("type").and_then(Value::as_str) != Some("null"));
        if let (Some(only), None) = (items.next().cloned(), items.next()) {
            schema.remove("oneOf");
            let (only, inner) = plain(only, components);
            description = description.or(inner);
            if let Value::Object(only) = only {
                schema.extend(only);
            }
        }
    }
    if let Some(Value::Array(types)) = schema.get("type") {
        let types: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
        let single = (types.len() == 1).then(|| types[0].clone());
        schema.insert("type".into(), single.unwrap_or(Value::Array(types)));
    }
    (Value::Object(schema), description)
}

/// An example of how a parameter's value can be refused, if it can be: a value that is not
/// its type or is out of its range, or a required one left out.
fn refusal(location: &ParameterIn, name: &str, schema: &Value, required: bool) -> Option<FieldError> {
    let error = |kind, msg: String, input: Option<&str>| match location {
        ParameterIn::Path => FieldError::path(name, kind, msg, input.unwrap_or_default()),
        _ => FieldError::query(name, kind, msg, input),
    };
    match (schema.get("type").and_then(Value::as_str), schema.get("minimum"), schema.get("maximum")) {
        (Some("integer"), Some(min), Some(max)) => {
            let past = max.as_i64().map_or_else(String::new, |max| (i128::from(max) + 1).to_string());
            Some(error("range", format!("must be between {min} and {max}"), Some(&past)))
        }
        (Some("integer"), ..) => Some(error("int_parsing", "must be a whole number".into(), Some("abc"))),
        (Some("number"), ..) => Some(error("float_parsing", "must be a number".into(), Some("abc"))),
        (Some("boolean"), ..) => Some(error("bool_parsing", "must be true or false".into(), Some("yes"))),
        _ if required && *location != ParameterIn::Path => Some(error("missing", "is required".into(), None)),
        _ => None,
    }
}

/// A problem+json response whose example is `error`'s problem.
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
