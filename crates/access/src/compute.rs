//! One run of the access engine as the command line and the server ask for it: a
//! [`Mode`] (a stored road network searched by an [`EngineChoice`], or the straight
//! line), the origins of an [`OriginKind`], the facilities by type and a [`Query`].

use std::collections::BTreeMap;
use std::path::Path;

use crate::access::{self, AccessRun, Query};
use crate::engine::{Engine, EngineChoice};
use crate::error::Result;
use crate::method::Method;
use crate::network;
use crate::origin_kind::OriginKind;
use crate::points::Point;
use crate::straight::StraightLine;

/// Where the times come from.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// A network of the store, by name, searched with the engine asked.
    Network {
        /// The network's name in the store.
        name: String,
        /// Plain search or contraction hierarchy.
        engine: EngineChoice,
    },
    /// No road network: straight-line distance × detour at an average speed.
    StraightLine(StraightLine),
}

/// A run and what to tell the user about its origins.
#[derive(Debug, Clone)]
pub struct Computed {
    /// The times and what they were computed on.
    pub run: AccessRun,
    /// Counts, rows left out, weights of the origins (see [`OriginKind::place`]).
    pub notes: Vec<String>,
}

/// Places the origins and finds, for each, the nearest facilities of each type.
pub fn compute(
    store_root: &Path,
    mode: &Mode,
    origins: &OriginKind,
    facilities: BTreeMap<String, Vec<Point>>,
    q: Query,
) -> Result<Computed> {
    match mode {
        Mode::Network { name, engine } => {
            let (graph, info) = network::load(store_root, name)?;
            let placed = origins.place(store_root, Some(&graph))?;
            let engine = Engine::load(store_root, name, &graph, *engine)?;
            let method = Method::road(&info, q.max_snap_m);
            let run = access::on_network(&graph, &engine, method, placed.points, facilities, q);
            Ok(Computed { run, notes: placed.notes })
        }
        Mode::StraightLine(model) => {
            let placed = origins.place(store_root, None)?;
            let run = access::straight_line(*model, placed.points, facilities, q);
            Ok(Computed { run, notes: placed.notes })
        }
    }
}
