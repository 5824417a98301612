//! Every figure of the fixture (src/fixture.rs) against the value computed by hand.

use echelle_referential::{Layer, TerritoryRef};
use proptest::prelude::*;

use crate::fixture;
use crate::flows::{Flow, Flows, NONE, weight};
use crate::matrix::{self, By, Count, Secrecy, sums};
use crate::zones::Zones;

fn t(s: &str) -> TerritoryRef {
    let (l, c) = s.split_once(':').unwrap();
    TerritoryRef::new(l.parse().unwrap(), c)
}

fn cell(m: &crate::Matrix, o: &str, d: &str) -> Option<(Option<f64>, bool)> {
    m.cells
        .iter()
        .find(|c| &*c.origin_key == o && &*c.dest_key == d && c.category.is_none())
        .map(|c| (c.workers.value(), c.secret))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

#[test]
fn epci_matrix_by_hand() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let z = Zones::layer(&r, Layer::Epci, None).unwrap();
    let (a, b, c, d, e) = ("epci:200093201", "epci:200072460", "epci:246200364", "epci:200044618", "epci:200033579");
    // Without secrecy, every cell by hand:
    let all = matrix::matrix(&f, &z, By::Nothing, Secrecy::below(Some(0.0))).unwrap();
    // A -> A: flows 1-5 = 100 + 40 + 60 + 30 + 20 = 250; A -> abroad: flow 15 = 8
    assert_eq!(cell(&all, a, a), Some((Some(250.0), false)));
    assert_eq!(cell(&all, a, "abroad"), Some((Some(8.0), false)));
    // B -> A: flow 6 = 50; B -> B: flow 7 = 80; B -> C: flow 16 = 9.25
    assert_eq!(cell(&all, b, a), Some((Some(50.0), false)));
    assert_eq!(cell(&all, b, b), Some((Some(80.0), false)));
    assert_eq!(cell(&all, b, c), Some((Some(9.25), false)));
    // C -> A: flow 8 = 25.5; C -> C: flows 9 + 10 = 45 + 15 = 60
    assert_eq!(cell(&all, c, a), Some((Some(25.5), false)));
    assert_eq!(cell(&all, c, c), Some((Some(60.0), false)));
    // D -> A: flow 11 = 35; D -> D: flow 12 = 10; E -> A: flow 13 = 5; E -> E: flows 14 + 17 = 12 + 4 = 16
    assert_eq!(cell(&all, d, a), Some((Some(35.0), false)));
    assert_eq!(cell(&all, d, d), Some((Some(10.0), false)));
    assert_eq!(cell(&all, e, a), Some((Some(5.0), false)));
    assert_eq!(cell(&all, e, e), Some((Some(16.0), false)));
    assert_eq!(all.cells.len(), 11);
    // total: 250 + 8 + 50 + 80 + 9.25 + 25.5 + 60 + 35 + 10 + 5 + 16 = 548.75
    assert_eq!(all.total, Count::Shown(548.75));
    let tot = |m: &crate::Matrix, k: &str| m.totals.iter().find(|x| x.key == k).unwrap().clone();
    // A: residents 250 + 8 = 258; jobs held 250 + 50 + 25.5 + 35 + 5 = 365.5; B: 50 + 80 + 9.25 = 139.25 and 80
    assert_eq!((tot(&all, a).residents_in_work.value(), tot(&all, a).jobs_held.value()), (Some(258.0), Some(365.5)));
    assert_eq!((tot(&all, b).residents_in_work.value(), tot(&all, b).jobs_held.value()), (Some(139.25), Some(80.0)));
    // every cell is fragile (< 200) except A -> A (250)
    assert_eq!(all.cells.iter().filter(|c| !c.fragile).count(), 1);

    // With the threshold of 11: primary secrets A -> abroad 8, B -> C 9.25, D -> D 10, E -> A 5 (never 0).
    let m = matrix::matrix(&f, &z, By::Nothing, Secrecy::default()).unwrap();
    assert_eq!(m.total, Count::Shown(548.75));
    let primary: Vec<(&str, &str)> =
        m.cells.iter().filter(|c| c.secret && !c.secondary).map(|c| (&*c.origin_key, &*c.dest_key)).collect();
    // (cells in zone order: EPCI by SIREN, so E, D, B, A, C)
    assert_eq!(primary, vec![(e, a), (d, d), (b, c), (a, "abroad")]);
    // Secondary, by hand. Totals under 11 are secret: jobs in D (10) and abroad (8).
    // Round 1, rows with one secret: A -> smallest other A -> A; B -> B -> A (50 < 80); D -> D -> A; E -> E -> E.
    //   columns: C (69.25) holds B -> C alone secret -> C -> C; E (16) holds E -> E alone, no other cell -> its total.
    // Round 2, rows: C now holds C -> C alone -> C -> A. Round 3: nothing left to do.
    let second: Vec<(&str, &str)> =
        m.cells.iter().filter(|c| c.secondary).map(|c| (&*c.origin_key, &*c.dest_key)).collect();
    assert_eq!(second, vec![(e, e), (d, a), (b, a), (a, a), (c, a), (c, c)]);
    // Only B -> B (80) is still shown; 10 cells secret.
    assert_eq!(m.secret_cells, 10);
    assert_eq!(cell(&m, b, b), Some((Some(80.0), false)));
    assert_eq!(tot(&m, d).jobs_held.value(), None);
    assert_eq!(tot(&m, e).jobs_held.value(), None);
    assert_eq!(tot(&m, "abroad").jobs_held.value(), None);
    assert_eq!(tot(&m, a).residents_in_work.value(), Some(258.0));
}

#[test]
fn matrix_by_mode_splits_cells() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let z = Zones::layer(&r, Layer::Epci, None).unwrap();
    let m = matrix::matrix(&f, &z, By::Mode, Secrecy::below(Some(0.0))).unwrap();
    let get = |o: &str, d: &str, cat: &str| {
        m.cells
            .iter()
            .find(|c| &*c.origin_key == o && &*c.dest_key == d && c.category.as_deref() == Some(cat))
            .unwrap()
            .workers
            .value()
    };
    let a = "epci:200093201";
    // A -> A by car: flows 1, 3, 4 = 100 + 60 + 30 = 190; public transport: flow 2 = 40; walking: flow 5 = 20
    assert_eq!(get(a, a, "voiture, camion"), Some(190.0));
    assert_eq!(get(a, a, "transports en commun"), Some(40.0));
    assert_eq!(get(a, a, "marche à pied"), Some(20.0));
    assert_eq!(m.total, Count::Shown(548.75));
}

#[test]
fn perimeters_with_the_rest_of_the_region() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let z = Zones::of(&r, &[t("per:mel"), t("per:bassin-minier")], Some(&t("reg:32"))).unwrap();
    let m = matrix::matrix(&f, &z, By::Nothing, Secrecy::default()).unwrap();
    // bassin -> mel: flows 6 + 8 + 11 = 50 + 25.5 + 35 = 110.5
    assert_eq!(cell(&m, "per:bassin-minier", "per:mel"), Some((Some(110.5), false)));
    // bassin -> bassin: 80 + 9.25 + 45 + 15 + 10 = 159.25
    assert_eq!(cell(&m, "per:bassin-minier", "per:bassin-minier"), Some((Some(159.25), false)));
    // rest of the région (Arras EPCI) -> mel: 5 (secret); rest -> rest: 12 + 4 = 16, made secret
    // because the rest's row total (21) would reveal the 5
    assert_eq!(cell(&m, "rest", "per:mel"), Some((None, true)));
    assert_eq!(cell(&m, "rest", "rest"), Some((None, true)));
    assert!(m.cells.iter().any(|c| &*c.origin_key == "rest" && &*c.dest_key == "rest" && c.secondary));
    assert_eq!(m.total, Count::Shown(548.75));
    // Overlapping zones are refused with the commune that overlaps.
    let e = Zones::of(&r, &[t("per:mel"), t("epci:200093201")], None).unwrap_err();
    assert!(e.is_user_error() && e.to_string().contains("overlap"), "{e}");
    // A zone outside the frame is refused.
    let e = Zones::of(&r, &[t("per:mel")], Some(&t("dep:62"))).unwrap_err();
    assert!(e.to_string().contains("not wholly inside"), "{e}");
}

#[test]
fn summary_of_the_mel_by_hand() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let open = Secrecy::below(Some(0.0));
    let s = matrix::summary(&f, &r, &t("per:mel"), Layer::Commune, 10, open).unwrap();
    let v = |c: Count| c.value().unwrap();
    // residents in work: flows 1-5 and 15 = 258 + 8 = 258; inside 250; outgoing 8 (abroad)
    assert_eq!((v(s.residents_in_work), v(s.working_inside), v(s.outgoing)), (258.0, 250.0, 8.0));
    // jobs: 250 + 50 (Béthune) + 25.5 (Lens) + 35 (Douai) + 5 (Arras) = 365.5; incoming 115.5
    assert_eq!((v(s.jobs_held), v(s.incoming)), (365.5, 115.5));
    // net balance: 115.5 - 8 = 107.5
    assert_eq!(s.net_balance, Some(107.5));
    assert!(close(s.self_containment.unwrap(), 100.0 * 250.0 / 258.0)); // 96.899 %
    assert!(close(s.dependence.unwrap(), 100.0 * 8.0 / 258.0)); // 3.101 %
    assert!(close(s.job_self_sufficiency.unwrap(), 100.0 * 250.0 / 365.5)); // 68.399 %

    // At the threshold of 11, outgoing (8) is secret; residents (258) = inside + outgoing,
    // so inside is hidden too, then incoming (jobs 365.5 = inside + incoming), and every rate.
    let s = matrix::summary(&f, &r, &t("per:mel"), Layer::Commune, 10, Secrecy::default()).unwrap();
    assert_eq!(s.residents_in_work, Count::Shown(258.0));
    assert_eq!(s.jobs_held, Count::Shown(365.5));
    assert!(s.outgoing.is_secret() && s.working_inside.is_secret() && s.incoming.is_secret() && s.secret);
    assert_eq!((s.net_balance, s.self_containment, s.dependence, s.job_self_sufficiency), (None, None, None, None));
    let origins: Vec<(&str, Option<f64>)> = s.top_origins.iter().map(|p| (p.key.as_str(), p.workers.value())).collect();
    assert_eq!(
        origins,
        vec![("com:62119", Some(50.0)), ("com:59178", Some(35.0)), ("com:62498", Some(25.5)), ("com:62041", None)]
    );
    // Béthune's share of the incoming workers would reveal the secret incoming total: hidden.
    assert_eq!(s.top_origins[0].share, None);
    // the only destination outside is abroad: 8 workers, secret
    assert_eq!(s.top_destinations.len(), 1);
    assert!(s.top_destinations[0].secret && s.top_destinations[0].key == "abroad");

    // EPCI B: residents 50 + 80 + 9.25 = 139.25; inside 80; outgoing 59.25; no incoming
    let s = matrix::summary(&f, &r, &t("epci:200072460"), Layer::Epci, 10, Secrecy::default()).unwrap();
    let got = [s.residents_in_work, s.working_inside, s.outgoing, s.incoming].map(|c| c.value());
    assert_eq!(got, [Some(139.25), Some(80.0), Some(59.25), Some(0.0)]);
    assert_eq!(s.net_balance, Some(-59.25));
    assert!(close(s.self_containment.unwrap(), 100.0 * 80.0 / 139.25));
    assert_eq!(s.job_self_sufficiency, Some(100.0));
    // Its destinations are all listed: A 50 and C 9.25 (secret); outgoing 59.25 is shown, so
    // A is hidden too (59.25 - 50 would give C).
    assert_eq!(s.top_destinations[0].key, "epci:200093201");
    assert_eq!(s.top_destinations[0].workers, Count::Secret);
    assert!(s.top_destinations.iter().all(|p| p.secret && p.share.is_none()));
}

#[test]
fn inflows_under_the_threshold_are_secret_with_their_share() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    // Into Arras from Saint-Laurent-Blangy: 12 (shown); into Lens from Béthune: 9.25 (secret).
    let x = matrix::inflows(&f, &r, &t("com:62041"), &t("com:62753"), Secrecy::default()).unwrap();
    assert_eq!((x.commuters_in, x.from_commuters, x.share), (Count::Shown(12.0), Count::Shown(12.0), Some(100.0)));
    let x = matrix::inflows(&f, &r, &t("com:62498"), &t("com:62119"), Secrecy::default()).unwrap();
    assert_eq!(x.from_commuters, Count::Secret);
    assert_eq!((x.share, x.secret), (None, true));
    // incoming into Lens: 45 (Liévin) + 9.25 = 54.25, shown
    assert_eq!(x.commuters_in, Count::Shown(54.25));
}

#[test]
fn commuters_into_the_mel_from_the_bassin_minier() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let x = matrix::inflows(&f, &r, &t("per:mel"), &t("per:bassin-minier"), Secrecy::default()).unwrap();
    // into the MEL from outside: 50 + 25.5 + 35 + 5 = 115.5; from the bassin: 50 + 25.5 + 35 = 110.5
    assert_eq!((x.commuters_in, x.from_commuters), (Count::Shown(115.5), Count::Shown(110.5)));
    assert!(!x.secret);
    assert!(close(x.share.unwrap(), 100.0 * 110.5 / 115.5)); // 95.67 %
    assert_eq!(x.overlap_communes, 0);
}

#[test]
fn secrecy_parameters_are_checked() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let z = Zones::layer(&r, Layer::Epci, None).unwrap();
    let e = matrix::matrix(&f, &z, By::Nothing, Secrecy::below(Some(-1.0))).unwrap_err();
    assert!(e.is_user_error() && e.to_string().contains("secrecy threshold"), "{e}");
    let mut agg = f.clone();
    agg.detailed = false;
    let e = matrix::matrix(&agg, &z, By::Group, Secrecy::default()).unwrap_err();
    assert!(e.to_string().contains("no mode"), "{e}");
}

#[test]
fn matrices_and_zones_beyond_their_limits_are_user_errors() {
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let z = Zones::layer(&r, Layer::Commune, None).unwrap();
    let open = Secrecy::below(Some(0.0));
    let cells = matrix::matrix(&f, &z, By::Mode, open).unwrap().cells.len();
    let e = matrix::matrix_at_most(&f, &z, By::Mode, open, cells - 1).unwrap_err();
    assert!(e.is_user_error() && e.to_string().contains(&format!("{cells} cells: a matrix has at most")), "{e}");
    assert_eq!(matrix::matrix_at_most(&f, &z, By::Mode, open, cells).unwrap().cells.len(), cells);
    assert!(z.check_size().is_ok());
    let mut many = z.clone();
    many.zones = vec![many.zones[0].clone(); crate::zones::MAX_ZONES + 1];
    let e = many.check_size().unwrap_err();
    assert!(e.is_user_error() && e.to_string().contains("5001 zones"), "{e}");
}

fn random_flows() -> impl Strategy<Value = Vec<(usize, usize, u8, u8, u32)>> {
    // dest 12 stands for abroad
    prop::collection::vec((0usize..12, 0usize..13, 0u8..8, 0u8..9, 1u32..5_000_000), 0..60)
}

fn build(r: &echelle_referential::Referential, raw: &[(usize, usize, u8, u8, u32)]) -> Flows {
    let code = |i: usize| r.commune_index(fixture::COMMUNES[i].0).unwrap();
    Flows::from_flows(
        raw.iter().enumerate().map(|(i, &(o, d, mode, group, w))| Flow {
            origin: code(o),
            dest: if d == 12 { NONE } else { code(d) },
            mode,
            group,
            // weights with 15 decimals, as IPONDI
            weight: w as i128 * 1_000_000_007,
            records: 1,
            key: echelle_platform::cellkey::record_key(2, i as u64),
        }),
        fixture::provenance(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// The total of a matrix does not depend on the layer, the frame or the breakdown.
    #[test]
    fn matrix_total_does_not_depend_on_the_layer(raw in random_flows()) {
        let r = fixture::referential();
        let f = build(&r, &raw);
        let total = f.total();
        for layer in [Layer::Commune, Layer::Epci, Layer::Departement, Layer::Region, Layer::Country, Layer::Perimeter] {
            for within in [None, Some(t("dep:59")), Some(t("reg:32"))] {
                let z = match Zones::layer(&r, layer, within.as_ref()) {
                    Ok(z) => z,
                    Err(e) => { prop_assert!(e.to_string().contains("overlap")); continue }
                };
                for by in [By::Nothing, By::Mode, By::Group] {
                    prop_assert_eq!(sums(&f, &z, by).total().weight, total);
                }
            }
        }
    }

    /// Inside + outgoing = residents in work, for every territory of every layer;
    /// and the row of a zone in the matrix is its residents in work.
    #[test]
    fn inside_plus_outgoing_is_residents(raw in random_flows()) {
        let r = fixture::referential();
        let f = build(&r, &raw);
        for layer in [Layer::Commune, Layer::Epci, Layer::Departement, Layer::Perimeter] {
            for ter in r.territories(layer) {
                let open = Secrecy::below(Some(0.0));
                let s = matrix::summary(&f, &r, &ter, Layer::Commune, 3, open).unwrap();
                let v = |c: Count| c.value().unwrap();
                prop_assert!(close(v(s.working_inside) + v(s.outgoing), v(s.residents_in_work)));
                prop_assert!(close(v(s.working_inside) + v(s.incoming), v(s.jobs_held)));
                let exact: i128 = f.flows.iter()
                    .filter(|x| r.members(&ter).unwrap().contains(&x.origin)).map(|x| x.weight).sum();
                prop_assert!(close(v(s.residents_in_work), crate::flows::workers(exact)));
            }
        }
        let z = Zones::layer(&r, Layer::Epci, None).unwrap();
        let cells = sums(&f, &z, By::Nothing).cells();
        for zone in 0..z.len() as u32 {
            let row: i128 = cells.iter().filter(|c| c.0 == zone).map(|c| c.3.weight).sum();
            let direct: i128 = f.flows.iter().filter(|x| z.zone(x.origin) == zone).map(|x| x.weight).sum();
            prop_assert_eq!(row, direct);
        }
    }
}

#[test]
fn weights_are_exact() {
    assert_eq!(weight(25.5), 25_500_000_000_000_000);
}

#[test]
fn distances_km_and_co2_of_the_mel_by_hand() {
    use crate::distance::{DistanceParams, distances};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    let p = DistanceParams::default();
    let open = Secrecy::below(Some(0.0));
    let d = distances(&f, &r, &pos, Some(&t("per:mel")), &p, open).unwrap();
    // One step (Lille-Roubaix, Roubaix-Lille) = 11.1195 km × 1.3 = 14.4553 km; Tourcoing-Lille 2 steps.
    let u = fixture::STEP_KM * 1.3;
    // MEL residents: flows 1-5 and 15 = 258; flow 15 (abroad, 8) has no distance.
    assert_eq!((d.workers, d.workers_without_distance), (Count::Shown(258.0), Count::Shown(8.0)));
    // km per day, round trips: 2 × (100 × 1 + 40u + 60u + 30 × 2u + 20 × 1) = 240 + 320u
    assert!(close(d.km_per_day, 240.0 + 320.0 * u), "{}", d.km_per_day);
    // mean one-way km: (120 + 160u) / 250
    assert!(close(d.mean_km.unwrap(), (120.0 + 160.0 * u) / 250.0));
    // classes: < 5 km: 100 + 20 = 120; 10-20 km: 40 + 60 = 100; 20-30 km: 30 (2u = 28.9)
    let w: Vec<f64> = d.histogram.iter().map(|b| b.workers.value().unwrap()).collect();
    assert_eq!(w, vec![120.0, 0.0, 100.0, 30.0, 0.0, 0.0, 0.0]);
    assert!(close(d.histogram[0].share.unwrap(), 100.0 * 120.0 / 250.0));
    // CO2 t/year = 220 × [car km (200 + 240u) × (0.192 + 0.0256) + public transport km 80u × (0.5 × 0.0277 + 0.5 × 0.1127)] / 1000
    let car = (200.0 + 240.0 * u) * 0.2176;
    let pt = 80.0 * u * (0.5 * 0.0277 + 0.5 * 0.1127);
    assert!(close(d.co2_t_per_year.unwrap(), 220.0 * (car + pt) / 1000.0), "{:?}", d.co2_t_per_year);
    let walk = d.by_mode.iter().find(|m| m.mode == "marche à pied").unwrap();
    assert_eq!((walk.km_per_day, walk.co2_t_per_year), (Some(40.0), Some(0.0)));
    // The method is stated.
    assert!(d.method.contains("à vol d'oiseau") && d.method.contains("× 1,3"), "{}", d.method);
    // Without mode (aggregated base), no CO2.
    let mut agg = f.clone();
    agg.detailed = false;
    for x in agg.flows.iter_mut() {
        x.mode = 0;
    }
    let d = distances(&agg, &r, &pos, Some(&t("per:mel")), &p, open).unwrap();
    assert_eq!(d.co2_t_per_year, None);
}

#[test]
fn distance_parameters_out_of_range_are_refused() {
    use crate::distance::{DistanceParams, distances};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    for (p, name) in [
        (DistanceParams { detour: 0.5, ..Default::default() }, "detour"),
        (DistanceParams { working_days: 0.0, ..Default::default() }, "working days"),
        (DistanceParams { rail_share: 1.5, ..Default::default() }, "rail share"),
        (DistanceParams { occupancy: f64::NAN, ..Default::default() }, "occupancy"),
    ] {
        let e = distances(&f, &r, &pos, None, &p, Secrecy::default()).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains(name), "{e}");
    }
}

#[test]
fn flow_lines_keep_secret_flows_without_counts() {
    use crate::distance::{DistanceParams, flow_lines};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    let lines = flow_lines(&f, &r, &pos, &t("com:62041"), &DistanceParams::default(), Secrecy::default()).unwrap();
    // Arras: Saint-Laurent-Blangy -> Arras 12, Arras -> Lille 5 (secret), Arras -> Arras 4 (secret)
    let got: Vec<(&str, Option<&str>, Option<f64>)> =
        lines.iter().map(|l| (l.origin.as_str(), l.dest.as_deref(), l.workers.value())).collect();
    assert_eq!(
        got,
        vec![("62753", Some("62041"), Some(12.0)), ("62041", Some("59350"), None), ("62041", Some("62041"), None)]
    );
    // Arras (k = 10) to Lille (k = 0): 10 steps × 1.3
    assert!(close(lines[1].km.unwrap(), 10.0 * fixture::STEP_KM * 1.3));
}

/// Incomes for the EPCI of Béthune-Bruay, one person per household (1 consumption unit):
/// Béthune 1,000 households, median such that its car commuters to Lille (4 steps) sit exactly
/// at the threshold; Bruay 500 households, median e^0.5 above its commuters' threshold.
fn vulnerability_world() -> (
    echelle_referential::Referential,
    Flows,
    crate::distance::Positions,
    crate::vulnerability::Incomes,
    crate::vulnerability::FuelParams,
    f64,
) {
    use crate::distance::DistanceParams;
    use crate::vulnerability::{CommuneIncome, FuelParams, Incomes};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    let u = fixture::STEP_KM * 1.3;
    // spending of a car commuter = 2 × km × 200 days × 5 L/100 km × 2 €/L = 40 € per one-way km
    let p = FuelParams {
        consumption: 5.0,
        price: 2.0,
        distance: DistanceParams { working_days: 200.0, ..Default::default() },
        sigma: Some(0.5),
        d3: Some(80.0 * u / 0.045), // = half Béthune's median, see below
        secrecy: Secrecy::below(Some(0.0)),
        ..Default::default()
    };
    let m_bethune = 160.0 * u / 0.045; // Béthune -> Lille: 4u km, 160u €, threshold income 160u / 4.5 %
    let m_bruay = 40.0 * u / 0.045 * 0.5f64.exp(); // Bruay -> Béthune: u km, 40u €
    let mut by_commune = vec![None; r.communes().len()];
    let inc =
        |households, median| Some(CommuneIncome { households, persons_per_household: Some(1.0), median, d1_d9: None });
    by_commune[r.commune_index("62119").unwrap() as usize] = inc(1000.0, m_bethune);
    by_commune[r.commune_index("62178").unwrap() as usize] = inc(500.0, m_bruay);
    let source = fixture::provenance();
    (r, f, pos, Incomes { by_commune, source }, p, u)
}

#[test]
fn vulnerability_of_bethune_bruay_by_hand() {
    use crate::vulnerability::{FuelData, price_scenario, vulnerability};
    let (r, f, pos, incomes, p, u) = vulnerability_world();
    let d = FuelData { flows: &f, incomes: &incomes, referential: &r, positions: &pos };
    let v = vulnerability(&d, &t("epci:200072460"), &p).unwrap();
    // car commuters: Béthune -> Lille 50 (4u), Béthune -> Lens 9.25 (2u), Bruay -> Béthune 80 (u)
    assert_eq!(
        (v.households, v.car_commuters, v.car_commuters_left_out),
        (1500.0, Count::Shown(139.25), Count::Shown(0.0))
    );
    // spending: 50 × 160u + 9.25 × 80u + 80 × 40u = 11,940u €; per household 11,940u / 1,500 = 7.96u
    assert!(close(v.spending_per_household.unwrap(), 7.96 * u));
    assert!(close(v.spending_per_car_commuter.unwrap(), 11_940.0 * u / 139.25));
    // effort: 7.96u / ((1,000 × M_B + 500 × M_R) / 1,500)
    let m_b = 160.0 * u / 0.045;
    let m_r = 40.0 * u / 0.045 * 0.5f64.exp();
    assert!(close(v.effort_pct.unwrap(), 100.0 * 7.96 * u / ((1000.0 * m_b + 500.0 * m_r) / 1500.0)));
    // vulnerable: z = 0 for Béthune -> Lille (Φ = 0.5), z = ln(1/2) / 0.5 = -1.3863 for Béthune -> Lens
    // (Φ = 0.0828285), z = -0.5 / 0.5 = -1 for Bruay (Φ = 0.1586553), from a normal table:
    let vulnerable = 50.0 * 0.5 + 9.25 * 0.082_828_519 + 80.0 * 0.158_655_254;
    assert!((v.vulnerable_households.value().unwrap() - vulnerable).abs() < 1e-4, "{:?}", v.vulnerable_households);
    assert!((v.vulnerable_pct.unwrap() - 100.0 * vulnerable / 1500.0).abs() < 1e-5);
    // precarious (D3 = M_B / 2): Béthune flows capped at D3: Φ(-1.3863) for both; Bruay's threshold is under D3: Φ(-1)
    let precarious = 59.25 * 0.082_828_519 + 80.0 * 0.158_655_254;
    assert!((v.precarious_households.value().unwrap() - precarious).abs() < 1e-4, "{:?}", v.precarious_households);
    assert!(!v.d3_estimated);

    // Fuel +30 %: every z moves up by ln(1.3) / 0.5 = 0.5247: Φ(0.5247) = 0.7001140, Φ(-0.8616) = 0.1944632,
    // Φ(-0.4753) = 0.3172967
    let s = price_scenario(&d, &t("epci:200072460"), &p, 0.3).unwrap();
    assert!(close(s.scenario_price, 2.6));
    let vulnerable30 = 50.0 * 0.700_114_039 + 9.25 * 0.194_463_240 + 80.0 * 0.317_296_745;
    assert!((s.scenario.vulnerable_households.value().unwrap() - vulnerable30).abs() < 1e-4);
    assert!((s.vulnerable_change_pts.unwrap() - 100.0 * (vulnerable30 - vulnerable) / 1500.0).abs() < 1e-5);
    assert!(close(s.scenario.spending_per_household.unwrap(), 1.3 * 7.96 * u));
}

#[test]
fn fuel_parameters_out_of_range_are_refused() {
    use crate::vulnerability::{FuelData, FuelParams, price_scenario, vulnerability};
    let (r, f, pos, incomes, p, _) = vulnerability_world();
    let d = FuelData { flows: &f, incomes: &incomes, referential: &r, positions: &pos };
    let b = t("epci:200072460");
    for (q, name) in [
        (FuelParams { price: -1.0, ..p }, "fuel price"),
        (FuelParams { price: 0.0, ..p }, "fuel price"),
        (FuelParams { threshold: 1.5, ..p }, "threshold"),
        (FuelParams { consumption: 0.0, ..p }, "consumption"),
        (FuelParams { distance: crate::DistanceParams { working_days: 0.0, ..p.distance }, ..p }, "working days"),
    ] {
        let e = vulnerability(&d, &b, &q).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains(name), "{e}");
    }
    let e = price_scenario(&d, &b, &p, -1.5).unwrap_err();
    assert!(e.to_string().contains("price change"), "{e}");
}

#[test]
fn normal_cdf_matches_the_table() {
    use crate::vulnerability::normal_cdf;
    for (z, phi) in [(0.0, 0.5), (1.0, 0.841_344_746), (-1.96, 0.024_997_895), (2.575_829_3, 0.995)] {
        assert!((normal_cdf(z) - phi).abs() < 2e-7, "{z}: {}", normal_cdf(z));
    }
}

#[test]
fn telework_in_the_mel_by_hand() {
    use crate::telework::{TeleworkParams, compare, telework};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    let u = fixture::STEP_KM * 1.3;
    let p = TeleworkParams { days: 2.0, take_up: 0.5, ..Default::default() };
    let x = telework(&f, None, &r, &pos, &t("per:mel"), &p).unwrap();
    // MEL residents who travel, with a distance: flows 1-5 = 250 (flow 15 abroad has none).
    // Teleworking shares × take-up 0.5: managers 0.36, intermediate 0.24, clerical 0.18, manual 0.01
    // teleworkers: 100 × 0.36 + 40 × 0.24 + 60 × 0.18 + 30 × 0.01 + 20 × 0.18 = 60.3
    assert_eq!(x.commuters, Count::Shown(250.0));
    assert!(close(x.teleworkers.value().unwrap(), 60.3));
    // km a year: 2 × 220 × (100 × 1 + 40u + 60u + 30 × 2u + 20 × 1) = 440 × (120 + 160u)
    assert!(close(x.km_per_year, 440.0 * (120.0 + 160.0 * u)));
    // avoided: 2/5 × 2 × 220 × (36 × 1 + 9.6u + 10.8u + 0.3 × 2u + 3.6 × 1) = 176 × (39.6 + 21u)
    assert!(close(x.km_avoided_per_year, 176.0 * (39.6 + 21.0 * u)), "{}", x.km_avoided_per_year);
    // CO2: car 176 × (36 + 10.8u + 0.6u) × 0.2176 + public transport 176 × 9.6u × 0.0702, in tonnes
    let co2 = 176.0 * ((36.0 + 11.4 * u) * 0.2176 + 9.6 * u * 0.0702) / 1000.0;
    assert!(close(x.co2_avoided_t_per_year.unwrap(), co2));
    // money: car spending 2 × km × 220 × 6.5 / 100 × 1.80 = 51.48 € per km; 2/5 × 51.48 × (36 + 10.8u + 0.6u)
    assert!(close(x.money_saved_eur_per_year, 0.4 * 51.48 * (36.0 + 11.4 * u)));
    // Rebound: km and CO2 × 0.69, money unchanged.
    let y = telework(&f, None, &r, &pos, &t("per:mel"), &TeleworkParams { rebound: true, ..p }).unwrap();
    assert!(close(y.km_avoided_per_year, 0.69 * x.km_avoided_per_year));
    assert!(close(y.co2_avoided_t_per_year.unwrap(), 0.69 * co2));
    assert!(close(y.money_saved_eur_per_year, x.money_saved_eur_per_year));
    // Side by side: 1 day is half of 2 days.
    let c = compare(&f, None, &r, &pos, &t("per:mel"), &[TeleworkParams { days: 1.0, ..p }, p]).unwrap();
    assert!(close(c[0].km_avoided_per_year * 2.0, c[1].km_avoided_per_year));
}

#[test]
fn telework_lowers_vulnerability_by_hand() {
    use crate::telework::{TeleworkParams, telework};
    let (r, f, pos, incomes, fuel, _) = vulnerability_world();
    // 5 days, take-up 1: teleworkers spend nothing. Béthune -> Lille (managers, 72 %): 28 % keep Φ = 0.5;
    // Béthune -> Lens (clerical, 36 %): 64 % keep Φ = 0.0828285; Bruay (manual, 2 %): 98 % keep Φ = 0.1586553
    let p = TeleworkParams { days: 5.0, take_up: 1.0, rebound: false, fuel };
    let x = telework(&f, Some(&incomes), &r, &pos, &t("epci:200072460"), &p).unwrap();
    let before = 100.0 * (50.0 * 0.5 + 9.25 * 0.082_828_519 + 80.0 * 0.158_655_254) / 1500.0;
    let after = 100.0 * (50.0 * 0.28 * 0.5 + 9.25 * 0.64 * 0.082_828_519 + 80.0 * 0.98 * 0.158_655_254) / 1500.0;
    assert!((x.vulnerable_pct_before.unwrap() - before).abs() < 1e-5);
    assert!((x.vulnerable_pct_after.unwrap() - after).abs() < 1e-5, "{:?} {after}", x.vulnerable_pct_after);
    assert!((x.vulnerable_change_pts.unwrap() - (after - before)).abs() < 1e-5);
}

#[test]
fn telework_parameters_out_of_range_are_refused() {
    use crate::telework::{TeleworkParams, telework};
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let pos = fixture::positions(&r);
    for (p, name) in [
        (TeleworkParams { days: 0.0, ..Default::default() }, "telework days"),
        (TeleworkParams { days: 6.0, ..Default::default() }, "telework days"),
        (TeleworkParams { take_up: 1.2, ..Default::default() }, "take-up"),
        (TeleworkParams { take_up: -0.1, ..Default::default() }, "take-up"),
    ] {
        let e = telework(&f, None, &r, &pos, &t("per:mel"), &p).unwrap_err();
        assert!(e.is_user_error() && e.to_string().contains(name), "{e}");
    }
}

#[test]
fn many_territories_in_one_pass_add_up() {
    use crate::vulnerability::{FuelData, price_scenarios, vulnerability, vulnerability_many};
    let (r, f, pos, incomes, p, _) = vulnerability_world();
    let d = FuelData { flows: &f, incomes: &incomes, referential: &r, positions: &pos };
    let list = [t("epci:200072460"), t("com:62119"), t("com:62178")];
    let many = vulnerability_many(&d, &list, &p).unwrap();
    for (v, ter) in many.iter().zip(&list) {
        assert_eq!(v, &vulnerability(&d, ter, &p).unwrap());
    }
    // the EPCI is the sum of its two communes with incomes
    let vh = |k: usize| many[k].vulnerable_households.value().unwrap();
    assert!(close(vh(0), vh(1) + vh(2)));
    assert!(close(many[0].households, many[1].households + many[2].households));
    // Bruay alone: 80 commuters at z = -1: 80 × 0.1586553 / 500 households
    assert!((many[2].vulnerable_pct.unwrap() - 100.0 * 80.0 * 0.158_655_254 / 500.0).abs() < 1e-5);
    let s = price_scenarios(&d, &list, &p, 0.3).unwrap();
    assert!((s[2].scenario.vulnerable_households.value().unwrap() - 80.0 * 0.317_296_745).abs() < 1e-4);
}

/// A hand-made road network on the fixture's positions: junction 0 at Lille (k = 0),
/// junction 1 at Roubaix (k = 1), junction 2 between them. Lille -> Roubaix: fastest via
/// junction 2 (8 + 9 km, 400 + 450 s) rather than the direct 12 km road (2,000 s);
/// Roubaix -> Lille: the direct 15 km road (600 s) beats 9 + 8 km (850 s).
fn tiny_network() -> echelle_access::Graph {
    use echelle_access::Edge;
    let e = |from, to, time_ms, length_dm| Edge { from, to, time_ms, length_dm };
    echelle_access::Graph::from_edges(
        vec![3.0, 3.0, 3.05],
        vec![50.0, 50.1, 50.05],
        vec![10, 11, 12],
        vec![
            e(0, 2, 400_000, 80_000),
            e(2, 1, 450_000, 90_000),
            e(1, 2, 450_000, 90_000),
            e(2, 0, 400_000, 80_000),
            e(0, 1, 2_000_000, 120_000),
            e(1, 0, 600_000, 150_000),
        ],
    )
    .unwrap()
}

#[test]
fn road_distances_are_used_where_the_network_has_them_and_the_fallback_is_labelled() {
    use crate::distance::{DistanceParams, Method, distances, flow_lines};
    use crate::road::RoadDistances;
    let r = fixture::referential();
    let f = fixture::flows(&r);
    let g = tiny_network();
    let calls = std::cell::Cell::new(0);
    let roads = RoadDistances::compute(&g, "tiny", &f, &fixture::positions(&r), 2000.0, 100, &|_, _| {
        calls.set(calls.get() + 1)
    })
    .unwrap();
    assert!(calls.get() >= 1);
    // Of the 12 communes in flows between two communes, only Lille and Roubaix are within 2 km of a junction.
    assert_eq!((roads.communes_snapped, roads.communes_too_far), (2, 10));
    assert_eq!((roads.origins_searched, roads.origins_capped), (2, 0));
    let (lille, roubaix) = (r.commune_index("59350").unwrap(), r.commune_index("59512").unwrap());
    let there = roads.get(lille, roubaix).unwrap();
    assert!(close(there.km, 17.0) && close(there.minutes, 850.0 / 60.0), "{there:?}");
    assert!(close(roads.get(roubaix, lille).unwrap().km, 15.0));
    let pos = fixture::positions(&r).with_roads(roads);
    let p = DistanceParams::default();
    let d = distances(&f, &r, &pos, Some(&t("per:mel")), &p, Secrecy::below(Some(0.0))).unwrap();
    let u = fixture::STEP_KM * 1.3;
    // Round trips: 2 × (Lille 100 × 1 + Lille->Roubaix 40 × 17 + Roubaix->Lille 60 × 15
    //   + Tourcoing->Lille 30 × 2u (Tourcoing is 11 km from any junction) + Villeneuve 20 × 1)
    assert!(close(d.km_per_day, 2.0 * (100.0 + 680.0 + 900.0 + 60.0 * u + 20.0)), "{}", d.km_per_day);
    assert_eq!(d.network.as_deref(), Some("tiny"));
    let by: Vec<(Method, &str, usize, f64)> =
        d.by_method.iter().map(|m| (m.method, m.label.as_str(), m.flows, m.workers.value().unwrap())).collect();
    assert_eq!(
        by,
        vec![
            (Method::Road, "réseau routier « tiny »", 2, 100.0),
            (Method::StraightLine, "à vol d'oiseau × 1,3", 1, 30.0),
            (Method::IntraCommune, "dans la commune, 1 km", 2, 120.0),
        ]
    );
    assert!(
        d.method.contains("réseau routier « tiny »")
            && d.method.contains("× 1,3")
            && d.method.contains("plafond de 100 recherches (0 laissées)"),
        "{}",
        d.method
    );
    // Flow lines say which method each flow used.
    let lines = flow_lines(&f, &r, &pos, &t("com:59512"), &p, Secrecy::below(Some(0.0))).unwrap();
    let got: Vec<(&str, Option<&str>, Option<Method>)> =
        lines.iter().map(|l| (l.origin.as_str(), l.dest.as_deref(), l.method)).collect();
    assert_eq!(got, vec![("59512", Some("59350"), Some(Method::Road)), ("59350", Some("59512"), Some(Method::Road))]);
    assert!(close(lines[0].km.unwrap(), 15.0) && close(lines[1].km.unwrap(), 17.0));
    assert!(close(lines[0].road_minutes.unwrap(), 10.0) && close(lines[1].road_minutes.unwrap(), 850.0 / 60.0));
    // Capped at one search: the origin with more workers (Roubaix, 60) keeps its road distance,
    // Lille -> Roubaix falls back to the straight line.
    let capped = RoadDistances::compute(&g, "tiny", &f, &fixture::positions(&r), 2000.0, 1, &|_, _| ()).unwrap();
    assert_eq!((capped.origins_searched, capped.origins_capped), (1, 1));
    assert!(capped.get(lille, roubaix).is_none() && capped.get(roubaix, lille).is_some());
    let pos = fixture::positions(&r).with_roads(capped);
    let (km, how) = p.km_how(&pos, lille, roubaix).unwrap();
    assert!(close(km, fixture::STEP_KM * 1.3) && how == Method::StraightLine, "{km} {how:?}");
    // A cap of zero searches leaves every flow to the straight line; so does a snap limit of 1 m
    // for Roubaix, whose junction is exactly at its position, but not for Tourcoing.
    let none = RoadDistances::compute(&g, "tiny", &f, &fixture::positions(&r), 2000.0, 0, &|_, _| ()).unwrap();
    assert!(none.pairs.is_empty() && none.origins_capped == 2);
    let near = RoadDistances::compute(&g, "tiny", &f, &fixture::positions(&r), 1.0, 10, &|_, _| ()).unwrap();
    assert_eq!((near.communes_snapped, near.pairs.len()), (2, 2));
    assert!(RoadDistances::compute(&g, "tiny", &f, &fixture::positions(&r), -1.0, 10, &|_, _| ()).is_err());
}
