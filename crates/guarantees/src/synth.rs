//! A SYNTHETIC register for demonstrations: loans guaranteed by the communes and EPCI
//! of a territory (the Bassin minier by default), some shared between a commune and
//! its EPCI. Generated, never observed: stored with the synthetic flag, so every
//! output says SYNTHÉTIQUE.

use echelle_referential::{Layer, Referential, TerritoryRef};

use crate::date::Date;
use crate::register::*;

/// A small deterministic generator (SplitMix64): the same seed, the same register.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

const BENEFICIARIES: &[(&str, Category)] = &[
    ("Bailleur social A (synthétique)", Category::SocialHousing),
    ("Bailleur social B (synthétique)", Category::SocialHousing),
    ("Office public de l'habitat C (synthétique)", Category::SocialHousing),
    ("SEM immobilière D (synthétique)", Category::SocialHousing),
    ("SEM d'aménagement E (synthétique)", Category::Development),
    ("Société publique locale d'aménagement F (synthétique)", Category::Development),
    ("Association d'aide à domicile G (synthétique)", Category::GeneralInterest),
    ("Fondation médico-sociale H (synthétique)", Category::GeneralInterest),
    ("Club sportif professionnel I (synthétique)", Category::Other),
    ("Société d'économie mixte de services J (synthétique)", Category::Other),
];

/// Generates a register for the communes and EPCI lying within `within`, with
/// finances for 2024 to 2026.
pub fn register(r: &Referential, within: &TerritoryRef, seed: u64) -> Result<Register, crate::GuaranteeError> {
    let mut rng = Rng(seed);
    let communes = r.territories_within(Layer::Commune, Some(within))?;
    let epcis = r.territories_within(Layer::Epci, Some(within))?;
    let mut reg = Register::default();
    let pop = |t: &TerritoryRef| r.members(t).map(|m| r.population_of(&m)).unwrap_or(0);
    for (t, per_inhabitant) in communes.iter().map(|t| (t, 1_150)).chain(epcis.iter().map(|t| (t, 420))) {
        let kind = if t.layer == Layer::Epci { AuthorityKind::Epci } else { AuthorityKind::Commune };
        let g = Guarantor { kind, code: t.code.clone() };
        let revenue_base = pop(t).max(100) as f64 * per_inhabitant as f64 * (0.8 + 0.5 * rng.unit());
        for year in 2024..=2026 {
            let revenue = (revenue_base * (1.0 + 0.02 * (year - 2024) as f64) * 100.0).round() as i64;
            let own = (revenue as f64 * (0.06 + 0.1 * rng.unit())).round() as i64;
            let provisions = if rng.unit() < 0.1 { revenue / 200 } else { 0 };
            reg.finances.push(Finance { guarantor: g.clone(), year, revenue, provisions, own_annuities: own });
        }
    }
    let mut n = 0;
    for c in &communes {
        let p = pop(c);
        let loans = match p {
            0..2_000 => usize::from(rng.unit() < 0.3),
            2_000..10_000 => rng.range(1, 3) as usize,
            _ => rng.range(3, 7) as usize,
        };
        let epci = r.commune(&c.code).and_then(|x| x.epci.clone());
        for _ in 0..loans {
            n += 1;
            let (name, category) = BENEFICIARIES[rng.range(0, BENEFICIARIES.len() as i64 - 1) as usize];
            let b = BENEFICIARIES.iter().position(|x| x.0 == name).unwrap_or(0);
            let (amount, years, rate) = match category {
                Category::SocialHousing | Category::LandTrust => {
                    (rng.range(300, 4_000) * 1_000, rng.range(25, 40), rng.range(15_000, 40_000))
                }
                Category::Development => (rng.range(500, 6_000) * 1_000, rng.range(5, 15), rng.range(20_000, 45_000)),
                Category::GeneralInterest => {
                    (rng.range(100, 1_200) * 1_000, rng.range(10, 20), rng.range(20_000, 45_000))
                }
                Category::Other => (rng.range(100, 1_500) * 1_000, rng.range(8, 20), rng.range(25_000, 50_000)),
            };
            let start = Date::new(rng.range(2008, 2026) as i32, rng.range(1, 12) as u8, 1).expect("valid date");
            let loan = Loan {
                id: format!("SYN-{n:05}"),
                beneficiary: Beneficiary {
                    name: name.into(),
                    siren: format!("9{:08}", 10_000_000 + b * 1_111_111),
                    category,
                },
                lender: if category == Category::SocialHousing {
                    "Banque des Territoires".into()
                } else {
                    "Banque (synthétique)".into()
                },
                terms: LoanTerms {
                    amount: amount * 100,
                    start,
                    years: years as u32,
                    frequency: if rng.unit() < 0.4 { Frequency::Quarterly } else { Frequency::Yearly },
                    rate_micro: rate,
                    rate_kind: if rng.unit() < 0.5 { RateKind::Variable } else { RateKind::Fixed },
                    profile: if rng.unit() < 0.6 { Profile::ConstantAnnuity } else { Profile::ConstantAmortisation },
                },
                state_aided: category == Category::SocialHousing && rng.unit() < 0.3,
                housing_plan: false,
                tense_zone_housing: false,
                declared_outstanding: None,
                given_schedule: None,
            };
            let commune = Guarantor { kind: AuthorityKind::Commune, code: c.code.clone() };
            // A third of the loans are shared with the EPCI.
            let shared = epci.as_ref().filter(|e| epcis.iter().any(|t| t.code == **e)).filter(|_| rng.unit() < 0.35);
            let total = match category {
                Category::SocialHousing | Category::GeneralInterest => 1.0,
                Category::Development => [0.5, 0.8][rng.range(0, 1) as usize],
                Category::Other => [0.2, 0.3, 0.5][rng.range(0, 2) as usize],
                // No land trust among the synthetic beneficiaries; a commune may guarantee half.
                Category::LandTrust => 0.5,
            };
            match shared {
                Some(e) => {
                    reg.guarantees.push(Guarantee { loan: loan.id.clone(), guarantor: commune, share: total / 2.0 });
                    reg.guarantees.push(Guarantee {
                        loan: loan.id.clone(),
                        guarantor: Guarantor { kind: AuthorityKind::Epci, code: e.clone() },
                        share: total / 2.0,
                    });
                }
                None => reg.guarantees.push(Guarantee { loan: loan.id.clone(), guarantor: commune, share: total }),
            }
            reg.loans.push(loan);
        }
    }
    Ok(reg)
}
