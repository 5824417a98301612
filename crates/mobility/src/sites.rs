//! The sites of a siting study as files (CSV, XLSX, GeoJSON, GeoPackage): one row per
//! open site with the demand it serves, and on every row the model, its parameters, the
//! optimum, the proven bound and the gap, so that a file read alone says what it is.

use echelle_report::{Cell, ColumnInfo, Table};

use crate::MobilityError;
use crate::distance::french_number;
use crate::third_places::StudyAnswer;

/// The file formats of an exported study.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitesFormat {
    /// CSV, `,`-separated, UTF-8, formula guard.
    Csv,
    /// A spreadsheet with a "Sources" sheet.
    Xlsx,
    /// Points, WGS84 (RFC 7946).
    Geojson,
    /// A GeoPackage POINT table, WGS84.
    Gpkg,
}

impl SitesFormat {
    /// The format of a name (`csv`, `xlsx`, `geojson`, `gpkg`) or of a file's extension.
    pub fn parse(name: &str) -> Result<SitesFormat, MobilityError> {
        let ext = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
        Ok(match ext.as_str() {
            "csv" => SitesFormat::Csv,
            "xlsx" => SitesFormat::Xlsx,
            "geojson" | "json" => SitesFormat::Geojson,
            "gpkg" => SitesFormat::Gpkg,
            _ => {
                return Err(MobilityError::Usage(format!(
                    "format « {name:.40} » inconnu : csv, xlsx, geojson ou gpkg"
                )));
            }
        })
    }

    /// The MIME type and file extension.
    pub fn media(self) -> (&'static str, &'static str) {
        match self {
            SitesFormat::Csv => ("text/csv; charset=utf-8", "csv"),
            SitesFormat::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
            SitesFormat::Geojson => ("application/geo+json", "geojson"),
            SitesFormat::Gpkg => ("application/geopackage+sqlite3", "gpkg"),
        }
    }
}

/// The sites of `a` as a table: title and source line state the model, the demand,
/// the candidates, the distances, the optimum, the bound and the gap.
pub fn sites_table(a: &StudyAnswer) -> Table {
    let s = &a.study;
    let proven = if s.proven { "optimum prouvé" } else { "limite de temps atteinte" };
    let capacity = s.capacity.map_or(String::new(), |c| format!(", capacité {} par site", french_number(c)));
    let title = format!("Tiers-lieux : {}, p = {}{capacity}", a.model, a.p);
    let mut source = format!(
        "Demande : {}{} ; candidats : {} ; distances : {} ; objectif {}, borne inférieure {}, écart {} % ({proven}) ; calcul echelle",
        a.demand_label,
        a.source.as_deref().map_or(String::new(), |x| format!(" ({x})")),
        a.candidates_label,
        s.distance_kind,
        french_number(round(s.objective, 1)),
        french_number(round(s.bound, 1)),
        french_number(round(100.0 * s.gap, 4)),
    );
    if a.synthetic {
        source.push_str(" — SYNTHÉTIQUE");
    }
    let columns = [
        "site",
        "nom",
        "commune",
        "lon",
        "lat",
        "existant",
        "demande_servie",
        "modele",
        "p",
        "objectif",
        "borne",
        "ecart",
        "prouve",
        "distances",
    ];
    let text = |x: &str| Cell::Text(x.to_string());
    let rows = s
        .sites
        .iter()
        .map(|site| {
            vec![
                text(&site.place.id),
                text(site.place.name.as_deref().unwrap_or("")),
                text(site.place.commune.as_deref().unwrap_or("")),
                Cell::Number(site.place.lon),
                Cell::Number(site.place.lat),
                text(if site.existing { "oui" } else { "non" }),
                Cell::Number(site.served),
                text(&a.model),
                Cell::Number(a.p as f64),
                Cell::Number(s.objective),
                Cell::Number(s.bound),
                Cell::Number(s.gap),
                text(if s.proven { "oui" } else { "non" }),
                text(&s.distance_kind),
            ]
        })
        .collect();
    let info = |unit: &str, decimals: u8| ColumnInfo {
        unit: Some(unit.into()),
        decimals: Some(decimals),
        source: Some(source.clone()),
        vintage: None,
    };
    let mut infos = vec![ColumnInfo::default(); columns.len()];
    infos[3] = info("°", 6);
    infos[4] = info("°", 6);
    infos[6] = info(a.demand_label.as_str(), 1);
    Table { title, source, columns: columns.iter().map(|c| c.to_string()).collect(), info: infos, rows }
}

fn round(x: f64, decimals: i32) -> f64 {
    let k = 10f64.powi(decimals);
    (x * k).round() / k
}

/// The study's sites as a file of `format`.
pub fn export(a: &StudyAnswer, format: SitesFormat) -> Result<Vec<u8>, MobilityError> {
    let t = sites_table(a);
    Ok(match format {
        SitesFormat::Csv => echelle_report::csv::write(&t, echelle_report::csv::Dialect::Plain),
        SitesFormat::Xlsx => echelle_report::xlsx::write(&t, echelle_report::Date::today())?,
        SitesFormat::Geojson => echelle_report::points::write_geojson(&t, "lon", "lat")?,
        SitesFormat::Gpkg => echelle_report::points::write_gpkg(&t, "sites", "lon", "lat")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::third_places::{ChosenSite, Place, Study};

    fn answer() -> StudyAnswer {
        let place = |id: &str, lon: f64| Place {
            id: id.into(),
            name: Some(format!("Site {id}")),
            commune: Some("62119".into()),
            lon,
            lat: 50.4,
            weight: 0.0,
        };
        StudyAnswer {
            model: "p-médiane (distance pondérée par la demande, m)".into(),
            p: 2,
            demand_label: "actifs sortant de leur commune".into(),
            source: Some("INSEE, MOBPRO 2021 — SYNTHÉTIQUE".into()),
            synthetic: true,
            candidates_label: "communes".into(),
            candidates: 10,
            existing: 1,
            mismatches: vec![],
            demand_points: vec![],
            study: Study {
                sites: vec![
                    ChosenSite { place: place("a", 2.8), existing: true, served: 120.5 },
                    ChosenSite { place: place("b", 2.9), existing: false, served: 80.0 },
                ],
                objective: 1000.0,
                bound: 990.0,
                gap: 0.01,
                proven: false,
                covered: None,
                demand: 200.5,
                seconds: 1.0,
                existing_alone: None,
                distance_kind: "ligne droite (Lambert-93) × 1,3 (détour)".into(),
                capacity: Some(150.0),
            },
        }
    }

    #[test]
    fn every_format_states_the_model_and_the_gap() {
        let a = answer();
        let t = sites_table(&a);
        assert!(t.title.contains("p = 2") && t.title.contains("capacité 150"));
        assert!(t.source.contains("écart 1 %") && t.source.contains("SYNTHÉTIQUE"), "{}", t.source);
        let csv = String::from_utf8(export(&a, SitesFormat::Csv).unwrap()).unwrap();
        assert_eq!(csv.lines().count(), 4, "header, two sites, the source line");
        assert!(csv.lines().nth(1).unwrap().starts_with("a,Site a,62119,2.8,50.4,oui,120.5,"));
        let gj: serde_json::Value = serde_json::from_slice(&export(&a, SitesFormat::Geojson).unwrap()).unwrap();
        assert_eq!(gj["features"][1]["properties"]["demande_servie"], 80.0);
        assert_eq!(gj["features"][0]["properties"]["borne"], 990.0);
        assert_eq!(&export(&a, SitesFormat::Gpkg).unwrap()[..16], b"SQLite format 3\0");
        assert_eq!(&export(&a, SitesFormat::Xlsx).unwrap()[..2], b"PK");
    }

    #[test]
    fn formats_by_name_or_extension() {
        assert_eq!(SitesFormat::parse("sites.GPKG").unwrap(), SitesFormat::Gpkg);
        assert_eq!(SitesFormat::parse("xlsx").unwrap(), SitesFormat::Xlsx);
        assert!(SitesFormat::parse("sites.shp").is_err());
    }
}
