//! The runtime side of authentication: the issuer's key set fetched and imported into
//! WebCrypto once per isolate (`keys::KeyCache` decides when), signatures verified by
//! `crypto.subtle.verify`, API keys digested. No crypto is compiled into the wasm.

use std::cell::RefCell;

use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::{console_log, console_warn, js_sys};

use super::issuer::Issuer;
use super::jwk::{parse_set, Alg, Jwk};
use super::jwt::{self, Verified};
use super::keys::{ttl_ms, KeyCache, Plan, FETCH_TIMEOUT_MS};
use super::verified::VerifiedTokens;
use crate::context::{now_ms, RequestContext};
use crate::error::{js_error_message, ApiError};
use crate::executor;
use crate::trace::ids;

/// Largest key set read; real ones are a few KB.
const MAX_JWKS_BYTES: u32 = 256 * 1024;

#[wasm_bindgen(module = "/src/auth/verify.mjs")]
extern "C" {
    /// Resolves to `[cache-control, body]`; rejects with the reason it could not. `facts` as
    /// an upstream attempt's (`Trace::attempt_facts`): its `traceparent` and span.
    fn fetch_jwks(url: &str, timeout_ms: u32, cap: u32, tracing: &JsValue, facts: &str) -> js_sys::Promise;
    /// Resolves to one `CryptoKey` or refusal (a string) per key.
    fn import_keys(jwks: js_sys::Array, algs: js_sys::Array) -> js_sys::Promise;
    fn verify_signature(key: &JsValue, alg: &str, signature: js_sys::Uint8Array, data: &str) -> js_sys::Promise;
    fn key_digest(key: &str) -> js_sys::Promise;
}

thread_local! {
    /// The isolate's keys: resolved `CryptoKey`s only, never a pending promise.
    static KEYS: RefCell<KeyCache<JsValue>> = RefCell::new(KeyCache::default());
    static VERIFIED: RefCell<VerifiedTokens> = RefCell::new(VerifiedTokens::default());
}

/// Verifies a token's signature with the issuer's key, then its claims; a token verified
/// before with the same key set only has its time window checked again.
pub(super) async fn verify(ctx: &RequestContext, raw: &str, issuer: &Issuer) -> Result<Verified, ApiError> {
    // While the key set is due for a refresh the cache is bypassed: the refresh runs, and
    // a key it drops stops verifying at once.
    let known = || VERIFIED.with(|v| v.borrow().get(raw, now_ms() / 1000.0));
    if let Some(verified) = KEYS.with(|k| !k.borrow().refresh_due(now_ms())).then(known).flatten() {
        return Ok(verified);
    }
    let invalid = |description: String| ApiError::InvalidToken { description };
    let token = jwt::parse(raw, &issuer.algorithms).map_err(invalid)?;
    let mut fetched = false;
    let key = loop {
        match KEYS.with(|k| k.borrow().plan(token.alg, token.kid.as_deref(), now_ms(), fetched)) {
            Plan::Use(index) => break KEYS.with(|k| k.borrow().key(index).cloned()).unwrap_or_default(),
            Plan::Fetch => {
                KEYS.with(|k| k.borrow_mut().begin_fetch(now_ms()));
                let keys = fetch_keys(ctx, issuer).await;
                if keys.is_some() {
                    VERIFIED.with(|v| v.borrow_mut().clear());
                }
                KEYS.with(|k| k.borrow_mut().finish_fetch(now_ms(), keys));
                fetched = true;
            }
            Plan::Invalid(description) => return Err(invalid(description)),
            Plan::Unavailable(reason) => return Err(ApiError::KeysUnavailable { reason }),
        }
    };
    let signature = js_sys::Uint8Array::from(token.signature.as_slice());
    let valid = executor::settled(&verify_signature(&key, token.alg.name(), signature, token.signing_input)).await;
    if valid.ok().and_then(|v| v.as_bool()) != Some(true) {
        return Err(invalid("the signature does not verify".into()));
    }
    let verified = jwt::check_claims(&token.claims, issuer, now_ms() / 1000.0).map_err(invalid)?;
    let (from, until) = jwt::window(&token.claims, issuer.leeway_s);
    VERIFIED.with(|v| v.borrow_mut().insert(raw, verified.clone(), from, until));
    Ok(verified)
}

/// The issuer's key set with each usable key imported, and how long it may be kept; `None`
/// (logged) when it could not be had. The fetch is a span of `ctx`'s trace.
async fn fetch_keys(ctx: &RequestContext, issuer: &Issuer) -> Option<(Vec<(Jwk, JsValue)>, f64)> {
    let url = issuer.jwks_url.as_str();
    let span_id = ids::span_id();
    let trace = &ctx.trace;
    let fail = |error: String| {
        let line = serde_json::json!({"level": "warn", "event": "jwks_fetch_failed", "url": url, "error": error,
            "trace_id": trace.trace_id, "span_id": span_id, "parent_span_id": trace.span_id});
        console_warn!("{line}");
        None
    };
    let facts = ctx.attempt_facts(span_id, "jwks", 1, "", "");
    let answer = match executor::settled(&fetch_jwks(url, FETCH_TIMEOUT_MS, MAX_JWKS_BYTES, ctx.tracing(), &facts)).await {
        Ok(answer) => answer.unchecked_into::<js_sys::Array>(),
        Err(e) => return fail(js_error_message(&e)),
    };
    let set = match parse_set(&answer.get(1).as_string().unwrap_or_default()) {
        Ok(set) => set,
        Err(e) => return fail(e),
    };
    // Each key that fits an allowed algorithm (at most one: type and curve decide).
    let usable: Vec<(Jwk, String, Alg)> = set
        .into_iter()
        .filter_map(|(jwk, json)| {
            let alg = jwk.usable_with(&issuer.algorithms).first().copied()?;
            Some((jwk, json, alg))
        })
        .collect();
    let jsons: js_sys::Array = usable.iter().map(|(_, json, _)| JsValue::from(json.as_str())).collect();
    let algs: js_sys::Array = usable.iter().map(|(_, _, alg)| JsValue::from(alg.name())).collect();
    let handles: js_sys::Array = match executor::settled(&import_keys(jsons, algs)).await {
        Ok(handles) => handles.unchecked_into(),
        Err(e) => return fail(js_error_message(&e)),
    };
    let mut imported = Vec::new();
    for ((jwk, _, _), handle) in usable.into_iter().zip(handles.iter()) {
        match handle.as_string() {
            Some(error) => console_warn!("{}", serde_json::json!({"level": "warn", "event": "jwk_refused", "kid": jwk.kid, "error": error})),
            None => imported.push((jwk, handle)),
        }
    }
    let kids: Vec<_> = imported.iter().map(|(jwk, _)| jwk.kid.as_deref().unwrap_or("")).collect();
    let line = serde_json::json!({"event": "jwks_fetched", "url": url, "kids": kids,
        "trace_id": trace.trace_id, "span_id": span_id, "parent_span_id": trace.span_id});
    console_log!("{line}");
    Some((imported, ttl_ms(answer.get(0).as_string().filter(|c| !c.is_empty()).as_deref())))
}

/// An API key's owner id: its SHA-256, so the key itself is never stored. Computed once per
/// key and isolate.
pub(super) async fn owner_digest(key: &str) -> Result<String, ApiError> {
    thread_local! {
        static DIGESTS: RefCell<Vec<(String, String)>> = const { RefCell::new(Vec::new()) };
    }
    if let Some(hit) = DIGESTS.with(|d| d.borrow().iter().find(|(k, _)| k == key).map(|(_, digest)| digest.clone())) {
        return Ok(hit);
    }
    let digest = executor::settled(&key_digest(key)).await.map_err(|e| ApiError::Internal { detail: format!("could not digest a key: {}", js_error_message(&e)) })?;
    let digest = digest.as_string().unwrap_or_default();
    DIGESTS.with(|d| d.borrow_mut().push((key.to_owned(), digest.clone())));
    Ok(digest)
}
