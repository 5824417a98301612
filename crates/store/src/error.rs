use std::path::{Path, PathBuf};

/// Errors of the store; each says which file or dataset is concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file of the store that cannot be read or written: a machine failure.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The SQLite catalog failed (locked too long, damaged…).
    #[error("catalog: {0}")]
    Catalog(#[from] rusqlite::Error),
    /// The catalog in PostgreSQL failed (unreachable, refused, lost connection…).
    #[error("catalogue PostgreSQL : {0}")]
    Postgres(String),
    /// A catalog whose schema was moved forward by a newer echelle: not read rather than misread.
    #[error(
        "le catalogue est au schéma n° {found}, plus récent que celui que connaît cette version d'echelle \
         (n° {known}) : installez une version d'echelle à jour"
    )]
    NewerCatalog {
        /// The last step applied to the catalog.
        found: i64,
        /// The last step this binary knows.
        known: i64,
    },
    /// A Parquet file of the store that cannot be read or written.
    #[error("{path}: {message}")]
    Parquet {
        /// The Parquet file.
        path: PathBuf,
        /// The reader's or writer's message.
        message: String,
    },
    /// A source file given by the user (COG, contours…) that is not what it should be.
    #[error("{path}: {message}")]
    Source {
        /// The file as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The store has no reference pack yet: nothing can be observed.
    #[error("no reference pack in the store {0}: run `echelle pack build` (the README's setup does)")]
    NoPack(PathBuf),
    /// No dataset of that id in the catalog.
    #[error("unknown dataset '{0}'")]
    UnknownDataset(String),
    /// A territory or perimeter the referential rejects.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
    /// A request that makes no sense (a bad dataset id…).
    #[error("{0}")]
    Invalid(String),
    /// No perimeter of that id among the user's (a removal of an unknown one).
    #[error("no user perimeter '{0}'")]
    UnknownPerimeter(String),
    /// A change refused because of what the store holds (a shipped perimeter, a
    /// perimeter another one refers to).
    #[error("{0}")]
    Protected(String),
    /// A perimeter refused by the audit of released perimeters: it differs from a
    /// territory already seen by units under a protected table's threshold.
    #[error("secret statistique : {0}")]
    Differencing(String),
}

impl StoreError {
    /// An I/O failure on `path`, for `map_err`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        StoreError::Io { path: path.to_path_buf(), source }
    }

    /// A user-given file that is not what it should be.
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
                | StoreError::Differencing(_)
                | StoreError::Source { .. }
        )
    }
}
