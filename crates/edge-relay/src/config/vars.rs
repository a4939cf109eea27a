//! Reading one var: the shared rules for flags and bounded numbers, so every setting says
//! what is wrong with it the same way. A leaf beside `error`.

use std::ops::RangeInclusive;

use super::error::ConfigError;

pub fn parse_bool(var: &'static str, raw: Option<String>) -> Result<bool, ConfigError> {
    match raw.as_deref().map(str::trim) {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(other) => Err(ConfigError::Invalid { var, reason: format!("'{other}' is not true or false") }),
    }
}

pub fn parse_u32(var: &'static str, raw: Option<String>, default: u32, range: RangeInclusive<u32>) -> Result<u32, ConfigError> {
    let Some(raw) = raw else {
        return Ok(default);
    };
    let invalid = |reason: String| ConfigError::Invalid { var, reason };
    let n: u32 = raw.trim().parse().map_err(|_| invalid(format!("'{raw}' is not a whole number")))?;
    if !range.contains(&n) {
        return Err(invalid(format!("{n} is outside {}..={}", range.start(), range.end())));
    }
    Ok(n)
}
