//! The integration tests of echelle-server, one binary (one link of the crate's dependencies).

mod access;
mod api;
mod export;
mod flows;
mod headers;
mod ogc;
mod shapes;
mod static_files;
mod values;

/// A library value as a client reads it from the server: written to JSON text and
/// parsed back, with the same float parsing as the answer it is compared with.
pub fn as_sent(value: &impl serde::Serialize) -> serde_json::Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}
