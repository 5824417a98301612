//! Annuity schedules for both profiles, yearly and quarterly, to the cent.

use echelle_guarantees::schedule::{due_in, first_full_annuity, schedule};
use echelle_guarantees::*;

use crate::fixture::date;

fn terms(euros: i64, years: u32, frequency: Frequency, rate_pct: f64, profile: Profile) -> LoanTerms {
    LoanTerms {
        amount: euros * 100,
        start: date("2025-01-01"),
        years,
        frequency,
        rate_micro: (rate_pct * 10_000.0).round() as i64,
        rate_kind: RateKind::Fixed,
        profile,
    }
}

/// (principal, interest, outstanding) in cents.
fn rows(s: &[schedule::Payment]) -> Vec<(i64, i64, i64)> {
    s.iter().map(|p| (p.principal, p.interest, p.outstanding)).collect()
}

#[test]
fn constant_annuity_yearly() {
    // 100 000 € at 4 % over 3 years: A = 100 000 × 0.04 / (1 − 1.04^−3) = 36 034.8539 → 36 034.85.
    // Year 1: interest 4 000.00, principal 32 034.85, left 67 965.15.
    // Year 2: interest 67 965.15 × 4 % = 2 718.606 → 2 718.61, principal 33 316.24, left 34 648.91.
    // Year 3: interest 1 385.9564 → 1 385.96, principal 34 648.91 (the rest), payment 36 034.87.
    let s = schedule(&terms(100_000, 3, Frequency::Yearly, 4.0, Profile::ConstantAnnuity));
    assert_eq!(
        rows(&s),
        vec![(3_203_485, 400_000, 6_796_515), (3_331_624, 271_861, 3_464_891), (3_464_891, 138_596, 0)]
    );
    assert_eq!(s.iter().map(|p| p.annuity()).collect::<Vec<_>>(), vec![3_603_485, 3_603_485, 3_603_487]);
    assert_eq!(s[0].due, date("2026-01-01"));
    assert_eq!(due_in(&s, 2027), 3_603_485);
}

#[test]
fn constant_annuity_quarterly() {
    // 200 000 € at 4 % over 2 years, quarterly: period rate 1 %, 8 payments,
    // A = 200 000 × 0.01 / (1 − 1.01^−8) = 26 138.06 (decimal arithmetic, rounded half up).
    let s = schedule(&terms(200_000, 2, Frequency::Quarterly, 4.0, Profile::ConstantAnnuity));
    assert_eq!(
        rows(&s),
        vec![
            (2_413_806, 200_000, 17_586_194),
            (2_437_944, 175_862, 15_148_250),
            (2_462_323, 151_483, 12_685_927),
            (2_486_947, 126_859, 10_198_980),
            (2_511_816, 101_990, 7_687_164),
            (2_536_934, 76_872, 5_150_230),
            (2_562_304, 51_502, 2_587_926),
            (2_587_926, 25_879, 0),
        ]
    );
    assert_eq!(s[0].due, date("2025-04-01"));
    assert_eq!(s[7].annuity(), 2_613_805);
    // The first full annuity is a year of payments: four quarters.
    assert_eq!(first_full_annuity(&s, 4), 4 * 2_613_806);
    assert_eq!(due_in(&s, 2025), 3 * 2_613_806, "April, July, October 2025");
}

#[test]
fn constant_amortisation_yearly_and_quarterly() {
    // 120 000 € at 3 % over 4 years: 30 000 a year; interest 3 600, 2 700, 1 800, 900.
    let s = schedule(&terms(120_000, 4, Frequency::Yearly, 3.0, Profile::ConstantAmortisation));
    assert_eq!(
        rows(&s),
        vec![
            (3_000_000, 360_000, 9_000_000),
            (3_000_000, 270_000, 6_000_000),
            (3_000_000, 180_000, 3_000_000),
            (3_000_000, 90_000, 0)
        ]
    );
    // Quarterly over 2 years: 15 000 a quarter at 0.75 %: 900, 787.50, 675, 562.50, 450, 337.50, 225, 112.50.
    let s = schedule(&terms(120_000, 2, Frequency::Quarterly, 3.0, Profile::ConstantAmortisation));
    assert_eq!(
        s.iter().map(|p| p.interest).collect::<Vec<_>>(),
        vec![90_000, 78_750, 67_500, 56_250, 45_000, 33_750, 22_500, 11_250]
    );
    assert!(s.iter().all(|p| p.principal == 1_500_000));
    // 100 000 € over 3 years does not divide: 33 333.33, 33 333.33, then the rest 33 333.34.
    let s = schedule(&terms(100_000, 3, Frequency::Yearly, 0.0, Profile::ConstantAmortisation));
    assert_eq!(s.iter().map(|p| p.principal).collect::<Vec<_>>(), vec![3_333_333, 3_333_333, 3_333_334]);
}
