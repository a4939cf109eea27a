//! The jobs engine's settings (`JOBS_*`), read with the rest of the config.

use super::error::ConfigError;
use super::vars::parse_u32;

/// Items in one job unless `JOBS_MAX_ITEMS` allows more: what the document states.
pub const DEFAULT_MAX_ITEMS: u32 = 1000;
/// The most `JOBS_MAX_ITEMS` may allow.
pub const MAX_ITEMS: u32 = 10_000;
/// The upstream-body cap's default: one item's stored result, at most, unless
/// `JOBS_MAX_RESULT_BYTES` says otherwise.
pub const DEFAULT_MAX_RESULT_BYTES: u32 = 8 * 1024 * 1024;
/// How long an ended job is kept unless `JOBS_RETENTION_S` says otherwise.
const DEFAULT_RETENTION_S: u32 = 7 * 24 * 3600;
/// The most `JOBS_MAX_RESULT_BYTES` may allow: a result is held a few times over while it is
/// stored or read, within the isolate's 128 MB.
const MAX_RESULT_BYTES: u32 = 16 * 1024 * 1024;
/// Items per message at most: each costs two calls to Cloudflare's services (its result to R2,
/// its outcome to D1), and one consumer invocation (`max_batch_size` messages) may make ~1,000.
const MAX_CHUNK_SIZE: u32 = 100;
/// Base64 characters of the shortest secret accepted: 16 bytes.
const MIN_SECRET_CHARS: usize = 24;

/// How queued jobs are cut up, processed, bounded and reported.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct JobsConfig {
    /// Items per queue message (`JOBS_CHUNK_SIZE`).
    pub chunk_size: u32,
    /// Upstream calls one message makes at once (`JOBS_CONCURRENCY`).
    pub concurrency: u32,
    /// First delay before a failed message is retried, doubled per attempt (`JOBS_RETRY_DELAY_S`).
    pub retry_delay_s: u32,
    /// A queued or running job with no progress for this long is re-enqueued (`JOBS_LEASE_S`).
    pub lease_s: u32,
    /// The queue whose messages mark their job failed (`JOBS_DEAD_LETTER_QUEUE`).
    pub dead_letter_queue: String,
    /// The largest item result kept (`JOBS_MAX_RESULT_BYTES`); a larger one is a failed item.
    pub max_result_bytes: u32,
    /// Seconds an ended job and its results are kept (`JOBS_RETENTION_S`).
    pub retention_s: u32,
    /// Queued or running jobs one caller may have (`JOBS_MAX_ACTIVE`).
    pub max_active: u32,
    /// Items one job may hold (`JOBS_MAX_ITEMS`): never below what the document states.
    pub max_items: u32,
    /// The completion callbacks' signing key (`JOBS_WEBHOOK_SECRET`, `whsec_` + base64): its
    /// base64 part. Without it a job cannot name a callback.
    pub webhook_secret: Option<String>,
}

impl JobsConfig {
    /// Reads the `JOBS_*` vars through `var` (a blank var counts as unset).
    pub(crate) fn parse(var: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(JobsConfig {
            chunk_size: parse_u32("JOBS_CHUNK_SIZE", var("JOBS_CHUNK_SIZE"), 50, 1..=MAX_CHUNK_SIZE)?,
            // Six: the simultaneous connections one queue invocation may open.
            concurrency: parse_u32("JOBS_CONCURRENCY", var("JOBS_CONCURRENCY"), 6, 1..=50)?,
            retry_delay_s: parse_u32("JOBS_RETRY_DELAY_S", var("JOBS_RETRY_DELAY_S"), 10, 0..=3600)?,
            lease_s: parse_u32("JOBS_LEASE_S", var("JOBS_LEASE_S"), 300, 1..=86_400)?,
            dead_letter_queue: var("JOBS_DEAD_LETTER_QUEUE").map_or_else(|| "edge-relay-jobs-dlq".to_owned(), |v| v.trim().to_owned()),
            max_result_bytes: parse_u32("JOBS_MAX_RESULT_BYTES", var("JOBS_MAX_RESULT_BYTES"), DEFAULT_MAX_RESULT_BYTES, 1024..=MAX_RESULT_BYTES)?,
            retention_s: parse_u32("JOBS_RETENTION_S", var("JOBS_RETENTION_S"), DEFAULT_RETENTION_S, 1..=366 * 24 * 3600)?,
            max_active: parse_u32("JOBS_MAX_ACTIVE", var("JOBS_MAX_ACTIVE"), 10, 1..=10_000)?,
            max_items: parse_u32("JOBS_MAX_ITEMS", var("JOBS_MAX_ITEMS"), DEFAULT_MAX_ITEMS, DEFAULT_MAX_ITEMS..=MAX_ITEMS)?,
            webhook_secret: var("JOBS_WEBHOOK_SECRET").map(|raw| webhook_secret(raw.trim())).transpose()?,
        })
    }
}

/// The base64 key of a Standard Webhooks secret (`whsec_` + base64 of at least 16 bytes).
fn webhook_secret(raw: &str) -> Result<String, ConfigError> {
    let invalid = |reason: &str| ConfigError::Invalid { var: "JOBS_WEBHOOK_SECRET", reason: reason.to_owned() };
    let key = raw.strip_prefix("whsec_").ok_or_else(|| invalid("must start with whsec_"))?;
    let body = key.trim_end_matches('=');
    let base64 = |b: u8| b.is_ascii_alphanumeric() || b == b'+' || b == b'/';
    if key.len() % 4 != 0 || key.len() - body.len() > 2 || !body.bytes().all(base64) {
        return Err(invalid("the part after whsec_ must be standard base64"));
    }
    if key.len() < MIN_SECRET_CHARS {
        return Err(invalid("the key must be at least 16 bytes (24 base64 characters)"));
    }
    Ok(key.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<JobsConfig, ConfigError> {
        JobsConfig::parse(&|name: &str| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()))
    }

    #[test]
    fn defaults() {
        let c = parse(&[]).unwrap();
        assert_eq!((c.chunk_size, c.concurrency, c.retry_delay_s, c.lease_s), (50, 6, 10, 300));
        assert_eq!(c.dead_letter_queue, "edge-relay-jobs-dlq");
        assert_eq!((c.max_result_bytes, c.retention_s, c.max_active, c.max_items), (8 * 1024 * 1024, 604_800, 10, 1000));
        assert_eq!(c.webhook_secret, None);
    }

    #[test]
    fn reads_every_setting() {
        let c = parse(&[
            ("JOBS_CHUNK_SIZE", "2"),
            ("JOBS_RETRY_DELAY_S", "0"),
            ("JOBS_LEASE_S", "1"),
            ("JOBS_MAX_RESULT_BYTES", "100000"),
            ("JOBS_RETENTION_S", "1"),
            ("JOBS_MAX_ACTIVE", "3"),
            ("JOBS_MAX_ITEMS", "10000"),
            ("JOBS_WEBHOOK_SECRET", " whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw "),
        ])
        .unwrap();
        assert_eq!((c.chunk_size, c.retry_delay_s, c.lease_s), (2, 0, 1));
        assert_eq!((c.max_result_bytes, c.retention_s, c.max_active, c.max_items), (100_000, 1, 3, 10_000));
        assert_eq!(c.webhook_secret.as_deref(), Some("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    }

    #[test]
    fn rejects_bad_values() {
        let var_of = |vars: &[(&str, &str)]| match parse(vars) {
            Err(ConfigError::Invalid { var, .. }) => var,
            other => panic!("{other:?}"),
        };
        assert_eq!(var_of(&[("JOBS_CHUNK_SIZE", "0")]), "JOBS_CHUNK_SIZE");
        assert_eq!(var_of(&[("JOBS_CHUNK_SIZE", "101")]), "JOBS_CHUNK_SIZE");
        assert_eq!(var_of(&[("JOBS_MAX_RESULT_BYTES", "16777217")]), "JOBS_MAX_RESULT_BYTES");
        assert_eq!(var_of(&[("JOBS_MAX_ITEMS", "999")]), "JOBS_MAX_ITEMS", "never below the documented 1000");
        assert_eq!(var_of(&[("JOBS_MAX_ITEMS", "10001")]), "JOBS_MAX_ITEMS");
        assert_eq!(var_of(&[("JOBS_MAX_ACTIVE", "0")]), "JOBS_MAX_ACTIVE");
        for secret in ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_short+A=", "whsec_MfKQ9r8GKYqrTwjU-D8ILPZIo2LaLaSw", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"] {
            assert_eq!(var_of(&[("JOBS_WEBHOOK_SECRET", secret)]), "JOBS_WEBHOOK_SECRET", "{secret}");
        }
    }
}
