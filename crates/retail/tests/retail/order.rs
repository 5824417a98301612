//! The state at any past date is rebuilt exactly whatever the order in which the
//! observations were imported: shuffled, or split in files imported one after the other.

use echelle_referential::{Layer, TerritoryRef};
use echelle_retail::*;
use proptest::prelude::*;

use crate::fixture::*;

fn observation(id: usize, observed: Date, commune: &str, area: f64, closed: Option<Date>) -> Observation {
    Observation {
        establishment: format!("E{id}"),
        observed,
        source: "test".into(),
        siret: None,
        name: format!("Établissement {id}"),
        brand: None,
        address: None,
        commune: commune.into(),
        position: None,
        centre: None,
        area_indoor: area,
        area_outdoor: 0.0,
        category: ["food", "household", "car", "personal"][id % 4].into(),
        guessed_from: None,
        naf: None,
        zone: None,
        in_mall: id.is_multiple_of(5),
        opened: None,
        closed,
    }
}

const COMMUNES: [&str; 4] = ["62119", "62178", "62498", "62510"];

/// Establishments, each with up to five observations on distinct days.
fn observations() -> impl Strategy<Value = Vec<Observation>> {
    prop::collection::vec(
        prop::collection::btree_map(0u32..2_000, (0usize..4, 100u32..6_000, prop::bool::weighted(0.1)), 1..5),
        1..25,
    )
    .prop_map(|ests| {
        let day = |n: u32| {
            Date::new(2015 + (n / 365) as i32, 1 + ((n % 365) / 31).min(11) as u8, 1 + (n % 28) as u8).unwrap()
        };
        let mut out = Vec::new();
        for (id, obs) in ests.into_iter().enumerate() {
            for (n, (c, area, closes)) in obs {
                let closed = closes.then(|| day(n + 30));
                out.push(observation(id, day(n), COMMUNES[c], area as f64, closed));
            }
        }
        // Distinct (establishment, date): drop the rare same-day duplicates of `day`.
        out.sort_by(|a, b| (&a.establishment, a.observed).cmp(&(&b.establishment, b.observed)));
        out.dedup_by(|a, b| a.establishment == b.establishment && a.observed == b.observed);
        out
    })
}

fn inventories(reg: &Register) -> Vec<(String, usize, f64, usize, f64)> {
    let (rules, r) = (Rules::shipped(), referential());
    let obs = Observatory::new(reg, &rules, &r);
    let mut out = Vec::new();
    for year in 2015..=2021 {
        for t in [TerritoryRef::new(Layer::Epci, "200072460"), TerritoryRef::new(Layer::Departement, "62")] {
            let d = Date::new(year, 6, 15).unwrap();
            let i = obs.inventory(&t, d, &[]).unwrap();
            let c = obs.change(&t, Date::new(2015, 1, 1).unwrap(), d).unwrap();
            out.push((format!("{t} {d}"), i.shops, i.area, c.openings.count, c.net_area));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn the_inventory_at_any_date_does_not_depend_on_the_import_order(
        all in observations(),
        seed in any::<u64>(),
        cut in 0usize..100,
    ) {
        let reference = inventories(&Register { observations: all.clone(), ..Default::default() });
        // Shuffled (a Fisher-Yates with a small generator: the seed is the case's).
        let mut shuffled = all.clone();
        let mut s = seed | 1;
        for i in (1..shuffled.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            shuffled.swap(i, (s % (i as u64 + 1)) as usize);
        }
        prop_assert_eq!(&inventories(&Register { observations: shuffled.clone(), ..Default::default() }), &reference);
        // Two files, the later one imported first.
        let k = cut * shuffled.len() / 100;
        let mut reg = Register { observations: shuffled[k..].to_vec(), ..Default::default() };
        reg.merge(Register { observations: shuffled[..k].to_vec(), ..Default::default() });
        prop_assert_eq!(&inventories(&reg), &reference);
    }
}
