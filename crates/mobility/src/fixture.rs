//! A hand-checkable world: twelve real communes of the Nord and Pas-de-Calais in
//! five EPCI, the MEL and Bassin minier perimeters, and seventeen known flows.
//!
//! | EPCI | communes |
//! | --- | --- |
//! | A 200093201 MEL | 59350 Lille, 59512 Roubaix, 59599 Tourcoing, 59009 Villeneuve-d'Ascq |
//! | B 200072460 Béthune-Bruay | 62119 Béthune, 62178 Bruay-la-Buissière |
//! | C 246200364 Lens-Liévin | 62498 Lens, 62510 Liévin |
//! | D 200044618 Douaisis | 59178 Douai, 59569 Sin-le-Noble |
//! | E 200033579 CU d'Arras | 62041 Arras, 62753 Saint-Laurent-Blangy |
//!
//! The Bassin minier is B ∪ C ∪ D here.

use echelle_referential::referential::UnitInfo;
use echelle_referential::{Commune, Layer, PerimeterDef, Referential};

use crate::flows::{CAR, Flow, Flows, NONE, weight};
use echelle_store::Provenance;

pub const COMMUNES: [(&str, &str, &str, &str); 12] = [
    ("59350", "Lille", "59", "200093201"),
    ("59512", "Roubaix", "59", "200093201"),
    ("59599", "Tourcoing", "59", "200093201"),
    ("59009", "Villeneuve-d'Ascq", "59", "200093201"),
    ("62119", "Béthune", "62", "200072460"),
    ("62178", "Bruay-la-Buissière", "62", "200072460"),
    ("62498", "Lens", "62", "246200364"),
    ("62510", "Liévin", "62", "246200364"),
    ("59178", "Douai", "59", "200044618"),
    ("59569", "Sin-le-Noble", "59", "200044618"),
    ("62041", "Arras", "62", "200033579"),
    ("62753", "Saint-Laurent-Blangy", "62", "200033579"),
];

pub fn referential() -> Referential {
    let communes = COMMUNES
        .iter()
        .map(|(code, name, dep, epci)| Commune {
            code: (*code).into(),
            name: (*name).into(),
            departement: (*dep).into(),
            region: "32".into(),
            arrondissement: None,
            in_france: true,
            epci: Some((*epci).into()),
            population: Some(10_000),
            population_dgcl: None,
        })
        .collect();
    let unit = |layer, code: &str, name: &str| UnitInfo { layer, code: code.into(), name: name.into(), kind: None };
    let units = vec![
        unit(Layer::Epci, "200093201", "Métropole Européenne de Lille"),
        unit(Layer::Epci, "200072460", "CA de Béthune-Bruay, Artois-Lys Romane"),
        unit(Layer::Epci, "246200364", "CA de Lens - Liévin"),
        unit(Layer::Epci, "200044618", "CA Douaisis Agglo"),
        unit(Layer::Epci, "200033579", "CU d'Arras"),
        unit(Layer::Departement, "59", "Nord"),
        unit(Layer::Departement, "62", "Pas-de-Calais"),
        unit(Layer::Region, "32", "Hauts-de-France"),
    ];
    let mut r = Referential::new(communes, units, vec![], vec![], vec![]).expect("consistent fixture");
    let per = |text: &str| PerimeterDef::parse("fixture", text).expect("valid perimeter");
    r.add_perimeters(vec![
        per("id = \"mel\"\nname = \"MEL\"\nstatus = \"confirmed\"\ninclude = [\"epci:200093201\"]\n"),
        per("id = \"bassin-minier\"\nname = \"Bassin minier\"\nstatus = \"provisional\"\n\
             include = [\"epci:200072460\", \"epci:246200364\", \"epci:200044618\"]\n"),
    ])
    .expect("perimeters resolve");
    r
}

pub fn provenance() -> Provenance {
    Provenance {
        dataset: "fixture".into(),
        title: "hand-made flows".into(),
        source: "test".into(),
        vintage: "2021".into(),
        unit: Some(crate::flows::UNIT.into()),
        synthetic: true,
        secrecy: echelle_platform::SecrecyRule::nothing(),
    }
}

/// (home, work or "" for abroad, TRANS, CS1, workers).
pub const FLOWS: [(&str, &str, u8, u8, f64); 17] = [
    ("59350", "59350", CAR, 3, 100.0), // 1  Lille -> Lille
    ("59350", "59512", 6, 4, 40.0),    // 2  Lille -> Roubaix, public transport
    ("59512", "59350", CAR, 5, 60.0),  // 3  Roubaix -> Lille
    ("59599", "59350", CAR, 6, 30.0),  // 4  Tourcoing -> Lille
    ("59009", "59009", 2, 5, 20.0),    // 5  Villeneuve-d'Ascq, walking
    ("62119", "59350", CAR, 3, 50.0),  // 6  Béthune -> Lille
    ("62178", "62119", CAR, 6, 80.0),  // 7  Bruay -> Béthune
    ("62498", "59350", CAR, 4, 25.5),  // 8  Lens -> Lille
    ("62510", "62498", CAR, 5, 45.0),  // 9  Liévin -> Lens
    ("62498", "62498", 3, 6, 15.0),    // 10 Lens, bicycle
    ("59178", "59009", 6, 3, 35.0),    // 11 Douai -> Villeneuve-d'Ascq, public transport
    ("59569", "59178", CAR, 6, 10.0),  // 12 Sin-le-Noble -> Douai
    ("62041", "59350", CAR, 4, 5.0),   // 13 Arras -> Lille
    ("62753", "62041", CAR, 2, 12.0),  // 14 Saint-Laurent-Blangy -> Arras
    ("59350", "", CAR, 3, 8.0),        // 15 Lille -> abroad
    ("62119", "62498", CAR, 5, 9.25),  // 16 Béthune -> Lens
    ("62041", "62041", 1, 1, 4.0),     // 17 Arras, works at home
];

pub fn flows(r: &Referential) -> Flows {
    let idx = |c: &str| if c.is_empty() { NONE } else { r.commune_index(c).expect("fixture commune") };
    Flows::from_flows(
        FLOWS.iter().enumerate().map(|(i, &(o, d, mode, group, w))| Flow {
            origin: idx(o),
            dest: idx(d),
            mode,
            group,
            weight: weight(w),
            records: 1,
            key: echelle_platform::cellkey::record_key(1, i as u64),
        }),
        provenance(),
    )
}

/// Every commune on the meridian 3° E, the k-th of [`COMMUNES`] at latitude 50° + k × 0.1°:
/// k steps apart are k × 6371.0088 × 0.1 × π / 180 = k × 11.11950802335329 km apart (great circle).
pub fn positions(r: &Referential) -> crate::distance::Positions {
    let mut v = vec![None; r.communes().len()];
    for (k, (code, ..)) in COMMUNES.iter().enumerate() {
        v[r.commune_index(code).unwrap() as usize] = Some((3.0, 50.0 + 0.1 * k as f64));
    }
    crate::distance::Positions::new(v)
}

/// Straight-line km of one step between neighbours in [`positions`].
pub const STEP_KM: f64 = 11.11950802335329;
