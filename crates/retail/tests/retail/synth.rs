//! The SYNTHETIC demo inventory on the real referential (the test store): about a
//! thousand establishments of the aire urbaine centrale over three dates, a few dozen
//! projects, the same for the same seed.

use echelle_retail::store::Contours;
use echelle_retail::{Date, Observatory, Rules};

#[test]
fn the_demo_inventory_of_the_aire_urbaine_centrale() {
    let store = echelle_store::Store::open(echelle_store::testing::test_store()).unwrap();
    let r = store.referential().unwrap();
    let auc = r.resolve("per:aire-urbaine-centrale").unwrap();
    let contours = Contours::read(&store).unwrap();
    let reg = echelle_retail::synth::inventory(&r, &auc, &contours, 15).unwrap();
    let n = reg.establishments().len();
    assert!((900..=1_300).contains(&n), "{n} establishments");
    assert!((30..=40).contains(&reg.projects.len()));
    let members = r.members(&auc).unwrap();
    assert!(reg.observations.iter().all(|o| r.commune_index(&o.commune).is_some_and(|i| members.contains(&i))));
    assert_eq!(reg, echelle_retail::synth::inventory(&r, &auc, &contours, 15).unwrap());
    let rules = Rules::shipped();
    let obs = Observatory::new(&reg, &rules, &r);
    let shops: Vec<usize> = [(2016, 1, 1), (2021, 1, 1), (2026, 1, 1)]
        .iter()
        .map(|d| obs.inventory(&auc, Date::new(d.0, d.1, d.2).unwrap(), &[]).unwrap().shops)
        .collect();
    // Each date has its inventory, and the inventory moves between them.
    assert!(shops.iter().all(|s| *s > 500) && shops[0] != shops[2], "{shops:?}");
    let i = obs.inventory(&auc, Date::new(2026, 1, 1).unwrap(), &[]).unwrap();
    // Densities of the order of French large retail (hundreds of m² per 1,000 inhabitants).
    assert!((300.0..=1_500.0).contains(&i.density.unwrap()), "{:?}", i.density);
    assert!(i.by_category.iter().all(|c| c.shops > 0) && i.excluded.iter().any(|e| e.key == "car"));
}
