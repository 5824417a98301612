//! The differencing attacks of issue 17, run against flows whose records are known:
//! each attack estimates a protected count (fewer than 11 workers) from figures the
//! API and the CLI publish, first under the threshold and secondary suppression alone
//! (where every attack recovers the count exactly: the attacks are real), then under
//! the cell key method real flows declare. Prints, per attack, how often the estimate
//! is exact and its mean and largest deviation, and the accuracy cost of the noise on
//! every published cell (`cargo test --release --workspace --lib differencing -- --nocapture`).
//!
//! The world: the fixture's twelve communes; every worker is one record of weight 1.
//! Saint-Laurent-Blangy (SLB, 62753) has `x` residents in work, 1 ≤ x ≤ 10, all
//! working in Lille; Arras (62041), its only neighbour in the CU d'Arras, has some
//! 150 to 300; the other communes have hundreds each.

use echelle_referential::{Layer, PerimeterDef, Referential, TerritoryRef};
use echelle_store::Provenance;

use crate::distance::{DistanceParams, flow_lines};
use crate::fixture;
use crate::flows::{Flow, Flows, weight};
use crate::matrix::{By, matrix, summary};
use crate::secrecy::{Count, Secrecy};
use crate::zones::Zones;

const SLB: &str = "62753";
const ARRAS: &str = "62041";
const LILLE: &str = "59350";
const TRIALS: u64 = 300;

fn t(s: &str) -> TerritoryRef {
    let (l, c) = s.split_once(':').unwrap();
    TerritoryRef::new(l.parse().unwrap(), c)
}

/// A small deterministic generator (the world of trial `seed`).
struct Draw(u64);

impl Draw {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// One record per worker; `extra` more residents of SLB working in Lille (the next vintage).
fn world(r: &Referential, seed: u64, extra: u64, vintage: &str) -> (Flows, u64) {
    let mut d = Draw(seed);
    let idx = |c: &str| r.commune_index(c).unwrap();
    let mut pairs: Vec<(u32, u32, u64)> = Vec::new();
    for (o, ..) in fixture::COMMUNES.iter() {
        if *o == SLB {
            continue;
        }
        for (dest, ..) in fixture::COMMUNES.iter() {
            if dest == &SLB {
                continue;
            }
            let n = if o == dest { 100 + d.below(200) } else { 15 + d.below(60) };
            pairs.push((idx(o), idx(dest), n));
        }
    }
    let x = 1 + d.below(10);
    pairs.push((idx(SLB), idx(LILLE), x + extra));
    let provenance = Provenance {
        dataset: format!("mobpro_{vintage}"),
        title: "records of the differencing suite".into(),
        source: "test".into(),
        vintage: vintage.into(),
        unit: Some(crate::flows::UNIT.into()),
        synthetic: false,
        secrecy: echelle_platform::SecrecyRule::people(),
    };
    let key_seed = crate::flows::record_seed(&format!("{seed:016x}{vintage}"));
    let mut i = 0u64;
    let mut records = Vec::new();
    for (o, dest, n) in pairs {
        for _ in 0..n {
            records.push(Flow {
                origin: o,
                dest,
                mode: 5,
                group: 3,
                weight: weight(1.0),
                records: 1,
                key: echelle_platform::cellkey::record_key(key_seed, i),
            });
            i += 1;
        }
    }
    (Flows::from_flows(records, provenance), x)
}

fn shown(c: Count, what: &str) -> f64 {
    c.value().unwrap_or_else(|| panic!("the attacker reads a published figure: {what} is secret"))
}

/// Exact recoveries and deviations of one attack over the trials.
#[derive(Default)]
struct Outcome {
    exact: u32,
    trials: u32,
    sum_dev: f64,
    max_dev: f64,
}

impl Outcome {
    fn add(&mut self, estimate: f64, truth: u64) {
        let dev = (estimate - truth as f64).abs();
        self.trials += 1;
        self.exact += (dev < 1e-9) as u32;
        self.sum_dev += dev;
        self.max_dev = self.max_dev.max(dev);
    }

    fn exact_share(&self) -> f64 {
        self.exact as f64 / self.trials as f64
    }
}

const ATTACKS: [&str; 5] = [
    "deux périmètres différant d'une commune",
    "total d'une couche moins ses autres membres",
    "ligne de matrice moins ses autres cellules",
    "même cellule demandée 100 fois (moyenne)",
    "deux millésimes",
];

/// How many published figures each attack combines (the twelve lines into Lille and
/// its jobs for the third).
const FIGURES: [u32; 5] = [2, 2, 12, 2, 2];

/// The five attacks on the world of `seed` under the rule `rule(provenance)`; each
/// estimate beside the count it targets.
fn attack(seed: u64, rule: impl Fn(&Provenance) -> Secrecy) -> [(f64, u64); 5] {
    let mut r = fixture::referential();
    let per = |id: &str, include: &str| {
        PerimeterDef::parse("attack", &format!("id = \"{id}\"\nname = \"{id}\"\ninclude = [{include}]\n")).unwrap()
    };
    r.add_perimeters(vec![
        per("with", &format!("\"com:{ARRAS}\", \"com:{SLB}\", \"com:59178\"")),
        per("without", &format!("\"com:{ARRAS}\", \"com:59178\"")),
    ])
    .unwrap();
    let (f, x) = world(&r, seed, 0, "2021");
    let s = rule(&f.provenance);
    let residents = |f: &Flows, s: Secrecy, key: &str| {
        shown(summary(f, &r, &t(key), Layer::Commune, 10, s).unwrap().residents_in_work, key)
    };

    // 1. Two perimeters differing by one small commune.
    let one = residents(&f, s, "per:with") - residents(&f, s, "per:without");

    // 2. The layer total minus its other members: the CU d'Arras minus Arras, each
    // read where it is shown.
    let totals = |layer: Layer| matrix(&f, &Zones::layer(&r, layer, None).unwrap(), By::Nothing, s).unwrap().totals;
    let of = |totals: &[crate::matrix::ZoneTotals], key: &str| {
        shown(totals.iter().find(|z| z.key == key).unwrap().residents_in_work, key)
    };
    // (Arras's row of the commune matrix is suppressed there, beside SLB's: read alone.)
    let two = of(&totals(Layer::Epci), "epci:200033579") - residents(&f, s, &format!("com:{ARRAS}"));

    // 3. A matrix row minus its other cells: Lille's jobs held (a column total) minus
    // every other origin's line into Lille, each read alone where it is shown.
    let lines = flow_lines(&f, &r, &fixture::positions(&r), &t(&format!("com:{LILLE}")), &DistanceParams::default(), s)
        .unwrap();
    let others: f64 = lines
        .iter()
        .filter(|l| l.dest.as_deref() == Some(LILLE) && l.origin != SLB)
        .map(|l| shown(l.workers, &l.origin))
        .sum();
    let jobs = shown(summary(&f, &r, &t(&format!("com:{LILLE}")), Layer::Commune, 10, s).unwrap().jobs_held, "jobs");
    let three = jobs - others;

    // 4. The same perimeter asked 100 times (and drawn again in another order): the mean.
    let again: Vec<f64> = (0..100).map(|_| residents(&f, s, "per:with") - residents(&f, s, "per:without")).collect();
    let four = again.iter().sum::<f64>() / again.len() as f64;
    assert!(again.iter().all(|&a| a == again[0]), "the same cell always publishes the same value");

    // 5. Two vintages: one more SLB worker the next year; the change is the target.
    let (next, _) = world(&r, seed, 1, "2022");
    let s_next = rule(&next.provenance);
    let five = residents(&next, s_next, "per:with") - residents(&f, s, "per:with");

    [(one, x), (two, x), (three, x), (four, x), (five, 1)]
}

#[test]
fn no_differencing_attack_recovers_a_protected_count() {
    let plain = |_: &Provenance| Secrecy::default();
    let declared = |p: &Provenance| Secrecy::declared(p, None).unwrap();
    let mut without = std::array::from_fn::<Outcome, 5, _>(|_| Outcome::default());
    let mut with = std::array::from_fn::<Outcome, 5, _>(|_| Outcome::default());
    let (mut cost_sum, mut cost_max, mut cells) = (0.0f64, 0.0f64, 0u64);
    for seed in 0..TRIALS {
        for (o, (estimate, truth)) in without.iter_mut().zip(attack(seed, plain)) {
            o.add(estimate, truth);
        }
        for (o, (estimate, truth)) in with.iter_mut().zip(attack(seed, declared)) {
            o.add(estimate, truth);
        }
        // The accuracy cost: every cell of the commune matrix, published against true.
        let r = fixture::referential();
        let (f, _) = world(&r, seed, 0, "2021");
        let z = Zones::layer(&r, Layer::Commune, None).unwrap();
        let exact = matrix(&f, &z, By::Nothing, Secrecy::below(Some(0.0))).unwrap();
        let noisy =
            matrix(&f, &z, By::Nothing, Secrecy::below(Some(0.0)).with_cell_key(Default::default()).unwrap()).unwrap();
        for (a, b) in exact.cells.iter().zip(&noisy.cells) {
            let dev = (shown(a.workers, "cell") - shown(b.workers, "cell")).abs();
            cost_sum += dev;
            cost_max = cost_max.max(dev);
            cells += 1;
        }
    }
    println!("Attaques par différenciation ({TRIALS} mondes, effectif visé entre 1 et 10) :");
    println!(
        "{:<46} {:>22} {:>22} {:>12} {:>12}",
        "attaque", "exactes sans bruit", "exactes avec clés", "écart moyen", "écart max"
    );
    for (k, name) in ATTACKS.iter().enumerate() {
        let (a, b) = (&without[k], &with[k]);
        println!(
            "{name:<46} {:>21.1}% {:>21.1}% {:>12.2} {:>12.0}",
            100.0 * a.exact_share(),
            100.0 * b.exact_share(),
            b.sum_dev / b.trials as f64,
            b.max_dev
        );
        // Every attack works on the threshold alone: the suite attacks something real.
        assert_eq!(a.exact, a.trials, "{name}: the unprotected figures give the count away");
        // Under the cell key method, no attack is reliably exact, and none is off by more
        // than the noise of the figures it subtracts (D = 2 each).
        assert!(b.exact_share() < 0.6, "{name}: {} exact of {}", b.exact, b.trials);
        assert!(b.max_dev > 0.0 && b.max_dev <= 2.0 * FIGURES[k] as f64, "{name}: {}", b.max_dev);
    }
    println!(
        "coût en précision : {cells} cellules publiées, écart absolu moyen {:.3}, maximal {cost_max} (D = 2)",
        cost_sum / cells as f64
    );
    assert!(cost_max <= 2.0, "no published cell moves by more than D");
}
