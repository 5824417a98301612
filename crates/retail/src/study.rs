//! The observatory's questions answered from the store: what the CLI and the server
//! call, so that both give the same answer to the same question.

use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::{Provenance, Store};
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::quote;
use crate::indicators::{Change, Inventory, Observatory, Reference, ShopPoint};
use crate::projects::{ProjectState, ProjectSummary};
use crate::rules::Rules;
use crate::{Register, RetailError, store};

/// The inventory as loaded from the store, with the rules in force and its provenance.
pub struct Loaded {
    /// The register.
    pub register: Register,
    /// The rules (the shipped file).
    pub rules: Rules,
    /// Where it comes from.
    pub provenance: Provenance,
}

/// Loads the inventory stored as `id` (default [`store::DEFAULT_ID`]).
pub fn load(s: &Store, id: Option<&str>) -> Result<Loaded, RetailError> {
    let (register, provenance) = store::load(s, id.unwrap_or(store::DEFAULT_ID))?;
    Ok(Loaded { register, rules: Rules::shipped(), provenance })
}

impl Loaded {
    /// A date asked, or the latest the register speaks of.
    pub fn date(&self, asked: Option<&str>) -> Result<Date, RetailError> {
        match asked {
            Some(d) => parse_date(d),
            None => Ok(store::latest_date(&self.register).unwrap_or_else(Date::today)),
        }
    }
}

fn parse_date(d: &str) -> Result<Date, RetailError> {
    Date::parse(d).ok_or_else(|| RetailError::Usage(format!("date {} : attendue AAAA-MM-JJ", quote(d))))
}

/// A territory at a date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AtDate {
    /// The territory (`epci:200072460`, `per:aire-urbaine-centrale`, a commune's name…).
    pub territory: String,
    /// The date (AAAA-MM-JJ; default: the inventory's latest observation).
    #[serde(default)]
    pub date: Option<String>,
    /// Other territories to compare with, comma separated.
    #[serde(default)]
    pub against: Option<String>,
}

/// The inventory of a territory, with its references' densities and the rules applied.
pub fn inventory(l: &Loaded, r: &Referential, q: &AtDate) -> Result<Inventory, RetailError> {
    let t = r.resolve(&q.territory)?;
    let against = q
        .against
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| r.resolve(s.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut inv = Observatory::new(&l.register, &l.rules, r).inventory(&t, l.date(q.date.as_deref())?, &against)?;
    inv.provenance = Some(l.provenance.clone());
    Ok(inv)
}

/// A territory between two dates.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Between {
    /// The territory.
    pub territory: String,
    /// From (AAAA-MM-JJ).
    pub from: String,
    /// To (AAAA-MM-JJ; default: the inventory's latest observation).
    #[serde(default)]
    pub to: Option<String>,
}

/// Openings, extensions and closures of a territory between two dates.
pub fn change(l: &Loaded, r: &Referential, q: &Between) -> Result<Change, RetailError> {
    let t = r.resolve(&q.territory)?;
    let mut c =
        Observatory::new(&l.register, &l.rules, r).change(&t, parse_date(&q.from)?, l.date(q.to.as_deref())?)?;
    c.provenance = Some(l.provenance.clone());
    Ok(c)
}

/// The projects of a territory at a date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailProjects)]
pub struct Projects {
    /// The territory.
    pub territory: String,
    /// Its name.
    pub name: String,
    /// The date.
    #[schema(value_type = String)]
    pub date: Date,
    /// Authorised not opened, approval rates…
    pub summary: ProjectSummary,
    /// Each project as it stands.
    pub projects: Vec<ProjectState>,
    /// The rules applied.
    pub rules: String,
    /// Where the figures come from.
    pub provenance: Provenance,
}

/// Where the projects of a territory stand at a date.
pub fn projects(l: &Loaded, r: &Referential, q: &AtDate) -> Result<Projects, RetailError> {
    let t = r.resolve(&q.territory)?;
    let date = l.date(q.date.as_deref())?;
    let list = Observatory::new(&l.register, &l.rules, r).projects(&t, date)?;
    Ok(Projects {
        territory: t.key(),
        name: r.name(&t).unwrap_or(&t.code).to_string(),
        date,
        summary: crate::projects::summary(&list),
        projects: list,
        rules: l.rules.text.clone(),
        provenance: l.provenance.clone(),
    })
}

/// The shops of a territory at a date, for a map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailShops)]
pub struct Shops {
    /// The territory.
    pub territory: String,
    /// The date.
    #[schema(value_type = String)]
    pub date: Date,
    /// The counted shops.
    pub shops: Vec<ShopPoint>,
    /// Where the figures come from.
    pub provenance: Provenance,
}

/// The counted shops of a territory, placed (geocoded, or at their commune's centre).
pub fn shops(l: &Loaded, r: &Referential, q: &AtDate) -> Result<Shops, RetailError> {
    let t = r.resolve(&q.territory)?;
    let date = l.date(q.date.as_deref())?;
    let shops = Observatory::new(&l.register, &l.rules, r).shops(&t, date)?;
    Ok(Shops { territory: t.key(), date, shops, provenance: l.provenance.clone() })
}

/// Every territory of a layer within another, at a date.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LayerAt {
    /// The layer (`com`, `epci`, `arr`, `dep`).
    #[param(value_type = echelle_referential::Layer)]
    pub layer: String,
    /// Lying within this territory.
    pub within: String,
    /// The date (default: the inventory's latest observation).
    #[serde(default)]
    pub date: Option<String>,
}

/// Densities of territories.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailDensities)]
pub struct Densities {
    /// The date.
    #[schema(value_type = String)]
    pub date: Date,
    /// One per territory.
    pub territories: Vec<Reference>,
    /// Where the figures come from.
    pub provenance: Provenance,
}

/// Shops, floor space and density of every territory of a layer within another.
pub fn densities(l: &Loaded, r: &Referential, q: &LayerAt) -> Result<Densities, RetailError> {
    let layer: Layer = q.layer.parse()?;
    let within = r.resolve(&q.within)?;
    let targets: Vec<TerritoryRef> = r.territories_within(layer, Some(&within))?;
    if targets.len() > 5_000 {
        return Err(RetailError::Usage(format!("{} territoires demandés : 5 000 au plus", targets.len())));
    }
    let date = l.date(q.date.as_deref())?;
    let territories = Observatory::new(&l.register, &l.rules, r).densities(&targets, date)?;
    Ok(Densities { date, territories, provenance: l.provenance.clone() })
}
