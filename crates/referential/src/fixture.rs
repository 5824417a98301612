//! A small hand-made referential for unit tests: two régions, three départements,
//! a handful of communes with their EPCI, an arrondissement municipal, a merged
//! commune and two IRIS.

use crate::referential::UnitInfo;
use crate::{Commune, Layer, Referential, SubCommune, SubCommuneKind};

fn commune(code: &str, name: &str, dep: &str, reg: &str, arr: &str, epci: Option<&str>, pop: u64) -> Commune {
    Commune {
        code: code.into(),
        name: name.into(),
        departement: dep.into(),
        region: reg.into(),
        arrondissement: Some(arr.into()),
        in_france: true,
        epci: epci.map(str::to_string),
        population: Some(pop),
        population_dgcl: Some(pop - 1),
    }
}

fn unit(layer: Layer, code: &str, name: &str) -> UnitInfo {
    UnitInfo { layer, code: code.into(), name: name.into(), kind: None }
}

pub(crate) fn referential() -> Referential {
    let communes = vec![
        commune("59350", "Lille", "59", "32", "595", Some("200093201"), 236_000),
        commune("59512", "Roubaix", "59", "32", "595", Some("200093201"), 99_000),
        commune("62119", "Béthune", "62", "32", "622", Some("200072460"), 25_000),
        commune("62178", "Bruay-la-Buissière", "62", "32", "622", Some("200072460"), 21_000),
        commune("62498", "Lens", "62", "32", "627", Some("246200364"), 32_000),
        commune("75056", "Paris", "75", "11", "751", None, 2_100_000),
    ];
    let units = vec![
        unit(Layer::Epci, "200093201", "Métropole Européenne de Lille"),
        unit(Layer::Epci, "200072460", "CA de Béthune-Bruay, Artois-Lys Romane"),
        unit(Layer::Epci, "246200364", "CA de Lens - Liévin"),
        unit(Layer::Arrondissement, "595", "Lille"),
        unit(Layer::Arrondissement, "622", "Béthune"),
        unit(Layer::Arrondissement, "627", "Lens"),
        unit(Layer::Arrondissement, "751", "Paris"),
        unit(Layer::Departement, "59", "Nord"),
        unit(Layer::Departement, "62", "Pas-de-Calais"),
        unit(Layer::Departement, "75", "Paris"),
        unit(Layer::Region, "32", "Hauts-de-France"),
        unit(Layer::Region, "11", "Île-de-France"),
    ];
    let subs = vec![
        SubCommune {
            code: "75101".into(),
            name: "Paris 1er Arrondissement".into(),
            kind: SubCommuneKind::ArrondissementMunicipal,
            commune: "75056".into(),
        },
        SubCommune {
            code: "62999".into(),
            name: "Annezin-les-Prés".into(),
            kind: SubCommuneKind::Deleguee,
            commune: "62119".into(),
        },
    ];
    let former = vec![("62999".into(), "62119".into())];
    let iris = vec![
        ("593500101".into(), "Lille – IRIS 0101".into(), "59350".into()),
        ("593500102".into(), "Lille – IRIS 0102".into(), "59350".into()),
    ];
    Referential::new(communes, units, subs, former, iris).expect("consistent fixture")
}
