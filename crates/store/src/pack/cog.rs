//! Reads the official geography as published in npm `@etalab/decoupage-administratif`
//! (INSEE's COG plus the DGCL's EPCI composition).

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

use crate::StoreError;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CogCommune {
    pub code: String,
    pub nom: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub departement: String,
    pub region: String,
    pub arrondissement: Option<String>,
    pub population: Option<u64>,
    /// `metro`, `drom` or `com` (overseas collectivities, outside INSEE's statistical France).
    pub zone: String,
    pub siren: Option<String>,
    #[serde(default)]
    pub anciens_codes: Vec<String>,
    /// For a commune déléguée or associée: the commune actuelle it belongs to.
    pub chef_lieu: Option<String>,
    /// For an arrondissement municipal: its commune.
    pub commune: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CogEpci {
    #[serde(flatten)]
    pub unit: CogUnit,
    #[serde(rename = "type")]
    pub kind: String,
    pub population_municipale: u64,
    pub membres: Vec<CogMember>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CogMember {
    pub code: String,
    pub population_municipale: u64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CogUnit {
    pub code: String,
    pub nom: String,
}

pub(crate) struct Cog {
    pub communes: Vec<CogCommune>,
    pub epci: Vec<CogEpci>,
    pub arrondissements: Vec<CogUnit>,
    pub departements: Vec<CogUnit>,
    pub regions: Vec<CogUnit>,
    /// `@etalab/decoupage-administratif@x.y.z`, read from the package's own manifest.
    pub package: String,
}

impl Cog {
    /// Reads the package's `data/` folder.
    pub fn read(data_dir: &Path) -> Result<Self, StoreError> {
        let version = std::fs::read_to_string(data_dir.join("../package.json"))
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|v| v["version"].as_str().map(str::to_string))
            .unwrap_or_else(|| "unknown version".into());
        let cog = Cog {
            communes: read_json(&data_dir.join("communes.json"))?,
            epci: read_json(&data_dir.join("epci.json"))?,
            arrondissements: read_json(&data_dir.join("arrondissements.json"))?,
            departements: read_json(&data_dir.join("departements.json"))?,
            regions: read_json(&data_dir.join("regions.json"))?,
            package: format!("@etalab/decoupage-administratif@{version}"),
        };
        if !cog.communes.iter().any(|c| c.kind == "commune-actuelle") {
            return Err(StoreError::source(&data_dir.join("communes.json"), "no commune actuelle in the file"));
        }
        Ok(cog)
    }

    /// Commune code -> (EPCI SIREN, the municipal population the DGCL file gives it).
    pub fn epci_of(&self) -> HashMap<&str, (&str, u64)> {
        self.epci
            .iter()
            .flat_map(|e| {
                e.membres.iter().map(move |m| (m.code.as_str(), (e.unit.code.as_str(), m.population_municipale)))
            })
            .collect()
    }

    /// Pairs (code that is no longer a commune actuelle, the commune actuelle holding it).
    pub fn former_codes(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        for c in &self.communes {
            match c.kind.as_str() {
                "commune-actuelle" => {
                    pairs.extend(c.anciens_codes.iter().map(|old| (old.clone(), c.code.clone())));
                }
                "commune-deleguee" | "commune-associee" => {
                    if let Some(parent) = &c.chef_lieu {
                        pairs.push((c.code.clone(), parent.clone()));
                    }
                }
                _ => {}
            }
        }
        pairs.sort();
        pairs.dedup();
        pairs
    }
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> Result<Vec<T>, StoreError> {
    let text = std::fs::read_to_string(path).map_err(|e| StoreError::io(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::source(path, format!("line {}, column {}: {e}", e.line(), e.column())))
}
