//! Access to services: how long does each inhabitant travel to the nearest school,
//! doctor or France services point (METHODS.md §6, the departmental access plans)?
//!
//! - [`osm`] reads an OpenStreetMap extract into a compact road [`graph`] with a
//!   travel [`profile`] (car or walking), keeping the largest strongly connected
//!   component ([`scc`]); [`network`] keeps it in the store.
//! - [`search`] runs one multi-source search per facility type on raw `u32` node ids
//!   (the engine knows nothing of communes: callers keep their typed world and talk
//!   to it in node ids), with a [`heap`] made for monotone integer keys; [`phast`]
//!   gives the same answer faster on a partial contraction hierarchy kept with the
//!   network.
//! - [`snap`] attaches [`points`] (facilities, origins) to the network and reports
//!   those too far from any road; [`origins`] places communes and 200 m grid cells,
//!   [`iris`] the IRIS from a contour file (IGN CONTOURS-IRIS, GeoJSON) read by
//!   `layers`, the readers of polygon layers with attributes (GeoPackage,
//!   shapefile, GeoJSON; nothing IRIS-specific).
//! - [`access`] puts it together for origins × facility types, on the road network
//!   or, without one, on straight-line distance ([`straight`]); [`diagnostics`] sums
//!   it up per territory and basket of types; [`isochrone`] draws reachable areas.
//! - [`compute`] is the one entry point of the command line and the server: a
//!   [`compute::Mode`] (a stored network with its [`engine`], or the straight line),
//!   origins of an [`origin_kind::OriginKind`], [`facilities`] by type; [`territory`]
//!   sums a run up per territory; [`method`] names the method in every output;
//!   [`tables`] gives the rows of the CSV outputs; [`defaults`] holds every default.

pub mod access;
pub mod compute;
pub mod defaults;
pub mod diagnostics;
pub mod engine;
pub mod error;
pub mod facilities;
pub(crate) mod geodesy;
pub mod graph;
pub mod heap;
pub mod iris;
pub mod isochrone;
pub(crate) mod layers;
pub mod method;
pub mod network;
pub mod npy;
pub mod origin_kind;
pub mod origins;
pub mod osm;
pub mod phast;
pub mod points;
pub mod profile;
pub mod scc;
pub mod search;
pub mod snap;
pub mod straight;
pub mod tables;
pub mod territory;

pub use error::{AccessError, Result};
pub use graph::{Edge, Graph};
pub use profile::Profile;

/// Paths of the shared real data, for tests.
#[cfg(test)]
pub(crate) mod testdata {
    use std::path::PathBuf;

    pub fn shared(file: &str) -> PathBuf {
        let base = std::env::var_os("ECHELLE_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
        base.join("data").join(file)
    }

    pub fn helsinki_pbf() -> PathBuf {
        shared("helsinki-2019.osm.pbf")
    }
}
