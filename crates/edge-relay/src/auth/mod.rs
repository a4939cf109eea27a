//! Who is calling: static API keys and JWT access tokens from one OpenID issuer, checked
//! before a guarded route runs (its `Guard` in the route table), with RFC 6750 errors.
//!
//! Signatures are verified by the runtime's WebCrypto (`verify.rs`); everything else —
//! token parsing, claim checks, key selection and when to refetch keys — is plain Rust,
//! tested on the host.

mod api_keys;
mod base64url;
mod issuer;
mod jwk;
mod jwt;
mod keys;
mod members;
mod verified;
mod verify;

pub(crate) use api_keys::ApiKeys;
pub(crate) use issuer::Issuer;

use crate::context::RequestContext;
use crate::error::ApiError;

/// What a route asks of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone may call; no `Authorization` is read.
    Open,
    /// A key or a token with this scope.
    Scope(&'static str),
    /// The same, but only when JWT auth is on; open otherwise.
    ScopeWhenJwt(&'static str),
}

impl Guard {
    /// The scope this deployment requires, if any.
    pub fn scope(self, jwt_on: bool) -> Option<&'static str> {
        match self {
            Guard::Open => None,
            Guard::Scope(scope) => Some(scope),
            Guard::ScopeWhenJwt(scope) => jwt_on.then_some(scope),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Caller {
    /// What the caller's jobs are stored under, and what rate limits count: `jwt:{iss} {sub}`
    /// or `key:{SHA-256 of the key, hex}`.
    pub owner: String,
    /// `None`: an API key, which holds every scope.
    scopes: Option<Vec<String>>,
}

impl Caller {
    /// `Ok` when the caller holds `scope` (an API key holds every scope), else 403
    /// `insufficient-scope`: the check a route's guard makes, for a handler that needs a
    /// second scope.
    pub fn require(&self, scope: &'static str) -> Result<(), ApiError> {
        match &self.scopes {
            Some(granted) if !granted.iter().any(|s| s == scope) => Err(ApiError::InsufficientScope { scope }),
            _ => Ok(()),
        }
    }
}

/// The token of an `Authorization: Bearer` header; `None` when there are no bearer
/// credentials at all (no header, another scheme). A bearer header that is not one
/// `b64token` (RFC 6750 §2.1) is a malformed request.
pub(crate) fn bearer_token(header: Option<&str>) -> Result<Option<&str>, ApiError> {
    let Some(header) = header.map(str::trim) else {
        return Ok(None);
    };
    let (scheme, token) = header.split_once(' ').unwrap_or((header, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Ok(None);
    }
    let token = token.trim_start_matches(' ');
    let body = token.trim_end_matches('=');
    let b64token = !body.is_empty() && body.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        let description = if token.is_empty() { "the Bearer credentials are empty" } else { "the Bearer credentials are not one token" };
        return Err(ApiError::InvalidAuthorization { description });
    }
    Ok(Some(token))
}

/// The caller behind an `Authorization` header value: an API key, or a JWT from the issuer.
pub(crate) async fn authenticate(ctx: &RequestContext, header: Option<&str>, keys: &ApiKeys, issuer: Option<&Issuer>) -> Result<Caller, ApiError> {
    if keys.is_empty() && issuer.is_none() {
        return Err(ApiError::NotConfigured { feature: "authentication", var: "API_KEYS or JWT_ISSUER" });
    }
    let token = bearer_token(header)?.ok_or(ApiError::Unauthorized { reason: "send Authorization: Bearer <token>" })?;
    if let Some(key) = keys.matching(token) {
        return Ok(Caller { owner: format!("key:{}", verify::owner_digest(key).await?), scopes: None });
    }
    let Some(issuer) = issuer else {
        return Err(ApiError::InvalidToken { description: "the bearer key is not valid".into() });
    };
    let verified = verify::verify(ctx, token, issuer).await?;
    Ok(Caller { owner: format!("jwt:{} {}", issuer.issuer, verified.subject), scopes: Some(verified.scopes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_credentials_are_one_token() {
        assert_eq!(bearer_token(None), Ok(None));
        assert_eq!(bearer_token(Some("Basic dXNlcjpwYXNz")), Ok(None));
        assert_eq!(bearer_token(Some("Bearer abc.def-_~+/==")), Ok(Some("abc.def-_~+/==")));
        assert_eq!(bearer_token(Some("bearer  beta-key ")), Ok(Some("beta-key")));
        for bad in ["Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer ===", "Bearer =a", "Bearer \"t\""] {
            assert!(matches!(bearer_token(Some(bad)), Err(ApiError::InvalidAuthorization { .. })), "{bad}");
        }
    }

    #[test]
    fn scopes_are_checked_except_for_keys() {
        let token = Caller { owner: "jwt:i s".into(), scopes: Some(vec!["jobs:read".into()]) };
        assert_eq!(token.require("jobs:read"), Ok(()));
        assert_eq!(token.require("jobs:write"), Err(ApiError::InsufficientScope { scope: "jobs:write" }));
        let key = Caller { owner: "key:ab".into(), scopes: None };
        assert_eq!(key.require("jobs:write"), Ok(()));
    }

    #[test]
    fn guards_apply_per_deployment() {
        assert_eq!(Guard::Open.scope(true), None);
        assert_eq!(Guard::Scope("jobs:read").scope(false), Some("jobs:read"));
        assert_eq!(Guard::ScopeWhenJwt("events:write").scope(false), None);
        assert_eq!(Guard::ScopeWhenJwt("events:write").scope(true), Some("events:write"));
    }
}
