use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A scale at which territories are observed.
///
/// Official layers follow INSEE's geography; `Perimeter` holds the study perimeters,
/// which are sets of communes and may overlap each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// The infra-communal census unit (about 2,000 inhabitants).
    Iris,
    /// The commune actuelle, on which everything is observed.
    Commune,
    /// The intercommunality (EPCI à fiscalité propre), coded by its SIREN.
    Epci,
    /// The arrondissement départemental.
    Arrondissement,
    /// The département.
    Departement,
    /// The région.
    Region,
    /// France as a whole (statistical France: métropole and DROM).
    Country,
    /// A study perimeter drawn by analysts (see [`crate::PerimeterDef`]).
    Perimeter,
}

impl Layer {
    /// Every layer, in the order lists and menus show them (commune first).
    pub const ALL: [Layer; 8] = [
        Layer::Commune,
        Layer::Iris,
        Layer::Epci,
        Layer::Arrondissement,
        Layer::Departement,
        Layer::Region,
        Layer::Country,
        Layer::Perimeter,
    ];

    /// The short prefix used in territory references such as `dep:59`.
    pub fn prefix(self) -> &'static str {
        match self {
            Layer::Iris => "iris",
            Layer::Commune => "com",
            Layer::Epci => "epci",
            Layer::Arrondissement => "arr",
            Layer::Departement => "dep",
            Layer::Region => "reg",
            Layer::Country => "fr",
            Layer::Perimeter => "per",
        }
    }

    /// The French label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Layer::Iris => "IRIS",
            Layer::Commune => "commune",
            Layer::Epci => "EPCI",
            Layer::Arrondissement => "arrondissement",
            Layer::Departement => "département",
            Layer::Region => "région",
            Layer::Country => "France",
            Layer::Perimeter => "périmètre d'étude",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.prefix())
    }
}

impl FromStr for Layer {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim().to_ascii_lowercase();
        Ok(match s.as_str() {
            "iris" => Layer::Iris,
            "com" | "commune" | "communes" => Layer::Commune,
            "epci" => Layer::Epci,
            "arr" | "arrondissement" | "arrondissements" => Layer::Arrondissement,
            "dep" | "departement" | "département" | "departements" => Layer::Departement,
            "reg" | "region" | "région" | "regions" => Layer::Region,
            "fr" | "france" | "country" => Layer::Country,
            "per" | "perimeter" | "perimeters" | "perimetre" => Layer::Perimeter,
            _ => return Err(Error::UnknownLayer(s)),
        })
    }
}

/// A layer is written as its prefix (`com`, `epci`…) in JSON and query strings, and
/// read as [`Layer::from_str`] reads it.
impl serde::Serialize for Layer {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.prefix())
    }
}

impl<'de> serde::Deserialize<'de> for Layer {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// In an OpenAPI document: a string, one of the prefixes.
impl utoipa::PartialSchema for Layer {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .enum_values(Some(Layer::ALL.iter().map(|l| l.prefix())))
            .description(Some(
                "A layer of territories: com, iris, epci, arr, dep, reg, fr (France) or per (study perimeters)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Layer {}

#[cfg(test)]
mod serde_tests {
    use super::*;

    #[test]
    fn a_layer_is_its_prefix_in_json() {
        for l in Layer::ALL {
            let text = serde_json::to_string(&l).unwrap();
            assert_eq!(text, format!("\"{}\"", l.prefix()));
            assert_eq!(serde_json::from_str::<Layer>(&text).unwrap(), l);
        }
        assert!(serde_json::from_str::<Layer>("\"nope\"").is_err());
    }
}
