//! The published formats echelle reads, recognised by their header.
//!
//! | format | recognised by | level | key |
//! | --- | --- | --- | --- |
//! | `FD_MOBPRO_YYYY` (commuting, one row per person) | `COMMUNE`, `DCLT`, `IPONDI` | flow | `COMMUNE_CUR` |
//! | flow base, home–work / home–study | `NBFLUX_C{yy}_ACTOCC15P` / `…_SCOL02P` | flow | `CODGEO_CUR` |
//! | BPE geolocated (`bpe{yy}_ensemble_xy`) | `TYPEQU`, `DEPCOM` | point | `DEPCOM_CUR` |
//! | Filosofi, commune level | `CODGEO` and `MED{yy}` / `DISP_MED…` / `NBMENFISC{yy}` | commune | `CODGEO_CUR` |
//! | COG `v_commune_YYYY` | `TYPECOM`, `COM`, `COMPARENT` | table | `COM` |
//! | EPCI composition | `CODGEO`, `EPCI`, `LIBEPCI` | table | `CODGEO` |
//! | correspondence table `table_passage_annuelle_YYYY` | `CODGEO_YYYY` twice or more | table | latest `CODGEO_YYYY` |
//! | anything else with a commune code column | a code column | commune | `<code>_CUR` |

pub mod bpe;
pub mod plain;

use crate::codes::CodeRole;
use crate::plan::{Expect, Kind};

/// A published format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `FD_MOBPRO`: one row per employed person, with where they live and work.
    Mobpro,
    /// The flow base: commune-to-commune counts of workers or students.
    Flows,
    /// The geolocated Base permanente des équipements: one row per facility.
    Bpe,
    /// Filosofi at commune level: incomes and poverty.
    Filosofi,
    /// The COG's list of communes, current and former (`v_commune`).
    CogCommunes,
    /// The communes of each EPCI.
    EpciComposition,
    /// INSEE's correspondence table between the codes of successive geographies.
    Passage,
    /// Any table with a commune code column (a user's own data).
    Plain,
}

impl Format {
    /// Every format, in the order recognition tries them.
    pub const ALL: [Format; 8] = [
        Format::Mobpro,
        Format::Flows,
        Format::Bpe,
        Format::Filosofi,
        Format::CogCommunes,
        Format::EpciComposition,
        Format::Passage,
        Format::Plain,
    ];

    /// The name given to `--format` and written in catalogs of addresses.
    pub fn name(self) -> &'static str {
        match self {
            Format::Mobpro => "mobpro",
            Format::Flows => "flows",
            Format::Bpe => "bpe",
            Format::Filosofi => "filosofi",
            Format::CogCommunes => "cog-communes",
            Format::EpciComposition => "epci-composition",
            Format::Passage => "passage",
            Format::Plain => "plain",
        }
    }

    /// The format of that name.
    pub fn parse(s: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == s)
    }

    /// Recognises a format by its header, else by INSEE's file name (so that a
    /// `FD_MOBPRO` file missing a column is told so, not taken for a plain table).
    pub fn detect_file(header: &[String], file_name: &str) -> Format {
        let by_header = Format::detect(header);
        if by_header != Format::Plain {
            return by_header;
        }
        let name = file_name.to_ascii_lowercase();
        if name.contains("mobpro") {
            Format::Mobpro
        } else if name.contains("flux") {
            Format::Flows
        } else if name.starts_with("bpe") {
            Format::Bpe
        } else if name.contains("filosofi") || name.starts_with("filo") {
            Format::Filosofi
        } else if name.starts_with("v_commune") {
            Format::CogCommunes
        } else if name.contains("table_passage") {
            Format::Passage
        } else {
            Format::Plain
        }
    }

    /// Recognises a format by its (upper-cased) header.
    pub fn detect(header: &[String]) -> Format {
        let up: Vec<String> = header.iter().map(|h| h.to_ascii_uppercase()).collect();
        let has = |n: &str| up.iter().any(|h| h == n);
        let prefixed = |p: &str| up.iter().any(|h| h.starts_with(p));
        if has("COMMUNE") && has("DCLT") && has("IPONDI") {
            Format::Mobpro
        } else if prefixed("NBFLUX_C") {
            Format::Flows
        } else if has("TYPEQU") && has("DEPCOM") {
            Format::Bpe
        } else if has("CODGEO")
            && (prefixed("MED") || prefixed("DISP_MED") || prefixed("NBMENFISC") || prefixed("TP60"))
        {
            Format::Filosofi
        } else if has("TYPECOM") && has("COM") && has("COMPARENT") {
            Format::CogCommunes
        } else if has("CODGEO") && has("EPCI") && has("LIBEPCI") {
            Format::EpciComposition
        } else if up.iter().filter(|h| h.starts_with("CODGEO_")).count() >= 2 {
            Format::Passage
        } else {
            Format::Plain
        }
    }

    /// The columns the format expects, and the kind of the others.
    pub fn expects(self) -> (Vec<Expect>, Kind) {
        use CodeRole::*;
        match self {
            Format::Mobpro => (
                vec![
                    Expect::must("COMMUNE", Kind::Code(Commune)),
                    Expect::must("ARM", Kind::Code(ArmOrZ)),
                    Expect::must("DCLT", Kind::Code(CommuneOrAbroad)),
                    Expect::must("IPONDI", Kind::Decimal),
                    Expect::must("TRANS", Kind::Text),
                ],
                Kind::Text,
            ),
            Format::Flows => (
                vec![
                    Expect::must("CODGEO", Kind::Code(Commune)),
                    Expect::may("DCLT", Kind::Code(CommuneOrAbroad)),
                    Expect::may("DCETU", Kind::Code(CommuneOrAbroad)),
                    Expect::must("NBFLUX_C*", Kind::Decimal),
                ],
                Kind::Text,
            ),
            Format::Bpe => (
                vec![
                    Expect::must("DEPCOM", Kind::Code(Commune)),
                    Expect::must("TYPEQU", Kind::Text),
                    Expect::may("LAMBERT_X", Kind::Float),
                    Expect::may("LAMBERT_Y", Kind::Float),
                    Expect::may("LONGITUDE", Kind::Float),
                    Expect::may("LATITUDE", Kind::Float),
                    Expect::may("EPSG", Kind::Text),
                ],
                Kind::Text,
            ),
            Format::Filosofi => {
                (vec![Expect::must("CODGEO", Kind::Code(Commune)), Expect::may("LIBGEO", Kind::Text)], Kind::Float)
            }
            Format::CogCommunes => {
                (vec![Expect::must("TYPECOM", Kind::Text), Expect::must("COM", Kind::Text)], Kind::Text)
            }
            Format::EpciComposition => (
                vec![
                    Expect::must("CODGEO", Kind::Text),
                    Expect::must("EPCI", Kind::Text),
                    Expect::must("LIBEPCI", Kind::Text),
                ],
                Kind::Text,
            ),
            Format::Passage => (vec![], Kind::Text),
            Format::Plain => (vec![], Kind::Text),
        }
    }

    /// The statistical secrecy a real file of this format declares (METHODS.md §3):
    /// census people counts (MOBPRO, the flows base) the people rule with cell key
    /// noise; Filosofi the tax households' rule; facilities (BPE) and the referential's
    /// tables none; a user's own table none unless `--secrecy` says.
    pub fn secrecy(self) -> echelle_platform::SecrecyRule {
        use echelle_platform::SecrecyRule;
        match self {
            Format::Mobpro | Format::Flows => SecrecyRule::people(),
            Format::Filosofi => SecrecyRule::households(),
            Format::Bpe | Format::CogCommunes | Format::EpciComposition | Format::Passage | Format::Plain => {
                SecrecyRule::nothing()
            }
        }
    }

    /// The level of its rows in the catalog.
    pub fn level(self) -> echelle_store::DatasetLevel {
        use echelle_store::DatasetLevel;
        match self {
            Format::Mobpro | Format::Flows => DatasetLevel::Flow,
            Format::Bpe => DatasetLevel::Point,
            Format::Filosofi | Format::Plain => DatasetLevel::Commune,
            Format::CogCommunes | Format::EpciComposition | Format::Passage => DatasetLevel::Table,
        }
    }

    /// The publisher's name of the data, for the catalog.
    pub fn title(self) -> &'static str {
        match self {
            Format::Mobpro => {
                "Mobilités professionnelles: déplacements domicile-travail, fichier détail (one row per employed person, weight IPONDI)"
            }
            Format::Flows => "Base des flux de mobilité (domicile-travail or domicile-études), commune to commune",
            Format::Bpe => "Base permanente des équipements, géolocalisée",
            Format::Filosofi => "Filosofi: revenus et pauvreté des ménages, niveau communal",
            Format::CogCommunes => "Code officiel géographique: communes (v_commune)",
            Format::EpciComposition => "Composition communale des EPCI",
            Format::Passage => "Table de passage annuelle des codes communes",
            Format::Plain => "User data at commune level",
        }
    }

    /// The publisher recorded as source when the user gives none.
    pub fn publisher(self) -> &'static str {
        match self {
            Format::Plain => "user file",
            Format::EpciComposition => "INSEE / DGCL",
            _ => "INSEE",
        }
    }
}

/// The vintage written in a file's name or columns: `FD_MOBPRO_2021` -> 2021,
/// `bpe23_ensemble_xy` -> 2023, `NBFLUX_C21_…` -> 2021, `MED21` -> 2021.
pub fn vintage(file_name: &str, header: &[String]) -> Option<String> {
    let digits = |s: &str| -> Vec<String> {
        let mut out = Vec::new();
        let mut cur = String::new();
        for c in s.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_digit() {
                cur.push(c);
            } else {
                if cur.len() == 4 || cur.len() == 2 {
                    out.push(cur.clone());
                }
                cur.clear();
            }
        }
        out
    };
    let year = |d: &str| -> Option<String> {
        match d.len() {
            4 if d.starts_with("19") || d.starts_with("20") => Some(d.to_string()),
            2 => Some(format!("20{d}")),
            _ => None,
        }
    };
    let name = file_name.to_ascii_uppercase();
    if let Some(y) = digits(&name).iter().find(|d| d.len() == 4).and_then(|d| year(d)) {
        return Some(y);
    }
    for h in header {
        let h = h.to_ascii_uppercase();
        for p in ["NBFLUX_C", "MED", "NBMENFISC", "TP60"] {
            if let Some(rest) = h.strip_prefix(p)
                && rest.len() >= 2
                && rest[..2].bytes().all(|b| b.is_ascii_digit())
            {
                return year(&rest[..2]);
            }
        }
    }
    digits(&name).first().and_then(|d| year(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn formats_are_recognised_by_their_header() {
        assert_eq!(Format::detect(&h(&["COMMUNE", "ARM", "DCLT", "IPONDI", "TRANS"])), Format::Mobpro);
        assert_eq!(Format::detect(&h(&["CODGEO", "LIBGEO", "DCLT", "L_DCLT", "NBFLUX_C21_ACTOCC15P"])), Format::Flows);
        assert_eq!(Format::detect(&h(&["an", "depcom", "typequ", "lambert_x"])), Format::Bpe);
        assert_eq!(Format::detect(&h(&["CODGEO", "NBMENFISC21", "MED21", "TP6021"])), Format::Filosofi);
        assert_eq!(Format::detect(&h(&["TYPECOM", "COM", "REG", "COMPARENT"])), Format::CogCommunes);
        assert_eq!(Format::detect(&h(&["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"])), Format::EpciComposition);
        assert_eq!(Format::detect(&h(&["CODGEO_2025", "CODGEO_2024", "LIBGEO_2025"])), Format::Passage);
        assert_eq!(Format::detect(&h(&["code", "value"])), Format::Plain);
        assert_eq!(Format::detect_file(&h(&["COMMUNE", "DCLT"]), "FD_MOBPRO_2021.csv"), Format::Mobpro);
        assert_eq!(Format::detect_file(&h(&["code", "value"]), "mes_donnees.csv"), Format::Plain);
    }

    #[test]
    fn vintages_from_names_and_columns() {
        assert_eq!(vintage("FD_MOBPRO_2021.csv", &[]).as_deref(), Some("2021"));
        assert_eq!(vintage("bpe23_ensemble_xy.csv", &[]).as_deref(), Some("2023"));
        assert_eq!(vintage("flux.csv", &h(&["CODGEO", "NBFLUX_C21_ACTOCC15P"])).as_deref(), Some("2021"));
        assert_eq!(vintage("filo.csv", &h(&["CODGEO", "MED20"])).as_deref(), Some("2020"));
        assert_eq!(vintage("data.csv", &h(&["code"])), None);
    }
}
