//! What a route that merges several upstreams needs: one typed GET of a named upstream, and the
//! parts of a merged answer that failed, each with its problem (a partial answer, not a 5xx).

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::registry::Registry;
use super::{get, path, read_json};
use crate::context::RequestContext;
use crate::error::{ApiError, Problem};

/// GETs `path_and_query` (`/users/1?fields=name`) of the upstream `name` under its timeout,
/// retries, breaker and cache, and reads its 2xx JSON body as `T`. An unknown upstream, an
/// unsafe path, an error status or a body that is not a `T` is the error.
pub async fn get_json<T: DeserializeOwned>(ctx: &RequestContext, registry: &Registry, name: &str, path_and_query: &str) -> Result<T, ApiError> {
    let upstream = registry.get(name).ok_or_else(|| ApiError::UnknownUpstream { name: name.to_owned() })?;
    let url = path::join_relative(&upstream.base_url, path_and_query)
        .map_err(|reason| ApiError::Internal { detail: format!("{path_and_query} is not a path under upstream '{name}': {reason}") })?;
    let answer = get(ctx, upstream, &url, &[]).await?;
    Ok(read_json(&answer.response)?)
}

/// The parts of a merged answer that could not be had, each with the problem that stood in its
/// way; the answer itself is still a 200 with what the other parts gave.
#[derive(Debug, Default, Serialize)]
#[derive(utoipa::ToSchema)]
#[serde(transparent)]
pub struct Missing(Vec<MissingPart>);
/// One part of a merged answer that is absent, and why.
#[derive(Debug, Serialize)]
#[derive(utoipa::ToSchema)]
pub struct MissingPart {
    /// The part of the answer that is absent.
    pub part: &'static str,
    /// The problem that stood in its way.
    pub error: Problem,
}

impl Missing {
    /// `result`'s value, or `None` with its problem noted under `part`.
    pub fn take<T>(&mut self, ctx: &RequestContext, part: &'static str, result: Result<T, ApiError>) -> Option<T> {
        result.map_err(|e| self.0.push(MissingPart { part, error: e.to_problem(&ctx.request_id) })).ok()
    }
}
