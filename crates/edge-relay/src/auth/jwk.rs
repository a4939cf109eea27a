//! Signature algorithms and the keys of a JWK set (RFC 7517), with the RFC 8725 rules on
//! which key may verify which token.

use serde_json::Value;

use super::base64url;
use super::members::{self, strings, text, Object};

/// The asymmetric algorithms this service verifies. HMAC and `none` have no variant, so no
/// configuration can allow them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    RS256,
    ES256,
    EdDSA,
}

/// Smallest RSA modulus accepted (RFC 8725 §3.5, NIST SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;

impl Alg {
    pub const ALL: [Alg; 3] = [Alg::RS256, Alg::ES256, Alg::EdDSA];

    pub fn name(self) -> &'static str {
        match self {
            Alg::RS256 => "RS256",
            Alg::ES256 => "ES256",
            Alg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(name: &str) -> Option<Alg> {
        Alg::ALL.into_iter().find(|a| a.name() == name)
    }

    /// The exact signature length, where the algorithm fixes one (raw r‖s for ECDSA).
    pub fn signature_len(self) -> Option<usize> {
        match self {
            Alg::RS256 => None,
            Alg::ES256 | Alg::EdDSA => Some(64),
        }
    }
}

/// One key of a JWK set, as published. Only the members the rules below read.
#[derive(Debug, Clone, PartialEq)]
pub struct Jwk {
    pub kty: String,
    pub kid: Option<String>,
    /// `use`.
    pub usage: Option<String>,
    pub alg: Option<String>,
    pub crv: Option<String>,
    pub key_ops: Option<Vec<String>>,
    /// The RSA modulus, base64url.
    pub n: Option<String>,
}

impl Jwk {
    /// The key's members, or `None` when one has the wrong type.
    fn read(map: &Object) -> Option<Jwk> {
        let member = |name| text(map, name).ok();
        Some(Jwk {
            kty: member("kty")??,
            kid: member("kid")?,
            usage: member("use")?,
            alg: member("alg")?,
            crv: member("crv")?,
            key_ops: map.contains_key("key_ops").then(|| strings(map, "key_ops").into_iter().map(str::to_owned).collect()),
            n: member("n")?,
        })
    }

    /// Whether this key may verify a token signed with `alg`: its type and curve are the
    /// algorithm's, its own `alg` (if any) is the same, it is meant for signatures, and an
    /// RSA key is at least `MIN_RSA_BITS` long.
    pub fn fits(&self, alg: Alg) -> bool {
        let shape = match alg {
            Alg::RS256 => self.kty == "RSA" && self.rsa_bits().is_some_and(|bits| bits >= MIN_RSA_BITS),
            Alg::ES256 => self.kty == "EC" && self.crv.as_deref() == Some("P-256"),
            Alg::EdDSA => self.kty == "OKP" && self.crv.as_deref() == Some("Ed25519"),
        };
        let for_signatures = self.usage.as_deref().is_none_or(|u| u == "sig")
            && self.key_ops.as_ref().is_none_or(|ops| ops.iter().any(|op| op == "verify"));
        shape && for_signatures && self.alg.as_deref().is_none_or(|a| a == alg.name())
    }

    /// The modulus length in bits, leading zero bytes aside.
    fn rsa_bits(&self) -> Option<usize> {
        let n = base64url::decode(self.n.as_deref()?)?;
        let first = n.iter().position(|&b| b != 0)?;
        Some((n.len() - first) * 8 - n[first].leading_zeros() as usize)
    }

    /// The algorithms of `allowed` this key fits.
    pub fn usable_with(&self, allowed: &[Alg]) -> Vec<Alg> {
        allowed.iter().copied().filter(|&alg| self.fits(alg)).collect()
    }
}

/// The keys of a JWK set document with their JSON as published (WebCrypto imports that);
/// members that are not keys we could use (symmetric, unknown types, malformed) are skipped.
pub fn parse_set(json: &str) -> Result<Vec<(Jwk, String)>, String> {
    let set = members::object(json.as_bytes());
    let Some(Value::Array(keys)) = set.as_ref().and_then(|set| set.get("keys")) else {
        return Err("the JWK set is not a JSON object with a 'keys' array".into());
    };
    Ok(keys
        .iter()
        .filter_map(|value| Some((Jwk::read(value.as_object()?)?, value.to_string())))
        .filter(|(jwk, _)| ["RSA", "EC", "OKP"].contains(&jwk.kty.as_str()))
        .collect())
}

/// What a token's header finds among the keys.
#[derive(Debug, PartialEq)]
pub enum Selection {
    /// The index of the one key that may verify it.
    Key(usize),
    /// The token names a `kid` no key that fits has (a refetch may bring it).
    UnknownKid,
    /// No `kid`, and no key fits the algorithm.
    NoKey,
    /// No `kid`, and several keys fit: which one signed is not said.
    Ambiguous,
}

/// Picks the key for a token signed with `alg`: the one with its `kid`, or, for a token
/// without `kid`, the only key that fits.
pub fn select(keys: &[&Jwk], alg: Alg, kid: Option<&str>) -> Selection {
    let mut fitting = keys.iter().enumerate().filter(|(_, k)| k.fits(alg));
    match kid {
        Some(kid) => fitting.find(|(_, k)| k.kid.as_deref() == Some(kid)).map_or(Selection::UnknownKid, |(i, _)| Selection::Key(i)),
        None => match (fitting.next(), fitting.next()) {
            (Some((i, _)), None) => Selection::Key(i),
            (None, _) => Selection::NoKey,
            (Some(_), Some(_)) => Selection::Ambiguous,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A base64url modulus of `bits` bits.
    fn modulus(bits: usize) -> String {
        let bytes = bits.div_ceil(8);
        let mut n = vec![0xffu8; bytes];
        n[0] = 0xff >> (bytes * 8 - bits);
        base64url::encode(&n)
    }

    fn rsa(kid: &str, bits: usize) -> Jwk {
        Jwk { kty: "RSA".into(), kid: Some(kid.into()), usage: None, alg: None, crv: None, key_ops: None, n: Some(modulus(bits)) }
    }

    fn curve(kty: &str, crv: &str, kid: &str) -> Jwk {
        Jwk { kty: kty.into(), kid: Some(kid.into()), usage: None, alg: None, crv: Some(crv.into()), key_ops: None, n: None }
    }

    #[test]
    fn a_key_fits_only_its_own_algorithm() {
        let (r, e, o) = (rsa("r", 2048), curve("EC", "P-256", "e"), curve("OKP", "Ed25519", "o"));
        assert_eq!(r.usable_with(&Alg::ALL), [Alg::RS256]);
        assert_eq!(e.usable_with(&Alg::ALL), [Alg::ES256]);
        assert_eq!(o.usable_with(&Alg::ALL), [Alg::EdDSA]);
        assert!(!curve("EC", "P-384", "x").fits(Alg::ES256));
        assert!(!curve("OKP", "X25519", "x").fits(Alg::EdDSA));
        assert_eq!(r.usable_with(&[Alg::ES256]), []);
    }

    #[test]
    fn rsa_keys_under_2048_bits_are_refused() {
        assert!(rsa("r", 4096).fits(Alg::RS256));
        assert!(rsa("r", 2048).fits(Alg::RS256));
        assert!(!rsa("r", 2047).fits(Alg::RS256));
        assert!(!rsa("r", 1024).fits(Alg::RS256));
        assert!(!Jwk { n: None, ..rsa("r", 2048) }.fits(Alg::RS256));
        assert!(!Jwk { n: Some("not base64!".into()), ..rsa("r", 2048) }.fits(Alg::RS256));
    }

    #[test]
    fn use_key_ops_and_alg_must_allow_the_signature() {
        let r = rsa("r", 2048);
        assert!(Jwk { usage: Some("sig".into()), ..r.clone() }.fits(Alg::RS256));
        assert!(!Jwk { usage: Some("enc".into()), ..r.clone() }.fits(Alg::RS256));
        assert!(Jwk { key_ops: Some(vec!["verify".into()]), ..r.clone() }.fits(Alg::RS256));
        assert!(!Jwk { key_ops: Some(vec!["encrypt".into()]), ..r.clone() }.fits(Alg::RS256));
        assert!(Jwk { alg: Some("RS256".into()), ..r.clone() }.fits(Alg::RS256));
        assert!(!Jwk { alg: Some("PS256".into()), ..r.clone() }.fits(Alg::RS256));
        assert!(!Jwk { alg: Some("HS256".into()), ..r }.fits(Alg::RS256));
    }

    #[test]
    fn selects_by_kid_or_the_only_fitting_key() {
        let (a, b, e) = (rsa("a", 2048), rsa("b", 2048), curve("EC", "P-256", "e"));
        let keys = [&a, &b, &e];
        assert_eq!(select(&keys, Alg::RS256, Some("b")), Selection::Key(1));
        assert_eq!(select(&keys, Alg::ES256, Some("e")), Selection::Key(2));
        // The kid exists, but its key is not for this algorithm: as good as unknown.
        assert_eq!(select(&keys, Alg::ES256, Some("a")), Selection::UnknownKid);
        assert_eq!(select(&keys, Alg::RS256, Some("z")), Selection::UnknownKid);
        assert_eq!(select(&keys, Alg::ES256, None), Selection::Key(2));
        assert_eq!(select(&keys, Alg::RS256, None), Selection::Ambiguous);
        assert_eq!(select(&keys, Alg::EdDSA, None), Selection::NoKey);
    }

    #[test]
    fn parses_a_set_keeping_usable_key_types() {
        let json = format!(
            r#"{{"keys":[{{"kty":"RSA","kid":"r","n":"{}","e":"AQAB"}},{{"kty":"oct","kid":"h","k":"c2VjcmV0"}},{{"kid":"no-kty"}},{{"kty":"EC","crv":5}},{{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}}"#,
            modulus(2048)
        );
        let keys = parse_set(&json).unwrap();
        assert_eq!(keys.iter().map(|(k, _)| k.kty.as_str()).collect::<Vec<_>>(), ["RSA", "OKP"]);
        assert!(keys[1].1.contains("\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\""));
        assert!(parse_set("{}").is_err());
        assert!(parse_set("[]").is_err());
    }
}
