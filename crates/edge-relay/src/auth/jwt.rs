//! A compact JWS access token (RFC 7515/7519): its parts, and the checks on its header and
//! claims that need no key. The signature itself is checked by the runtime (`verify.rs`).
//! Every refusal is a short sentence for `error_description`.

use super::base64url;
use super::issuer::Issuer;
use super::jwk::Alg;
use super::members::{self, number, strings, text, Object};

/// Longest token accepted, in bytes: far above real access tokens, far below a body.
pub const MAX_TOKEN_BYTES: usize = 8192;

/// A token split and decoded, not yet trusted.
#[derive(Debug)]
pub struct Token<'a> {
    pub alg: Alg,
    pub kid: Option<String>,
    /// `header.payload`, the bytes the signature covers.
    pub signing_input: &'a str,
    pub signature: Vec<u8>,
    /// The payload's claims; registered ones are read by `check_claims`, others ignored.
    pub claims: Object,
}

/// Who a verified token speaks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub subject: String,
    pub scopes: Vec<String>,
}

fn json_part(part: &str, what: &str) -> Result<Object, String> {
    let bytes = base64url::decode(part).ok_or_else(|| format!("the token's {what} is not base64url"))?;
    members::object(&bytes).ok_or_else(|| format!("the token's {what} is not a JSON object"))
}

/// Splits and decodes a token, refusing what no key could make valid: a wrong shape, an
/// algorithm outside `allowed` (so `none` and every HMAC), critical extensions, or a type
/// other than a JWT's.
pub fn parse<'a>(token: &'a str, allowed: &[Alg]) -> Result<Token<'a>, String> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(format!("the token is longer than {MAX_TOKEN_BYTES} bytes"));
    }
    let mut parts = token.split('.');
    let (Some(header), Some(payload), Some(signature), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
        return Err("the token is not a JWT (three base64url parts separated by '.')".into());
    };
    let head = json_part(header, "header")?;
    let in_header = |e: String| format!("the token's header: {e}");
    let alg = text(&head, "alg").map_err(in_header)?.unwrap_or_default();
    let alg = Alg::parse(&alg).filter(|a| allowed.contains(a)).ok_or_else(|| format!("the algorithm '{alg}' is not accepted"))?;
    if head.contains_key("crit") {
        return Err("the token has critical header parameters ('crit') this service does not understand".into());
    }
    if let Some(typ) = text(&head, "typ").map_err(in_header)? {
        let typ = typ.to_ascii_lowercase();
        if !["jwt", "at+jwt", "application/jwt", "application/at+jwt"].contains(&typ.as_str()) {
            return Err(format!("the token's type '{typ}' is not a JWT access token"));
        }
    }
    let signature = base64url::decode(signature).ok_or("the token's signature is not base64url")?;
    if alg.signature_len().is_some_and(|len| len != signature.len()) {
        return Err(format!("a {} signature must be {} bytes", alg.name(), alg.signature_len().unwrap_or_default()));
    }
    let claims = json_part(payload, "payload")?;
    let kid = text(&head, "kid").map_err(in_header)?;
    Ok(Token { alg, kid, signing_input: &token[..header.len() + 1 + payload.len()], signature, claims })
}

/// The span in which a token's times hold, leeway included: from its `nbf`/`iat` until its
/// `exp` (for a token `check_claims` accepted).
pub fn window(claims: &Object, leeway_s: u32) -> (f64, f64) {
    let leeway = f64::from(leeway_s);
    let time = |name| number(claims, name).ok().flatten();
    let from = time("nbf").into_iter().chain(time("iat")).fold(f64::NEG_INFINITY, f64::max) - leeway;
    (from, time("exp").map_or(f64::NEG_INFINITY, |exp| exp + leeway))
}

/// The checks on a token whose signature held: issuer, audience, times (with the leeway)
/// and subject; what it grants.
pub fn check_claims(claims: &Object, issuer: &Issuer, now_s: f64) -> Result<Verified, String> {
    let claim = |e: String| format!("the claim {e}");
    let leeway = f64::from(issuer.leeway_s);
    let exp = number(claims, "exp").map_err(claim)?.ok_or("the token has no expiry ('exp')")?;
    if now_s >= exp + leeway {
        return Err("the token has expired".into());
    }
    if number(claims, "nbf").map_err(claim)?.is_some_and(|nbf| now_s + leeway < nbf) {
        return Err("the token is not valid yet ('nbf')".into());
    }
    if number(claims, "iat").map_err(claim)?.is_some_and(|iat| now_s + leeway < iat) {
        return Err("the token was issued in the future ('iat')".into());
    }
    if text(claims, "iss").map_err(claim)?.as_deref() != Some(issuer.issuer.as_str()) {
        return Err("the token's issuer ('iss') is not the trusted one".into());
    }
    if !strings(claims, "aud").iter().any(|aud| issuer.audiences.iter().any(|ours| ours == aud)) {
        return Err("the token is not meant for this service ('aud')".into());
    }
    let subject = text(claims, "sub").map_err(claim)?.filter(|s| !s.is_empty()).ok_or("the token has no subject ('sub')")?;
    // Space-separated in `scope` (RFC 8693 §4.2, RFC 9068); some issuers use an `scp` array.
    let scope = text(claims, "scope").map_err(claim)?.unwrap_or_default();
    let scp = strings(claims, "scp");
    let scopes = scope.split_whitespace().chain(scp.into_iter().flat_map(str::split_whitespace)).map(str::to_owned).collect();
    Ok(Verified { subject, scopes })
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::auth::base64url::encode as b64;

    fn token(header: &str, claims: &str, signature: &[u8]) -> String {
        format!("{}.{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()), b64(signature))
    }

    fn issuer() -> Issuer {
        Issuer::parse(&|name: &str| match name {
            "JWT_ISSUER" => Some("https://id.example.com".into()),
            "JWT_AUDIENCE" => Some("edge-relay, other".into()),
            _ => None,
        })
        .unwrap()
        .unwrap()
    }

    const NOW: f64 = 1_800_000_000.0;

    fn claims(json: &str) -> Object {
        members::object(json.as_bytes()).unwrap()
    }

    const GOOD: &str = r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":"u1","exp":1800000600,"scope":"jobs:read jobs:write"}"#;

    #[test]
    fn parses_the_parts_and_the_signing_input() {
        let t = token(r#"{"alg":"ES256","kid":"k1","typ":"JWT"}"#, GOOD, &[7; 64]);
        let parsed = parse(&t, &Alg::ALL).unwrap();
        assert_eq!((parsed.alg, parsed.kid.as_deref(), parsed.signature.len()), (Alg::ES256, Some("k1"), 64));
        assert_eq!(parsed.signing_input, &t[..t.rfind('.').unwrap()]);
        assert_eq!(parsed.claims["sub"], "u1");
        assert!(parse(&token(r#"{"alg":"RS256","typ":"at+jwt"}"#, GOOD, &[1; 256]), &Alg::ALL).is_ok());
    }

    #[test]
    fn refuses_none_hmac_and_algorithms_not_allowed() {
        for alg in ["none", "HS256", "HS512", "PS256", "RS512", "es256", ""] {
            let t = token(&format!(r#"{{"alg":"{alg}"}}"#), GOOD, b"sig");
            assert_eq!(parse(&t, &Alg::ALL).unwrap_err(), format!("the algorithm '{alg}' is not accepted"));
        }
        let rs = token(r#"{"alg":"RS256"}"#, GOOD, &[1; 256]);
        assert!(parse(&rs, &[Alg::ES256]).unwrap_err().contains("'RS256' is not accepted"));
        let unsigned = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(GOOD.as_bytes()));
        assert!(parse(&unsigned, &Alg::ALL).is_err());
    }

    #[test]
    fn refuses_malformed_tokens() {
        let good = token(r#"{"alg":"EdDSA"}"#, GOOD, &[1; 64]);
        let cases = [
            ("abc".to_owned(), "not a JWT"),
            (format!("{good}.x"), "not a JWT"),
            ("!!.x.y".to_owned(), "header is not base64url"),
            (format!("{}.{}.AA", b64(b"[1]"), b64(GOOD.as_bytes())), "header is not a JSON object"),
            (token(r#"{"alg":"EdDSA"}"#, "[]", &[1; 64]), "payload is not a JSON object"),
            (token(r#"{"alg":"EdDSA"}"#, "{", &[1; 64]), "payload is not a JSON object"),
            (token(r#"{"alg":1}"#, GOOD, &[1; 64]), "header: 'alg' is not a string"),
            (token(r#"{"alg":"EdDSA","kid":7}"#, GOOD, &[1; 64]), "header: 'kid' is not a string"),
            (token(r#"{"alg":"EdDSA"}"#, GOOD, &[1; 63]), "must be 64 bytes"),
            (token(r#"{"alg":"ES256"}"#, GOOD, &[1; 70]), "must be 64 bytes"),
            (token(r#"{"alg":"EdDSA","crit":["exp"]}"#, GOOD, &[1; 64]), "critical header"),
            (token(r#"{"alg":"EdDSA","typ":"dpop+jwt"}"#, GOOD, &[1; 64]), "type 'dpop+jwt'"),
            ("a".repeat(MAX_TOKEN_BYTES + 1), "longer than 8192"),
        ];
        for (t, expected) in cases {
            let err = parse(&t, &Alg::ALL).unwrap_err();
            assert!(err.contains(expected), "{t}: {err}");
        }
    }

    #[test]
    fn accepts_good_claims_with_scopes_from_scope_or_scp() {
        let v = check_claims(&claims(GOOD), &issuer(), NOW).unwrap();
        assert_eq!(v, Verified { subject: "u1".into(), scopes: vec!["jobs:read".into(), "jobs:write".into()] });
        let scp = r#"{"iss":"https://id.example.com","aud":["x","other"],"sub":"u2","exp":1800000600,"scp":["jobs:read","events:write"]}"#;
        assert_eq!(check_claims(&claims(scp), &issuer(), NOW).unwrap().scopes, ["jobs:read", "events:write"]);
        let none = r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":"u3","exp":1800000600}"#;
        assert!(check_claims(&claims(none), &issuer(), NOW).unwrap().scopes.is_empty());
    }

    #[test]
    fn times_hold_within_the_leeway_only() {
        let at = |field: &str, value: f64| {
            let json = format!(r#"{{"iss":"https://id.example.com","aud":"edge-relay","sub":"u","exp":{},"{field}":{value}}}"#, NOW + 600.0);
            check_claims(&claims(&json), &issuer(), NOW)
        };
        let with_exp = |exp: f64| {
            let json = format!(r#"{{"iss":"https://id.example.com","aud":"edge-relay","sub":"u","exp":{exp}}}"#);
            check_claims(&claims(&json), &issuer(), NOW)
        };
        assert!(with_exp(NOW - 59.0).is_ok(), "expired within the default 60 s leeway");
        assert_eq!(with_exp(NOW - 60.0).unwrap_err(), "the token has expired");
        assert!(at("nbf", NOW + 60.0).is_ok());
        assert!(at("nbf", NOW + 61.0).unwrap_err().contains("'nbf'"));
        assert!(at("iat", NOW + 60.0).is_ok());
        assert!(at("iat", NOW + 61.0).unwrap_err().contains("'iat'"));
        let no_exp = r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":"u"}"#;
        assert!(check_claims(&claims(no_exp), &issuer(), NOW).unwrap_err().contains("'exp'"));
        let text_exp = r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":"u","exp":"soon"}"#;
        assert_eq!(check_claims(&claims(text_exp), &issuer(), NOW).unwrap_err(), "the claim 'exp' is not a number");
    }

    #[test]
    fn the_window_is_where_check_claims_accepts() {
        let json = format!(r#"{{"iss":"https://id.example.com","aud":"edge-relay","sub":"u","iat":{},"nbf":{},"exp":{}}}"#, NOW - 10.0, NOW + 5.0, NOW + 100.0);
        let (from, until) = window(&claims(&json), 60);
        assert_eq!((from, until), (NOW + 5.0 - 60.0, NOW + 100.0 + 60.0));
        for at in [from - 1.0, from, until - 1.0, until] {
            assert_eq!(check_claims(&claims(&json), &issuer(), at).is_ok(), from <= at && at < until, "{at}");
        }
    }

    #[test]
    fn issuer_audience_and_subject_must_match() {
        let cases = [
            (r#"{"iss":"https://id.example.com/","aud":"edge-relay","sub":"u","exp":1800000600}"#, "'iss'"),
            (r#"{"aud":"edge-relay","sub":"u","exp":1800000600}"#, "'iss'"),
            (r#"{"iss":"https://id.example.com","aud":"edge","sub":"u","exp":1800000600}"#, "'aud'"),
            (r#"{"iss":"https://id.example.com","aud":[],"sub":"u","exp":1800000600}"#, "'aud'"),
            (r#"{"iss":"https://id.example.com","sub":"u","exp":1800000600}"#, "'aud'"),
            (r#"{"iss":"https://id.example.com","aud":"edge-relay","exp":1800000600}"#, "'sub'"),
            (r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":"","exp":1800000600}"#, "'sub'"),
            (r#"{"iss":"https://id.example.com","aud":"edge-relay","sub":42,"exp":1800000600}"#, "'sub' is not a string"),
        ];
        for (json, expected) in cases {
            let err = check_claims(&claims(json), &issuer(), NOW).unwrap_err();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}
