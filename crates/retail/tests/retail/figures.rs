//! The hand-checked figures of the fixture (issue 15's first check). Every expected
//! value below is worked out by hand from `fixture/etablissements.csv` and
//! `fixture/projets.csv`, in the comments.

use echelle_referential::{Layer, TerritoryRef};
use echelle_retail::*;

use crate::fixture::*;

fn t(layer: Layer, code: &str) -> TerritoryRef {
    TerritoryRef::new(layer, code)
}

fn figures(list: &[Figure]) -> Vec<(&str, usize, f64)> {
    list.iter().map(|f| (f.key.as_str(), f.shops, f.area)).collect()
}

#[test]
fn counts_areas_and_densities_at_three_dates() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let obs = Observatory::new(&reg, &rules, &r);
    let bb = t(Layer::Epci, "200072460");
    let ll = t(Layer::Epci, "246200364");
    let dep = t(Layer::Departement, "62");
    let at = |x: &TerritoryRef, d: &str| obs.inventory(x, date(d), &[]).unwrap();
    // 2020: Béthune S01 4000 + S02 1200 + S03 600 + S04 2500 + S05 8000 + S08 900 = 17 200
    // (S06 garage and S07 250 m² in a mall excluded); Bruay S09 2000 + S10 400 + S11 350 = 2 750.
    let i = at(&bb, "2020-01-01");
    assert_eq!((i.shops, i.area, i.population), (9, 19_950.0, 45_000));
    assert_eq!(i.density, Some(443.33)); // 19 950 000 / 45 000
    // Lens S13 3000 + S14 1500 + S16 2600; Liévin S17 5000 + S18 800 + S19 320.
    let i = at(&ll, "2020-01-01");
    assert_eq!((i.shops, i.area, i.density), (6, 13_220.0, Some(213.23)));
    let i = at(&dep, "2020-01-01");
    assert_eq!((i.shops, i.area, i.density), (15, 33_170.0, Some(310.0)));
    // 2023: S04 extended to 3000 + 500 outdoor, S08 closed on 2022-06-30; S15 (opened
    // 2021-09-01) in Lens; S20 first observed in 2026 but open since 2022-05-01.
    let i = at(&bb, "2023-01-01");
    assert_eq!((i.shops, i.area, i.density), (8, 20_050.0, Some(445.56)));
    let i = at(&ll, "2023-01-01");
    assert_eq!((i.shops, i.area, i.density), (8, 15_720.0, Some(253.55)));
    let i = at(&dep, "2023-01-01");
    assert_eq!((i.shops, i.area, i.density), (16, 35_770.0, Some(334.3)));
    // 2026: S10 moved from Bruay to Lens; S12 opened in Bruay (1200).
    let i = at(&bb, "2026-01-01");
    assert_eq!((i.shops, i.area, i.density), (8, 20_850.0, Some(463.33)));
    let i = at(&ll, "2026-01-01");
    assert_eq!((i.shops, i.area, i.density), (9, 16_120.0, Some(260.0)));
    let i = at(&dep, "2026-01-01");
    assert_eq!((i.shops, i.area, i.density), (17, 36_970.0, Some(345.51)));
    assert_eq!(figures(&i.by_band), vec![("300-999", 6, 3_170.0), ("1000-2499", 5, 7_700.0), ("2500+", 6, 26_100.0)]);
    assert_eq!(
        figures(&i.by_category),
        vec![
            ("food", 7, 14_000.0),
            ("household", 2, 5_000.0),
            ("personal", 4, 2_020.0),
            ("culture_leisure", 1, 2_600.0),
            ("diy_garden", 2, 13_000.0),
            ("other_non_food", 1, 350.0),
        ]
    );
    assert_eq!(figures(&i.by_family), vec![("food", 7, 14_000.0), ("non_food", 10, 22_970.0)]);
    assert_eq!(figures(&i.excluded), vec![("car", 1, 1_500.0), ("in_mall", 1, 250.0)]);
    // TASCOM from 400 m²: all but S11 (350) and S19 (320).
    assert_eq!((i.tascom.shops, i.tascom.area), (15, 36_300.0));
    // Geocoded: S01 4000 (2.0 km from Béthune's centre), S02 1200 (80 m), S04 3500 (2.2 km),
    // S05 8000 (2.1 km), S13 3000 (70 m), S16 2600 (2.1 km): 18 100 of 22 300 m² beyond 1 km.
    assert_eq!((i.centrality.geocoded_shops, i.centrality.geocoded_area), (6, 22_300.0));
    assert_eq!((i.centrality.far_area, i.centrality.far_share_pct), (18_100.0, Some(81.17)));
    assert_eq!(i.placed_at_commune, 11);
    // References: the département, région and France hold the same four communes here.
    let refs: Vec<(&str, Option<f64>)> = i.references.iter().map(|x| (x.territory.as_str(), x.density)).collect();
    assert_eq!(refs, vec![("reg:32", Some(345.51)), ("fr", Some(345.51))]);
    let i = at(&ll, "2026-01-01");
    assert_eq!(i.references[0].territory, "dep:62");
    assert_eq!(i.references[0].density, Some(345.51));
}

#[test]
fn a_perimeter_against_its_outside() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let obs = Observatory::new(&reg, &rules, &r);
    // Inside: the Béthune-Bruay EPCI (20 850) and Lens (8 200): 29 050 m² for 77 000
    // inhabitants; outside, in the rest of the région: Liévin, 7 920 m² for 30 000.
    let i = obs.inventory(&TerritoryRef::new(Layer::Perimeter, "test"), date("2026-01-01"), &[]).unwrap();
    assert_eq!((i.shops, i.area, i.density), (13, 29_050.0, Some(377.27)));
    let out = &i.references[0];
    assert_eq!(out.territory, "per:test!outside");
    assert_eq!((out.shops, out.area, out.population, out.density), (4, 7_920.0, 30_000, Some(264.0)));
    assert!(!i.partial && !out.partial);
    // Before any shop opened: zero, not minus zero (JSON would say -0.0).
    let d = obs.densities(&[TerritoryRef::new(Layer::Commune, "62119")], date("1990-01-01")).unwrap();
    assert!(d[0].area == 0.0 && d[0].area.is_sign_positive() && d[0].density == Some(0.0), "{:?}", d[0]);
}

#[test]
fn figures_reaching_beyond_the_inventory_s_coverage_are_partial() {
    let (mut reg, rules, r) = (register(), Rules::shipped(), referential());
    reg.coverage = Some("epci:246200364".into());
    let obs = Observatory::new(&reg, &rules, &r);
    let ll = obs.inventory(&TerritoryRef::new(Layer::Epci, "246200364"), date("2026-01-01"), &[]).unwrap();
    assert_eq!((ll.partial, ll.coverage.as_deref()), (false, Some("epci:246200364")));
    assert!(ll.references.iter().all(|x| x.partial), "the département reaches beyond Lens-Liévin");
    let bb = obs.inventory(&TerritoryRef::new(Layer::Epci, "200072460"), date("2026-01-01"), &[]).unwrap();
    assert!(bb.partial);
}

#[test]
fn change_between_two_dates() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let obs = Observatory::new(&reg, &rules, &r);
    let ca = |c: &CountArea| (c.count, c.area);
    // Béthune-Bruay 2020 -> 2026: S12 opens (1200), S04 grows by 1000, S08 closes (900),
    // S10 leaves for Lens (400): 19 950 -> 20 850, + 900.
    let c = obs.change(&TerritoryRef::new(Layer::Epci, "200072460"), date("2020-01-01"), date("2026-01-01")).unwrap();
    assert_eq!((ca(&c.before), ca(&c.after)), ((9, 19_950.0), (8, 20_850.0)));
    assert_eq!((ca(&c.openings), ca(&c.extensions), ca(&c.closures)), ((1, 1_200.0), (1, 1_000.0), (1, 900.0)));
    assert_eq!((ca(&c.moved_out), ca(&c.moved_in), ca(&c.reductions)), ((1, 400.0), (0, 0.0), (0, 0.0)));
    assert_eq!((c.net_shops, c.net_area), (-1, 900.0));
    assert_eq!((c.density_before, c.density_after), (Some(443.33), Some(463.33)));
    // Lens-Liévin gets S10 (400) by a move, S15 (700) and S20 (1800) by openings.
    let c = obs.change(&TerritoryRef::new(Layer::Epci, "246200364"), date("2020-01-01"), date("2026-01-01")).unwrap();
    assert_eq!((ca(&c.openings), ca(&c.moved_in), ca(&c.closures)), ((2, 2_500.0), (1, 400.0), (0, 0.0)));
    assert_eq!((c.net_shops, c.net_area), (3, 2_900.0));
    // The département: the move is inside it; S12, S15, S20 open (3700), + 1000, − 900.
    let c = obs.change(&TerritoryRef::new(Layer::Departement, "62"), date("2020-01-01"), date("2026-01-01")).unwrap();
    assert_eq!((ca(&c.openings), ca(&c.extensions), ca(&c.closures)), ((3, 3_700.0), (1, 1_000.0), (1, 900.0)));
    assert_eq!((ca(&c.moved_in), ca(&c.moved_out)), ((0, 0.0), (0, 0.0)));
    assert_eq!((c.net_shops, c.net_area), (2, 3_800.0));
    assert!(obs.change(&TerritoryRef::new(Layer::Departement, "62"), date("2026-01-01"), date("2020-01-01")).is_err());
}

#[test]
fn projects_authorised_not_opened_and_approval_rates() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let obs = Observatory::new(&reg, &rules, &r);
    let dep = TerritoryRef::new(Layer::Departement, "62");
    let ca = |c: &CountArea| (c.count, c.area);
    // 2026: P1 (Bruay, 1500 requested; CDAC yes 7-2-1 for 1500; CNAC, on appeal, yes for
    // 1200) opened 1200 in 2024. P2 (Lens, extension of 1000; CDAC no 3-6-0; CNAC yes for
    // 800) not opened: 800 authorised not opened.
    let s = obs.inventory(&dep, date("2026-01-01"), &[]).unwrap().projects;
    assert_eq!((ca(&s.filed), ca(&s.opened), ca(&s.authorised_not_opened)), ((2, 2_500.0), (1, 1_200.0), (1, 800.0)));
    assert_eq!((ca(&s.pending), ca(&s.refused), ca(&s.artificialising)), ((0, 0.0), (0, 0.0), (1, 1_500.0)));
    let a = &s.cdac_approval;
    assert_eq!((a.decided, a.approved, a.by_number_pct), (2, 1, Some(50.0)));
    assert_eq!((a.area_requested, a.area_approved, a.by_area_pct), (2_500.0, 1_500.0, Some(60.0)));
    let a = &s.final_approval;
    assert_eq!((a.decided, a.approved, a.by_number_pct), (2, 2, Some(100.0)));
    assert_eq!((a.area_approved, a.by_area_pct), (2_000.0, Some(80.0)));
    // 2023: P1 authorised by the CNAC, not opened yet; P2 not filed.
    let s = obs.inventory(&dep, date("2023-01-01"), &[]).unwrap().projects;
    assert_eq!((ca(&s.filed), ca(&s.authorised_not_opened), ca(&s.opened)), ((1, 1_500.0), (1, 1_200.0), (0, 0.0)));
    assert_eq!(s.final_approval.by_area_pct, Some(80.0));
    // Mid-2024: P2 refused by the CDAC and under appeal: pending, neither authorised nor refused.
    let list = obs.projects(&dep, date("2024-08-01")).unwrap();
    let p2 = list.iter().find(|p| p.id == "P2").unwrap();
    assert_eq!((p2.status.as_str(), p2.decision.as_ref()), ("appeal_pending", None));
    assert_eq!(p2.cdac.as_ref().map(|d| (d.favourable, d.votes)), Some((false, Some([3, 6, 0]))));
    let s = projects::summary(&list);
    assert_eq!((ca(&s.pending), ca(&s.refused)), ((1, 1_000.0), (0, 0.0)));
    // By territory: P1 is Bruay's, P2 Lens's.
    let ll = obs.inventory(&TerritoryRef::new(Layer::Epci, "246200364"), date("2026-01-01"), &[]).unwrap().projects;
    assert_eq!(ca(&ll.authorised_not_opened), (1, 800.0));
    let bb = obs.inventory(&TerritoryRef::new(Layer::Epci, "200072460"), date("2026-01-01"), &[]).unwrap().projects;
    assert_eq!((ca(&bb.authorised_not_opened), ca(&bb.opened)), ((0, 0.0), (1, 1_200.0)));
}

#[test]
fn a_guessed_category_is_marked_and_shops_are_placed() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let s20: Vec<&Observation> = reg.observations.iter().filter(|o| o.establishment == "S20").collect();
    assert_eq!(s20.len(), 1);
    assert_eq!(s20[0].category, "food");
    assert_eq!(s20[0].guessed_from.as_deref(), Some("name-suggestion-index 8.0.fixture : shop=supermarket"));
    let obs = Observatory::new(&reg, &rules, &r);
    let shops = obs.shops(&TerritoryRef::new(Layer::Commune, "62119"), date("2026-01-01")).unwrap();
    assert_eq!(shops.len(), 5);
    let s03 = shops.iter().find(|s| s.id == "S03").unwrap();
    assert_eq!((s03.geocoded, s03.lon, s03.lat), (false, 2.64, 50.53));
    let s01 = shops.iter().find(|s| s.id == "S01").unwrap();
    assert_eq!((s01.geocoded, s01.band.as_str(), s01.family.as_str()), (true, "2500+", "food"));
}
