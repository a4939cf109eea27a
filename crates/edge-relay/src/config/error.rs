//! Why the configuration cannot be used. A leaf: everything that reads config reports with it.

use std::fmt;

/// A var that is needed and not set, or set to a value that cannot be used. An app's own
/// settings ([`crate::settings::FromVars`]) report with it too; as an [`crate::error::ApiError`]
/// it is a 500 `invalid-configuration`.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    /// `var` is required and not set (blank counts as unset).
    Missing {
        /// The var's name.
        var: &'static str,
    },
    /// `var` is set to a value that cannot be used.
    Invalid {
        /// The var's name.
        var: &'static str,
        /// What is wrong with the value, e.g. `0 is outside 1..=1000`.
        reason: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Missing { var } => write!(f, "configuration variable {var} is not set"),
            ConfigError::Invalid { var, reason } => {
                write!(f, "configuration variable {var} is invalid: {reason}")
            }
        }
    }
}
