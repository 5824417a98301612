/// Errors of the mobility computations.
#[derive(Debug, thiserror::Error)]
pub enum MobilityError {
    /// A parameter outside its meaningful range (negative price, share above 100 %…).
    #[error("parameter {name} = {value}: {expected}")]
    Parameter {
        /// The parameter, as the user knows it.
        name: &'static str,
        /// The value given.
        value: f64,
        /// The meaningful range, in words.
        expected: &'static str,
    },
    /// Something the user asked that cannot be done (wrong dataset, overlapping zones…).
    #[error("{0}")]
    Usage(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    /// A territory the referential does not know.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
    /// A flows file that cannot be read or lacks a column.
    #[error("{path}: {message}")]
    Parquet {
        /// The dataset's file.
        path: String,
        /// What the reader said.
        message: String,
    },
    /// A stored road network that cannot be read (damaged file, disk error).
    #[error("road network: {0}")]
    Network(String),
    /// A file could not be written.
    #[error(transparent)]
    Report(#[from] echelle_report::ReportError),
}

impl MobilityError {
    /// Whether the error comes from what the user gave (exit status 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            MobilityError::Parameter { .. } | MobilityError::Usage(_) | MobilityError::Referential(_) => true,
            MobilityError::Store(e) => e.is_user_error(),
            MobilityError::Report(e) => e.is_user_error(),
            MobilityError::Parquet { .. } | MobilityError::Network(_) => false,
        }
    }
}

/// Checks that `value` is finite and within `[min, max]` (`max_open`: excluded).
pub(crate) fn check_range(
    name: &'static str,
    value: f64,
    min: f64,
    max: f64,
    min_open: bool,
    expected: &'static str,
) -> Result<(), MobilityError> {
    let ok = value.is_finite() && (if min_open { value > min } else { value >= min }) && value <= max;
    if ok { Ok(()) } else { Err(MobilityError::Parameter { name, value, expected }) }
}
