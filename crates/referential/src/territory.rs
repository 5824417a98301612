use std::fmt;

use crate::Layer;

/// A territory named by its layer and its code, written `layer:code` (`dep:2A`,
/// `epci:200093201`, `per:bassin-minier`, `fr`).
///
/// Codes are strings: `01001` keeps its zero and Corsica has letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TerritoryRef {
    /// The layer, written as the prefix (`dep` in `dep:59`).
    pub layer: Layer,
    /// The code within that layer, as the referential stores it.
    pub code: String,
}

impl TerritoryRef {
    /// A reference from its parts, without checking that the territory exists.
    pub fn new(layer: Layer, code: impl Into<String>) -> Self {
        TerritoryRef { layer, code: code.into() }
    }

    /// The whole country, the reference of every comparison.
    pub fn france() -> Self {
        TerritoryRef::new(Layer::Country, "FR")
    }

    /// The key used in tables and URLs: `dep:59`, or `fr` for France.
    pub fn key(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for TerritoryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.layer {
            Layer::Country => f.write_str("fr"),
            layer => write!(f, "{}:{}", layer.prefix(), self.code),
        }
    }
}
