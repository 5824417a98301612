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
