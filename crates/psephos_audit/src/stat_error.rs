//! The error of the statistical modules (`shangrla`, `alpha`, `oneaudit`, `minerva`,
//! `simulate`): bad input is reported, never a panic.

use std::fmt;

/// An input that a risk function, assorter or sample-size search cannot work with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatError {
    /// A parameter outside its domain (a risk limit not in (0, 1), a negative vote count,
    /// an assorter value above its upper bound, ...). The message names the parameter.
    InvalidInput(String),
    /// The reported outcome does not satisfy one of its own assertions (a non-positive
    /// margin): no audit can confirm it.
    OutcomeNotSupported(String),
}

impl fmt::Display for StatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatError::InvalidInput(m) => write!(f, "invalid input: {m}"),
            StatError::OutcomeNotSupported(m) => write!(f, "reported outcome not supported: {m}"),
        }
    }
}

impl std::error::Error for StatError {}

pub(crate) fn invalid<T>(msg: impl Into<String>) -> Result<T, StatError> {
    Err(StatError::InvalidInput(msg.into()))
}

/// `Ok(())` if `alpha` is a risk limit in (0, 1).
pub(crate) fn check_risk_limit(alpha: f64) -> Result<(), StatError> {
    if alpha.is_finite() && alpha > 0.0 && alpha < 1.0 {
        Ok(())
    } else {
        invalid(format!("risk limit {alpha} is not in (0, 1)"))
    }
}
