//! The fixture: four communes of the Pas-de-Calais in two EPCI, hand-set populations
//! and centres, twenty shops over three dates (2020, 2023, 2026) and two projects.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use echelle_referential::referential::UnitInfo;
use echelle_referential::{Commune, Layer, PerimeterDef, Referential};
use echelle_retail::import::{Context, Mapping, Sources};
use echelle_retail::{Brands, Date, Register, RetailError, Rules};

fn commune(code: &str, name: &str, epci: &str, pop: u64) -> Commune {
    Commune {
        code: code.into(),
        name: name.into(),
        departement: "62".into(),
        region: "32".into(),
        arrondissement: Some("622".into()),
        in_france: true,
        epci: Some(epci.into()),
        population: Some(pop),
        population_dgcl: Some(pop),
    }
}

/// Béthune 25 000, Bruay 20 000 (EPCI 200072460: 45 000); Lens 32 000, Liévin 30 000
/// (EPCI 246200364: 62 000); the département holds the four (107 000).
pub fn referential() -> Referential {
    let u = |layer, code: &str, name: &str| UnitInfo { layer, code: code.into(), name: name.into(), kind: None };
    let mut r = Referential::new(
        vec![
            commune("62119", "Béthune", "200072460", 25_000),
            commune("62178", "Bruay-la-Buissière", "200072460", 20_000),
            commune("62498", "Lens", "246200364", 32_000),
            commune("62510", "Liévin", "246200364", 30_000),
        ],
        vec![
            u(Layer::Epci, "200072460", "CA de Béthune-Bruay, Artois-Lys Romane"),
            u(Layer::Epci, "246200364", "CA de Lens - Liévin"),
            u(Layer::Arrondissement, "622", "Béthune"),
            u(Layer::Departement, "62", "Pas-de-Calais"),
            u(Layer::Region, "32", "Hauts-de-France"),
        ],
        vec![],
        vec![],
        vec![],
    )
    .unwrap();
    let def = PerimeterDef::parse(
        "test",
        "id = \"test\"\nname = \"Test\"\nstatus = \"provisional\"\nsource = \"test\"\ninclude = [\"epci:200072460\", \"com:62498\"]\n",
    )
    .unwrap();
    r.add_perimeters(vec![def]).unwrap();
    r
}

/// The commune centres of the fixture (WGS84).
pub fn centres() -> HashMap<String, (f64, f64)> {
    [("62119", (2.64, 50.53)), ("62178", (2.55, 50.48)), ("62498", (2.83, 50.43)), ("62510", (2.78, 50.42))]
        .into_iter()
        .map(|(c, p)| (c.to_string(), p))
        .collect()
}

pub fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/retail/fixture")
}

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

pub fn mapping() -> Mapping {
    let p = dir().join("mapping.toml");
    Mapping::parse("mapping.toml", &std::fs::read_to_string(p).unwrap()).unwrap()
}

pub fn brands() -> Brands {
    Brands::read(&dir().join("nsi.json")).unwrap()
}

/// Reads establishments (and projects) files with the fixture's mapping, on 2026-06-30.
pub fn read(establishments: &Path, projects: Option<&Path>) -> Result<Register, RetailError> {
    let (r, rules, b, c) = (referential(), Rules::shipped(), brands(), centres());
    let cx = Context { referential: &r, rules: &rules, brands: Some(&b), places: &c, today: date("2026-06-30") };
    echelle_retail::import::read(&Sources::Csv { establishments, projects }, &mapping(), &cx, None)
}

/// The fixture's register.
pub fn register() -> Register {
    read(&dir().join("etablissements.csv"), Some(&dir().join("projets.csv"))).unwrap()
}
