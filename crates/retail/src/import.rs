//! Reading partners' files of establishments and projects through a mapping file
//! that names the source column of each field. Every row is checked and every
//! problem reported together (a report of every rejected row and why); the register
//! is returned only when there is none, and the store write is one atomic step
//! ([`crate::store::save`]).
//!
//! ```toml
//! source = "CCI Grand Lille"          # the observations' source when no column gives it
//! [establishments]                    # one row per observation of an establishment
//! sheet = "Etablissements"            # in a workbook
//! columns = { id = "SIRET", name = "Enseigne", commune = "Code commune", area_indoor = "Surface", … }
//! [projects]                          # optional: one row per event of a project
//! columns = { project = "N° dossier", date = "Date", event = "Étape", decision = "Avis", … }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use echelle_referential::Referential;
use serde::Deserialize;

use crate::RetailError;
use crate::brands::Brands;
use crate::date::Date;
use crate::error::{Problem, quote};
use crate::register::*;
use crate::rules::Rules;
use crate::table::{Sheet, read_csv, read_sheet};

/// The mapping file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    /// The observations' source when no column gives it.
    #[serde(default)]
    pub source: Option<String>,
    /// The establishments' table.
    pub establishments: TableMapping,
    /// The projects' events, if any.
    #[serde(default)]
    pub projects: Option<TableMapping>,
}

/// One table's mapping.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableMapping {
    /// The sheet, in a workbook.
    #[serde(default)]
    pub sheet: Option<String>,
    /// Field -> source column header.
    pub columns: BTreeMap<String, String>,
}

const ESTABLISHMENT_FIELDS: &[(&str, bool)] = &[
    ("id", true),
    ("siret", false),
    ("name", true),
    ("brand", false),
    ("address", false),
    ("commune", false),
    ("lon", false),
    ("lat", false),
    ("area_indoor", false),
    ("area_outdoor", false),
    ("area", false),
    ("category", false),
    ("naf", false),
    ("zone", false),
    ("in_mall", false),
    ("opened", false),
    ("closed", false),
    ("observed", true),
    ("source", false),
];

const PROJECT_FIELDS: &[(&str, bool)] = &[
    ("project", true),
    ("establishment", false),
    ("name", false),
    ("commune", true),
    ("nature", false),
    ("area_requested", false),
    ("artificialises", false),
    ("zone", false),
    ("date", true),
    ("event", true),
    ("decision", false),
    ("votes_for", false),
    ("votes_against", false),
    ("votes_abstaining", false),
    ("area", false),
];

impl Mapping {
    /// Reads a mapping file's text.
    pub fn parse(origin: &str, text: &str) -> Result<Mapping, RetailError> {
        let m: Mapping =
            toml::from_str(text).map_err(|e| RetailError::File { path: origin.into(), message: e.to_string() })?;
        let mut problems = Vec::new();
        let tables = [
            ("etablissements", Some(&m.establishments), ESTABLISHMENT_FIELDS),
            ("projets", m.projects.as_ref(), PROJECT_FIELDS),
        ];
        let mut problem = |name: &str, field: &str, message: String| {
            problems.push(Problem { table: format!("{origin} [{name}]"), line: 0, field: field.into(), message })
        };
        for (name, t, fields) in tables {
            let Some(t) = t else { continue };
            for (f, required) in fields {
                if *required && !t.columns.contains_key(*f) {
                    problem(name, f, "champ obligatoire non associé à une colonne".into());
                }
            }
            for f in t.columns.keys() {
                if !fields.iter().any(|(k, _)| k == f) {
                    let expected: Vec<&str> = fields.iter().map(|(k, _)| *k).collect();
                    problem(name, f, format!("champ inconnu (attendus : {})", expected.join(", ")));
                }
            }
        }
        let c = &m.establishments.columns;
        if !c.contains_key("area_indoor") && !c.contains_key("area") {
            problem("etablissements", "area_indoor", "associez une colonne de surface (area_indoor ou area)".into());
        }
        let located = c.contains_key("lon") && c.contains_key("lat");
        if !c.contains_key("commune") && !located {
            problem("etablissements", "commune", "associez la commune, ou les coordonnées lon et lat".into());
        }
        if problems.is_empty() { Ok(m) } else { Err(RetailError::Invalid(problems)) }
    }
}

/// Where the tables are.
pub enum Sources<'a> {
    /// One workbook holding the sheets.
    Workbook(&'a Path),
    /// One CSV file per table.
    Csv {
        /// The establishments' observations.
        establishments: &'a Path,
        /// The projects' events.
        projects: Option<&'a Path>,
    },
}

/// Where communes are: their centres, and the commune of a point.
pub trait Places {
    /// The centre of a commune (WGS84 longitude, latitude).
    fn centre(&self, commune: &str) -> Option<(f64, f64)>;
    /// The commune holding a point, when known.
    fn locate(&self, lon: f64, lat: f64) -> Option<String>;
}

/// Centres alone (no point location).
impl Places for HashMap<String, (f64, f64)> {
    fn centre(&self, commune: &str) -> Option<(f64, f64)> {
        self.get(commune).copied()
    }
    fn locate(&self, _: f64, _: f64) -> Option<String> {
        None
    }
}

/// What an import needs besides the files.
pub struct Context<'a> {
    /// Communes known.
    pub referential: &'a Referential,
    /// The observatory's rules.
    pub rules: &'a Rules,
    /// The brand index, to guess missing categories.
    pub brands: Option<&'a Brands>,
    /// Commune centres and point location.
    pub places: &'a dyn Places,
    /// Dates after this are refused.
    pub today: Date,
}

/// Reads and checks the files; `existing` is the register already stored when the
/// files add to it (identifiers and dates are then checked against it too).
pub fn read(
    sources: &Sources<'_>,
    mapping: &Mapping,
    cx: &Context<'_>,
    existing: Option<&Register>,
) -> Result<Register, RetailError> {
    let (e, p) = match sources {
        Sources::Workbook(path) => (
            read_sheet(path, mapping.establishments.sheet.as_deref(), "etablissements")?,
            match &mapping.projects {
                Some(m) => Some(read_sheet(path, m.sheet.as_deref(), "projets")?),
                None => None,
            },
        ),
        Sources::Csv { establishments, projects } => (
            read_csv(establishments, "etablissements")?,
            match projects {
                Some(path) => Some(read_csv(path, "projets")?),
                None => None,
            },
        ),
    };
    if p.is_some() && mapping.projects.is_none() {
        return Err(RetailError::Usage(
            "un fichier de projets est donné sans section [projects] dans la correspondance".into(),
        ));
    }
    let mut parser = Parser { problems: Vec::new(), cx, default_source: mapping.source.clone() };
    let mut reg = existing.cloned().unwrap_or_default();
    let observations = parser.observations(&e, &mapping.establishments, &reg);
    reg.observations.extend(observations);
    if let (Some(sheet), Some(m)) = (&p, &mapping.projects) {
        reg.projects = parser.projects(sheet, m, &reg);
    }
    if parser.problems.is_empty() {
        Ok(reg)
    } else {
        parser.problems.sort_by(|a, b| (&a.table, a.line).cmp(&(&b.table, b.line)));
        Err(RetailError::Invalid(parser.problems))
    }
}

struct Parser<'a> {
    problems: Vec<Problem>,
    cx: &'a Context<'a>,
    default_source: Option<String>,
}

/// One row's fields by name.
struct Fields<'a> {
    sheet: &'a str,
    line: u64,
    values: HashMap<&'a str, &'a str>,
}

impl<'a> Fields<'a> {
    fn get(&self, f: &str) -> Option<&'a str> {
        self.values.get(f).map(|v| v.trim()).filter(|v| !v.is_empty())
    }
}

impl Parser<'_> {
    fn problem(&mut self, row: &Fields<'_>, field: &str, message: String) {
        self.problems.push(Problem { table: row.sheet.into(), line: row.line, field: field.into(), message });
    }

    fn rows<'s>(&mut self, sheet: &'s Sheet, m: &'s TableMapping) -> Vec<Fields<'s>> {
        let mut cols = Vec::new();
        for (field, header) in &m.columns {
            match sheet.header.iter().position(|h| echelle_referential::fold(h) == echelle_referential::fold(header)) {
                Some(i) => cols.push((field.as_str(), i)),
                None => self.problems.push(Problem {
                    table: sheet.name.clone(),
                    line: 1,
                    field: field.clone(),
                    message: format!("colonne {} absente de l'en-tête", quote(header)),
                }),
            }
        }
        sheet
            .rows
            .iter()
            .map(|(line, fields)| Fields {
                sheet: &sheet.name,
                line: *line,
                values: cols.iter().map(|(f, i)| (*f, fields.get(*i).map_or("", String::as_str))).collect(),
            })
            .collect()
    }

    fn required<'v>(&mut self, row: &Fields<'v>, f: &str) -> Option<&'v str> {
        let v = row.get(f);
        if v.is_none() {
            self.problem(row, f, "valeur manquante".into());
        }
        v
    }

    /// A number, at least zero (`1 234,5`, `1234.5`, `1 200 m²`).
    fn area(&mut self, row: &Fields<'_>, f: &str) -> Option<f64> {
        let v = row.get(f)?;
        let cleaned: String = v
            .trim_end_matches("m²")
            .trim_end_matches("m2")
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{202f}')
            .collect();
        match echelle_import::decimal::parse_f64(&cleaned) {
            Ok(x) if x < 0.0 => {
                self.problem(row, f, format!("surface négative {}", quote(v)));
                None
            }
            Ok(x) if x.is_finite() && x < 1e7 => Some(x),
            _ => {
                self.problem(row, f, format!("{} n'est pas une surface en m²", quote(v)));
                None
            }
        }
    }

    fn count(&mut self, row: &Fields<'_>, f: &str) -> Option<u32> {
        let v = row.get(f)?;
        let x = v.parse::<u32>().ok();
        if x.is_none() {
            self.problem(row, f, format!("{} : nombre de voix entier attendu", quote(v)));
        }
        x
    }

    fn date(&mut self, row: &Fields<'_>, f: &str, required: bool) -> Option<Date> {
        let v = if required { self.required(row, f)? } else { row.get(f)? };
        match Date::parse(v) {
            None => {
                self.problem(row, f, format!("{} n'est pas une date (AAAA-MM-JJ ou JJ/MM/AAAA)", quote(v)));
                None
            }
            Some(d) if d > self.cx.today => {
                self.problem(row, f, format!("date dans le futur ({d}, après le {})", self.cx.today));
                None
            }
            Some(d) => Some(d),
        }
    }

    fn flag(&mut self, row: &Fields<'_>, f: &str) -> bool {
        match row.get(f).map(echelle_referential::fold).as_deref() {
            None | Some("non" | "no" | "false" | "faux" | "0" | "n") => false,
            Some("oui" | "yes" | "true" | "vrai" | "1" | "x" | "o") => true,
            Some(_) => {
                let v = row.get(f).unwrap_or("");
                self.problem(row, f, format!("{} : attendu oui ou non", quote(v)));
                false
            }
        }
    }

    fn commune(&mut self, row: &Fields<'_>, f: &str) -> Option<String> {
        let code = row.get(f)?;
        let code = code.strip_prefix("com:").unwrap_or(code);
        if self.cx.referential.commune(code).is_none() {
            self.problem(row, f, format!("commune inconnue du référentiel : {}", quote(code)));
            return None;
        }
        Some(code.to_string())
    }

    fn position(&mut self, row: &Fields<'_>) -> Option<(f64, f64)> {
        let (lon, lat) = (row.get("lon"), row.get("lat"));
        let (lon_s, lat_s) = match (lon, lat) {
            (None, None) => return None,
            (Some(x), Some(y)) => (x, y),
            _ => {
                self.problem(row, "lon", "coordonnées incomplètes : donnez lon et lat".into());
                return None;
            }
        };
        match (echelle_import::decimal::parse_f64(lon_s), echelle_import::decimal::parse_f64(lat_s)) {
            (Ok(x), Ok(y)) if (-180.0..=180.0).contains(&x) && (-90.0..=90.0).contains(&y) => Some((x, y)),
            _ => {
                self.problem(
                    row,
                    "lon",
                    format!("coordonnées {} {} : longitude et latitude WGS84 attendues", quote(lon_s), quote(lat_s)),
                );
                None
            }
        }
    }

    fn observations(&mut self, sheet: &Sheet, m: &TableMapping, existing: &Register) -> Vec<Observation> {
        let rows = self.rows(sheet, m);
        let mut seen: HashMap<(String, Date), String> = existing
            .observations
            .iter()
            .map(|o| ((o.establishment.clone(), o.observed), "dans l'inventaire déjà importé".to_string()))
            .collect();
        let mut out: Vec<(u64, Observation)> = Vec::new();
        for row in &rows {
            let id = self.required(row, "id").map(|s| s.replace(' ', ""));
            let name = self.required(row, "name").map(str::to_string);
            let observed = self.date(row, "observed", true);
            let opened = self.date(row, "opened", false);
            let closed = self.date(row, "closed", false);
            if let (Some(o), Some(c)) = (opened, closed)
                && c < o
            {
                self.problem(row, "closed", format!("fermeture ({c}) avant l'ouverture ({o})"));
            }
            let position = self.position(row);
            let commune = match row.get("commune") {
                Some(_) => self.commune(row, "commune"),
                None => match position {
                    Some((x, y)) => {
                        let found = self.cx.places.locate(x, y);
                        if found.is_none() {
                            self.problem(
                                row,
                                "commune",
                                "commune manquante et coordonnées hors de toute commune".into(),
                            );
                        }
                        found
                    }
                    None => {
                        self.problem(row, "commune", "commune manquante (ni code ni coordonnées)".into());
                        None
                    }
                },
            };
            let (indoor, outdoor) = if row.get("area_indoor").is_some() || row.get("area").is_none() {
                let indoor = self.area(row, "area_indoor");
                if indoor.is_none() && row.get("area_indoor").is_none() {
                    self.problem(row, "area_indoor", "surface de vente manquante".into());
                }
                (indoor, self.area(row, "area_outdoor").or(Some(0.0)))
            } else {
                (self.area(row, "area"), Some(0.0))
            };
            let brand = row.get("brand").map(str::to_string);
            let category = match row.get("category") {
                Some(c) => match self.cx.rules.category_of(c) {
                    Some(k) => Some((k.key.clone(), None)),
                    None => {
                        let known: Vec<&str> = self.cx.rules.categories.iter().map(|k| k.label.as_str()).collect();
                        self.problem(
                            row,
                            "category",
                            format!("catégorie inconnue {} (attendues : {})", quote(c), known.join(", ")),
                        );
                        None
                    }
                },
                None => {
                    let guess = brand.as_deref().zip(self.cx.brands).and_then(|(b, idx)| idx.guess(b, self.cx.rules));
                    match guess {
                        Some(g) => Some((g.category, Some(g.from))),
                        None => {
                            self.problem(
                                row,
                                "category",
                                match (&brand, self.cx.brands) {
                                    (Some(b), Some(_)) => format!(
                                        "catégorie manquante, et l'enseigne {} est inconnue de name-suggestion-index",
                                        quote(b)
                                    ),
                                    (Some(_), None) => {
                                        "catégorie manquante (donnez l'index des enseignes pour la deviner)".into()
                                    }
                                    (None, _) => "catégorie manquante et pas d'enseigne".into(),
                                },
                            );
                            None
                        }
                    }
                }
            };
            let source = row.get("source").map(str::to_string).or_else(|| self.default_source.clone());
            let in_mall = self.flag(row, "in_mall");
            let (
                Some(id),
                Some(name),
                Some(observed),
                Some(commune),
                Some(indoor),
                Some(outdoor),
                Some((category, guessed_from)),
            ) = (id, name, observed, commune, indoor, outdoor, category)
            else {
                continue;
            };
            if let Some(first) = seen.get(&(id.clone(), observed)) {
                self.problem(
                    row,
                    "id",
                    format!("identifiant en double : {} déjà observé le {observed} {first}", quote(&id)),
                );
                continue;
            }
            seen.insert((id.clone(), observed), format!("à la ligne {}", row.line));
            out.push((
                row.line,
                Observation {
                    establishment: id,
                    observed,
                    source: source.unwrap_or_default(),
                    siret: row.get("siret").map(|s| s.replace(' ', "")),
                    name,
                    brand,
                    address: row.get("address").map(str::to_string),
                    centre: self.cx.places.centre(&commune),
                    commune,
                    position,
                    area_indoor: indoor,
                    area_outdoor: outdoor,
                    category,
                    guessed_from,
                    naf: row.get("naf").map(str::to_string),
                    zone: row.get("zone").map(str::to_string),
                    in_mall,
                    opened,
                    closed,
                },
            ));
        }
        // Across an establishment's observations: a closing before its opening (the
        // earliest opening date given, else its first observation).
        let mut span: HashMap<&str, (Option<Date>, Date, Option<Date>)> = HashMap::new();
        for o in existing.observations.iter().chain(out.iter().map(|(_, o)| o)) {
            let s = span.entry(o.establishment.as_str()).or_insert((None, o.observed, None));
            s.0 = s.0.into_iter().chain(o.opened).min();
            s.1 = s.1.min(o.observed);
            s.2 = s.2.into_iter().chain(o.closed).min();
        }
        let mut late = Vec::new();
        for (line, o) in &out {
            let Some(&(opened, first, Some(cl))) = span.get(o.establishment.as_str()) else { continue };
            let op = opened.unwrap_or(first);
            let own = matches!((o.opened, o.closed), (Some(a), Some(b)) if b < a);
            if cl < op && o.closed == Some(cl) && !own {
                let id = quote(&o.establishment);
                let message = if opened.is_some() {
                    format!("fermeture ({cl}) avant l'ouverture ({op}) de l'établissement {id}")
                } else {
                    format!("fermeture ({cl}) avant le {op}, où l'établissement {id} est observé ouvert")
                };
                late.push(Problem { table: sheet.name.clone(), line: *line, field: "closed".into(), message });
            }
        }
        self.problems.extend(late);
        out.into_iter().map(|(_, o)| o).collect()
    }

    fn projects(&mut self, sheet: &Sheet, m: &TableMapping, reg: &Register) -> Vec<Project> {
        let rows = self.rows(sheet, m);
        let known: std::collections::HashSet<&str> =
            reg.observations.iter().map(|o| o.establishment.as_str()).collect();
        let mut projects: BTreeMap<String, (u64, Project, bool)> =
            reg.projects.iter().map(|p| (p.id.clone(), (0, p.clone(), true))).collect();
        for row in &rows {
            let id = self.required(row, "project").map(str::to_string);
            let commune = self.commune(row, "commune");
            if row.get("commune").is_none() {
                self.problem(row, "commune", "valeur manquante".into());
            }
            let date = self.date(row, "date", true);
            let kind = self.required(row, "event").and_then(|v| {
                let k = EventKind::parse(v);
                if k.is_none() {
                    self.problem(row, "event", format!("étape inconnue {} (dépôt, CDAC, recours CNAC, CNAC, tribunal, permis, conformité, ouverture)", quote(v)));
                }
                k
            });
            let favourable = match row.get("decision").map(echelle_referential::fold).as_deref() {
                None => None,
                Some(
                    "favorable" | "favourable" | "autorise" | "autorisation" | "accorde" | "oui" | "confirme" | "admis"
                    | "f",
                ) => Some(true),
                Some(
                    "defavorable" | "unfavourable" | "refuse" | "refus" | "rejete" | "non" | "annule" | "annulation"
                    | "d",
                ) => Some(false),
                Some(_) => {
                    self.problem(
                        row,
                        "decision",
                        format!("{} : attendu favorable ou défavorable", quote(row.get("decision").unwrap_or(""))),
                    );
                    None
                }
            };
            if kind.is_some_and(EventKind::decides) && favourable.is_none() && row.get("decision").is_none() {
                self.problem(row, "decision", "décision manquante (favorable ou défavorable)".into());
            }
            let votes =
                [self.count(row, "votes_for"), self.count(row, "votes_against"), self.count(row, "votes_abstaining")];
            let area = self.area(row, "area");
            let requested = self.area(row, "area_requested");
            let nature = row.get("nature").and_then(|v| {
                let n = Nature::parse(v);
                if n.is_none() {
                    self.problem(row, "nature", format!("{} : attendu création ou extension", quote(v)));
                }
                n
            });
            let artificialises = row.get("artificialises").map(|_| self.flag(row, "artificialises"));
            let establishment = row.get("establishment").map(|s| s.replace(' ', ""));
            if let Some(e) = &establishment
                && !known.contains(e.as_str())
            {
                self.problem(row, "establishment", format!("établissement {} absent de l'inventaire", quote(e)));
            }
            let (Some(id), Some(commune), Some(date), Some(kind)) = (id, commune, date, kind) else { continue };
            let event = Event {
                date,
                kind,
                favourable,
                votes_for: votes[0],
                votes_against: votes[1],
                votes_abstaining: votes[2],
                area,
            };
            let entry = projects.entry(id.clone()).or_insert_with(|| {
                (
                    row.line,
                    Project {
                        id: id.clone(),
                        establishment: None,
                        name: String::new(),
                        commune: commune.clone(),
                        nature: Nature::Creation,
                        area_requested: -1.0,
                        artificialises: false,
                        zone: None,
                        events: Vec::new(),
                    },
                    false,
                )
            });
            let p = &mut entry.1;
            let mut conflicts = Vec::new();
            if p.commune != commune {
                conflicts.push("commune");
            }
            if let Some(r) = requested {
                if p.area_requested >= 0.0 && p.area_requested != r {
                    conflicts.push("area_requested");
                }
                p.area_requested = r;
            }
            if let Some(n) = nature {
                p.nature = n;
            }
            if let Some(a) = artificialises {
                p.artificialises = a;
            }
            if let Some(n) = row.get("name") {
                p.name = n.to_string();
            }
            if establishment.is_some() {
                p.establishment = establishment;
            }
            if let Some(z) = row.get("zone") {
                p.zone = Some(z.to_string());
            }
            if p.events.iter().any(|e| e.date == date && e.kind == kind) {
                conflicts.push("event");
            }
            p.events.push(event);
            for c in conflicts {
                self.problem(
                    row,
                    c,
                    format!(
                        "le projet {} est décrit autrement plus haut (même date et même étape, ou autre valeur)",
                        quote(&id)
                    ),
                );
            }
        }
        let mut out = Vec::new();
        for (_, (line, mut p, stored)) in projects {
            if !stored && p.area_requested < 0.0 {
                self.problems.push(Problem {
                    table: sheet.name.clone(),
                    line,
                    field: "area_requested".into(),
                    message: format!("surface demandée du projet {} manquante", quote(&p.id)),
                });
                continue;
            }
            p.events.sort_by_key(|e| (e.date, e.kind));
            out.push(p);
        }
        out
    }
}
