//! `GET /external-api`: relays the JSON body of the `default` upstream.

use crate::config::{Config, ConfigError};
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::response::Relayed;
use crate::upstream::{self, registry::DEFAULT_UPSTREAM};

pub async fn handle(config: &Config, ctx: &RequestContext) -> Result<Relayed, ApiError> {
    let registry = config.upstreams.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    let upstream = registry.get(DEFAULT_UPSTREAM).ok_or(ConfigError::Missing { var: "UPSTREAM_URL" })?;
    let answer = upstream::get(ctx, upstream, upstream.base_url.clone(), Vec::new()).await?;
    upstream::check_json(&answer.response)?;
    Ok(Relayed { status: 200, content_type: Some("application/json".to_owned()), ..answer.into() })
}
