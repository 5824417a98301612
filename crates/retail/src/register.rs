//! The register: establishments as dated observations, projects as dated events.
//!
//! A shop that grows, moves, changes brand or closes stays one establishment (one
//! identifier: its SIRET when known, or the partner's) with several observations; the
//! inventory at a date is rebuilt from them ([`crate::inventory`]), whatever the order
//! they came in.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::date::Date;

/// What a source saw of an establishment on a date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailObservation)]
pub struct Observation {
    /// The establishment's identifier (SIRET when known, else the partner's).
    pub establishment: String,
    /// Date of the observation.
    #[schema(value_type = String)]
    pub observed: Date,
    /// Who observed it (CCI, agency, survey…).
    pub source: String,
    /// SIRET, when known.
    pub siret: Option<String>,
    /// Name of the shop.
    pub name: String,
    /// Brand (enseigne).
    pub brand: Option<String>,
    /// Postal address.
    pub address: Option<String>,
    /// Commune code (COG).
    pub commune: String,
    /// WGS84 longitude and latitude, when geocoded.
    pub position: Option<(f64, f64)>,
    /// The commune's centre (its contour's centroid), where the shop is placed when not geocoded.
    pub centre: Option<(f64, f64)>,
    /// Indoor sales area, m².
    pub area_indoor: f64,
    /// Outdoor sales area, m².
    pub area_outdoor: f64,
    /// Category key of the rules file.
    pub category: String,
    /// Set when the category was guessed from the brand: what it was guessed from.
    pub guessed_from: Option<String>,
    /// NAF code.
    pub naf: Option<String>,
    /// Retail park or zone.
    pub zone: Option<String>,
    /// Inside a shopping mall (galerie marchande).
    pub in_mall: bool,
    /// Opening date, when known.
    #[schema(value_type = Option<String>)]
    pub opened: Option<Date>,
    /// Closing date, when closed.
    #[schema(value_type = Option<String>)]
    pub closed: Option<Date>,
}

impl Observation {
    /// Total sales area, m².
    pub fn area(&self) -> f64 {
        self.area_indoor + self.area_outdoor
    }

    /// Distance from the commune's centre, metres (great circle), when geocoded.
    pub fn distance_from_centre(&self) -> Option<f64> {
        let ((x, y), (cx, cy)) = (self.position?, self.centre?);
        Some(echelle_referential::geodesy::haversine_m(x, y, cx, cy))
    }
}

/// A creation or an extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailNature)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    /// A new shop.
    Creation,
    /// More area for an existing shop.
    Extension,
}

impl Nature {
    /// Reads `création`, `extension`.
    pub fn parse(s: &str) -> Option<Nature> {
        match echelle_referential::fold(s).as_str() {
            "creation" | "c" | "nouveau" | "nouvelle implantation" => Some(Nature::Creation),
            "extension" | "e" | "agrandissement" => Some(Nature::Extension),
            _ => None,
        }
    }
    /// Its key.
    pub fn key(self) -> &'static str {
        match self {
            Nature::Creation => "creation",
            Nature::Extension => "extension",
        }
    }
    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            Nature::Creation => "création",
            Nature::Extension => "extension",
        }
    }
}

/// A step of an authorisation's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[schema(as = RetailEventKind)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// The application is filed.
    Filing,
    /// The CDAC votes (counts of votes, decision).
    CdacVote,
    /// An appeal to the CNAC.
    CnacAppeal,
    /// The CNAC decides.
    CnacDecision,
    /// A court decides on the authorisation (upheld or annulled).
    CourtDecision,
    /// The building permit.
    Permit,
    /// The compliance certificate (L752-23).
    Compliance,
    /// The shop opens.
    Opening,
}

impl EventKind {
    /// Every kind, in the order of a file's life.
    pub const ALL: [EventKind; 8] = [
        EventKind::Filing,
        EventKind::CdacVote,
        EventKind::CnacAppeal,
        EventKind::CnacDecision,
        EventKind::CourtDecision,
        EventKind::Permit,
        EventKind::Compliance,
        EventKind::Opening,
    ];

    /// Its key.
    pub fn key(self) -> &'static str {
        match self {
            EventKind::Filing => "filing",
            EventKind::CdacVote => "cdac_vote",
            EventKind::CnacAppeal => "cnac_appeal",
            EventKind::CnacDecision => "cnac_decision",
            EventKind::CourtDecision => "court_decision",
            EventKind::Permit => "permit",
            EventKind::Compliance => "compliance",
            EventKind::Opening => "opening",
        }
    }

    /// French label.
    pub fn label(self) -> &'static str {
        match self {
            EventKind::Filing => "dépôt du dossier",
            EventKind::CdacVote => "vote de la CDAC",
            EventKind::CnacAppeal => "recours devant la CNAC",
            EventKind::CnacDecision => "décision de la CNAC",
            EventKind::CourtDecision => "décision de justice",
            EventKind::Permit => "permis de construire",
            EventKind::Compliance => "certificat de conformité",
            EventKind::Opening => "ouverture",
        }
    }

    /// Reads a key or what partners write (`CDAC`, `recours CNAC`, `ouverture`…).
    pub fn parse(s: &str) -> Option<EventKind> {
        let f = echelle_referential::fold(s).replace('_', " ");
        let k = match f.as_str() {
            "filing" | "depot" | "depot du dossier" | "dossier depose" | "saisine" => EventKind::Filing,
            "cdac vote" | "cdac" | "vote cdac" | "vote de la cdac" | "avis cdac" | "decision cdac" => {
                EventKind::CdacVote
            }
            "cnac appeal" | "recours cnac" | "recours" | "recours devant la cnac" | "saisine cnac" => {
                EventKind::CnacAppeal
            }
            "cnac decision" | "cnac" | "decision cnac" | "decision de la cnac" | "avis cnac" => EventKind::CnacDecision,
            "court decision" | "tribunal" | "justice" | "decision de justice" | "caa" | "conseil d etat" => {
                EventKind::CourtDecision
            }
            "permit" | "permis" | "permis de construire" | "pc" => EventKind::Permit,
            "compliance" | "conformite" | "certificat de conformite" => EventKind::Compliance,
            "opening" | "ouverture" => EventKind::Opening,
            _ => return None,
        };
        Some(k)
    }

    /// Whether it decides on the authorisation (a vote or a decision).
    pub fn decides(self) -> bool {
        matches!(self, EventKind::CdacVote | EventKind::CnacDecision | EventKind::CourtDecision)
    }
}

/// One event of a project.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailEvent)]
pub struct Event {
    /// Its date.
    #[schema(value_type = String)]
    pub date: Date,
    /// What happened.
    pub kind: EventKind,
    /// For a vote or decision: favourable (authorised, or upheld by a court).
    pub favourable: Option<bool>,
    /// CDAC votes for.
    pub votes_for: Option<u32>,
    /// CDAC votes against.
    pub votes_against: Option<u32>,
    /// CDAC abstentions.
    pub votes_abstaining: Option<u32>,
    /// Area the event is about: authorised by a decision, opened at an opening, m².
    pub area: Option<f64>,
}

/// An application for a retail authorisation and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailProject)]
pub struct Project {
    /// Its identifier (the CDAC file number).
    pub id: String,
    /// The establishment it creates or extends, when known.
    pub establishment: Option<String>,
    /// Name or main brand.
    pub name: String,
    /// Commune code.
    pub commune: String,
    /// Creation or extension.
    pub nature: Nature,
    /// Sales area requested (for an extension: the added area), m².
    pub area_requested: f64,
    /// Whether it artificialises soil (L752-6 V, loi Climat et résilience art. 215).
    pub artificialises: bool,
    /// Retail park or zone.
    pub zone: Option<String>,
    /// Its events, by date.
    pub events: Vec<Event>,
}

/// The stored inventory: observations and projects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Register {
    /// Every observation, in no particular order.
    pub observations: Vec<Observation>,
    /// Every project.
    pub projects: Vec<Project>,
    /// The territory the inventory covers (`per:aire-urbaine-centrale`), when said: figures
    /// of territories reaching beyond it are partial.
    pub coverage: Option<String>,
}

impl Register {
    /// Observations by establishment, each list by date of observation.
    pub fn establishments(&self) -> BTreeMap<&str, Vec<&Observation>> {
        let mut m: BTreeMap<&str, Vec<&Observation>> = BTreeMap::new();
        for o in &self.observations {
            m.entry(o.establishment.as_str()).or_default().push(o);
        }
        for list in m.values_mut() {
            // (establishment, observed) is unique: the order is total.
            list.sort_by_key(|o| o.observed);
        }
        m
    }

    /// Adds another register's observations and projects (a later partner file): the
    /// caller checks the result as a whole before storing it.
    pub fn merge(&mut self, other: Register) {
        self.observations.extend(other.observations);
        self.projects.extend(other.projects);
        if other.coverage.is_some() {
            self.coverage = other.coverage;
        }
    }
}
