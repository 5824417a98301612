//! The errors of the access engine: each says what was wrong and with which file, so
//! that the command line can tell a user's mistake (exit 2) from a machine failure.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    /// The file is not an OpenStreetMap PBF extract, or is damaged (truncated…).
    #[error("{path}: not a readable OpenStreetMap PBF file: {message}")]
    NotPbf { path: PathBuf, message: String },
    /// The extract holds no road the profile can use.
    #[error("{path}: no {profile} road found in this extract (is it empty, or outside the profile?)")]
    NoRoads { path: PathBuf, profile: String },
    /// A profile file that does not parse or names a key echelle does not know.
    #[error("profile {origin}: {message}")]
    Profile { origin: String, message: String },
    /// A stored network file that is damaged or of another format.
    #[error("{path}: not a valid echelle network file: {message}")]
    BadNetwork { path: PathBuf, message: String },
    /// No network of that name in the store.
    #[error("no network '{name}' in the store (build one with `echelle network build FILE.osm.pbf`); known: {known}")]
    UnknownNetwork { name: String, known: String },
    /// A point file (facilities, origins) that cannot be read.
    #[error("{path}: {message}")]
    Points { path: PathBuf, message: String },
    /// A basket file that cannot be read.
    #[error("basket {origin}: {message}")]
    Basket { origin: String, message: String },
    /// Parameters that make no sense (negative speed, empty facility set…).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    /// A territory or layer the referential does not know.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
}

impl AccessError {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        AccessError::Io { path: path.to_path_buf(), source }
    }

    /// Whether the user can fix it by giving another file or parameter.
    pub fn is_user_error(&self) -> bool {
        match self {
            AccessError::Io { .. } => false,
            AccessError::Store(e) => e.is_user_error(),
            _ => true,
        }
    }
}

pub type Result<T, E = AccessError> = std::result::Result<T, E>;
