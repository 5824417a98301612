//! Study perimeters: named sets of communes defined in a small TOML file.
//!
//! ```toml
//! id = "reste-region-hors-aml"
//! name = "Hauts-de-France hors AML"
//! status = "confirmed"
//! source = "METHODS.md §1"
//! include = ["reg:32"]          # union of territories of any layer
//! exclude = ["per:aml"]         # minus these
//! intersect = []                # and only the communes also in each of these
//! ```
//!
//! The members are `(∪ include) ∩ (each intersect) − (∪ exclude)`: a list of commune
//! codes, a union, a difference and an intersection are all special cases.

use serde::Deserialize;
use toml::Spanned;

use crate::{Error, Layer, Referential, TerritoryRef};

/// How far a perimeter's definition can be trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PerimeterStatus {
    /// Adopted by the body it describes.
    Confirmed,
    /// Usable, but awaiting a decision that may change its members.
    Provisional,
    /// A working hypothesis, to be checked before results are published.
    ToConfirm,
}

impl PerimeterStatus {
    /// The status as shown beside results, for readers to weigh them.
    pub fn label(self) -> &'static str {
        match self {
            PerimeterStatus::Confirmed => "confirmed",
            PerimeterStatus::Provisional => "provisional",
            PerimeterStatus::ToConfirm => "to confirm",
        }
    }
}

/// A perimeter as written by its author, with the text it came from so that errors
/// can point at a line.
#[derive(Debug, Clone, PartialEq)]
pub struct PerimeterDef {
    /// Referenced as `per:<id>`: lower case, digits and dashes.
    pub id: String,
    /// The name shown to users.
    pub name: String,
    /// How far the definition can be trusted.
    pub status: PerimeterStatus,
    /// Where the definition comes from (a deliberation, a study…).
    pub source: Option<String>,
    /// A free remark kept with the definition.
    pub note: Option<String>,
    /// Territory references whose communes are united; spans point back into [`Self::text`].
    pub include: Vec<Spanned<String>>,
    /// Territory references whose communes are taken out of the union.
    pub exclude: Vec<Spanned<String>>,
    /// Territory references the members must also belong to, each of them.
    pub intersect: Vec<Spanned<String>>,
    /// Where the definition came from (a file path), for messages.
    pub origin: String,
    /// The TOML text itself, kept to report positions and to store it as written.
    pub text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    id: String,
    name: String,
    #[serde(default = "confirmed")]
    status: PerimeterStatus,
    source: Option<String>,
    note: Option<String>,
    #[serde(default)]
    include: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    intersect: Vec<Spanned<String>>,
}

fn confirmed() -> PerimeterStatus {
    PerimeterStatus::Confirmed
}

impl PerimeterDef {
    /// Parses a perimeter file. `origin` names it in errors (`perimeters/mel.toml:4:3: …`).
    pub fn parse(origin: &str, text: &str) -> Result<Self, Error> {
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map_or((1, 1), |s| line_col(text, s.start));
            Error::Perimeter { origin: origin.into(), line, column, message: e.message().trim().to_string() }
        })?;
        let def = PerimeterDef {
            id: raw.id,
            name: raw.name,
            status: raw.status,
            source: raw.source,
            note: raw.note,
            include: raw.include,
            exclude: raw.exclude,
            intersect: raw.intersect,
            origin: origin.into(),
            text: text.into(),
        };
        if def.id.is_empty() || !def.id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') {
            return Err(def.error_at(None, format!("id '{}' must use only a-z, 0-9 and '-'", def.id)));
        }
        if def.include.is_empty() {
            return Err(def.error_at(None, "a perimeter needs at least one entry in 'include'".into()));
        }
        Ok(def)
    }

    /// All the territory references the definition uses.
    pub fn references(&self) -> impl Iterator<Item = &str> {
        self.include.iter().chain(&self.exclude).chain(&self.intersect).map(|s| s.get_ref().as_str())
    }

    /// An error located at a span of the definition's text (or at its start).
    pub(crate) fn error_at(&self, span: Option<std::ops::Range<usize>>, message: String) -> Error {
        let (line, column) = span.map_or((1, 1), |s| line_col(&self.text, s.start));
        Error::Perimeter { origin: self.origin.clone(), line, column, message }
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.chars().rev().take_while(|&c| c != '\n').count() + 1;
    (line, column)
}

/// Resolves a definition to its sorted member communes.
pub(crate) fn resolve_members(referential: &Referential, def: &PerimeterDef) -> Result<Vec<u32>, Error> {
    let set = |refs: &[Spanned<String>]| -> Result<Vec<Vec<u32>>, Error> {
        refs.iter()
            .map(|r| {
                let t =
                    resolve_ref(referential, r.get_ref()).map_err(|e| def.error_at(Some(r.span()), e.to_string()))?;
                if t.layer == Layer::Iris {
                    return Err(
                        def.error_at(Some(r.span()), format!("{t}: a perimeter is a set of communes, not of IRIS"))
                    );
                }
                referential.members(&t).map(|m| m.into_owned()).map_err(|e| def.error_at(Some(r.span()), e.to_string()))
            })
            .collect()
    };
    let mut members: Vec<u32> = set(&def.include)?.concat();
    members.sort_unstable();
    members.dedup();
    for other in set(&def.intersect)? {
        members.retain(|c| other.binary_search(c).is_ok());
    }
    let mut excluded = set(&def.exclude)?.concat();
    excluded.sort_unstable();
    members.retain(|c| excluded.binary_search(c).is_err());
    if members.is_empty() {
        return Err(def.error_at(None, format!("perimeter '{}' has no commune left", def.id)));
    }
    Ok(members)
}

/// In a perimeter file a bare code means a commune; other layers need their prefix.
fn resolve_ref(referential: &Referential, input: &str) -> Result<TerritoryRef, Error> {
    if input.contains(':') || input.eq_ignore_ascii_case("fr") {
        referential.resolve(input)
    } else {
        referential.resolve(&format!("com:{input}"))
    }
}
