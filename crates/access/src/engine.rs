//! Which search finds the nearest facility on a road network: the multi-source
//! Dijkstra ([`crate::search`]) or the network's contraction hierarchy
//! ([`crate::phast`]); both give the same answers, the hierarchy faster. `auto` takes
//! the hierarchy when the stored network has one.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{AccessError, Result};
use crate::graph::Graph;
use crate::network;
use crate::phast::Hierarchy;

/// The engine asked for (`--engine`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EngineChoice {
    /// The hierarchy when the network has one, else the plain search.
    #[default]
    Auto,
    /// The multi-source search on the graph itself.
    Plain,
    /// The contraction hierarchy stored with the network; an error when it has none.
    Hierarchy,
}

impl FromStr for EngineChoice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "auto" => Ok(EngineChoice::Auto),
            "plain" => Ok(EngineChoice::Plain),
            "hierarchy" => Ok(EngineChoice::Hierarchy),
            other => Err(format!("engine '{}': auto, plain or hierarchy", crate::defaults::cut(other))),
        }
    }
}

impl fmt::Display for EngineChoice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            EngineChoice::Auto => "auto",
            EngineChoice::Plain => "plain",
            EngineChoice::Hierarchy => "hierarchy",
        })
    }
}

/// The engine of a run.
#[derive(Default)]
pub enum Engine {
    /// Multi-source Dijkstra on the reversed graph.
    #[default]
    Plain,
    /// The network's partial contraction hierarchy (built for the same graph).
    Hierarchy(Hierarchy),
}

impl Engine {
    /// The engine `choice` resolves to for the stored network `name` (whose graph is
    /// `graph`): `hierarchy` without a stored hierarchy is an error saying how to build it.
    pub fn load(store_root: &Path, name: &str, graph: &Graph, choice: EngineChoice) -> Result<Engine> {
        if choice == EngineChoice::Plain {
            return Ok(Engine::Plain);
        }
        match network::load_hierarchy(store_root, name, graph)? {
            Some(h) => Ok(Engine::Hierarchy(h)),
            None if choice == EngineChoice::Hierarchy => Err(AccessError::Invalid(format!(
                "network '{name}' has no contraction hierarchy: build it with `echelle network contract {name}`"
            ))),
            None => Ok(Engine::Plain),
        }
    }

    /// The hierarchy, when the engine searches one.
    pub fn hierarchy(&self) -> Option<&Hierarchy> {
        match self {
            Engine::Plain => None,
            Engine::Hierarchy(h) => Some(h),
        }
    }

    /// `plain` or `hierarchy`, as timings report it.
    pub fn name(&self) -> &'static str {
        match self {
            Engine::Plain => "plain",
            Engine::Hierarchy(_) => "hierarchy",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choices_parse_and_print() {
        for c in [EngineChoice::Auto, EngineChoice::Plain, EngineChoice::Hierarchy] {
            assert_eq!(c.to_string().parse::<EngineChoice>(), Ok(c));
        }
        let e = "fast".parse::<EngineChoice>().unwrap_err();
        assert!(e.contains("'fast'") && e.contains("auto, plain or hierarchy"), "{e}");
    }

    #[test]
    fn auto_resolves_from_the_stored_network() {
        use crate::graph::Edge;
        use crate::network::NetworkInfo;
        use crate::phast::{Hierarchy, Params};
        let dir = tempfile::tempdir().unwrap();
        let edges = vec![
            Edge { from: 0, to: 1, time_ms: 1000, length_dm: 100 },
            Edge { from: 1, to: 0, time_ms: 1000, length_dm: 100 },
        ];
        let g = Graph::from_edges(vec![3.0, 3.001], vec![50.0, 50.0], vec![1, 2], edges).unwrap();
        let info = NetworkInfo {
            name: "two".into(),
            source: "test".into(),
            kind: "imported-csv".into(),
            synthetic: true,
            profile: "car".into(),
            nodes: 2,
            edges: 2,
            report: None,
            credit: None,
        };
        network::save(dir.path(), &g, &info).unwrap();
        assert_eq!(Engine::load(dir.path(), "two", &g, EngineChoice::Auto).unwrap().name(), "plain");
        let e = Engine::load(dir.path(), "two", &g, EngineChoice::Hierarchy).err().unwrap();
        assert!(e.to_string().contains("echelle network contract two"), "{e}");
        let h = Hierarchy::build(&g, Params { core_share: 0.0, ..Default::default() }).unwrap();
        network::save_hierarchy(dir.path(), "two", &h).unwrap();
        assert_eq!(Engine::load(dir.path(), "two", &g, EngineChoice::Auto).unwrap().name(), "hierarchy");
        assert_eq!(Engine::load(dir.path(), "two", &g, EngineChoice::Plain).unwrap().name(), "plain");
    }
}
