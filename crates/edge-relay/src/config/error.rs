//! Why the configuration cannot be used. A leaf: everything that reads config reports with it.

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum ConfigError {
    Missing { var: &'static str },
    Invalid { var: &'static str, reason: String },
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
