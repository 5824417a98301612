use std::path::{Path, PathBuf};

/// Errors of the store; each says which file or dataset is concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    #[error("{path}: {message}")]
    Parquet { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Source { path: PathBuf, message: String },
    #[error("no reference pack in the store {0}: run `echelle pack build` (the README's setup does)")]
    NoPack(PathBuf),
    #[error("unknown dataset '{0}'")]
    UnknownDataset(String),
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("no user perimeter '{0}'")]
    UnknownPerimeter(String),
    /// A change refused because of what the store holds (a shipped perimeter, a
    /// perimeter another one refers to).
    #[error("{0}")]
    Protected(String),
}

impl StoreError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io { path: path.to_path_buf(), source }
    }

    pub fn source(path: &Path, message: impl Into<String>) -> Self {
        StoreError::Source { path: path.to_path_buf(), message: message.into() }
    }

    /// Whether the error comes from what the user gave (exit status 2) rather than
    /// from the machine.
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::Referential(_)
                | StoreError::UnknownDataset(_)
                | StoreError::Invalid(_)
                | StoreError::UnknownPerimeter(_)
                | StoreError::Protected(_)
                | StoreError::Source { .. }
        )
    }
}
