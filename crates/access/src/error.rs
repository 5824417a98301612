//! The errors of the access engine: each says what was wrong and with which file, so
//! that the command line can tell a user's mistake (exit 2) from a machine failure.

use std::path::{Path, PathBuf};

/// Why an access computation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// A file that cannot be read or written: a machine failure.
    #[error("{path}: {source}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The file is not an OpenStreetMap PBF extract, or is damaged (truncated…).
    #[error("{path}: not a readable OpenStreetMap PBF file: {message}")]
    NotPbf {
        /// The extract as given.
        path: PathBuf,
        /// What the PBF reader said.
        message: String,
    },
    /// The extract holds no road the profile can use.
    #[error("{path}: no {profile} road found in this extract (is it empty, or outside the profile?)")]
    NoRoads {
        /// The extract as given.
        path: PathBuf,
        /// The profile's name.
        profile: String,
    },
    /// A profile file that does not parse or names a key echelle does not know.
    #[error("profile {origin}: {message}")]
    Profile {
        /// The profile file, as named in messages.
        origin: String,
        /// What is wrong in it.
        message: String,
    },
    /// A stored network file that is damaged or of another format.
    #[error("{path}: not a valid echelle network file: {message}")]
    BadNetwork {
        /// The stored file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// No network of that name in the store.
    #[error("no network '{name}' in the store (build one with `echelle network build FILE.osm.pbf`); known: {known}")]
    UnknownNetwork {
        /// The name asked.
        name: String,
        /// The store's networks, comma-separated.
        known: String,
    },
    /// A point file (facilities, origins) that cannot be read.
    #[error("{path}: {message}")]
    Points {
        /// The file as given.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A basket file that cannot be read.
    #[error("basket {origin}: {message}")]
    Basket {
        /// The basket file.
        origin: String,
        /// What is wrong in it.
        message: String,
    },
    /// Parameters that make no sense (negative speed, empty facility set…).
    #[error("{0}")]
    Invalid(String),
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] echelle_store::StoreError),
    /// A territory or layer the referential does not know.
    #[error(transparent)]
    Referential(#[from] echelle_referential::Error),
}

impl AccessError {
    /// An I/O failure on `path`, for `map_err`.
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

/// The result of every fallible function of the crate.
pub type Result<T, E = AccessError> = std::result::Result<T, E>;
