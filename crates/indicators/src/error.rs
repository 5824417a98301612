/// Errors of indicator declaration and evaluation, each on one line.
#[derive(Debug, thiserror::Error)]
pub enum IndicatorError {
    #[error("{origin}:{line}:{column}: {message}")]
    Declaration { origin: String, line: usize, column: usize, message: String },
    #[error("unknown indicator '{name}'{}", suggest(.suggestions))]
    Unknown { name: String, suggestions: Vec<String> },
    #[error("{0}")]
    NotAggregatable(String),
    #[error("dataset '{dataset}' is not in the store (indicator '{indicator}'); import it first")]
    MissingDataset { indicator: String, dataset: String },
    #[error("query engine: {0}")]
    Engine(#[from] datafusion::error::DataFusionError),
    #[error("query engine: {0}")]
    Arrow(#[from] datafusion::arrow::error::ArrowError),
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
}

impl IndicatorError {
    /// Whether the user can fix it by what they typed (exit status 2).
    pub fn is_user_error(&self) -> bool {
        match self {
            IndicatorError::Engine(_) | IndicatorError::Arrow(_) => false,
            IndicatorError::Store(e) => e.is_user_error(),
            _ => true,
        }
    }
}

fn suggest(s: &[String]) -> String {
    if s.is_empty() { String::new() } else { format!("; did you mean {}?", s.join(", ")) }
}
