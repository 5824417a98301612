//! Indicators of a territory (any layer or perimeter) at a date: shops and floor space
//! by band, category and family, density against the territory's references, change
//! between two dates, floor space away from the commune centres, projects.
//!
//! A shop belongs to a territory through its commune on the date asked (a shop that
//! moves leaves one commune for another). Only shops the rules count are summed; the
//! others are listed by reason of exclusion.

use std::collections::BTreeMap;

use echelle_referential::{Referential, TerritoryRef};
use echelle_store::Provenance;
use serde::Serialize;

use crate::RetailError;
use crate::date::Date;
use crate::inventory::{Index, exclusion};
use crate::projects::{self, ProjectState, ProjectSummary, pct};
use crate::register::{Observation, Register};
use crate::rules::Rules;

/// Shops and floor space of one band, category, family or reason of exclusion.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailFigure)]
pub struct Figure {
    /// Key (`300-999`, `food`, `non_food`, `car`…).
    pub key: String,
    /// French label.
    pub label: String,
    /// Shops.
    pub shops: usize,
    /// Sales area, m².
    pub area: f64,
}

/// A territory the inventory is compared with.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailReference)]
pub struct Reference {
    /// Its key (`dep:62`, `per:aire-urbaine-centrale!outside` for the outside of a perimeter).
    pub territory: String,
    /// Its name.
    pub name: String,
    /// Population (reference pack).
    pub population: u64,
    /// Shops counted.
    pub shops: usize,
    /// Sales area, m².
    pub area: f64,
    /// m² per 1,000 inhabitants.
    pub density: Option<f64>,
    /// Reaches beyond the territory the inventory covers: its figures are partial.
    pub partial: bool,
}

/// Floor space away from the commune centres.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailCentrality)]
pub struct Centrality {
    /// The distance beyond which a shop is away from its commune's centre, m.
    pub threshold_m: f64,
    /// Shops geocoded (the others are placed at their commune's centre and left out here).
    pub geocoded_shops: usize,
    /// Their sales area, m².
    pub geocoded_area: f64,
    /// Area of the geocoded shops farther than the threshold, m².
    pub far_area: f64,
    /// Far area over geocoded area, percent.
    pub far_share_pct: Option<f64>,
}

/// The large-retail inventory of a territory on a date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailInventory)]
pub struct Inventory {
    /// The territory (`epci:200072460`).
    pub territory: String,
    /// Its name.
    pub name: String,
    /// The date.
    #[schema(value_type = String)]
    pub date: Date,
    /// Population (reference pack).
    pub population: u64,
    /// Shops counted.
    pub shops: usize,
    /// Their sales area, m².
    pub area: f64,
    /// m² per 1,000 inhabitants.
    pub density: Option<f64>,
    /// The territory the inventory covers, when said.
    pub coverage: Option<String>,
    /// Reaches beyond that coverage: its figures are partial.
    pub partial: bool,
    /// Food and non-food.
    pub by_family: Vec<Figure>,
    /// By category (counted categories).
    pub by_category: Vec<Figure>,
    /// By size band.
    pub by_band: Vec<Figure>,
    /// Shops liable to TASCOM by area (at or above its threshold).
    pub tascom: Figure,
    /// Open establishments not counted, by reason.
    pub excluded: Vec<Figure>,
    /// Counted shops without coordinates (placed at their commune's centre on maps).
    pub placed_at_commune: usize,
    /// Floor space away from the commune centres.
    pub centrality: Centrality,
    /// Its references (département, région, France; outside a perimeter; the ones asked).
    pub references: Vec<Reference>,
    /// The projects of the territory at the date.
    pub projects: ProjectSummary,
    /// The rules applied (data/retail/rules.toml).
    pub rules: String,
    /// Where the figures come from.
    pub provenance: Option<Provenance>,
}

/// Openings, extensions, closures between two dates.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailChange)]
pub struct Change {
    /// The territory.
    pub territory: String,
    /// Its name.
    pub name: String,
    /// From.
    #[schema(value_type = String)]
    pub from: Date,
    /// To.
    #[schema(value_type = String)]
    pub to: Date,
    /// Shops counted on `from`, and their area.
    pub before: projects::CountArea,
    /// Shops counted on `to`, and their area.
    pub after: projects::CountArea,
    /// Counted on `to`, not on `from`, and not moved in: area on `to`.
    pub openings: projects::CountArea,
    /// Counted on both dates with more area: area added.
    pub extensions: projects::CountArea,
    /// Counted on both dates with less area: area removed (positive).
    pub reductions: projects::CountArea,
    /// Counted on `from`, not on `to`, and not moved out: area on `from`.
    pub closures: projects::CountArea,
    /// Moved in from a commune outside the territory: area on `to`.
    pub moved_in: projects::CountArea,
    /// Moved out to a commune outside the territory: area on `from`.
    pub moved_out: projects::CountArea,
    /// Shops on `to` minus shops on `from`.
    pub net_shops: i64,
    /// Area on `to` minus area on `from`, m²: openings + extensions + moved in −
    /// reductions − closures − moved out.
    pub net_area: f64,
    /// m² per 1,000 inhabitants on both dates (population of the pack, one vintage).
    pub density_before: Option<f64>,
    /// m² per 1,000 inhabitants on `to`.
    pub density_after: Option<f64>,
    /// Where the figures come from.
    pub provenance: Option<Provenance>,
}

/// A shop on the map.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailShopPoint)]
pub struct ShopPoint {
    /// Identifier.
    pub id: String,
    /// Name.
    pub name: String,
    /// Brand.
    pub brand: Option<String>,
    /// Commune code.
    pub commune: String,
    /// Longitude, WGS84.
    pub lon: f64,
    /// Latitude, WGS84.
    pub lat: f64,
    /// Geocoded (`false`: placed at its commune's centre).
    pub geocoded: bool,
    /// Sales area, m².
    pub area: f64,
    /// Category key.
    pub category: String,
    /// `food` or `non_food`.
    pub family: String,
    /// Size band key.
    pub band: String,
    /// Set when the category was guessed: from what.
    pub guessed_from: Option<String>,
    /// Retail park or zone.
    pub zone: Option<String>,
    /// Date of the state shown.
    #[schema(value_type = String)]
    pub observed: Date,
}

/// Rounds to two decimals.
fn r2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn density(area: f64, population: u64) -> Option<f64> {
    (population > 0).then(|| r2(area * 1000.0 / population as f64))
}

/// The register indexed once for many territories and dates.
pub struct Observatory<'a> {
    register: &'a Register,
    rules: &'a Rules,
    r: &'a Referential,
    index: Index<'a>,
    /// The communes of the inventory's coverage, sorted, when it says one.
    coverage: Option<Vec<u32>>,
}

/// A set of communes, as sorted raw indices of the referential.
struct Communes<'r> {
    r: &'r Referential,
    members: Vec<u32>,
}

impl Communes<'_> {
    fn contains(&self, code: &str) -> bool {
        self.r.commune_index(code).is_some_and(|i| self.members.binary_search(&i).is_ok())
    }
}

impl<'a> Observatory<'a> {
    /// Indexes a register.
    pub fn new(register: &'a Register, rules: &'a Rules, r: &'a Referential) -> Observatory<'a> {
        let coverage = register.coverage.as_deref().and_then(|c| r.resolve(c).ok()).and_then(|t| {
            let mut m = r.members(&t).ok()?.into_owned();
            m.sort_unstable();
            Some(m)
        });
        Observatory { register, rules, r, index: Index::new(register), coverage }
    }

    fn communes(&self, t: &TerritoryRef) -> Result<Communes<'a>, RetailError> {
        let mut members = self.r.members(t)?.into_owned();
        members.sort_unstable();
        Ok(Communes { r: self.r, members })
    }

    /// Counted shops of a set of communes on `d`.
    fn counted(&self, c: &Communes<'_>, d: Date) -> Vec<(&'a str, &'a Observation)> {
        self.index
            .open_at(d)
            .into_iter()
            .filter(|(_, o)| c.contains(&o.commune) && exclusion(self.rules, o).is_none())
            .collect()
    }

    /// Whether a set of communes reaches beyond the inventory's coverage.
    fn partial(&self, c: &Communes<'_>) -> bool {
        self.coverage.as_ref().is_some_and(|cov| c.members.iter().any(|m| cov.binary_search(m).is_err()))
    }

    fn reference(&self, key: String, name: String, c: &Communes<'_>, d: Date) -> Reference {
        let shops = self.counted(c, d);
        // A fold from +0.0: an empty sum of floats is -0.0.
        let area: f64 = shops.iter().fold(0.0, |a, (_, o)| a + o.area());
        let population = self.r.population_of(&c.members);
        Reference {
            territory: key,
            name,
            population,
            shops: shops.len(),
            area,
            density: density(area, population),
            partial: self.partial(c),
        }
    }

    /// The states on `d` of the projects of a territory's communes.
    pub fn projects(&self, t: &TerritoryRef, d: Date) -> Result<Vec<ProjectState>, RetailError> {
        let c = self.communes(t)?;
        Ok(self
            .register
            .projects
            .iter()
            .filter(|p| c.contains(&p.commune))
            .filter_map(|p| projects::state(p, self.rules, d))
            .collect())
    }

    /// The inventory of `t` on `d`, compared with its references and `against`.
    pub fn inventory(&self, t: &TerritoryRef, d: Date, against: &[TerritoryRef]) -> Result<Inventory, RetailError> {
        let c = self.communes(t)?;
        let open: Vec<(&str, &Observation)> =
            self.index.open_at(d).into_iter().filter(|(_, o)| c.contains(&o.commune)).collect();
        let mut by_category: BTreeMap<usize, (usize, f64)> = BTreeMap::new();
        let mut by_band: BTreeMap<usize, (usize, f64)> = BTreeMap::new();
        let mut by_family: BTreeMap<String, (usize, f64)> = BTreeMap::new();
        let mut excluded: BTreeMap<String, (String, usize, f64)> = BTreeMap::new();
        let (mut shops, mut area, mut placed) = (0, 0.0, 0);
        let mut tascom = (0, 0.0);
        let mut centre = Centrality {
            threshold_m: self.rules.peripheral_distance_m,
            geocoded_shops: 0,
            geocoded_area: 0.0,
            far_area: 0.0,
            far_share_pct: None,
        };
        for (_, o) in &open {
            let a = o.area();
            if let Some((key, label)) = exclusion(self.rules, o) {
                let e = excluded.entry(key).or_insert((label, 0, 0.0));
                e.1 += 1;
                e.2 += a;
                continue;
            }
            shops += 1;
            area += a;
            let ci = self.rules.categories.iter().position(|k| k.key == o.category).unwrap_or(usize::MAX);
            let e = by_category.entry(ci).or_default();
            e.0 += 1;
            e.1 += a;
            if let Some(bi) = self.rules.bands.iter().position(|b| a >= b.from && b.to.is_none_or(|to| a < to)) {
                let e = by_band.entry(bi).or_default();
                e.0 += 1;
                e.1 += a;
            }
            let family = self.rules.category(&o.category).map_or("non_food", |k| k.family.as_str());
            let e = by_family.entry(family.to_string()).or_default();
            e.0 += 1;
            e.1 += a;
            if a >= self.rules.tascom_threshold {
                tascom.0 += 1;
                tascom.1 += a;
            }
            match o.distance_from_centre() {
                Some(dist) if o.position.is_some() => {
                    centre.geocoded_shops += 1;
                    centre.geocoded_area += a;
                    if dist > self.rules.peripheral_distance_m {
                        centre.far_area += a;
                    }
                }
                _ => placed += 1,
            }
        }
        centre.far_share_pct = pct(centre.far_area, centre.geocoded_area);
        let population = self.r.population_of(&c.members);
        let name = self.r.name(t).unwrap_or(&t.code).to_string();
        let mut references = Vec::new();
        if t.layer == echelle_referential::Layer::Perimeter {
            let (label, members) = self.r.outside(t)?;
            references.push(self.reference(format!("{}!outside", t.key()), label, &Communes { r: self.r, members }, d));
        }
        let mut seen = vec![t.clone()];
        for x in self.r.references(t)?.into_iter().chain(against.iter().cloned()) {
            if seen.contains(&x) {
                continue;
            }
            let name = self.r.name(&x).unwrap_or(&x.code).to_string();
            references.push(self.reference(x.key(), name, &self.communes(&x)?, d));
            seen.push(x);
        }
        let states = self.projects(t, d)?;
        let figure = |key: &str, label: &str, (shops, area): (usize, f64)| Figure {
            key: key.into(),
            label: label.into(),
            shops,
            area,
        };
        Ok(Inventory {
            territory: t.key(),
            name,
            date: d,
            population,
            shops,
            area,
            density: density(area, population),
            coverage: self.register.coverage.clone(),
            partial: self.partial(&c),
            by_family: self
                .rules
                .families
                .iter()
                .map(|(k, f)| figure(k, &f.label, by_family.get(k).copied().unwrap_or_default()))
                .collect(),
            by_category: self
                .rules
                .categories
                .iter()
                .enumerate()
                .filter(|(_, k)| !k.excluded)
                .map(|(i, k)| figure(&k.key, &k.label, by_category.get(&i).copied().unwrap_or_default()))
                .collect(),
            by_band: self
                .rules
                .bands
                .iter()
                .enumerate()
                .map(|(i, b)| figure(&b.key, &b.label, by_band.get(&i).copied().unwrap_or_default()))
                .collect(),
            tascom: figure("tascom", &format!("{} m² et plus (TASCOM)", self.rules.tascom_threshold), tascom),
            excluded: excluded.into_iter().map(|(k, (label, n, a))| figure(&k, &label, (n, a))).collect(),
            placed_at_commune: placed,
            centrality: centre,
            references,
            projects: projects::summary(&states),
            rules: self.rules.text.clone(),
            provenance: None,
        })
    }

    /// The change of `t` between `from` and `to`.
    pub fn change(&self, t: &TerritoryRef, from: Date, to: Date) -> Result<Change, RetailError> {
        if to < from {
            return Err(RetailError::Usage(format!("la date de fin ({to}) précède la date de début ({from})")));
        }
        let c = self.communes(t)?;
        let counted = |d: Date| -> BTreeMap<&str, &Observation> {
            self.index.open_at(d).into_iter().filter(|(_, o)| exclusion(self.rules, o).is_none()).collect()
        };
        let (a, b) = (counted(from), counted(to));
        let mut ch = Change {
            territory: t.key(),
            name: self.r.name(t).unwrap_or(&t.code).to_string(),
            from,
            to,
            before: Default::default(),
            after: Default::default(),
            openings: Default::default(),
            extensions: Default::default(),
            reductions: Default::default(),
            closures: Default::default(),
            moved_in: Default::default(),
            moved_out: Default::default(),
            net_shops: 0,
            net_area: 0.0,
            density_before: None,
            density_after: None,
            provenance: None,
        };
        let add = |x: &mut projects::CountArea, area: f64| {
            x.count += 1;
            x.area += area;
        };
        for (id, o) in &a {
            if !c.contains(&o.commune) {
                continue;
            }
            add(&mut ch.before, o.area());
            match b.get(id) {
                Some(n) if c.contains(&n.commune) => {
                    let delta = n.area() - o.area();
                    if delta > 0.0 {
                        add(&mut ch.extensions, delta);
                    } else if delta < 0.0 {
                        add(&mut ch.reductions, -delta);
                    }
                }
                Some(_) => add(&mut ch.moved_out, o.area()),
                None => add(&mut ch.closures, o.area()),
            }
        }
        for (id, n) in &b {
            if !c.contains(&n.commune) {
                continue;
            }
            add(&mut ch.after, n.area());
            match a.get(id) {
                Some(o) if c.contains(&o.commune) => {}
                Some(_) => add(&mut ch.moved_in, n.area()),
                None => add(&mut ch.openings, n.area()),
            }
        }
        ch.net_shops = ch.after.count as i64 - ch.before.count as i64;
        ch.net_area = ch.after.area - ch.before.area;
        let population = self.r.population_of(&c.members);
        ch.density_before = density(ch.before.area, population);
        ch.density_after = density(ch.after.area, population);
        Ok(ch)
    }

    /// The counted shops of `t` on `d`, for a map.
    pub fn shops(&self, t: &TerritoryRef, d: Date) -> Result<Vec<ShopPoint>, RetailError> {
        let c = self.communes(t)?;
        Ok(self
            .counted(&c, d)
            .into_iter()
            .filter_map(|(id, o)| {
                let (lon, lat) = o.position.or(o.centre)?;
                let category = self.rules.category(&o.category);
                Some(ShopPoint {
                    id: id.to_string(),
                    name: o.name.clone(),
                    brand: o.brand.clone(),
                    commune: o.commune.clone(),
                    lon,
                    lat,
                    geocoded: o.position.is_some(),
                    area: o.area(),
                    category: o.category.clone(),
                    family: category.map_or_else(|| "non_food".into(), |k| k.family.clone()),
                    band: self.rules.band(o.area()).map_or_else(String::new, |b| b.key.clone()),
                    guessed_from: o.guessed_from.clone(),
                    zone: o.zone.clone(),
                    observed: o.observed,
                })
            })
            .collect())
    }

    /// Shops, area and density of every territory asked (a choropleth's values).
    pub fn densities(&self, targets: &[TerritoryRef], d: Date) -> Result<Vec<Reference>, RetailError> {
        targets
            .iter()
            .map(|t| Ok(self.reference(t.key(), self.r.name(t).unwrap_or(&t.code).to_string(), &self.communes(t)?, d)))
            .collect()
    }
}
