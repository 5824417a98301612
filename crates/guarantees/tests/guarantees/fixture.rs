//! A small referential (two EPCI of the Pas-de-Calais, three communes) and helpers.

use echelle_guarantees::*;
use echelle_referential::referential::UnitInfo;
use echelle_referential::{Commune, Layer, PerimeterDef, Referential};

fn commune(code: &str, name: &str, epci: &str, pop: u64) -> Commune {
    Commune {
        code: code.into(),
        name: name.into(),
        departement: "62".into(),
        region: "32".into(),
        arrondissement: Some("622".into()),
        in_france: true,
        epci: Some(epci.into()),
        population: Some(pop),
        population_dgcl: Some(pop),
    }
}

pub fn referential() -> Referential {
    let u = |layer, code: &str, name: &str| UnitInfo { layer, code: code.into(), name: name.into(), kind: None };
    let mut r = Referential::new(
        vec![
            commune("62119", "Béthune", "200072460", 25_000),
            commune("62178", "Bruay-la-Buissière", "200072460", 21_000),
            commune("62498", "Lens", "246200364", 32_000),
        ],
        vec![
            u(Layer::Epci, "200072460", "CA de Béthune-Bruay, Artois-Lys Romane"),
            u(Layer::Epci, "246200364", "CA de Lens - Liévin"),
            u(Layer::Arrondissement, "622", "Béthune"),
            u(Layer::Departement, "62", "Pas-de-Calais"),
            u(Layer::Region, "32", "Hauts-de-France"),
        ],
        vec![],
        vec![],
        vec![],
    )
    .unwrap();
    let def = PerimeterDef::parse(
        "test",
        "id = \"test\"\nname = \"Test\"\nstatus = \"provisional\"\nsource = \"test\"\ninclude = [\"epci:200072460\", \"com:62498\"]\n",
    )
    .unwrap();
    r.add_perimeters(vec![def]).unwrap();
    r
}

pub fn g(s: &str) -> Guarantor {
    Guarantor::parse(s).unwrap()
}

pub fn date(s: &str) -> Date {
    Date::parse(s).unwrap()
}

/// A loan; `euros` to cents, rate in percent.
#[allow(clippy::too_many_arguments)]
pub fn loan(
    id: &str,
    siren: &str,
    category: Category,
    euros: i64,
    start: &str,
    years: u32,
    rate_pct: f64,
    profile: Profile,
) -> Loan {
    Loan {
        id: id.into(),
        beneficiary: Beneficiary { name: format!("Bénéficiaire {siren}"), siren: siren.into(), category },
        lender: "Banque".into(),
        terms: LoanTerms {
            amount: euros * 100,
            start: date(start),
            years,
            frequency: Frequency::Yearly,
            rate_micro: (rate_pct * 10_000.0).round() as i64,
            rate_kind: RateKind::Fixed,
            profile,
        },
        state_aided: false,
        housing_plan: false,
        tense_zone_housing: false,
        declared_outstanding: None,
        given_schedule: None,
    }
}

pub fn guarantee(loan: &str, guarantor: &str, share: f64) -> Guarantee {
    Guarantee { loan: loan.into(), guarantor: g(guarantor), share }
}

pub fn finance(guarantor: &str, year: i32, revenue_euros: i64, provisions_euros: i64, own_euros: i64) -> Finance {
    Finance {
        guarantor: g(guarantor),
        year,
        revenue: revenue_euros * 100,
        provisions: provisions_euros * 100,
        own_annuities: own_euros * 100,
    }
}
