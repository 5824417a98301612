//! The study's questions answered from the store: what the CLI and the server call,
//! so that both give the same answer to the same question.

use echelle_referential::{Layer, Referential, TerritoryRef};
use echelle_store::Store;
use serde::{Deserialize, Serialize};

use crate::check::{Check, Proposal};
use crate::date::Date;
use crate::exposure::{BeneficiaryExposure, Exposure, ExposureIndex};
use crate::register::{Guarantor, Register};
use crate::rules::Rules;
use crate::stress::Stress;
use crate::{GuaranteeError, store};

/// The register as loaded from the store, with the rules in force and its provenance.
pub struct Loaded {
    /// The register.
    pub register: Register,
    /// The rules (the shipped file).
    pub rules: Rules,
    /// Where it comes from.
    pub provenance: echelle_store::Provenance,
}

/// Loads the register stored as `id` (default [`store::DEFAULT_ID`]).
pub fn load(s: &Store, id: Option<&str>) -> Result<Loaded, GuaranteeError> {
    let (register, provenance) = store::load(s, id.unwrap_or(store::DEFAULT_ID))?;
    Ok(Loaded { register, rules: Rules::shipped(), provenance })
}

/// The check before a vote of a proposal.
pub fn check(l: &Loaded, r: &Referential, p: &Proposal) -> Result<Check, GuaranteeError> {
    let (g, _, _) = p.loan()?;
    let name = r.name(&g.territory()).ok_or_else(|| {
        GuaranteeError::Usage(format!("garant {} inconnu du référentiel", crate::error::quote(&p.guarantor)))
    })?;
    crate::check::check(&l.register, &l.rules, p, name, Some(l.provenance.clone()))
}

/// What an exposure question asks: territories, or every territory of a layer within a frame.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExposureQuery {
    /// Territories (`epci:200072460,per:bassin-minier`), comma separated.
    #[serde(default)]
    pub territories: Option<String>,
    /// Or every territory of this layer (`com`, `epci`, `dep`, `reg`)…
    #[serde(default)]
    #[param(value_type = Option<echelle_referential::Layer>)]
    pub layer: Option<String>,
    /// …lying within this territory.
    #[serde(default)]
    pub within: Option<String>,
    /// Date of the outstanding capital (AAAA-MM-JJ; default: 31 December of `year`).
    #[serde(default)]
    pub date: Option<String>,
    /// Year of the annuities and revenue (default: the register's latest finances).
    #[serde(default)]
    pub year: Option<i32>,
}

/// Exposures answering the query, with the register's provenance on each.
pub fn exposure(l: &Loaded, r: &Referential, q: &ExposureQuery) -> Result<Vec<Exposure>, GuaranteeError> {
    let year = q.year.or_else(|| l.register.finances.iter().map(|f| f.year).max()).unwrap_or(2026);
    let date = match &q.date {
        Some(d) => Date::parse(d)
            .ok_or_else(|| GuaranteeError::Usage(format!("date {} : attendue AAAA-MM-JJ", crate::error::quote(d))))?,
        None => Date::end_of_year(year),
    };
    let ix = ExposureIndex::new(&l.register, &l.rules, r)?;
    let targets: Vec<TerritoryRef> = match (&q.territories, &q.layer) {
        (Some(list), _) => {
            list.split(',').filter(|s| !s.trim().is_empty()).map(|s| r.resolve(s.trim())).collect::<Result<_, _>>()?
        }
        (None, Some(layer)) => {
            let layer: Layer = layer.parse()?;
            let within = q.within.as_deref().map(|w| r.resolve(w)).transpose()?;
            r.territories_within(layer, within.as_ref())?
        }
        (None, None) => l.register.guarantors().iter().map(Guarantor::territory).collect(),
    };
    if targets.len() > 5_000 {
        return Err(GuaranteeError::Usage(format!("{} territoires demandés : 5 000 au plus", targets.len())));
    }
    targets
        .iter()
        .map(|t| {
            let mut e = ix.territory(t, date, year)?;
            e.provenance = Some(l.provenance.clone().with_unit("euros"));
            Ok(e)
        })
        .collect()
}

/// Every beneficiary across its guarantors at `date`.
pub fn beneficiaries(l: &Loaded, r: &Referential, date: Date) -> Result<Vec<BeneficiaryExposure>, GuaranteeError> {
    Ok(ExposureIndex::new(&l.register, &l.rules, r)?.beneficiaries(date))
}

/// The stress test of a beneficiary's default.
pub fn stress(l: &Loaded, r: &Referential, siren: &str, default_date: Date) -> Result<Stress, GuaranteeError> {
    let ix = ExposureIndex::new(&l.register, &l.rules, r)?;
    crate::stress::stress(&l.register, &ix, siren, default_date)
}
