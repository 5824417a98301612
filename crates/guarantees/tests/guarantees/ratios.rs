//! Each prudential rule at, just under and just over its limit; exemptions with their
//! articles; the revenue a ratio needs.
//!
//! Register (0 % loans, so annuities are amount / years, by hand):
//! - Béthune (com:62119), 2026: revenue 1 000 000 €, own debt annuities 200 000 €,
//!   so rule 1's ceiling is 500 000 € and rule 2's room 300 000 € (10 %: 30 000 €);
//! - L1, debtor 111111111, 1 000 000 € over 10 years, Béthune 50 %: 50 000 € in 2026;
//! - L2, debtor 222222222, 200 000 € over 20 years, Béthune 50 %: 5 000 € in 2026;
//! - L4, a social landlord, 3 000 000 € over 10 years, Béthune 100 %: outside the ratios;
//! - L3, debtor 333333333, the EPCI 30 %.

use echelle_guarantees::*;

use crate::fixture::*;

fn register(provisions: i64) -> Register {
    Register {
        loans: vec![
            loan("L1", "111111111", Category::Other, 1_000_000, "2020-01-01", 10, 0.0, Profile::ConstantAnnuity),
            loan("L2", "222222222", Category::Other, 200_000, "2020-01-01", 20, 0.0, Profile::ConstantAmortisation),
            loan("L3", "333333333", Category::Other, 100_000, "2020-01-01", 10, 0.0, Profile::ConstantAnnuity),
            loan(
                "L4",
                "444444444",
                Category::SocialHousing,
                3_000_000,
                "2020-01-01",
                10,
                0.0,
                Profile::ConstantAnnuity,
            ),
        ],
        guarantees: vec![
            guarantee("L1", "com:62119", 0.5),
            guarantee("L2", "com:62119", 0.5),
            guarantee("L3", "epci:200072460", 0.3),
            guarantee("L4", "com:62119", 1.0),
        ],
        finances: vec![
            finance("com:62119", 2026, 1_000_000, provisions, 200_000),
            finance("epci:200072460", 2026, 5_000_000, 0, 1_000_000),
            finance("dep:62", 2026, 2_000_000_000, 0, 100_000_000),
        ],
    }
}

pub fn proposal(guarantor: &str, siren: &str, category: Category, amount: f64, share: f64) -> Proposal {
    Proposal {
        guarantor: guarantor.into(),
        beneficiary: format!("Projet {siren}"),
        siren: siren.into(),
        category,
        amount,
        start: date("2026-01-01"),
        years: 10,
        frequency: Frequency::Yearly,
        rate: 0.0,
        profile: Profile::ConstantAnnuity,
        share,
        state_aided: false,
        housing_plan: false,
        tense_zone_housing: false,
        loan: None,
        year: None,
        horizon: Some(5),
    }
}

fn run(reg: &Register, p: &Proposal) -> Check {
    check(reg, &Rules::shipped(), p, "Béthune", None).unwrap()
}

fn outcome(c: &Check, rule: RuleId) -> &RuleOutcome {
    c.vote.outcomes.iter().find(|o| o.rule == rule).unwrap()
}

#[test]
fn annuities_ceiling_at_under_and_over() {
    let reg = register(0);
    // Room: 500 000 − 200 000 − 50 000 − 5 000 = 245 000 €; the social loan L4 is outside.
    // A 50 % share of a loan whose first annuity is 490 000 € takes exactly that.
    let at = run(&reg, &proposal("com:62119", "555555555", Category::Other, 4_900_000.0, 50.0));
    let o = outcome(&at, RuleId::Annuities);
    assert_eq!((o.value, o.limit, o.margin, o.holds), (500_000.0, 500_000.0, 0.0, true), "{}", o.detail);
    assert_eq!(o.article, "CGCT art. L2252-1, 2e alinéa ; CGCT art. D1511-30 à D1511-35");
    assert!(o.exemption.is_none());
    let under = run(&reg, &proposal("com:62119", "555555555", Category::Other, 4_899_999.80, 50.0));
    let o = outcome(&under, RuleId::Annuities);
    assert_eq!((o.value, o.margin, o.holds), (499_999.99, 0.01, true));
    let over = run(&reg, &proposal("com:62119", "555555555", Category::Other, 4_900_000.20, 50.0));
    let o = outcome(&over, RuleId::Annuities);
    assert_eq!((o.value, o.margin, o.holds), (500_000.01, -0.01, false));
    assert!(!over.vote.holds);
    // Provisions (multiplier 1) come off the total: 10 000 € more room.
    let with_provisions =
        run(&register(10_000), &proposal("com:62119", "555555555", Category::Other, 4_900_000.20, 50.0));
    assert_eq!(outcome(&with_provisions, RuleId::Annuities).margin, 9_999.99);
}

#[test]
fn one_debtor_ceiling_at_under_and_over() {
    let reg = register(0);
    // Limit 10 % × (500 000 − 200 000) = 30 000 €; already 5 000 € to 222222222 (L2);
    // a 50 % share of a first annuity of 50 000 € adds 25 000 €.
    let at = run(&reg, &proposal("com:62119", "222222222", Category::Other, 500_000.0, 50.0));
    let o = outcome(&at, RuleId::Debtor);
    assert_eq!((o.value, o.limit, o.margin, o.holds), (30_000.0, 30_000.0, 0.0, true), "{}", o.detail);
    assert_eq!(o.article, "CGCT art. L2252-1, 3e alinéa ; CGCT art. D1511-30 à D1511-35");
    let under = run(&reg, &proposal("com:62119", "222222222", Category::Other, 499_999.80, 50.0));
    assert_eq!((outcome(&under, RuleId::Debtor).margin, outcome(&under, RuleId::Debtor).holds), (0.01, true));
    let over = run(&reg, &proposal("com:62119", "222222222", Category::Other, 500_000.20, 50.0));
    let o = outcome(&over, RuleId::Debtor);
    assert_eq!((o.value, o.margin, o.holds), (30_000.01, -0.01, false));
    // Rule 1 holds (280 000 € of 500 000 €): the one-debtor rule is the one that breaks.
    assert!(outcome(&over, RuleId::Annuities).holds);
    assert_eq!(over.vote.first_to_break, Some(RuleId::Debtor));
    assert_eq!(over.first_break.as_ref().map(|b| (b.year, b.rule)), Some((2026, RuleId::Debtor)));
    // Provisions widen the room: 10 % of 10 000 € more.
    let o = run(&register(10_000), &proposal("com:62119", "222222222", Category::Other, 500_000.20, 50.0));
    assert_eq!(outcome(&o, RuleId::Debtor).limit, 31_000.0);
}

#[test]
fn share_ceiling_at_under_and_over_with_the_other_guarantors() {
    let reg = register(0);
    let mut p = proposal("com:62119", "333333333", Category::Other, 100_000.0, 20.0);
    p.loan = Some("L3".into()); // the EPCI already guarantees 30 %
    let o = outcome(&run(&reg, &p), RuleId::Share).clone();
    assert_eq!((o.value, o.limit, o.margin, o.holds), (50.0, 50.0, 0.0, true), "{}", o.detail);
    assert_eq!(o.article, "CGCT art. L2252-1, 4e alinéa ; CGCT art. D1511-30 à D1511-35");
    p.share = 19.99;
    let o = outcome(&run(&reg, &p), RuleId::Share).clone();
    assert_eq!((o.margin, o.holds), (0.01, true));
    p.share = 20.01;
    let o = outcome(&run(&reg, &p), RuleId::Share).clone();
    assert_eq!((o.value, o.holds), (50.01, false));
    // Development operations: 80 %.
    let o = run(&reg, &proposal("com:62119", "666666666", Category::Development, 100_000.0, 80.0));
    let s = outcome(&o, RuleId::Share);
    assert_eq!((s.limit, s.holds), (80.0, true));
    assert!(s.article.contains("aménagement"), "{}", s.article);
    let o = run(&reg, &proposal("com:62119", "666666666", Category::Development, 100_000.0, 80.01));
    assert!(!outcome(&o, RuleId::Share).holds);
}

#[test]
fn social_housing_is_exempted_with_its_article_for_each_kind_of_authority() {
    let reg = register(0);
    // 100 % of a 50 M€ loan: every ceiling would break, none applies.
    for (guarantor, basis) in [
        ("com:62119", "CGCT art. L2252-2, I, 1°"),
        ("epci:200072460", "CGCT art. L2252-2 (par renvoi de l'art. L5111-4), I, 1°"),
        ("dep:62", "CGCT art. L3231-4-1, I, 1°"),
    ] {
        let c = run(&reg, &proposal(guarantor, "777777777", Category::SocialHousing, 50_000_000.0, 100.0));
        assert!(c.vote.holds, "{guarantor}");
        assert_eq!(c.vote.first_to_break, None);
        for o in &c.vote.outcomes {
            let e = o.exemption.as_ref().unwrap_or_else(|| panic!("{guarantor} {:?} not exempted", o.rule));
            assert_eq!((e.id.as_str(), e.basis.as_str()), ("logement-social", basis));
        }
        assert!(c.articles.iter().any(|a| a == basis), "{:?}", c.articles);
    }
    // A State-aided loan: 2°. A body of general interest: only the share ceiling is lifted.
    let mut p = proposal("com:62119", "888888888", Category::Other, 1_000.0, 100.0);
    p.state_aided = true;
    let c = run(&reg, &p);
    assert_eq!(outcome(&c, RuleId::Share).exemption.as_ref().unwrap().basis, "CGCT art. L2252-2, I, 2°");
    let c = run(&reg, &proposal("com:62119", "999999999", Category::GeneralInterest, 1_000.0, 100.0));
    let share = outcome(&c, RuleId::Share);
    assert_eq!(share.exemption.as_ref().unwrap().basis, "CGCT art. L2252-1, 5e alinéa ; CGI art. 200 et 238 bis");
    assert!(share.holds);
    assert!(outcome(&c, RuleId::Annuities).exemption.is_none());
}

#[test]
fn land_trusts_escape_the_share_ceiling_of_departements_only() {
    let reg = register(0);
    // An OFS borrows 1 000 000 € over 10 years at 0 %: 100 000 € a year, guaranteed 100 %.
    let c = run(&reg, &proposal("dep:62", "121212121", Category::LandTrust, 1_000_000.0, 100.0));
    let share = outcome(&c, RuleId::Share);
    assert_eq!((share.value, share.limit, share.holds), (100.0, 50.0, true));
    let e = share.exemption.as_ref().expect("the share ceiling is lifted");
    assert_eq!(
        (e.id.as_str(), e.basis.as_str()),
        ("foncier-solidaire", "CGCT art. L3231-4, 5e alinéa ; C. urb. art. L329-1")
    );
    // The two other ratios still apply: 100 000 000 € of own annuities + 100 000 € against
    // 50 % of 2 000 000 000 €; one debtor: 100 000 € against 10 % × (1 000 000 000 − 100 000 000).
    let a = outcome(&c, RuleId::Annuities);
    assert_eq!((a.value, a.limit, a.holds, a.exemption.is_none()), (100_100_000.0, 1_000_000_000.0, true, true));
    let d = outcome(&c, RuleId::Debtor);
    assert_eq!((d.value, d.limit, d.exemption.is_none()), (100_000.0, 90_000_000.0, true));
    // A commune: no text lifts any ratio for a land trust, so 100 % breaks the 50 % ceiling.
    let c = run(&reg, &proposal("com:62119", "121212121", Category::LandTrust, 1_000_000.0, 100.0));
    let share = outcome(&c, RuleId::Share);
    assert_eq!((share.value, share.limit, share.holds), (100.0, 50.0, false));
    assert!(share.exemption.is_none());
}

#[test]
fn development_mainly_housing_in_a_tense_zone_escapes_the_share_ceiling_only() {
    let reg = register(0);
    // 100 000 € over 10 years at 0 %, guaranteed 100 %: 10 000 € a year.
    let mut p = proposal("com:62119", "131313131", Category::Development, 100_000.0, 100.0);
    let c = run(&reg, &p);
    let share = outcome(&c, RuleId::Share);
    assert_eq!((share.limit, share.holds), (80.0, false));
    assert!(share.exemption.is_none());
    p.tense_zone_housing = true;
    let c = run(&reg, &p);
    let share = outcome(&c, RuleId::Share);
    assert!(share.holds);
    let e = share.exemption.as_ref().expect("the share ceiling is lifted");
    assert_eq!(
        (e.id.as_str(), e.basis.as_str()),
        ("amenagement-zone-tendue", "CGCT art. L2252-2, II ; C. urb. art. L300-4 à L300-5-2 ; CGI art. 232")
    );
    // Rule 1 still counts it: 50 000 + 5 000 (L1, L2) + 10 000 + 200 000 own annuities.
    let a = outcome(&c, RuleId::Annuities);
    assert_eq!((a.value, a.exemption.is_none()), (265_000.0, true));
    assert!(outcome(&c, RuleId::Debtor).exemption.is_none());
    // A département cites its own article; the flag alone, on another category, lifts nothing.
    p.guarantor = "dep:62".into();
    let c = run(&reg, &p);
    assert_eq!(
        outcome(&c, RuleId::Share).exemption.as_ref().unwrap().basis,
        "CGCT art. L3231-4-1, II ; C. urb. art. L300-4 à L300-5-2 ; CGI art. 232"
    );
    p.category = Category::Other;
    let c = run(&reg, &p);
    assert!(outcome(&c, RuleId::Share).exemption.is_none());
}

#[test]
fn projection_uses_the_scheduled_annuities_and_says_when_finances_are_held() {
    let reg = register(0);
    let c = run(&reg, &proposal("com:62119", "555555555", Category::Other, 4_900_000.0, 50.0));
    assert_eq!(c.projection.iter().map(|y| y.year).collect::<Vec<_>>(), vec![2027, 2028, 2029, 2030, 2031]);
    let y2031 = &c.projection[4];
    assert_eq!(y2031.finances_from, Some(2026));
    // 2031: L1 is repaid (last payment 2030-01-01), L2 still 5 000 €, the new loan 245 000 €.
    let o = y2031.outcomes.iter().find(|o| o.rule == RuleId::Annuities).unwrap();
    assert_eq!(o.value, 5_000.0 + 245_000.0 + 200_000.0);
    // Rule 1 holds every year; the one-debtor rule breaks from the vote on (245 000 € to one debtor).
    assert!(c.projection.iter().all(|y| y.outcomes[0].holds));
    assert_eq!(c.first_break.as_ref().map(|b| (b.year, b.rule)), Some((2026, RuleId::Debtor)));
}

#[test]
fn missing_revenue_for_the_vote_year_is_refused() {
    let reg = register(0);
    let mut p = proposal("com:62119", "555555555", Category::Other, 1_000.0, 10.0);
    p.year = Some(2025);
    let e = check(&reg, &Rules::shipped(), &p, "Béthune", None).unwrap_err();
    assert!(e.is_user_error());
    assert_eq!(
        e.to_string(),
        "pas de recettes réelles de fonctionnement pour com:62119 en 2025 : le ratio ne peut être calculé"
    );
    let p = proposal("com:62178", "555555555", Category::Other, 1_000.0, 10.0);
    assert!(matches!(check(&reg, &Rules::shipped(), &p, "Bruay", None), Err(GuaranteeError::MissingRevenue { .. })));
}
