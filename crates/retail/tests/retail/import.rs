//! A file with a missing or negative area, an unknown commune, a duplicate identifier,
//! a closing before an opening, a date in the future and an unknown category: every
//! rejected row is reported with its field and why, and nothing is returned.

use echelle_retail::RetailError;

use crate::fixture::*;

const HEADER: &str = "Identifiant;SIRET;Nom;Enseigne;Commune;Longitude;Latitude;Surface intérieure;Surface extérieure;Catégorie;NAF;Zone;Galerie;Ouverture;Fermeture;Date d'observation;Source\n";

#[test]
fn every_rejected_row_is_reported_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let rows = [
        "A1;;Bon;;62119;;;1000;;alimentaire;;;;;;2020-01-01;", // line 2: valid
        "A2;;Sans surface;;62119;;;;;alimentaire;;;;;;2020-01-01;", // 3: missing area
        "A3;;Négatif;;62119;;;-500;;alimentaire;;;;;;2020-01-01;", // 4: negative area
        "A4;;Ailleurs;;99999;;;800;;alimentaire;;;;;;2020-01-01;", // 5: unknown commune
        "A1;;Bon encore;;62119;;;1000;;alimentaire;;;;;;2020-01-01;", // 6: duplicate (A1, 2020-01-01)
        "A5;;Fermé tôt;;62119;;;800;;alimentaire;;;;2020-05-01;2019-12-31;2020-06-01;", // 7: closed before opened
        "A6;;Futur;;62119;;;800;;alimentaire;;;;;;2030-01-01;", // 8: future date
        "A7;;Pharmacie;;62119;;;800;;pharmacie;;;;;;2020-01-01;", // 9: unknown category
    ];
    let path = dir.path().join("e.csv");
    std::fs::write(&path, format!("{HEADER}{}\n", rows.join("\n"))).unwrap();
    let Err(RetailError::Invalid(problems)) = read(&path, None) else { panic!("the file must be refused") };
    let got: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (3, "area_indoor"),
            (4, "area_indoor"),
            (5, "commune"),
            (6, "id"),
            (7, "closed"),
            (8, "observed"),
            (9, "category")
        ]
    );
    let text = |line: u64| problems.iter().find(|p| p.line == line).unwrap().message.clone();
    assert_eq!(text(3), "surface de vente manquante");
    assert_eq!(text(4), "surface négative « -500 »");
    assert_eq!(text(5), "commune inconnue du référentiel : « 99999 »");
    assert_eq!(text(6), "identifiant en double : « A1 » déjà observé le 2020-01-01 à la ligne 2");
    assert_eq!(text(7), "fermeture (2019-12-31) avant l'ouverture (2020-05-01)");
    assert_eq!(text(8), "date dans le futur (2030-01-01, après le 2026-06-30)");
    assert!(text(9).starts_with("catégorie inconnue « pharmacie » (attendues : alimentaire, "), "{}", text(9));
    let whole = RetailError::Invalid(problems).to_string();
    assert!(whole.starts_with("7 ligne(s) rejetée(s), rien n'a été importé"), "{whole}");
    assert!(whole.contains("etablissements, ligne 5, champ « commune »"), "{whole}");
}

#[test]
fn projects_are_checked_too() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("p.csv");
    std::fs::write(
        &p,
        "Dossier;Établissement;Nom;Commune;Nature;Surface demandée;Artificialisation;Date;Étape;Avis;Pour;Contre;Abstentions;Surface\n\
         P9;S99;X;62119;création;1500;oui;2021-01-01;dépôt;;;;;\n\
         P9;;;62119;;;;2021-03-01;CDAC;;7;2;1;\n\
         P9;;;62119;;;;2021-04-01;rumeur;;;;;\n",
    )
    .unwrap();
    let Err(RetailError::Invalid(problems)) = read(&dir().join("etablissements.csv"), Some(&p)) else {
        panic!("the file must be refused")
    };
    let got: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.field.as_str())).collect();
    assert_eq!(got, vec![(2, "establishment"), (3, "decision"), (4, "event")]);
}

/// Writes a CSV fixture as a sheet: numbers as numbers, dates as date cells.
fn sheet(book: &mut rust_xlsxwriter::Workbook, name: &str, csv: &str) {
    let s = book.add_worksheet().set_name(name).unwrap();
    let date_format = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
    for (row, line) in csv.lines().enumerate() {
        for (col, v) in line.split(';').enumerate() {
            let (r, c) = (row as u32, col as u16);
            if row > 0 && v.len() == 10 && v.as_bytes()[4] == b'-' {
                let d = rust_xlsxwriter::ExcelDateTime::parse_from_str(v).unwrap();
                s.write_datetime_with_format(r, c, &d, &date_format).unwrap();
            } else if let (true, Ok(x)) = (row > 0, v.parse::<f64>()) {
                s.write_number(r, c, x).unwrap();
            } else if !v.is_empty() {
                s.write_string(r, c, v).unwrap();
            }
        }
    }
}

#[test]
fn a_workbook_gives_the_register_its_csv_files_give() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("inventaire.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    sheet(&mut book, "Etablissements", &std::fs::read_to_string(dir().join("etablissements.csv")).unwrap());
    sheet(&mut book, "Projets", &std::fs::read_to_string(dir().join("projets.csv")).unwrap());
    book.save(&path).unwrap();
    let (r, rules, b, c) = (referential(), echelle_retail::Rules::shipped(), brands(), centres());
    let cx = echelle_retail::import::Context {
        referential: &r,
        rules: &rules,
        brands: Some(&b),
        places: &c,
        today: date("2026-06-30"),
    };
    let from_book =
        echelle_retail::import::read(&echelle_retail::import::Sources::Workbook(&path), &mapping(), &cx, None).unwrap();
    assert_eq!(from_book, register());
}
