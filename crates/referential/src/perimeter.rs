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
//!
//! Definitions come from people and from HTTP clients alike, so their size is bounded
//! ([`MAX_TEXT_BYTES`], [`MAX_ENTRIES`], [`MAX_DISTINCT_ENTRIES`], [`MAX_ID_CHARS`],
//! [`crate::MAX_NAME_CHARS`], [`MAX_NOTE_CHARS`]) and the algebra costs one pass over
//! the distinct entries and one set of communes per list, however often an entry repeats.

use std::collections::HashSet;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use crate::{Error, Layer, MAX_NAME_CHARS, Referential, TerritoryRef};

/// The largest perimeter definition, in bytes of TOML: one listing every commune of
/// France by code takes about 400 kB.
pub const MAX_TEXT_BYTES: usize = 1 << 20;

/// Most entries of `include`, `exclude` and `intersect` together, as written (an entry
/// written twice counts twice).
pub const MAX_ENTRIES: usize = 50_000;

/// Most distinct entries of `include`, `exclude` and `intersect` together: more than
/// the communes of France (34,969), so that any set of communes can be listed by code.
pub const MAX_DISTINCT_ENTRIES: usize = 40_000;

/// The longest perimeter id, in characters (it is a key in URLs and file names).
pub const MAX_ID_CHARS: usize = 64;

/// The longest `source` or `note`, in characters (they are shown with the perimeter).
pub const MAX_NOTE_CHARS: usize = 2_000;

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
    /// Beyond the syntax, checks the limits above: a definition over them is refused
    /// before anything is resolved.
    pub fn parse(origin: &str, text: &str) -> Result<Self, Error> {
        if text.len() > MAX_TEXT_BYTES {
            let message = format!("a perimeter definition has {} bytes: at most {MAX_TEXT_BYTES}", text.len());
            return Err(Error::Perimeter { origin: origin.into(), line: 1, column: 1, message });
        }
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
        def.check_sizes()?;
        Ok(def)
    }

    /// The limits on each field and on the number of entries.
    fn check_sizes(&self) -> Result<(), Error> {
        let fields = [
            ("id", Some(&self.id), MAX_ID_CHARS),
            ("name", Some(&self.name), MAX_NAME_CHARS),
            ("source", self.source.as_ref(), MAX_NOTE_CHARS),
            ("note", self.note.as_ref(), MAX_NOTE_CHARS),
        ];
        for (field, value, max) in fields {
            let chars = value.map_or(0, |v| v.chars().count());
            if chars > max {
                return Err(self.error_at(None, format!("{field} has {chars} characters: at most {max}")));
            }
        }
        let entries = self.include.len() + self.exclude.len() + self.intersect.len();
        if entries > MAX_ENTRIES {
            return Err(self.error_at(None, format!("{entries} entries: a perimeter has at most {MAX_ENTRIES}")));
        }
        let distinct = [&self.include, &self.exclude, &self.intersect]
            .iter()
            .map(|list| list.iter().map(|e| e.get_ref().trim()).collect::<HashSet<_>>().len())
            .sum::<usize>();
        if distinct > MAX_DISTINCT_ENTRIES {
            return Err(self.error_at(
                None,
                format!("{distinct} distinct entries: a perimeter has at most {MAX_DISTINCT_ENTRIES}"),
            ));
        }
        Ok(())
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

/// A set of communes as one bit per commune index: a union, an intersection or a
/// difference is one pass over 35,000 bits, whatever the number of entries.
struct CommuneSet(Vec<u64>);

impl CommuneSet {
    fn new(communes: usize) -> Self {
        CommuneSet(vec![0; communes.div_ceil(64)])
    }

    fn extend(&mut self, members: &[u32]) {
        for &c in members {
            self.0[c as usize / 64] |= 1 << (c % 64);
        }
    }

    fn retain_in(&mut self, other: &CommuneSet) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= b);
    }

    fn remove_all(&mut self, other: &CommuneSet) {
        self.0.iter_mut().zip(&other.0).for_each(|(a, b)| *a &= !b);
    }

    /// The indices in the set, sorted.
    fn to_vec(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for (w, &word) in self.0.iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                out.push(w as u32 * 64 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        }
        out
    }
}

/// Resolves a definition to its sorted member communes. Each distinct territory of a
/// list is resolved and its members added once, however often it is written.
pub(crate) fn resolve_members(referential: &Referential, def: &PerimeterDef) -> Result<Vec<u32>, Error> {
    let communes = referential.communes().len();
    let distinct = |refs: &[Spanned<String>]| -> Result<Vec<(TerritoryRef, Range<usize>)>, Error> {
        let mut texts = HashSet::new();
        let mut territories = HashSet::new();
        let mut out = Vec::new();
        for r in refs {
            if !texts.insert(r.get_ref().as_str()) {
                continue;
            }
            let t = resolve_ref(referential, r.get_ref()).map_err(|e| def.error_at(Some(r.span()), e.to_string()))?;
            if t.layer == Layer::Iris {
                return Err(def.error_at(Some(r.span()), format!("{t}: a perimeter is a set of communes, not of IRIS")));
            }
            if territories.insert(t.clone()) {
                out.push((t, r.span()));
            }
        }
        Ok(out)
    };
    let set_of = |entries: &[(TerritoryRef, Range<usize>)]| -> Result<CommuneSet, Error> {
        let mut set = CommuneSet::new(communes);
        for (t, span) in entries {
            set.extend(&referential.members(t).map_err(|e| def.error_at(Some(span.clone()), e.to_string()))?);
        }
        Ok(set)
    };
    let mut members = set_of(&distinct(&def.include)?)?;
    for entry in distinct(&def.intersect)? {
        members.retain_in(&set_of(std::slice::from_ref(&entry))?);
    }
    members.remove_all(&set_of(&distinct(&def.exclude)?)?);
    let members = members.to_vec();
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
