//! The in-memory referential: communes, official units, sub-communal codes, IRIS and
//! perimeters, with the indices that resolve codes and members.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::perimeter::{PerimeterDef, resolve_members};
use crate::search::SearchIndex;
use crate::{Error, Layer, TerritoryRef};

/// A commune of the current official geography (a "commune actuelle").
#[derive(Debug, Clone, PartialEq)]
pub struct Commune {
    /// The INSEE code (COG), e.g. `59350`; five characters, `2A`/`2B` in Corsica.
    pub code: String,
    /// The official name, with accents and articles (« Le Cateau-Cambrésis »).
    pub name: String,
    /// Code of its département (`59`, `2A`, `971`).
    pub departement: String,
    /// Code of its région (`32` for Hauts-de-France).
    pub region: String,
    /// `None` for the few communes outside any arrondissement (overseas collectivities).
    pub arrondissement: Option<String>,
    /// In INSEE's statistical France (métropole and DROM); the overseas collectivities
    /// (COM: Polynésie, Nouvelle-Calédonie…) are their own départements and régions.
    pub in_france: bool,
    /// SIREN of its EPCI; `None` for the island communes outside any EPCI.
    pub epci: Option<String>,
    /// Municipal population of the reference pack; `None` where INSEE publishes none.
    pub population: Option<u64>,
    /// Municipal population as given in the DGCL's EPCI file (an older vintage);
    /// `None` outside any EPCI.
    pub population_dgcl: Option<u64>,
}

/// A unit of an official layer above the commune (EPCI, arrondissement, département,
/// région), with its member communes.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// The layer it belongs to (never `Commune`, `Iris` or `Perimeter`).
    pub layer: Layer,
    /// Its code in that layer: SIREN for an EPCI, COG code otherwise.
    pub code: String,
    /// Its official name.
    pub name: String,
    /// The legal form where it matters: `CC`, `CA`, `CU`, `METRO` for EPCI.
    pub kind: Option<String>,
    /// Indices into [`Referential::communes`], sorted.
    pub members: Vec<u32>,
}

/// What a code below or beside the commune actuelle is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubCommuneKind {
    /// A former commune kept as a commune déléguée of a commune nouvelle.
    Deleguee,
    /// A former commune kept as a commune associée after a merger (fusion-association).
    Associee,
    /// An arrondissement of Paris, Lyon or Marseille.
    ArrondissementMunicipal,
}

impl SubCommuneKind {
    /// The French label shown in search notes and messages.
    pub fn label(self) -> &'static str {
        match self {
            SubCommuneKind::Deleguee => "commune déléguée",
            SubCommuneKind::Associee => "commune associée",
            SubCommuneKind::ArrondissementMunicipal => "arrondissement municipal",
        }
    }
}

/// A commune déléguée, associée or an arrondissement municipal, attached to the
/// commune actuelle it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct SubCommune {
    /// Its own COG code, distinct from its commune's.
    pub code: String,
    /// Its name, which searches also match.
    pub name: String,
    /// What sort of code it is.
    pub kind: SubCommuneKind,
    /// Code of the commune actuelle it belongs to.
    pub commune: String,
}

/// An IRIS, the infra-communal unit of the census.
#[derive(Debug, Clone, PartialEq)]
pub struct Iris {
    /// The nine-character IRIS code (commune code + four digits).
    pub code: String,
    /// Its name as INSEE publishes it.
    pub name: String,
    /// Index of its commune actuelle in [`Referential::communes`].
    pub commune: u32,
}

/// A study perimeter and the communes its definition resolved to.
#[derive(Debug, Clone, PartialEq)]
pub struct Perimeter {
    /// The definition as written.
    pub def: PerimeterDef,
    /// Indices into [`Referential::communes`], sorted.
    pub members: Vec<u32>,
}

/// The territories of France, held in memory.
#[derive(Debug, Default)]
pub struct Referential {
    communes: Vec<Commune>,
    commune_index: HashMap<String, u32>,
    units: HashMap<Layer, Vec<Unit>>,
    unit_index: HashMap<(Layer, String), usize>,
    sub_communes: Vec<SubCommune>,
    /// Former commune code -> the current communes that took it over.
    former: HashMap<String, Vec<u32>>,
    iris: Vec<Iris>,
    iris_index: HashMap<String, u32>,
    iris_by_commune: Vec<Vec<u32>>,
    perimeters: Vec<Perimeter>,
    search: OnceLock<SearchIndex>,
}

/// The official units above the commune, as read from the reference pack.
#[derive(Debug, Clone)]
pub struct UnitInfo {
    /// The layer of the unit.
    pub layer: Layer,
    /// Its code in that layer.
    pub code: String,
    /// Its official name.
    pub name: String,
    /// The legal form where it matters (`CC`, `CA`, `CU`, `METRO` for EPCI).
    pub kind: Option<String>,
}

impl Referential {
    /// Builds the referential; members of each official unit are derived from the
    /// communes' own attachment fields, so they cannot disagree.
    pub fn new(
        mut communes: Vec<Commune>,
        units: Vec<UnitInfo>,
        sub_communes: Vec<SubCommune>,
        former_codes: Vec<(String, String)>,
        iris: Vec<(String, String, String)>,
    ) -> Result<Self, Error> {
        communes.sort_by(|a, b| a.code.cmp(&b.code));
        let commune_index: HashMap<String, u32> =
            communes.iter().enumerate().map(|(i, c)| (c.code.clone(), i as u32)).collect();
        if commune_index.len() != communes.len() {
            return Err(Error::Invalid("duplicate commune codes in the reference pack".into()));
        }
        let mut by_layer: HashMap<Layer, Vec<Unit>> = HashMap::new();
        for u in units {
            by_layer.entry(u.layer).or_default().push(Unit {
                layer: u.layer,
                code: u.code,
                name: u.name,
                kind: u.kind,
                members: Vec::new(),
            });
        }
        let mut unit_index = HashMap::new();
        for (layer, list) in by_layer.iter_mut() {
            list.sort_by(|a, b| a.code.cmp(&b.code));
            for (i, u) in list.iter().enumerate() {
                unit_index.insert((*layer, u.code.clone()), i);
            }
        }
        for (i, c) in communes.iter().enumerate() {
            let parents = [
                (Layer::Epci, c.epci.as_deref()),
                (Layer::Arrondissement, c.arrondissement.as_deref()),
                (Layer::Departement, Some(c.departement.as_str())),
                (Layer::Region, Some(c.region.as_str())),
            ];
            for (layer, code) in parents {
                let Some(code) = code else { continue };
                let Some(&u) = unit_index.get(&(layer, code.to_string())) else {
                    return Err(Error::Invalid(format!(
                        "commune {} points to unknown {} {code}",
                        c.code,
                        layer.label()
                    )));
                };
                by_layer.get_mut(&layer).expect("indexed")[u].members.push(i as u32);
            }
        }
        let mut former: HashMap<String, Vec<u32>> = HashMap::new();
        for (old, new) in former_codes {
            if let Some(&i) = commune_index.get(&new)
                && old != new
                && !commune_index.contains_key(&old)
            {
                let entry = former.entry(old).or_default();
                if !entry.contains(&i) {
                    entry.push(i);
                }
            }
        }
        let mut iris_list = Vec::with_capacity(iris.len());
        let mut iris_by_commune = vec![Vec::new(); communes.len()];
        for (code, name, commune) in iris {
            let Some(&c) = commune_index.get(&commune) else {
                return Err(Error::Invalid(format!("IRIS {code} points to unknown commune {commune}")));
            };
            iris_by_commune[c as usize].push(iris_list.len() as u32);
            iris_list.push(Iris { code, name, commune: c });
        }
        let iris_index = iris_list.iter().enumerate().map(|(i, x)| (x.code.clone(), i as u32)).collect();
        Ok(Referential {
            communes,
            commune_index,
            units: by_layer,
            unit_index,
            sub_communes,
            former,
            iris: iris_list,
            iris_index,
            iris_by_commune,
            perimeters: Vec::new(),
            search: OnceLock::new(),
        })
    }

    /// Every commune actuelle; other types refer to them by index in this slice.
    pub fn communes(&self) -> &[Commune] {
        &self.communes
    }

    /// The commune actuelle of that code (former codes are not resolved here).
    pub fn commune(&self, code: &str) -> Option<&Commune> {
        self.commune_index.get(code).map(|&i| &self.communes[i as usize])
    }

    /// The index in [`Self::communes`] of the commune of that code.
    pub fn commune_index(&self, code: &str) -> Option<u32> {
        self.commune_index.get(code).copied()
    }

    /// The raw index of an IRIS in [`Self::iris`].
    pub fn iris_position(&self, code: &str) -> Option<u32> {
        self.iris_index.get(code).copied()
    }

    /// Every IRIS, in the order of the reference pack.
    pub fn iris(&self) -> &[Iris] {
        &self.iris
    }

    /// Communes déléguées, associées and arrondissements municipaux.
    pub fn sub_communes(&self) -> &[SubCommune] {
        &self.sub_communes
    }

    /// The current communes that took over a former commune code, if it is one.
    pub fn successors(&self, former_code: &str) -> &[u32] {
        self.former.get(former_code).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Units of an official layer above the commune, sorted by code.
    pub fn units(&self, layer: Layer) -> &[Unit] {
        self.units.get(&layer).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The unit of an official layer above the commune with that code.
    pub fn unit(&self, layer: Layer, code: &str) -> Option<&Unit> {
        let i = *self.unit_index.get(&(layer, code.to_string()))?;
        Some(&self.units[&layer][i])
    }

    /// The study perimeters loaded, in loading order.
    pub fn perimeters(&self) -> &[Perimeter] {
        &self.perimeters
    }

    /// The study perimeter of that id (without the `per:` prefix).
    pub fn perimeter(&self, id: &str) -> Option<&Perimeter> {
        self.perimeters.iter().find(|p| p.def.id == id)
    }

    /// Every territory of a layer, in code order.
    pub fn territories(&self, layer: Layer) -> Vec<TerritoryRef> {
        match layer {
            Layer::Commune => self.communes.iter().map(|c| TerritoryRef::new(layer, &c.code)).collect(),
            Layer::Iris => self.iris.iter().map(|c| TerritoryRef::new(layer, &c.code)).collect(),
            Layer::Country => vec![TerritoryRef::france()],
            Layer::Perimeter => self.perimeters.iter().map(|p| TerritoryRef::new(layer, &p.def.id)).collect(),
            _ => self.units(layer).iter().map(|u| TerritoryRef::new(layer, &u.code)).collect(),
        }
    }

    /// The territories of a layer lying wholly inside `within` (all of them if `None`).
    pub fn territories_within(&self, layer: Layer, within: Option<&TerritoryRef>) -> Result<Vec<TerritoryRef>, Error> {
        let Some(within) = within else { return Ok(self.territories(layer)) };
        let inside = self.members(within)?;
        let is_inside = |c: &u32| inside.binary_search(c).is_ok();
        Ok(self
            .territories(layer)
            .into_iter()
            .filter(|t| match t.layer {
                Layer::Iris => self.iris_index.get(&t.code).is_some_and(|&i| is_inside(&self.iris[i as usize].commune)),
                _ => self.members(t).is_ok_and(|m| m.iter().all(is_inside)),
            })
            .collect())
    }

    /// Whether the territory exists.
    pub fn contains(&self, t: &TerritoryRef) -> bool {
        self.name(t).is_some()
    }

    /// The name of a territory, as published.
    pub fn name(&self, t: &TerritoryRef) -> Option<&str> {
        match t.layer {
            Layer::Commune => self.commune(&t.code).map(|c| c.name.as_str()),
            Layer::Iris => self.iris_index.get(&t.code).map(|&i| self.iris[i as usize].name.as_str()),
            Layer::Country => (t.code == "FR").then_some("France (métropole et DROM)"),
            Layer::Perimeter => self.perimeter(&t.code).map(|p| p.def.name.as_str()),
            layer => self.unit(layer, &t.code).map(|u| u.name.as_str()),
        }
    }

    /// The communes a territory is made of, as sorted indices into [`Self::communes`].
    /// An IRIS is part of one commune and has no member communes.
    pub fn members(&self, t: &TerritoryRef) -> Result<Cow<'_, [u32]>, Error> {
        let found = match t.layer {
            Layer::Commune => self.commune_index(&t.code).map(|i| Cow::Owned(vec![i])),
            Layer::Country => (t.code == "FR").then(|| {
                Cow::Owned((0..self.communes.len() as u32).filter(|&c| self.communes[c as usize].in_france).collect())
            }),
            Layer::Perimeter => self.perimeter(&t.code).map(|p| Cow::Borrowed(p.members.as_slice())),
            Layer::Iris => {
                return Err(Error::Invalid(format!(
                    "{t} is an IRIS, part of a commune: it has no member communes; use IRIS-level data"
                )));
            }
            layer => self.unit(layer, &t.code).map(|u| Cow::Borrowed(u.members.as_slice())),
        };
        found.ok_or_else(|| self.unknown(&t.to_string()))
    }

    /// The IRIS a territory covers, as indices into [`Self::iris`].
    pub fn iris_members(&self, t: &TerritoryRef) -> Result<Vec<u32>, Error> {
        if t.layer == Layer::Iris {
            return match self.iris_index.get(&t.code) {
                Some(&i) => Ok(vec![i]),
                None => Err(self.unknown(&t.to_string())),
            };
        }
        Ok(self.iris_of(&self.members(t)?))
    }

    /// The IRIS of a set of communes.
    pub fn iris_of(&self, communes: &[u32]) -> Vec<u32> {
        communes.iter().flat_map(|&c| self.iris_by_commune[c as usize].iter().copied()).collect()
    }

    /// The population of the pack summed over a set of communes.
    pub fn population_of(&self, communes: &[u32]) -> u64 {
        communes.iter().filter_map(|&c| self.communes[c as usize].population).sum()
    }

    /// The territories a territory is compared with by default: the département and
    /// région holding most of its population, then France.
    pub fn references(&self, t: &TerritoryRef) -> Result<Vec<TerritoryRef>, Error> {
        let mut refs = Vec::new();
        let members: Vec<u32> = match t.layer {
            Layer::Country => return Ok(refs),
            Layer::Iris => {
                let i = self.iris_index.get(&t.code).ok_or_else(|| self.unknown(&t.to_string()))?;
                let c = self.iris[*i as usize].commune;
                refs.push(TerritoryRef::new(Layer::Commune, &self.communes[c as usize].code));
                vec![c]
            }
            _ => self.members(t)?.into_owned(),
        };
        for layer in [Layer::Departement, Layer::Region] {
            if layer <= t.layer && t.layer != Layer::Perimeter {
                continue;
            }
            if let Some(code) = self.main_parent(&members, layer) {
                refs.push(TerritoryRef::new(layer, code));
            }
        }
        refs.push(TerritoryRef::france());
        Ok(refs)
    }

    /// The unit of `layer` holding most of the population of `communes`.
    fn main_parent(&self, communes: &[u32], layer: Layer) -> Option<String> {
        let mut weight: HashMap<&str, (u64, usize)> = HashMap::new();
        for &c in communes {
            let c = &self.communes[c as usize];
            let code = if layer == Layer::Departement { &c.departement } else { &c.region };
            let w = weight.entry(code).or_default();
            w.0 += c.population.unwrap_or(0);
            w.1 += 1;
        }
        weight.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0))).map(|(code, _)| code.to_string())
    }

    /// The communes of the régions a perimeter touches that lie outside it: the
    /// "rest of the région" a perimeter is compared with.
    pub fn outside(&self, t: &TerritoryRef) -> Result<(String, Vec<u32>), Error> {
        let inside = self.members(t)?;
        let mut regions: Vec<&str> = inside.iter().map(|&c| self.communes[c as usize].region.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        let outside = (0..self.communes.len() as u32)
            .filter(|c| {
                regions.contains(&self.communes[*c as usize].region.as_str()) && inside.binary_search(c).is_err()
            })
            .collect();
        let names: Vec<String> =
            regions.iter().map(|r| self.unit(Layer::Region, r).map_or(r.to_string(), |u| u.name.clone())).collect();
        Ok((format!("{} hors {}", names.join(" + "), self.name(t).unwrap_or(&t.code)), outside))
    }

    /// The same territories without the study perimeters of these ids: what someone
    /// who may not see them resolves, searches and lists (their names are not found,
    /// not even as suggestions).
    pub fn without_perimeters(&self, hidden: &std::collections::BTreeSet<String>) -> Referential {
        Referential {
            communes: self.communes.clone(),
            commune_index: self.commune_index.clone(),
            units: self.units.clone(),
            unit_index: self.unit_index.clone(),
            sub_communes: self.sub_communes.clone(),
            former: self.former.clone(),
            iris: self.iris.clone(),
            iris_index: self.iris_index.clone(),
            iris_by_commune: self.iris_by_commune.clone(),
            perimeters: self.perimeters.iter().filter(|p| !hidden.contains(&p.def.id)).cloned().collect(),
            search: OnceLock::new(),
        }
    }

    /// Adds study perimeters, resolving each against the official layers and the
    /// perimeters already known. Definitions may refer to each other in any order;
    /// a cycle, a duplicate or an unknown reference is an error and adds nothing.
    pub fn add_perimeters(&mut self, defs: Vec<PerimeterDef>) -> Result<(), Error> {
        let known = self.perimeters.len();
        let mut batch: Vec<Option<PerimeterDef>> = defs.into_iter().map(Some).collect();
        let result = (0..batch.len()).try_for_each(|i| self.add_in_order(&mut batch, i, &mut Vec::new()));
        if result.is_err() {
            self.perimeters.truncate(known);
        }
        self.reset_search();
        result
    }

    /// Adds `batch[i]` after the perimeters of the batch it refers to.
    fn add_in_order(
        &mut self,
        batch: &mut [Option<PerimeterDef>],
        i: usize,
        path: &mut Vec<String>,
    ) -> Result<(), Error> {
        let Some(def) = batch[i].take() else { return Ok(()) };
        if self.perimeter(&def.id).is_some() {
            return Err(def.error_at(None, format!("perimeter '{}' is defined twice", def.id)));
        }
        path.push(def.id.clone());
        let mut seen = std::collections::HashSet::new();
        for r in def.references() {
            let Some(id) = r.strip_prefix("per:") else { continue };
            if !seen.insert(id) {
                continue;
            }
            if path.iter().any(|p| p == id) {
                return Err(def.error_at(
                    None,
                    format!("perimeters refer to each other in a cycle: {} -> {id}", path.join(" -> ")),
                ));
            }
            if let Some(j) = batch.iter().position(|d| d.as_ref().is_some_and(|d| d.id == id)) {
                self.add_in_order(batch, j, path)?;
            }
        }
        path.pop();
        let members = resolve_members(self, &def)?;
        self.perimeters.push(Perimeter { def, members });
        Ok(())
    }

    /// Resolves what a person typed into a territory: `layer:code`, a bare code, or a
    /// name matching exactly one territory. An input over [`crate::MAX_NAME_CHARS`]
    /// characters is refused.
    pub fn resolve(&self, input: &str) -> Result<TerritoryRef, Error> {
        let input = input.trim();
        check_length(input)?;
        if let Some((prefix, code)) = input.split_once(':') {
            let layer: crate::Layer = prefix.parse()?;
            let t = TerritoryRef::new(layer, code.trim());
            let t = if layer == Layer::Country { TerritoryRef::france() } else { t };
            return if self.contains(&t) { Ok(t) } else { Err(self.unknown(input)) };
        }
        if matches!(crate::fold(input).as_str(), "fr" | "france") {
            return Ok(TerritoryRef::france());
        }
        let upper = input.to_uppercase();
        let mut found = self.by_code(input);
        if found.len() > 1 {
            return Err(Error::Ambiguous {
                input: input.into(),
                candidates: found.iter().map(|t| self.describe(t)).collect(),
            });
        }
        if let Some(t) = found.pop() {
            return Ok(t);
        }
        if let Some(successors) = self.former.get(&upper) {
            let names: Vec<String> = successors
                .iter()
                .map(|&c| self.describe(&TerritoryRef::new(Layer::Commune, &self.communes[c as usize].code)))
                .collect();
            return Err(Error::FormerCode { input: input.into(), detail: format!("now part of {}", names.join(", ")) });
        }
        let mut exact = self.search_index().exact(input, 50);
        // "Béthune" is a commune and the arrondissement named after it: people mean the commune.
        if exact.iter().filter(|m| m.territory.layer == Layer::Commune).count() == 1 {
            exact.retain(|m| m.territory.layer == Layer::Commune);
        }
        match exact.as_slice() {
            [one] => Ok(one.territory.clone()),
            [] => Err(self.unknown(input)),
            many => Err(Error::Ambiguous {
                input: input.into(),
                candidates: many.iter().take(8).map(|m| self.describe(&m.territory)).collect(),
            }),
        }
    }

    /// Every territory whose code is `code`, in any layer (`971` is a département and
    /// may be a code of another layer too).
    pub fn by_code(&self, code: &str) -> Vec<TerritoryRef> {
        let upper = code.trim().to_uppercase();
        [Layer::Commune, Layer::Epci, Layer::Iris, Layer::Arrondissement, Layer::Departement, Layer::Region]
            .into_iter()
            .map(|l| TerritoryRef::new(l, &upper))
            .chain(std::iter::once(TerritoryRef::new(Layer::Perimeter, code.trim())))
            .filter(|t| self.contains(t))
            .collect()
    }

    /// `com:62119 (Béthune)`: how a territory is shown in messages.
    pub fn describe(&self, t: &TerritoryRef) -> String {
        match self.name(t) {
            Some(name) => format!("{t} ({name})"),
            None => t.to_string(),
        }
    }

    /// Finds territories by name or code, best matches first. A query over
    /// [`crate::MAX_NAME_CHARS`] characters finds nothing.
    pub fn find(&self, query: &str, limit: usize) -> Vec<crate::Match> {
        if check_length(query.trim()).is_err() {
            return Vec::new();
        }
        self.search_index().find(self, query, limit)
    }

    fn search_index(&self) -> &SearchIndex {
        self.search.get_or_init(|| SearchIndex::build(self))
    }

    /// The error for an input that names nothing, with the nearest names or codes
    /// (none for an input too long to be compared at a bounded cost).
    fn unknown(&self, input: &str) -> Error {
        let suggestions = if check_length(input).is_ok() {
            self.search_index().suggest(self, input).iter().map(|t| self.describe(t)).collect()
        } else {
            Vec::new()
        };
        Error::UnknownTerritory { input: input.into(), suggestions }
    }

    /// Rebuilt lazily after perimeters change, so that they can be found by name.
    pub(crate) fn reset_search(&mut self) {
        self.search = OnceLock::new();
    }
}

/// Refuses an input longer than [`crate::MAX_NAME_CHARS`] characters.
fn check_length(input: &str) -> Result<(), Error> {
    let chars = input.chars().count();
    if chars > crate::MAX_NAME_CHARS {
        return Err(Error::TooLong { what: "a territory name or key", chars, max: crate::MAX_NAME_CHARS });
    }
    Ok(())
}
