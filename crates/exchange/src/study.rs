//! A shared study: what partners build together and reopen from a link — territories,
//! perimeters, indicators, the map as it was left (view state), tables and notes. The
//! store keeps every version with who saved it, when, and what changed ([`changes`]);
//! the server decides who may read, change or comment it from its visibility.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Territories (and perimeters) of a study at most.
pub const MAX_TERRITORIES: usize = 50;
/// Indicators of a study at most.
pub const MAX_INDICATORS: usize = 50;
/// Saved tables of a study at most.
pub const MAX_TABLES: usize = 20;
/// Rows of a saved table at most.
pub const MAX_TABLE_ROWS: usize = 5_000;
/// Characters of the notes, or of a comment, at most.
pub const MAX_NOTES: usize = 100_000;
/// Bytes of the map's view state at most.
pub const MAX_MAP_BYTES: usize = 64 * 1024;

/// A table kept in a study (one the web application showed: flows, retail, access…),
/// with its source, so that the report can cite it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedTable {
    /// Its title.
    pub title: String,
    /// Where its figures come from (source and vintage): required.
    pub source: String,
    /// Its column names.
    pub columns: Vec<String>,
    /// Its rows: strings, numbers or null.
    #[schema(value_type = Vec<Vec<Object>>)]
    pub rows: Vec<Vec<Value>>,
}

/// What a study holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = SharedStudy)]
pub struct Study {
    /// Its title.
    pub title: String,
    /// The analysts' notes (plain text).
    #[serde(default)]
    pub notes: String,
    /// Territories and perimeters, as referential keys (`com:62041`, `per:bassin-minier`).
    #[serde(default)]
    pub territories: Vec<String>,
    /// Indicator ids.
    #[serde(default)]
    pub indicators: Vec<String>,
    /// The map as it was left: the web application's view state (layer, indicator,
    /// centre, zoom…), opaque to the server.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub map: Value,
    /// Tables kept with their sources.
    #[serde(default)]
    pub tables: Vec<SavedTable>,
}

/// A study refused, with the reason in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("étude : {0}")]
pub struct StudyError(pub String);

fn refuse<T>(m: impl Into<String>) -> Result<T, StudyError> {
    Err(StudyError(m.into()))
}

impl Study {
    /// Checks what a client sent: a title, bounded lists, tables with a source and
    /// rectangular rows of strings, numbers or nulls, a small view state.
    pub fn check(&self) -> Result<(), StudyError> {
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 200 {
            return refuse("un titre de 1 à 200 caractères");
        }
        if self.notes.chars().count() > MAX_NOTES {
            return refuse(format!("notes : {MAX_NOTES} caractères au plus"));
        }
        if self.territories.len() > MAX_TERRITORIES {
            return refuse(format!("{MAX_TERRITORIES} territoires au plus"));
        }
        if self.indicators.len() > MAX_INDICATORS {
            return refuse(format!("{MAX_INDICATORS} indicateurs au plus"));
        }
        if serde_json::to_vec(&self.map).map_or(usize::MAX, |b| b.len()) > MAX_MAP_BYTES {
            return refuse(format!("état de la carte : {} Kio au plus", MAX_MAP_BYTES / 1024));
        }
        if self.tables.len() > MAX_TABLES {
            return refuse(format!("{MAX_TABLES} tableaux au plus"));
        }
        for t in &self.tables {
            let name = &t.title;
            if t.title.trim().is_empty() {
                return refuse("un tableau sans titre");
            }
            if t.source.trim().is_empty() {
                return refuse(format!("tableau « {name} » : sa source est requise"));
            }
            if t.columns.is_empty() || t.rows.len() > MAX_TABLE_ROWS {
                return refuse(format!("tableau « {name} » : au moins une colonne, {MAX_TABLE_ROWS} lignes au plus"));
            }
            for (i, row) in t.rows.iter().enumerate() {
                if row.len() != t.columns.len() {
                    return refuse(format!(
                        "tableau « {name} », ligne {} : {} cellules pour {} colonnes",
                        i + 1,
                        row.len(),
                        t.columns.len()
                    ));
                }
                if let Some(v) = row.iter().find(|v| !(v.is_string() || v.is_number() || v.is_null())) {
                    return refuse(format!("tableau « {name} », ligne {} : {v} n'est ni un texte ni un nombre", i + 1));
                }
            }
        }
        Ok(())
    }
}

/// What changed from `old` to `new`, in French, one line per part (empty: nothing).
pub fn changes(old: &Study, new: &Study) -> Vec<String> {
    let mut out = Vec::new();
    if old.title != new.title {
        out.push(format!("titre : « {} » → « {} »", old.title, new.title));
    }
    let listed = |what: &str, a: &[String], b: &[String], out: &mut Vec<String>| {
        let added: Vec<&str> = b.iter().filter(|x| !a.contains(x)).map(String::as_str).collect();
        let removed: Vec<&str> = a.iter().filter(|x| !b.contains(x)).map(String::as_str).collect();
        if !added.is_empty() || !removed.is_empty() {
            let mut parts = Vec::new();
            if !added.is_empty() {
                parts.push(format!("+ {}", added.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("− {}", removed.join(", ")));
            }
            out.push(format!("{what} : {}", parts.join(" ; ")));
        }
    };
    listed("territoires", &old.territories, &new.territories, &mut out);
    listed("indicateurs", &old.indicators, &new.indicators, &mut out);
    if old.map != new.map {
        out.push("carte modifiée".into());
    }
    if old.notes != new.notes {
        out.push("notes modifiées".into());
    }
    let titles = |s: &Study| s.tables.iter().map(|t| t.title.clone()).collect::<Vec<_>>();
    listed("tableaux", &titles(old), &titles(new), &mut out);
    for t in &new.tables {
        if old.tables.iter().any(|o| o.title == t.title && o != t) {
            out.push(format!("tableau « {} » modifié", t.title));
        }
    }
    out
}

/// A comment on a study.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = StudyComment)]
pub struct Comment {
    /// Its number in the study.
    pub id: i64,
    /// Who wrote it (a login).
    pub who: String,
    /// Unix seconds.
    pub at: i64,
    /// Its text.
    pub text: String,
}

/// A comment's text, trimmed, or why it is refused.
pub fn comment_text(text: &str) -> Result<String, StudyError> {
    let t = text.trim();
    if t.is_empty() {
        return refuse("un commentaire vide");
    }
    if t.chars().count() > MAX_NOTES {
        return refuse(format!("commentaire : {MAX_NOTES} caractères au plus"));
    }
    Ok(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn study() -> Study {
        Study {
            title: "Commerce dans le Bassin minier".into(),
            notes: "Première lecture.".into(),
            territories: vec!["per:bassin-minier".into(), "epci:200040947".into()],
            indicators: vec!["population".into()],
            map: json!({"layer": "epci", "indicator": "population", "zoom": 8.5}),
            tables: vec![SavedTable {
                title: "Surfaces".into(),
                source: "CCI, 2025".into(),
                columns: vec!["EPCI".into(), "m²".into()],
                rows: vec![vec![json!("CA de Lens-Liévin"), json!(125_000)]],
            }],
        }
    }

    #[test]
    fn a_study_is_checked_before_it_is_kept() {
        assert_eq!(study().check(), Ok(()));
        let mut s = study();
        s.title = "  ".into();
        assert!(s.check().is_err());
        let mut s = study();
        s.tables[0].source = String::new();
        assert!(s.check().unwrap_err().0.contains("source est requise"));
        let mut s = study();
        s.tables[0].rows.push(vec![json!("x")]);
        assert!(s.check().unwrap_err().0.contains("1 cellules pour 2 colonnes"));
        let mut s = study();
        s.tables[0].rows[0][1] = json!({"a": 1});
        assert!(s.check().is_err());
        let mut s = study();
        s.map = json!("x".repeat(MAX_MAP_BYTES));
        assert!(s.check().is_err());
        assert!(comment_text(" ").is_err() && comment_text(" Bien vu ").unwrap() == "Bien vu");
    }

    #[test]
    fn what_changed_is_said_part_by_part() {
        let old = study();
        assert!(changes(&old, &old).is_empty());
        let mut new = study();
        new.territories.push("com:62498".into());
        new.territories.retain(|t| t != "epci:200040947");
        new.map["zoom"] = json!(9);
        new.tables[0].rows[0][1] = json!(126_000);
        assert_eq!(
            changes(&old, &new),
            ["territoires : + com:62498 ; − epci:200040947", "carte modifiée", "tableau « Surfaces » modifié"]
        );
    }
}
