//! The observatory's answers as `echelle_report` tables, for the CLI's `--format
//! csv|xlsx` and the web's exports alike (French headers, units in the column info).

use echelle_report::{Cell, ColumnInfo, Table};
use echelle_store::Provenance;

use crate::indicators::{Change, Inventory, Reference};
use crate::projects::CountArea;
use crate::study::{Densities, Projects, Shops};

fn text(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

fn num(x: f64) -> Cell {
    Cell::Number(x)
}

fn opt(x: Option<f64>) -> Cell {
    x.map_or(Cell::Empty, Cell::Number)
}

fn info(unit: Option<&str>, decimals: u8, p: Option<&Provenance>) -> ColumnInfo {
    ColumnInfo {
        unit: unit.map(str::to_string),
        decimals: Some(decimals),
        source: p.map(|p| p.source.clone()),
        vintage: p.map(|p| p.vintage.clone()),
    }
}

/// The source line under a table: the provenance (SYNTHÉTIQUE when generated) and what else applies.
pub fn source(p: Option<&Provenance>, extra: &str) -> String {
    match p {
        // The writers put « Source : » before the line themselves.
        Some(p) => format!("{} ; {extra}", p.line().trim_start_matches("Source : ")),
        None => extra.to_string(),
    }
}

fn columns(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

/// The inventory of a territory: one row per figure (total, families, categories,
/// bands, TASCOM, exclusions, references, projects).
pub fn inventory_table(i: &Inventory) -> Table {
    let p = i.provenance.as_ref();
    let mut rows = Vec::new();
    let mut row =
        |section: &str, key: &str, label: &str, shops: Option<f64>, area: Option<f64>, density: Option<f64>| {
            rows.push(vec![text(section), text(key), text(label), opt(shops), opt(area), opt(density)]);
        };
    row("total", &i.territory, &i.name, Some(i.shops as f64), Some(i.area), i.density);
    for f in &i.by_family {
        row("famille", &f.key, &f.label, Some(f.shops as f64), Some(f.area), None);
    }
    for f in &i.by_category {
        row("catégorie", &f.key, &f.label, Some(f.shops as f64), Some(f.area), None);
    }
    for f in &i.by_band {
        row("tranche", &f.key, &f.label, Some(f.shops as f64), Some(f.area), None);
    }
    row("tascom", &i.tascom.key, &i.tascom.label, Some(i.tascom.shops as f64), Some(i.tascom.area), None);
    for f in &i.excluded {
        row("exclus", &f.key, &f.label, Some(f.shops as f64), Some(f.area), None);
    }
    let c = &i.centrality;
    row("centralité", "geocoded", "géolocalisés", Some(c.geocoded_shops as f64), Some(c.geocoded_area), None);
    row(
        "centralité",
        "far",
        &format!("à plus de {} m du centre de la commune (part en %)", c.threshold_m),
        None,
        Some(c.far_area),
        c.far_share_pct,
    );
    for r in &i.references {
        let name = if r.partial {
            format!("{} (partiel : hors de la couverture de l'inventaire)", r.name)
        } else {
            r.name.clone()
        };
        row("référence", &r.territory, &name, Some(r.shops as f64), Some(r.area), r.density);
    }
    let s = &i.projects;
    let ca = |c: &CountArea| (Some(c.count as f64), Some(c.area));
    for (key, label, c) in [
        ("filed", "projets déposés (surface demandée)", &s.filed),
        ("pending", "en instruction ou en recours (surface demandée)", &s.pending),
        ("authorised_not_opened", "autorisés non ouverts (surface autorisée)", &s.authorised_not_opened),
        ("opened", "ouverts (surface ouverte)", &s.opened),
        ("refused", "refusés (surface demandée)", &s.refused),
        ("artificialising", "artificialisant des sols (surface demandée)", &s.artificialising),
    ] {
        let (n, a) = ca(c);
        row("projets", key, label, n, a, None);
    }
    for (key, label, a) in [
        ("cdac", "taux d'approbation en CDAC (%)", &s.cdac_approval),
        ("final", "taux d'approbation après recours (%)", &s.final_approval),
    ] {
        rows.push(vec![
            text("projets"),
            text(format!("{key}_by_number")),
            text(format!("{label}, en nombre")),
            num(a.decided as f64),
            Cell::Empty,
            opt(a.by_number_pct),
        ]);
        rows.push(vec![
            text("projets"),
            text(format!("{key}_by_area")),
            text(format!("{label}, en surface")),
            Cell::Empty,
            num(a.area_requested),
            opt(a.by_area_pct),
        ]);
    }
    Table {
        title: format!("Grand commerce — {} ({}) au {}", i.name, i.territory, i.date),
        source: source(
            p,
            &format!(
                "population {} hab.{} ; {}",
                i.population,
                match (&i.coverage, i.partial) {
                    (Some(c), true) =>
                        format!(" ; PARTIEL : le territoire dépasse la couverture de l'inventaire ({c})"),
                    _ => String::new(),
                },
                i.rules
            ),
        ),
        columns: columns(&[
            "Rubrique",
            "Clé",
            "Libellé",
            "Établissements",
            "Surface de vente (m²)",
            "m² pour 1 000 hab. ou %",
        ]),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(None, 0, None),
            info(Some("m²"), 0, p),
            info(None, 2, p),
        ],
        rows,
    }
}

/// Change between two dates: one row per movement.
pub fn change_table(c: &Change) -> Table {
    let p = c.provenance.as_ref();
    let rows = [
        ("before", format!("inventaire au {}", c.from), &c.before, 1.0),
        ("openings", "ouvertures".into(), &c.openings, 1.0),
        ("extensions", "extensions (surface ajoutée)".into(), &c.extensions, 1.0),
        ("moved_in", "arrivées par déménagement".into(), &c.moved_in, 1.0),
        ("reductions", "réductions (surface retirée)".into(), &c.reductions, -1.0),
        ("closures", "fermetures".into(), &c.closures, -1.0),
        ("moved_out", "départs par déménagement".into(), &c.moved_out, -1.0),
        ("after", format!("inventaire au {}", c.to), &c.after, 1.0),
    ]
    .into_iter()
    .map(|(k, l, x, sign)| vec![text(k), text(l), num(x.count as f64), num(sign * x.area)])
    .chain(std::iter::once(vec![text("net"), text("solde"), num(c.net_shops as f64), num(c.net_area)]))
    .collect();
    Table {
        title: format!("Grand commerce — {} ({}) : évolution du {} au {}", c.name, c.territory, c.from, c.to),
        source: source(p, "les commerces de plus de 300 m² comptés par l'observatoire"),
        columns: columns(&["Clé", "Mouvement", "Établissements", "Surface de vente (m²)"]),
        info: vec![ColumnInfo::default(), ColumnInfo::default(), info(None, 0, None), info(Some("m²"), 0, p)],
        rows,
    }
}

/// Projects: one row per project as it stands.
pub fn projects_table(x: &Projects) -> Table {
    let p = Some(&x.provenance);
    let rows = x
        .projects
        .iter()
        .map(|s| {
            let votes = s
                .cdac
                .as_ref()
                .and_then(|d| d.votes)
                .map_or(String::new(), |v| format!("{} pour, {} contre, {} abst.", v[0], v[1], v[2]));
            vec![
                text(&s.id),
                text(&s.name),
                text(&s.commune),
                text(s.nature.label()),
                num(s.area_requested),
                opt(s.area_authorised),
                opt(s.area_opened),
                text(&s.status_label),
                text(s.cdac.as_ref().map_or(String::new(), |d| {
                    format!("{} le {}", if d.favourable { "favorable" } else { "défavorable" }, d.date)
                })),
                text(votes),
                text(s.decision.as_ref().map_or(String::new(), |d| format!("{} le {}", d.by.label(), d.date))),
                text(if s.artificialises { "oui" } else { "non" }),
            ]
        })
        .collect();
    Table {
        title: format!("Projets de grand commerce — {} ({}) au {}", x.name, x.territory, x.date),
        source: source(p, &x.rules),
        columns: columns(&[
            "Dossier",
            "Nom",
            "Commune",
            "Nature",
            "Surface demandée (m²)",
            "Surface autorisée (m²)",
            "Surface ouverte (m²)",
            "État",
            "CDAC",
            "Votes en CDAC",
            "Décision en vigueur",
            "Artificialisation",
        ]),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(Some("m²"), 0, p),
            info(Some("m²"), 0, p),
            info(Some("m²"), 0, p),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
        ],
        rows,
    }
}

/// The shops of a territory, with their position (WGS84) or their commune's centre.
pub fn shops_table(s: &Shops) -> Table {
    let p = Some(&s.provenance);
    let rows = s
        .shops
        .iter()
        .map(|x| {
            vec![
                text(&x.id),
                text(&x.name),
                text(x.brand.clone().unwrap_or_default()),
                text(&x.commune),
                num(x.lon),
                num(x.lat),
                text(if x.geocoded { "géolocalisé" } else { "centre de la commune" }),
                num(x.area),
                text(&x.category),
                text(&x.band),
                text(x.guessed_from.clone().map_or(String::new(), |g| format!("devinée ({g})"))),
                text(x.zone.clone().unwrap_or_default()),
                text(x.observed.to_string()),
            ]
        })
        .collect();
    Table {
        title: format!("Commerces de plus de 300 m² — {} au {}", s.territory, s.date),
        source: source(p, "position : géolocalisée, sinon centre de la commune"),
        columns: columns(&[
            "Identifiant",
            "Nom",
            "Enseigne",
            "Commune",
            "Longitude",
            "Latitude",
            "Position",
            "Surface de vente (m²)",
            "Catégorie",
            "Tranche",
            "Catégorie devinée",
            "Zone",
            "Observé le",
        ]),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(Some("°"), 6, None),
            info(Some("°"), 6, None),
            ColumnInfo::default(),
            info(Some("m²"), 0, p),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
        ],
        rows,
    }
}

/// The shops as GeoJSON points (WGS84), every column of [`shops_table`] a property.
pub fn shops_geojson(s: &Shops) -> Result<Vec<u8>, echelle_report::ReportError> {
    echelle_report::points::write_geojson(&shops_table(s), "Longitude", "Latitude")
}

/// Densities of territories.
pub fn densities_table(d: &Densities) -> Table {
    let p = Some(&d.provenance);
    let row = |r: &Reference| {
        vec![
            text(&r.territory),
            text(if r.partial { format!("{} (partiel)", r.name) } else { r.name.clone() }),
            num(r.population as f64),
            num(r.shops as f64),
            num(r.area),
            opt(r.density),
        ]
    };
    Table {
        title: format!("Densité commerciale au {}", d.date),
        source: source(p, "m² de surface de vente des commerces de plus de 300 m² pour 1 000 habitants"),
        columns: columns(&[
            "Territoire",
            "Nom",
            "Population",
            "Établissements",
            "Surface de vente (m²)",
            "m² pour 1 000 hab.",
        ]),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(None, 0, None),
            info(None, 0, None),
            info(Some("m²"), 0, p),
            info(Some("m²/1 000 hab."), 2, p),
        ],
        rows: d.territories.iter().map(row).collect(),
    }
}
