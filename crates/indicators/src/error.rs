/// Errors of indicator declaration and evaluation, each on one line.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    /// An indicator catalog that does not parse or declares something impossible.
    #[error("{origin}:{line}:{column}: {message}")]
    Declaration {
        /// The catalog (file name, or the catalog's name in the store).
        origin: String,
        /// 1-based line in the catalog's text.
        line: usize,
        /// 1-based column in that line.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// No indicator of that id.
    #[error("unknown indicator '{name}'{}", suggest(.suggestions))]
    Unknown {
        /// The id asked.
        name: String,
        /// The nearest ids, offered as "did you mean".
        suggestions: Vec<String>,
    },
    /// The declaration does not fit its dataset (missing or non-numeric column).
    #[error("{0}")]
    NotAggregatable(String),
    /// The dataset an indicator reads has not been imported.
    #[error("dataset '{dataset}' is not in the store (indicator '{indicator}'); import it first")]
    MissingDataset {
        /// The indicator asked.
        indicator: String,
        /// The dataset it reads.
        dataset: String,
    },
    /// Arrow failed on the engine's tables: a machine or engine failure, not the user's.
    #[error("query engine: {0}")]
    Arrow(#[from] arrow::error::ArrowError),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    /// A territory the referential does not know.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
}

impl IndicatorError {
    /// Whether the user can fix it by what they typed (exit status 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            IndicatorError::Arrow(_) => false,
            IndicatorError::Store(e) => e.is_user_error(),
            _ => true,
        }
    }
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() { String::new() } else { format!("; did you mean {}?", s.join(", ")) }
}
