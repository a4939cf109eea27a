//! `GET /external-api`: relays the configured upstream's JSON body.

use worker::Env;

use crate::config::Config;
use crate::error::ApiError;
use crate::response::RawJson;
use crate::upstream;

pub async fn handle(env: &Env) -> Result<RawJson, ApiError> {
    let config = Config::load(env)?;
    let body = upstream::get_json(&config.upstream_url, config.upstream_timeout_ms).await?;
    Ok(RawJson(body))
}
