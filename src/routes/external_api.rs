//! `GET /external-api`: relays the configured upstream's JSON body.

use crate::config::Config;
use crate::context::RequestContext;
use crate::error::ApiError;
use crate::response::RawJson;
use crate::upstream;

pub async fn handle(config: &Config, ctx: &RequestContext) -> Result<RawJson, ApiError> {
    let upstream = config.upstream.as_ref().map_err(|e| ApiError::Config(e.clone()))?;
    let body = upstream::get_json(ctx, "default", &upstream.url, upstream.timeout_ms).await?;
    Ok(RawJson(body))
}
