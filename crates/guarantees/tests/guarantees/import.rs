//! The register's import: CSV and XLSX through a mapping file, problems reported per
//! line and field, nothing written on error; the stored register reads back the same.

use std::path::Path;

use echelle_guarantees::import::{Mapping, Sources};
use echelle_guarantees::store::{RegisterMeta, import, load};
use echelle_guarantees::*;

use crate::fixture::*;

const MAPPING: &str = r#"
share_unit = "percent"
[guarantees]
sheet = "Garanties"
columns = { loan = "N° contrat", guarantor = "Garant", guarantor_kind = "Type de garant", beneficiary = "Bénéficiaire", siren = "SIREN", category = "Catégorie", lender = "Prêteur", amount = "Montant", start = "Date de début", years = "Durée", end = "Date de fin", frequency = "Périodicité", rate = "Taux", profile = "Profil", share = "Quotité", state_aided = "Aide État" }
[finances]
sheet = "Finances"
columns = { guarantor = "Garant", guarantor_kind = "Type de garant", year = "Exercice", revenue = "RRF", provisions = "Provisions", own_annuities = "Annuités dette propre" }
"#;

const HEADER: &str = "N° contrat;Garant;Type de garant;Bénéficiaire;SIREN;Catégorie;Prêteur;Montant;Date de début;Durée;Date de fin;Périodicité;Taux;Profil;Quotité;Aide État";
const FIN_HEADER: &str = "Garant;Type de garant;Exercice;RRF;Provisions;Annuités dette propre";

const GOOD: &[&str] = &[
    "S;62119;commune;SA Habitat;111111111;autre;Banque;1 000 000,00;2025-01-01;10;;annuelle;0;annuité constante;30;non",
    "S;200072460;EPCI;SA Habitat;111111111;autre;Banque;1 000 000,00;2025-01-01;10;;annuelle;0;annuité constante;20;non",
    "H;62498;commune;Pas-de-Calais Habitat;444444444;logement social;CDC;500000;01/01/2025;;01/01/2035;trimestrielle;3,5;amortissement constant;100;non",
];
const GOOD_FIN: &[&str] = &["62119;commune;2026;1000000;0;0", "200072460;EPCI;2026;4 000 000;0;0"];

fn write(dir: &Path, name: &str, header: &str, rows: &[&str]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, format!("{header}\n{}\n", rows.join("\n"))).unwrap();
    p
}

fn meta() -> RegisterMeta {
    RegisterMeta {
        id: "garanties".into(),
        title: "Registre des garanties".into(),
        source: "test".into(),
        vintage: "2026".into(),
        synthetic: true,
    }
}

#[test]
fn csv_register_imports_and_reads_back_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let g = write(dir.path(), "g.csv", HEADER, GOOD);
    let f = write(dir.path(), "f.csv", FIN_HEADER, GOOD_FIN);
    let store = echelle_store::Store::open(dir.path().join("store")).unwrap();
    let mapping = Mapping::parse("m.toml", MAPPING).unwrap();
    let sources = Sources::Csv { guarantees: &g, finances: &f, schedules: None };
    let (d, reg) = import(&store, &sources, &mapping, &referential(), &Rules::shipped(), None, &meta()).unwrap();
    assert_eq!((d.rows, reg.loans.len(), reg.guarantees.len(), reg.finances.len()), (5, 2, 3, 2));
    let h = reg.loan("H").unwrap();
    assert_eq!((h.terms.years, h.terms.rate_micro, h.terms.frequency), (10, 35_000, Frequency::Quarterly));
    assert_eq!(reg.guarantees[1].guarantor, crate::fixture::g("epci:200072460"));
    let (back, prov) = load(&store, "garanties").unwrap();
    assert_eq!(back, reg);
    assert!(prov.synthetic && prov.line().ends_with("SYNTHÉTIQUE"), "{}", prov.line());
}

#[test]
fn invalid_lines_are_all_reported_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let store = echelle_store::Store::open(dir.path().join("store")).unwrap();
    let mapping = Mapping::parse("m.toml", MAPPING).unwrap();
    let r = referential();
    // A first, valid register in the store.
    let (g0, f0) = (write(dir.path(), "g0.csv", HEADER, GOOD), write(dir.path(), "f0.csv", FIN_HEADER, GOOD_FIN));
    let sources = Sources::Csv { guarantees: &g0, finances: &f0, schedules: None };
    let before = import(&store, &sources, &mapping, &r, &Rules::shipped(), None, &meta()).unwrap().0;

    let bad = [
        "A;62119;commune;X;111111111;autre;B;1000;2025-01-01;10;;annuelle;1;annuité constante;120;non",
        "B;62119;commune;X;111111111;autre;B;-5000;2025-01-01;10;;annuelle;1;annuité constante;20;non",
        "C;62119;commune;X;111111111;autre;B;5000;2025-01-01;;2024-01-01;annuelle;1;annuité constante;20;non",
        "D;99999;commune;X;111111111;autre;B;5000;2025-01-01;10;;annuelle;1;annuité constante;20;non",
        "E;62178;commune;X;111111111;autre;B;5000;2025-01-01;10;;annuelle;1;annuité constante;20;non",
    ];
    let g = write(dir.path(), "g.csv", HEADER, &bad);
    let f = write(dir.path(), "f.csv", FIN_HEADER, GOOD_FIN);
    let sources = Sources::Csv { guarantees: &g, finances: &f, schedules: None };
    let err = import(&store, &sources, &mapping, &r, &Rules::shipped(), None, &meta()).unwrap_err();
    assert!(err.is_user_error());
    let GuaranteeError::Invalid(problems) = &err else { panic!("{err}") };
    let found: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
    assert_eq!(found, vec![(2, "share"), (3, "amount"), (4, "end"), (5, "guarantor"), (0, "revenue")], "{err}");
    let text = err.to_string();
    for expected in [
        "garanties, ligne 2, champ « share » : quotité 120 % supérieure à 100 %",
        "garanties, ligne 3, champ « amount » : montant négatif « -5000 »",
        "garanties, ligne 4, champ « end » : fin (2024-01-01) avant le début (2025-01-01)",
        "garanties, ligne 5, champ « guarantor » : code de garant inconnu du référentiel : « com:99999 »",
        "finances, champ « revenue » : recettes réelles de fonctionnement de com:62178 pour 2026 manquantes",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    // The store is as it was: same dataset, same file, nothing left aside.
    assert_eq!(store.catalog().dataset("garanties").unwrap(), before);
    let files: Vec<String> = std::fs::read_dir(store.root().join("datasets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(files, vec![before.path.trim_start_matches("datasets/").to_string()]);
}

#[test]
fn shares_of_one_loan_over_100_percent_and_a_bad_mapping_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "S;62119;commune;X;111111111;autre;B;1000;2025-01-01;10;;annuelle;1;annuité constante;60;non",
        "S;200072460;EPCI;X;111111111;autre;B;1000;2025-01-01;10;;annuelle;1;annuité constante;50;non",
    ];
    let g = write(dir.path(), "g.csv", HEADER, &rows);
    let f = write(dir.path(), "f.csv", FIN_HEADER, GOOD_FIN);
    let mapping = Mapping::parse("m.toml", MAPPING).unwrap();
    let sources = Sources::Csv { guarantees: &g, finances: &f, schedules: None };
    let e = import::read_register(&sources, &mapping, &referential(), &Rules::shipped(), None).unwrap_err().to_string();
    assert!(
        e.contains("ligne 2, champ « share » : quotités de l'emprunt « S » : 110.00 % au total, plus de 100 %"),
        "{e}"
    );
    let e = Mapping::parse(
        "m.toml",
        "[guarantees]\ncolumns = { loan = \"x\", montant = \"y\" }\n[finances]\ncolumns = {}\n",
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("champ « montant » : champ inconnu") && e.contains("champ « amount » : champ obligatoire"),
        "{e}"
    );
}

#[test]
fn xlsx_register_with_two_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("registre.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("Garanties").unwrap();
    for (row, line) in std::iter::once(HEADER).chain(GOOD.iter().copied()).enumerate() {
        for (col, v) in line.split(';').enumerate() {
            match v.replace(' ', "").replace(',', ".").parse::<f64>() {
                Ok(x) if col == 7 || col == 14 => sheet.write_number(row as u32, col as u16, x).unwrap(),
                _ => sheet.write_string(row as u32, col as u16, v).unwrap(),
            };
        }
    }
    let fin = book.add_worksheet().set_name("Finances").unwrap();
    for (row, line) in std::iter::once(FIN_HEADER).chain(GOOD_FIN.iter().copied()).enumerate() {
        for (col, v) in line.split(';').enumerate() {
            fin.write_string(row as u32, col as u16, v).unwrap();
        }
    }
    book.save(&path).unwrap();
    let mapping = Mapping::parse("m.toml", MAPPING).unwrap();
    let reg =
        import::read_register(&Sources::Workbook(&path), &mapping, &referential(), &Rules::shipped(), None).unwrap();
    assert_eq!(reg.loan("S").unwrap().terms.amount, 100_000_000);
    assert_eq!(reg.guarantees.iter().map(|g| g.share).collect::<Vec<_>>(), vec![0.3, 0.2, 1.0]);
}
