//! The register: loans, who guarantees which share of them, and the guarantors'
//! finances per year. Amounts are whole cents (`i64`), shares fractions of one.

use std::collections::HashMap;

use echelle_referential::{Layer, TerritoryRef};
use serde::Serialize;

use crate::date::Date;
use crate::schedule::{self, Payment};

/// The kind of local authority that guarantees: the law's ceilings differ by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthorityKind {
    /// A commune.
    Commune,
    /// An EPCI à fiscalité propre (commune rules, CGCT L5111-4).
    Epci,
    /// A département.
    Departement,
    /// A région.
    Region,
}

impl AuthorityKind {
    /// The referential's layer of that kind of authority.
    pub fn layer(self) -> Layer {
        match self {
            AuthorityKind::Commune => Layer::Commune,
            AuthorityKind::Epci => Layer::Epci,
            AuthorityKind::Departement => Layer::Departement,
            AuthorityKind::Region => Layer::Region,
        }
    }

    /// The key of the rules file's `[authorities.*]` table.
    pub fn key(self) -> &'static str {
        match self {
            AuthorityKind::Commune => "commune",
            AuthorityKind::Epci => "epci",
            AuthorityKind::Departement => "departement",
            AuthorityKind::Region => "region",
        }
    }

    /// Reads `commune`, `EPCI`, `département`, `région` or a layer prefix (`com`, `dep`…).
    pub fn parse(s: &str) -> Option<AuthorityKind> {
        match echelle_referential::fold(s.trim()).as_str() {
            "commune" | "com" => Some(AuthorityKind::Commune),
            "epci" | "intercommunalite" | "groupement" => Some(AuthorityKind::Epci),
            "departement" | "dep" => Some(AuthorityKind::Departement),
            "region" | "reg" => Some(AuthorityKind::Region),
            _ => None,
        }
    }
}

/// A guarantor: a local authority by its kind and code (INSEE code, SIREN for an EPCI).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guarantor {
    /// Its kind.
    pub kind: AuthorityKind,
    /// Its code in its layer.
    pub code: String,
}

impl Guarantor {
    /// The guarantor as a territory of the referential.
    pub fn territory(&self) -> TerritoryRef {
        TerritoryRef::new(self.kind.layer(), &self.code)
    }

    /// Reads `com:59350`, `epci:200072460`, `dep:59`, `reg:32`.
    pub fn parse(s: &str) -> Option<Guarantor> {
        let (kind, code) = s.trim().split_once(':')?;
        let kind = AuthorityKind::parse(kind)?;
        let code = code.trim();
        (!code.is_empty()).then(|| Guarantor { kind, code: code.to_string() })
    }
}

impl std::fmt::Display for Guarantor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.territory().fmt(f)
    }
}

impl Serialize for Guarantor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the beneficiary is: decides the share ceiling and the exemptions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// An HLM body or a SEM building housing.
    SocialHousing,
    /// A development operation (aménagement).
    Development,
    /// A body of general interest (CGI art. 200 and 238 bis).
    GeneralInterest,
    /// An approved land trust (organisme de foncier solidaire, C. urb. L329-1).
    LandTrust,
    /// Anything else.
    Other,
}

impl Category {
    /// Every category, in the order tables show them.
    pub const ALL: [Category; 5] = [
        Category::SocialHousing,
        Category::Development,
        Category::GeneralInterest,
        Category::LandTrust,
        Category::Other,
    ];

    /// The word of the rules file and of the stored register.
    pub fn key(self) -> &'static str {
        match self {
            Category::SocialHousing => "social_housing",
            Category::Development => "development",
            Category::GeneralInterest => "general_interest",
            Category::LandTrust => "land_trust",
            Category::Other => "other",
        }
    }

    /// The French label shown to users.
    pub fn label(self) -> &'static str {
        match self {
            Category::SocialHousing => "logement social (HLM, SEM)",
            Category::Development => "opération d'aménagement",
            Category::GeneralInterest => "organisme d'intérêt général",
            Category::LandTrust => "organisme de foncier solidaire",
            Category::Other => "autre",
        }
    }

    /// Reads the key or a French word (`logement social`, `hlm`, `aménagement`, `intérêt général`,
    /// `foncier solidaire`, `ofs`, `autre`).
    pub fn parse(s: &str) -> Option<Category> {
        let f = echelle_referential::fold(s.trim()).replace(['-', '_', '\''], " ");
        let f = f.split_whitespace().collect::<Vec<_>>().join(" ");
        match f.as_str() {
            "social housing" | "logement social" | "hlm" | "sem" | "oph" | "logement" => Some(Category::SocialHousing),
            "development" | "amenagement" | "operation d amenagement" => Some(Category::Development),
            "general interest" | "interet general" | "organisme d interet general" => Some(Category::GeneralInterest),
            "land trust" | "ofs" | "foncier solidaire" | "organisme de foncier solidaire" => Some(Category::LandTrust),
            "other" | "autre" => Some(Category::Other),
            _ => None,
        }
    }
}

/// How the loan is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// Equal payments (échéances constantes).
    ConstantAnnuity,
    /// Equal principal repayments (amortissement constant).
    ConstantAmortisation,
}

impl Profile {
    /// The word of the stored register.
    pub fn key(self) -> &'static str {
        match self {
            Profile::ConstantAnnuity => "constant_annuity",
            Profile::ConstantAmortisation => "constant_amortisation",
        }
    }

    /// Reads the key or French words (`annuité constante`, `amortissement constant`).
    pub fn parse(s: &str) -> Option<Profile> {
        let f = echelle_referential::fold(s.trim()).replace(['-', '_'], " ");
        match f.as_str() {
            "constant annuity"
            | "annuite constante"
            | "annuites constantes"
            | "echeance constante"
            | "echeances constantes"
            | "progressif" => Some(Profile::ConstantAnnuity),
            "constant amortisation" | "amortissement constant" | "amortissements constants" | "lineaire" => {
                Some(Profile::ConstantAmortisation)
            }
            _ => None,
        }
    }
}

/// How often the loan is repaid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Once a year.
    Yearly,
    /// Four times a year.
    Quarterly,
}

impl Frequency {
    /// Payments per year.
    pub fn per_year(self) -> u32 {
        match self {
            Frequency::Yearly => 1,
            Frequency::Quarterly => 4,
        }
    }

    /// The word of the stored register.
    pub fn key(self) -> &'static str {
        match self {
            Frequency::Yearly => "yearly",
            Frequency::Quarterly => "quarterly",
        }
    }

    /// Reads the key or French words (`annuelle`, `trimestrielle`).
    pub fn parse(s: &str) -> Option<Frequency> {
        match echelle_referential::fold(s.trim()).as_str() {
            "yearly" | "annuelle" | "annuel" | "a" | "1" => Some(Frequency::Yearly),
            "quarterly" | "trimestrielle" | "trimestriel" | "t" | "4" => Some(Frequency::Quarterly),
            _ => None,
        }
    }
}

/// Fixed or variable rate (a variable rate's schedule is projected at the rate given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RateKind {
    /// Fixed for the loan's life.
    Fixed,
    /// Indexed (Livret A, Euribor): projected at the current rate.
    Variable,
}

impl RateKind {
    /// The word of the stored register.
    pub fn key(self) -> &'static str {
        match self {
            RateKind::Fixed => "fixed",
            RateKind::Variable => "variable",
        }
    }

    /// Reads the key or French words (`fixe`, `variable`, `révisable`).
    pub fn parse(s: &str) -> Option<RateKind> {
        match echelle_referential::fold(s.trim()).as_str() {
            "fixed" | "fixe" => Some(RateKind::Fixed),
            "variable" | "revisable" | "indexe" | "livret a" => Some(RateKind::Variable),
            _ => None,
        }
    }
}

/// Who borrowed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Beneficiary {
    /// Its name.
    pub name: String,
    /// Its SIREN (nine digits): the key that groups its loans across guarantors.
    pub siren: String,
    /// What it is.
    pub category: Category,
}

/// The terms a schedule is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LoanTerms {
    /// Borrowed amount, in cents.
    pub amount: i64,
    /// Date the funds were drawn; the first payment falls one period later.
    #[schema(value_type = String)]
    pub start: Date,
    /// Number of years.
    pub years: u32,
    /// Payments per year.
    pub frequency: Frequency,
    /// Yearly rate in millionths (3.45 % is 34 500); the period rate is proportional.
    pub rate_micro: i64,
    /// Fixed or variable.
    pub rate_kind: RateKind,
    /// How the principal is repaid.
    pub profile: Profile,
}

impl LoanTerms {
    /// The date of the last payment.
    pub fn end(&self) -> Date {
        self.start.add_months(12 * self.years)
    }
}

/// A loan of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Loan {
    /// The register's loan id (contract number).
    pub id: String,
    /// Who borrowed.
    pub beneficiary: Beneficiary,
    /// Who lent (Banque des Territoires, a bank…).
    pub lender: String,
    /// Its terms.
    pub terms: LoanTerms,
    /// Subsidised or aided by the State (an exemption).
    pub state_aided: bool,
    /// Under the departmental plan for housing the disadvantaged (an exemption).
    pub housing_plan: bool,
    /// A development operation under C. urb. L300-4 to L300-5-2, mainly housing, in a
    /// tense zone (CGI art. 232) or fast-growing commune: its share is not capped.
    pub tense_zone_housing: bool,
    /// Outstanding capital as declared at a date (cents), where the register gives it.
    #[schema(value_type = Option<Object>)]
    pub declared_outstanding: Option<(Date, i64)>,
    /// The schedule as given by the register; computed from the terms when absent.
    pub given_schedule: Option<Vec<Payment>>,
}

impl Loan {
    /// The loan's schedule: as given, else computed from its terms.
    pub fn schedule(&self) -> Vec<Payment> {
        match &self.given_schedule {
            Some(s) => s.clone(),
            None => schedule::schedule(&self.terms),
        }
    }

    /// Outstanding capital at the end of `date` (cents): the declared figure carried
    /// forward by the principal repaid since, else the amount less the principal repaid.
    pub fn outstanding(&self, schedule: &[Payment], date: Date) -> i64 {
        match self.declared_outstanding {
            Some((at, declared)) if at <= date => {
                declared - schedule.iter().filter(|p| p.due > at && p.due <= date).map(|p| p.principal).sum::<i64>()
            }
            _ if date < self.terms.start => 0,
            _ => self.terms.amount - schedule.iter().filter(|p| p.due <= date).map(|p| p.principal).sum::<i64>(),
        }
        .max(0)
    }
}

/// One authority guaranteeing a share of one loan.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Guarantee {
    /// The loan's id in the register.
    pub loan: String,
    /// The guarantor.
    #[schema(value_type = String)]
    pub guarantor: Guarantor,
    /// Share of the loan guaranteed, a fraction of one.
    pub share: f64,
}

/// A guarantor's budget figures for one year (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Finance {
    /// The guarantor.
    #[schema(value_type = String)]
    pub guarantor: Guarantor,
    /// The budget year.
    pub year: i32,
    /// Real operating revenue (recettes réelles de fonctionnement).
    pub revenue: i64,
    /// Specific provisions for guarantees.
    pub provisions: i64,
    /// Annuities of its own debt due in the year.
    pub own_annuities: i64,
}

/// The register: loans, guarantees and the guarantors' finances.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Register {
    /// Loans by id, in the register's order.
    pub loans: Vec<Loan>,
    /// Guarantees, several per loan when several authorities share it.
    pub guarantees: Vec<Guarantee>,
    /// Finances per guarantor and year.
    pub finances: Vec<Finance>,
}

impl Register {
    /// The loan of that id.
    pub fn loan(&self, id: &str) -> Option<&Loan> {
        self.loans.iter().find(|l| l.id == id)
    }

    /// A guarantor's finances for a year.
    pub fn finance(&self, guarantor: &Guarantor, year: i32) -> Option<&Finance> {
        self.finances.iter().find(|f| f.guarantor == *guarantor && f.year == year)
    }

    /// A guarantor's finances for the latest year up to `year`, when none for `year` itself.
    pub fn finance_at_most(&self, guarantor: &Guarantor, year: i32) -> Option<&Finance> {
        self.finances.iter().filter(|f| f.guarantor == *guarantor && f.year <= year).max_by_key(|f| f.year)
    }

    /// Every guarantor of the register, sorted.
    pub fn guarantors(&self) -> Vec<Guarantor> {
        let mut g: Vec<Guarantor> = self.guarantees.iter().map(|g| g.guarantor.clone()).collect();
        g.extend(self.finances.iter().map(|f| f.guarantor.clone()));
        g.sort();
        g.dedup();
        g
    }

    /// Each loan's schedule, computed once.
    pub fn schedules(&self) -> HashMap<&str, Vec<Payment>> {
        self.loans.iter().map(|l| (l.id.as_str(), l.schedule())).collect()
    }
}
