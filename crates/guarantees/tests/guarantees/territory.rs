//! Exposure by territory (a loan shared by a commune and its EPCI counted once in their
//! common territory and twice nowhere), per beneficiary, and a stress test.

use echelle_guarantees::*;
use echelle_referential::{Layer, TerritoryRef};

use crate::fixture::*;

/// S: 1 000 000 € at 0 % over 10 years from 2025-01-01, Béthune 30 % and its EPCI 20 %.
/// H: a social landlord's 500 000 € over 10 years, Lens 100 %.
/// D: 1 000 000 € at 4 %, constant amortisation over 5 years from 2024-01-01, debtor
///    123456789, Béthune 30 % and the EPCI 20 %.
fn register() -> Register {
    Register {
        loans: vec![
            loan("S", "111111111", Category::Other, 1_000_000, "2025-01-01", 10, 0.0, Profile::ConstantAnnuity),
            loan("H", "444444444", Category::SocialHousing, 500_000, "2025-01-01", 10, 0.0, Profile::ConstantAnnuity),
            loan(
                "D",
                "123456789",
                Category::Development,
                1_000_000,
                "2024-01-01",
                5,
                4.0,
                Profile::ConstantAmortisation,
            ),
        ],
        guarantees: vec![
            guarantee("S", "com:62119", 0.3),
            guarantee("S", "epci:200072460", 0.2),
            guarantee("H", "com:62498", 1.0),
            guarantee("D", "com:62119", 0.3),
            guarantee("D", "epci:200072460", 0.2),
        ],
        finances: vec![
            finance("com:62119", 2026, 1_000_000, 0, 0),
            finance("epci:200072460", 2026, 4_000_000, 0, 0),
            finance("com:62498", 2026, 2_000_000, 0, 0),
        ],
    }
}

#[test]
fn a_shared_loan_is_counted_once_in_the_common_territory_and_twice_nowhere() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let ix = ExposureIndex::new(&reg, &rules, &r).unwrap();
    let end = date("2026-12-31");
    // At the end of 2026, S has repaid its first 100 000 € (2026-01-01): 900 000 € left;
    // D has repaid 2025 and 2026: 600 000 € left; H its first 50 000 €: 450 000 € left.
    let commune = ix.territory(&TerritoryRef::new(Layer::Commune, "62119"), end, 2026).unwrap();
    assert_eq!(commune.guarantors, vec!["com:62119"]);
    assert_eq!((commune.loans, commune.loans_outstanding, commune.guaranteed_outstanding), (2, 1_500_000.0, 450_000.0));
    let epci = ix.territory(&TerritoryRef::new(Layer::Epci, "200072460"), end, 2026).unwrap();
    assert_eq!(epci.guarantors, vec!["com:62119", "epci:200072460"]);
    // Each loan once: 900 000 + 600 000 €, and 50 % of each guaranteed.
    assert_eq!((epci.loans, epci.loans_outstanding, epci.guaranteed_outstanding), (2, 1_500_000.0, 750_000.0));
    assert_eq!(epci.population, Some(46_000));
    assert_eq!(epci.per_inhabitant, Some(16.30));
    // Bruay, inside the EPCI, guarantees nothing: the EPCI's guarantees are not its own.
    let bruay = ix.territory(&TerritoryRef::new(Layer::Commune, "62178"), end, 2026).unwrap();
    assert_eq!((bruay.loans, bruay.guaranteed_outstanding), (0, 0.0));
    // The perimeter (the EPCI and Lens) and the département add Lens's social loan, once each.
    for t in [TerritoryRef::new(Layer::Perimeter, "test"), TerritoryRef::new(Layer::Departement, "62")] {
        let e = ix.territory(&t, end, 2026).unwrap();
        assert_eq!((e.loans, e.loans_outstanding, e.guaranteed_outstanding), (3, 1_950_000.0, 1_200_000.0), "{t}");
        assert_eq!(e.exempt_outstanding, 450_000.0);
        assert_eq!(
            e.by_category.iter().map(|c| (c.category, c.loans)).collect::<Vec<_>>(),
            vec![(Category::SocialHousing, 1), (Category::Development, 1), (Category::Other, 1)]
        );
    }
    // Twice nowhere: the guarantors' own exposures add up to the territory's.
    let own: f64 =
        ["com:62119", "epci:200072460"].iter().map(|x| ix.guarantor(&g(x), end, 2026).guaranteed_outstanding).sum();
    assert_eq!(own, epci.guaranteed_outstanding);
    // Annuities over revenue in the EPCI: 2026 payments S 100 000 € and D 232 000 €, 50 % of
    // them, over 5 000 000 € of revenue.
    assert_eq!(epci.guaranteed_annuities, 166_000.0);
    assert_eq!(epci.annuities_over_revenue, Some(3.32));
}

#[test]
fn a_beneficiary_across_its_guarantors() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let ix = ExposureIndex::new(&reg, &rules, &r).unwrap();
    let list = ix.beneficiaries(date("2026-12-31"));
    let s = list.iter().find(|b| b.siren == "111111111").unwrap();
    assert_eq!((s.loans, s.loans_outstanding, s.guaranteed_outstanding), (1, 900_000.0, 450_000.0));
    assert_eq!(
        s.guarantors.iter().map(|x| (x.guarantor.as_str(), x.guaranteed_outstanding)).collect::<Vec<_>>(),
        vec![("com:62119", 270_000.0), ("epci:200072460", 180_000.0)]
    );
}

#[test]
fn stress_test_yearly_calls() {
    let (reg, rules, r) = (register(), Rules::shipped(), referential());
    let ix = ExposureIndex::new(&reg, &rules, &r).unwrap();
    // D's payments: 200 000 € principal a year and 4 % interest on what is left:
    // 2025 240 000, 2026 232 000, 2027 224 000, 2028 216 000, 2029 208 000.
    // Default on 2026-06-30: 2027 to 2029 are called, 30 % from Béthune, 20 % from the EPCI.
    let s = stress(&reg, &ix, "123456789", date("2026-06-30")).unwrap();
    assert_eq!(s.years, vec![2027, 2028, 2029]);
    let calls: Vec<(&str, Vec<f64>)> =
        s.guarantors.iter().map(|c| (c.guarantor.as_str(), c.per_year.clone())).collect();
    assert_eq!(
        calls,
        vec![("com:62119", vec![67_200.0, 64_800.0, 62_400.0]), ("epci:200072460", vec![44_800.0, 43_200.0, 41_600.0])]
    );
    assert_eq!(s.total_per_year, vec![112_000.0, 108_000.0, 104_000.0]);
    assert_eq!(s.guarantors[0].total, 194_400.0);
    // Béthune's first call over its revenue (2026's, the last known): 6.72 %.
    assert_eq!(s.guarantors[0].first_year_over_revenue, Some(6.72));
    assert!(stress(&reg, &ix, "000000000", date("2026-06-30")).unwrap_err().is_user_error());
}
