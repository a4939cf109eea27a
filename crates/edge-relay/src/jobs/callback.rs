//! Completion callbacks: when a job ends, one POST of its summary to the callback it named,
//! signed per the Standard Webhooks spec (`webhook-id` stable across retries, a timestamp and
//! an HMAC-SHA256 signature per attempt), delivered by the queue consumer at least once.

use worker::wasm_bindgen::{self, prelude::wasm_bindgen};
use worker::{js_sys, Env};

use super::model::{CallbackMessage, CallbackState, JobEnded};
use super::Jobs;
use crate::config::Config;
use crate::context::{now_ms, RequestContext};
use crate::error::{js_error_message, ApiError};
use crate::executor;
use crate::upstream::{self, path};

#[wasm_bindgen(module = "/src/jobs/webhook.mjs")]
extern "C" {
    /// Resolves to the `webhook-signature` header value: `v1,` and the base64 HMAC-SHA256 of
    /// "{id}.{timestamp}.{body}" keyed with `secret` (base64).
    fn sign_webhook(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> js_sys::Promise;
}

/// The message id a receiver deduplicates by: one per job, the same on every retry.
pub(crate) fn webhook_id(job: &str) -> String {
    format!("job_{job}")
}

/// What became of one delivery.
pub(crate) enum Delivery {
    /// The upstream answered 2xx.
    Delivered,
    /// Nothing to deliver: the job is gone, has no callback, or it was delivered already.
    Nothing,
    /// It failed and is retried: why.
    Failed(String),
}

impl Jobs {
    /// Delivers the callback of the job `msg` names, as calls of `ctx` (the job's trace).
    pub(crate) async fn deliver_callback(&self, env: &Env, config: &Config, msg: &CallbackMessage, ctx: &RequestContext) -> Result<Delivery, ApiError> {
        let Some(job) = self.store.get(&msg.callback).await? else {
            return Ok(Delivery::Nothing);
        };
        let Some(target) = job.callback_target().filter(|_| job.callback_state == Some(CallbackState::Pending) && job.status.is_terminal()) else {
            return Ok(Delivery::Nothing);
        };
        let secret = self.settings.webhook_secret.as_deref().ok_or(ApiError::NotConfigured { feature: "job callbacks", var: "JOBS_WEBHOOK_SECRET" })?;
        let registry = config.upstreams(env)?;
        let Some(upstream) = registry.get(&target.upstream).filter(|u| u.methods.contains(&"POST")) else {
            return Ok(Delivery::Failed(format!("no upstream named '{}' that takes POST is configured", target.upstream)));
        };
        let url = match path::join_relative(&upstream.base_url, &target.path) {
            Ok(url) => url,
            Err(reason) => return Ok(Delivery::Failed(format!("the callback path is not usable: {reason}"))),
        };
        let view = job.view();
        let ended = JobEnded { kind: "job.ended", timestamp: view.finished_at.as_deref().unwrap_or_default(), data: &view };
        let body = serde_json::to_vec(&ended).map_err(|e| ApiError::Internal { detail: format!("could not encode the callback: {e}") })?;
        let (id, timestamp) = (webhook_id(&job.id), ((now_ms() / 1000.0).floor() as u64).to_string());
        let signature = executor::settled(&sign_webhook(secret, &id, &timestamp, &body))
            .await
            .map_err(|e| ApiError::Internal { detail: format!("could not sign the callback: {}", js_error_message(&e)) })?
            .as_string()
            .unwrap_or_default();
        let headers = [
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("webhook-id".to_owned(), id),
            ("webhook-timestamp".to_owned(), timestamp),
            ("webhook-signature".to_owned(), signature),
        ];
        let outcome = match upstream::post(ctx, upstream, &url, &headers, &body).await {
            Ok(answer) if answer.is_success() => {
                self.store.callback_delivered(&job.id, now_ms()).await?;
                return Ok(Delivery::Delivered);
            }
            Ok(answer) => format!("the callback's upstream '{}' answered {}", upstream.name, answer.status),
            Err(e) => format!("the callback's upstream '{}': {e}", upstream.name),
        };
        Ok(Delivery::Failed(outcome))
    }
}
