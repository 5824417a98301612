//! The reference pack built from the real published files (scripts/test builds it and
//! sets ECHELLE_TEST_STORE), checked against the published totals.

use std::collections::{BTreeSet, HashMap};

use arrow::array::AsArray;
use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::{Store, read_parquet};

fn store() -> Store {
    let root = std::env::var("ECHELLE_TEST_STORE")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../.cache/test-store").to_string());
    assert!(
        std::path::Path::new(&root).join("catalog.sqlite").exists(),
        "no test store at {root}: run the tests with scripts/test, which builds the reference pack"
    );
    Store::open(root).expect("test store")
}

fn members(r: &Referential, t: &str) -> Vec<u32> {
    r.members(&r.resolve(t).unwrap()).unwrap().into_owned()
}

#[test]
fn the_pack_holds_the_whole_official_geography() {
    let r = store().referential().unwrap();
    assert_eq!(r.communes().len(), 34_969, "communes actuelles of COG 2026");
    assert_eq!(r.units(Layer::Epci).len(), 1_255);
    assert_eq!(r.units(Layer::Departement).len(), 109);
    assert_eq!(r.units(Layer::Region).len(), 26);
    assert_eq!(r.iris().len(), 49_280, "every IRIS of the census file is attached to a current commune");
    assert!(r.commune("2A004").is_some(), "Corsican codes keep their letter");
    assert!(r.commune("01001").is_some(), "codes keep their leading zero");
}

#[test]
fn every_epci_reproduces_its_published_population_exactly() {
    let store = store();
    let r = store.referential().unwrap();
    let published = store.published_populations().unwrap();
    let mut checked = 0;
    for epci in r.units(Layer::Epci) {
        let sum: u64 = epci.members.iter().map(|&c| r.communes()[c as usize].population_dgcl.unwrap()).sum();
        assert_eq!(sum, published[&epci.code], "EPCI {} {}", epci.code, epci.name);
        checked += 1;
    }
    assert_eq!(checked, 1_255);
}

#[test]
fn departements_and_regions_match_within_the_vintage_gap() {
    // Legal populations in force in 2026 against the DGCL file's older census vintage,
    // over the communes that have both: the gap is population change, at most 3 %
    // (Guyane's is the largest, about 2 %).
    let r = store().referential().unwrap();
    for layer in [Layer::Departement, Layer::Region] {
        for u in r.units(layer) {
            let (legal, dgcl) = u
                .members
                .iter()
                .filter_map(|&c| {
                    let c = &r.communes()[c as usize];
                    Some((c.population?, c.population_dgcl?))
                })
                .fold((0u64, 0u64), |a, (l, d)| (a.0 + l, a.1 + d));
            if dgcl == 0 {
                continue; // overseas collectivities outside any EPCI
            }
            let gap = legal as f64 / dgcl as f64 - 1.0;
            assert!(gap.abs() < 0.03, "{} {}: gap {:.2} %", layer.label(), u.code, gap * 100.0);
        }
    }
}

#[test]
fn the_shipped_perimeters_are_what_methods_md_says() {
    let r = store().referential().unwrap();
    let arrs: BTreeSet<&str> = ["593", "595", "596", "621", "622", "627"].into();
    let expected: Vec<u32> = (0..r.communes().len() as u32)
        .filter(|&c| r.communes()[c as usize].arrondissement.as_deref().is_some_and(|a| arrs.contains(a)))
        .collect();
    assert_eq!(members(&r, "per:aire-urbaine-centrale"), expected);

    let mel = members(&r, "per:mel");
    assert_eq!(mel.len(), 95);
    let dgcl: u64 = mel.iter().map(|&c| r.communes()[c as usize].population_dgcl.unwrap()).sum();
    assert_eq!(dgcl, 1_194_040);

    let aml = members(&r, "per:aml");
    let rest = members(&r, "per:hauts-de-france-hors-aml");
    assert_eq!(aml.len() + rest.len(), members(&r, "reg:32").len());
    assert!(rest.iter().all(|c| aml.binary_search(c).is_err()));
    let bassin = r.perimeter("bassin-minier").unwrap();
    assert_eq!(bassin.def.status.label(), "provisional");
    assert!(bassin.members.len() > 200 && bassin.members.len() < 320, "{}", bassin.members.len());
    // Overlaps are allowed: Béthune is in the Bassin minier, the AML and the Artois pole.
    let bethune = r.commune_index("62119").unwrap();
    for p in ["bassin-minier", "aml", "pole-metropolitain-artois", "aire-urbaine-centrale"] {
        assert!(r.perimeter(p).unwrap().members.contains(&bethune), "{p}");
    }
}

#[test]
fn every_commune_of_france_has_a_shape_or_a_reason() {
    let store = store();
    let r = store.referential().unwrap();
    let contours = read_parquet(&store.pack_dir().unwrap().join("contours.parquet")).unwrap();
    let codes: BTreeSet<&str> = contours.column_by_name("code").unwrap().as_string::<i32>().iter().flatten().collect();
    let report = std::fs::read_to_string(store.pack_dir().unwrap().join("build-report.txt")).unwrap();
    let france = members(&r, "fr");
    let mut without = Vec::new();
    for &c in &france {
        let c = &r.communes()[c as usize];
        if !codes.contains(c.code.as_str()) {
            let line = report.lines().find(|l| l.starts_with(&format!("  {} ", c.code)));
            assert!(line.is_some_and(|l| l.contains(": ")), "{} {} has no shape and no reason", c.code, c.name);
            without.push(c.code.as_str());
        }
    }
    assert!(france.len() > 34_800, "{} communes in France (métropole and DROM)", france.len());
    assert!(without.len() <= 10, "at most a handful without a shape: {without:?}");
    for dep in ["59", "62", "29", "2A", "2B", "971", "972", "973", "974", "976"] {
        assert!(without.iter().all(|c| !c.starts_with(dep)), "every commune of dep:{dep} has a shape");
    }
    // The overseas collectivities, outside the contours, are listed too.
    for c in r.communes().iter().filter(|c| !codes.contains(c.code.as_str())) {
        assert!(report.contains(&format!("{} {}", c.code, c.name)), "{} {} is not in the build report", c.code, c.name);
    }
}

/// Per département, nothing overlaps and nothing is lost in the reconciliation: the sum
/// of its communes' areas equals the area of their union to 0.1 %.
#[test]
fn each_departement_is_the_sum_of_its_communes_areas() {
    use echelle_store::shapes::{commune_shapes, union_layer};
    use geo::GeodesicArea;
    let store = store();
    let r = store.referential().unwrap();
    let communes = commune_shapes(&r, echelle_store::read_contours(&store.pack_dir().unwrap()).unwrap());
    let deps = union_layer(&r, &communes, Layer::Departement);
    assert!(deps.shapes.len() >= 101, "every département of France and the DROM is shaped ({})", deps.shapes.len());
    for dep in &deps.shapes {
        let members = members(&r, &dep.key);
        let summed: f64 = members.iter().filter_map(|&c| communes.by_id(c)).filter_map(|s| s.area_km2).sum();
        let union = dep.shape.geodesic_area_unsigned() / 1e6;
        let gap = (summed - union).abs() / union;
        assert!(
            gap < 1e-3,
            "{} {}: communes {summed:.1} km², union {union:.1} km² ({:.3} %)",
            dep.key,
            dep.name,
            gap * 100.0
        );
    }
}

#[test]
fn merged_communes_get_the_union_of_their_former_shapes() {
    let store = store();
    let contours = read_parquet(&store.pack_dir().unwrap().join("contours.parquet")).unwrap();
    let codes = contours.column_by_name("code").unwrap().as_string::<i32>();
    let from = contours.column_by_name("from_2018").unwrap().as_string::<i32>();
    let area = contours.column_by_name("area_km2").unwrap().as_primitive::<arrow::datatypes::Float64Type>();
    let by_code: HashMap<&str, (usize, f64)> =
        (0..contours.num_rows()).map(|i| (codes.value(i), (from.value(i).split(' ').count(), area.value(i)))).collect();
    let merged = by_code.values().filter(|(n, _)| *n > 1).count();
    assert!(merged > 200, "communes of France merged since 2018 ({merged})");
    // Béthune is 9.46 km² (IGN); the simplified 2018 contour is within 2 %.
    let (_, bethune) = by_code["62119"];
    assert!((bethune - 9.46).abs() / 9.46 < 0.02, "{bethune}");
    let r = store.referential().unwrap();
    assert!(r.contains(&TerritoryRef::new(Layer::Commune, "62119")));
}

#[test]
fn user_perimeters_are_added_replaced_and_removed_in_one_transaction_each() {
    for backend in echelle_store::testing::backends() {
        user_perimeters_on(&backend);
    }
}

fn user_perimeters_on(backend: &echelle_store::testing::TestBackend) {
    use echelle_referential::PerimeterDef;
    use echelle_store::StoreError;
    let dir = tempfile::tempdir().unwrap();
    echelle_store::testing::copy_store_on(store().root(), dir.path(), backend);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.postgres().is_some(), backend.fresh_location().is_some(), "{backend:?}");
    let def = |id: &str, include: &str| {
        let text = format!("id = \"{id}\"\nname = \"{id}\"\nstatus = \"provisional\"\ninclude = [\"{include}\"]\n");
        PerimeterDef::parse("test", &text).unwrap()
    };
    let version = store.catalog().version().unwrap();
    let r = store.add_perimeter(def("a", "dep:62"), false).unwrap();
    assert_eq!(members(&r, "per:a"), members(&r, "dep:62"), "the referential returned holds it");
    store.add_perimeter(def("b", "per:a"), false).unwrap();
    assert_eq!(store.catalog().version().unwrap(), version + 2);
    assert!(store.add_perimeter(def("a", "dep:59"), false).is_err(), "id taken");
    assert!(store.add_perimeter(def("c", "99999"), false).is_err(), "unknown territory");
    assert!(matches!(store.add_perimeter(def("mel", "dep:59"), true), Err(StoreError::Protected(_))));
    assert_eq!(store.catalog().version().unwrap(), version + 2, "refusals write nothing");

    // Replacing a perimeter another refers to changes that one too.
    let r = store.add_perimeter(def("a", "dep:59"), true).unwrap();
    assert_eq!(members(&r, "per:b"), members(&r, "dep:59"));
    assert!(matches!(store.remove_perimeter("a"), Err(StoreError::Protected(m)) if m.contains("'b'")));
    assert!(matches!(store.remove_perimeter("mel"), Err(StoreError::Protected(_))));
    assert!(matches!(store.remove_perimeter("nope"), Err(StoreError::UnknownPerimeter(_))));
    store.remove_perimeter("b").unwrap();
    let r = store.remove_perimeter("a").unwrap();
    assert!(r.perimeter("a").is_none() && r.perimeter("mel").is_some());
    assert!(store.referential().unwrap().perimeter("b").is_none());
    assert_eq!(store.catalog().version().unwrap(), version + 5);
}

#[test]
fn the_scot_of_the_aml_are_to_confirm_disjoint_and_found_by_name() {
    let s = store();
    let r = s.referential().unwrap();
    let scot: Vec<_> = r.perimeters().iter().filter(|p| p.def.id.starts_with("scot-")).collect();
    assert_eq!(scot.len(), 8);
    let mut seen = BTreeSet::new();
    for p in &scot {
        // No published composition was at hand: every one says so.
        assert_eq!(p.def.status.label(), "to confirm", "{}", p.def.id);
        assert!(!p.members.is_empty(), "{}", p.def.id);
        for &c in &p.members {
            assert!(seen.insert(c), "{} shares commune {c} with another SCoT", p.def.id);
        }
    }
    let llhc = r.resolve("SCoT de Lens-Liévin Hénin-Carvin").unwrap();
    let lens = r.commune_index("62498").unwrap();
    assert!(r.members(&llhc).unwrap().contains(&lens));
}
