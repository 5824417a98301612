//! The study's answers as `echelle_report` tables, for the CLI's `--format csv|xlsx`
//! and the server's exports alike (French headers, units in the column info).

use echelle_report::{Cell, ColumnInfo, Table};
use echelle_store::Provenance;

use crate::check::{Check, YearCheck};
use crate::exposure::{BeneficiaryExposure, Exposure};
use crate::stress::Stress;

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

fn source(p: Option<&Provenance>, extra: &str) -> String {
    match p {
        // The writers put « Source : » before the line themselves.
        Some(p) => format!("{} ; {extra}", p.line().trim_start_matches("Source : ")),
        None => extra.to_string(),
    }
}

fn year_rows(y: &YearCheck, rows: &mut Vec<Vec<Cell>>) {
    for o in &y.outcomes {
        rows.push(vec![
            text(y.year.to_string()),
            text(&o.label),
            text(if o.holds { "respectée" } else { "dépassée" }),
            num(o.value),
            num(o.limit),
            num(o.margin),
            text(&o.unit),
            text(&o.article),
            text(o.exemption.as_ref().map_or(String::new(), |e| format!("{} ({})", e.label, e.basis))),
            text(y.finances_from.map_or(String::new(), |f| format!("finances {f} reconduites"))),
        ]);
    }
}

/// The check before a vote: one row per rule and year, the vote's year first.
pub fn check_table(c: &Check) -> Table {
    let mut rows = Vec::new();
    year_rows(&c.vote, &mut rows);
    for y in &c.projection {
        year_rows(y, &mut rows);
    }
    let p = c.provenance.as_ref();
    let verdict = match (&c.vote.holds, &c.first_break) {
        (true, None) => "toutes les règles sont respectées sur l'horizon".to_string(),
        (_, Some(b)) => format!("première règle dépassée : {} en {}", b.label, b.year),
        (false, None) => "règle dépassée".to_string(),
    };
    Table {
        title: format!("Contrôle avant délibération — {} ({})", c.guarantor_name, c.guarantor),
        source: source(p, &format!("{verdict} ; {}", c.rules_text)),
        columns: [
            "Exercice",
            "Règle",
            "Résultat",
            "Valeur",
            "Plafond",
            "Marge",
            "Unité",
            "Articles",
            "Exemption",
            "Note",
        ]
        .map(String::from)
        .to_vec(),
        info: vec![
            info(None, 0, None),
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(None, 2, p),
            info(None, 2, p),
            info(None, 2, p),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
        ],
        rows,
    }
}

/// Exposure of territories or guarantors: one row each.
pub fn exposure_table(list: &[Exposure], p: Option<&Provenance>) -> Table {
    let rows = list
        .iter()
        .map(|e| {
            vec![
                text(&e.territory),
                text(&e.name),
                num(e.guarantors.len() as f64),
                num(e.loans as f64),
                num(e.loans_outstanding),
                num(e.guaranteed_outstanding),
                num(e.exempt_outstanding),
                opt(e.population.map(|x| x as f64)),
                opt(e.per_inhabitant),
                num(e.guaranteed_annuities),
                opt(e.revenue),
                opt(e.annuities_over_revenue),
            ]
        })
        .collect();
    let (date, year) = list.first().map_or((String::new(), 0), |e| (e.date.to_string(), e.year));
    Table {
        title: "Encours garanti par territoire".into(),
        source: source(p, &format!("encours au {date}, annuités et recettes de {year}")),
        columns: [
            "Territoire",
            "Nom",
            "Garants",
            "Emprunts",
            "Encours des emprunts (€)",
            "Encours garanti (€)",
            "dont hors ratios (€)",
            "Population",
            "Encours garanti par habitant (€)",
            "Annuités garanties (€)",
            "Recettes réelles de fonctionnement (€)",
            "Annuités garanties / recettes (%)",
        ]
        .map(String::from)
        .to_vec(),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(None, 0, None),
            info(None, 0, None),
            info(Some("€"), 2, p),
            info(Some("€"), 2, p),
            info(Some("€"), 2, p),
            info(None, 0, None),
            info(Some("€"), 2, p),
            info(Some("€"), 2, p),
            info(Some("€"), 2, p),
            info(Some("%"), 2, p),
        ],
        rows,
    }
}

/// Each beneficiary and each of its guarantors.
pub fn beneficiaries_table(list: &[BeneficiaryExposure], p: Option<&Provenance>) -> Table {
    let mut rows = Vec::new();
    for b in list {
        for g in &b.guarantors {
            rows.push(vec![
                text(&b.siren),
                text(&b.name),
                text(b.category.label()),
                text(&g.guarantor),
                text(&g.name),
                num(g.loans as f64),
                num(g.guaranteed_outstanding),
                num(b.guaranteed_outstanding),
            ]);
        }
    }
    Table {
        title: "Encours garanti par bénéficiaire".into(),
        source: source(p, "tous garants confondus"),
        columns: [
            "SIREN",
            "Bénéficiaire",
            "Catégorie",
            "Garant",
            "Nom du garant",
            "Emprunts",
            "Encours garanti par ce garant (€)",
            "Encours garanti total (€)",
        ]
        .map(String::from)
        .to_vec(),
        info: vec![
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            ColumnInfo::default(),
            info(None, 0, None),
            info(Some("€"), 2, p),
            info(Some("€"), 2, p),
        ],
        rows,
    }
}

/// The stress test: one row per guarantor and year.
pub fn stress_table(s: &Stress, p: Option<&Provenance>) -> Table {
    let mut rows = Vec::new();
    for g in &s.guarantors {
        for (y, amount) in s.years.iter().zip(&g.per_year) {
            rows.push(vec![text(&g.guarantor), text(&g.name), text(y.to_string()), num(*amount)]);
        }
    }
    Table {
        title: format!("Test de résistance — défaillance de {} ({})", s.beneficiary, s.siren),
        source: source(p, &format!("échéances appelées après le {}", s.default_date)),
        columns: ["Garant", "Nom", "Exercice", "Montant appelé (€)"].map(String::from).to_vec(),
        info: vec![ColumnInfo::default(), ColumnInfo::default(), ColumnInfo::default(), info(Some("€"), 2, p)],
        rows,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_line_leaves_its_prefix_to_the_writers_and_says_synthetique() {
        let p = Provenance {
            dataset: "garanties".into(),
            title: "Registre".into(),
            source: "synth".into(),
            vintage: "2026".into(),
            unit: Some("euros".into()),
            synthetic: true,
            secrecy: echelle_store::SecrecyRule::nothing(),
        };
        let s = source(Some(&p), "encours au 2026-12-31");
        assert!(s.starts_with("synth — Registre") && s.contains("SYNTHÉTIQUE ; encours"), "{s}");
    }
}
