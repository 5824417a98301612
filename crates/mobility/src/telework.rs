//! Telework scenarios (METHODS.md §5).
//!
//! For each flow, the commuters who telework are the teleworkable share of their
//! socio-professional group (INSEE regional studies after Dingel & Neiman 2020:
//! managers 72 %, intermediate occupations 48 %, clerical workers 36 %, craftsmen,
//! shopkeepers and business owners 33 %, farmers 3 %, manual workers 2 %; France 39 %
//! for groups the file does not give) times a take-up rate; they stay home
//! `days` of their 5 working days a week. Results: km and CO2 avoided a year (with,
//! as an option, ADEME's average rebound effect eating 31 % of the benefit), fuel
//! money saved by car commuters, and the change in the share of vulnerable
//! households ([`crate::vulnerability`]).

use echelle_referential::{Referential, TerritoryRef};
use echelle_store::Provenance;
use serde::Serialize;

use crate::MobilityError;
use crate::distance::Positions;
use crate::distance::french_number;
use crate::error::check_range;
use crate::flows::{CAR, Flows, NO_TRANSPORT, workers};
use crate::matrix::{inside, member_mask};
use crate::secrecy::Count;
use crate::vulnerability::{FuelData, FuelParams, Incomes, vulnerability_with};

/// Teleworkable share by `CS1` group index (see [`crate::flows::GROUPS`]): unknown,
/// retired and other inactive groups get France's 39 % (METHODS.md §5).
pub const TELEWORKABLE: [f64; 9] = [0.39, 0.03, 0.33, 0.72, 0.48, 0.36, 0.02, 0.39, 0.39];

/// Share of the benefit eaten by rebound effects (ADEME 2020, METHODS.md §5).
pub const REBOUND: f64 = 0.31;

/// Working days in a week (assumption: 5).
pub const WEEK_DAYS: f64 = 5.0;

/// Telework days a week by default, for those who telework.
pub const DAYS: f64 = 2.0;
/// Share of the teleworkable commuters who telework, by default.
pub const TAKE_UP: f64 = 0.5;

/// A telework scenario.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TeleworkParams {
    /// Telework days a week for those who telework, in (0, 5].
    pub days: f64,
    /// Share of the teleworkable commuters who do telework, in [0, 1].
    pub take_up: f64,
    /// Apply ADEME's 31 % rebound to km and CO2 avoided.
    pub rebound: bool,
    /// Fuel, distance and income parameters.
    pub fuel: FuelParams,
}

impl Default for TeleworkParams {
    fn default() -> Self {
        TeleworkParams { days: DAYS, take_up: TAKE_UP, rebound: false, fuel: FuelParams::default() }
    }
}

impl TeleworkParams {
    /// Rejects values outside their meaningful range, naming the parameter.
    pub fn validate(&self) -> Result<(), MobilityError> {
        check_range("telework days", self.days, 0.0, WEEK_DAYS, true, "days a week, above 0 and at most 5")?;
        check_range("take-up", self.take_up, 0.0, 1.0, false, "a share between 0 and 1 (100 %)")?;
        self.fuel.validate()
    }

    /// Share of a group's commuters who telework.
    pub fn teleworking(&self, group: u8) -> f64 {
        TELEWORKABLE[group as usize] * self.take_up
    }
}

/// What a scenario changes in a territory (its residents' commuting); counts of
/// people under secrecy (`null` when secret).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct TeleworkResult {
    /// The territory key.
    pub territory: String,
    /// Its name.
    pub name: String,
    /// The scenario.
    pub params: TeleworkParams,
    /// Workers who travel to work, with a distance.
    pub commuters: Count,
    /// … of whom telework (an estimate).
    pub teleworkers: Count,
    /// Km travelled a year without telework (round trips).
    pub km_per_year: f64,
    /// … of which avoided by telework (after rebound when asked).
    pub km_avoided_per_year: f64,
    /// Tonnes CO2e a year avoided (after rebound when asked); `None` without modes.
    pub co2_avoided_t_per_year: Option<f64>,
    /// Car commuters' fuel spending avoided, € a year.
    pub money_saved_eur_per_year: f64,
    /// … per car commuter who teleworks.
    pub money_saved_per_teleworking_driver: Option<f64>,
    /// Vulnerable households, % before and after (when incomes are given).
    pub vulnerable_pct_before: Option<f64>,
    /// … and after telework.
    pub vulnerable_pct_after: Option<f64>,
    /// after − before, percentage points.
    pub vulnerable_change_pts: Option<f64>,
    /// The method and its assumptions, in French, for the source note.
    pub method: String,
    /// Where the flows come from.
    pub flows: Provenance,
    /// The incomes used for the vulnerable shares, if any.
    pub incomes: Option<Provenance>,
    /// The flows' (and incomes') source lines.
    pub source_line: String,
}

/// The effect of a telework scenario on the residents of `t`.
pub fn telework(
    flows: &Flows,
    incomes: Option<&Incomes>,
    r: &Referential,
    pos: &Positions,
    t: &TerritoryRef,
    p: &TeleworkParams,
) -> Result<TeleworkResult, MobilityError> {
    p.validate()?;
    if !flows.detailed {
        return Err(MobilityError::Usage(format!(
            "dataset '{}' has no socio-professional group (aggregated base): telework shares need the detailed file FD_MOBPRO",
            flows.provenance.dataset
        )));
    }
    let d = &p.fuel.distance;
    let mask = member_mask(r, t)?;
    let week = p.days / WEEK_DAYS;
    let keep = if p.rebound { 1.0 - REBOUND } else { 1.0 };
    let (mut commuters, mut tele, mut km, mut km_avoided, mut money, mut tele_drivers) = (0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    let mut co2 = Some(0.0);
    for f in flows.flows.iter().filter(|f| f.mode != NO_TRANSPORT && inside(&mask, f.origin)) {
        let Some(dist) = d.km(pos, f.origin, f.dest) else { continue };
        let w = workers(f.weight);
        let a = p.teleworking(f.group);
        commuters += w;
        tele += w * a;
        let year_km = w * 2.0 * dist * d.working_days;
        km += year_km;
        let avoided = year_km * a * week * keep;
        km_avoided += avoided;
        co2 = match (co2, d.factor(f.mode)) {
            (Some(c), Some(k)) => Some(c + avoided * k / 1000.0),
            _ => None,
        };
        if f.mode == CAR {
            money += w * a * week * p.fuel.spending(dist);
            tele_drivers += w * a;
        }
    }
    let (before, after) = match incomes {
        Some(incomes) => {
            let data = FuelData { flows, incomes, referential: r, positions: pos };
            let b = vulnerability_with(&data, t, &p.fuel, &|_| vec![(1.0, 1.0)])?;
            let a = vulnerability_with(&data, t, &p.fuel, &|g| {
                let a = p.teleworking(g);
                vec![(a, 1.0 - week), (1.0 - a, 1.0)]
            })?;
            (b.vulnerable_pct, a.vulnerable_pct)
        }
        None => (None, None),
    };
    Ok(TeleworkResult {
        territory: t.to_string(),
        name: r.name(t).unwrap_or("?").to_string(),
        params: *p,
        commuters: p.fuel.secrecy.estimate(commuters),
        teleworkers: if p.fuel.secrecy.estimate(commuters).is_secret() {
            Count::Secret
        } else {
            p.fuel.secrecy.estimate(tele)
        },
        km_per_year: km,
        km_avoided_per_year: km_avoided,
        co2_avoided_t_per_year: co2,
        money_saved_eur_per_year: money,
        money_saved_per_teleworking_driver: (tele_drivers > 0.0).then(|| money / tele_drivers),
        vulnerable_pct_before: before,
        vulnerable_pct_after: after,
        vulnerable_change_pts: before.zip(after).map(|(b, a)| a - b),
        method: format!(
            "part télétravaillable par CS1 (72/48/36/33/3/2 %, METHODS.md §5) × adoption {} × {} jour(s) sur 5 ; {}{}",
            french_number(p.take_up),
            french_number(p.days),
            d.method_on(pos),
            if p.rebound {
                " ; effet rebond ADEME : 31 % des km et du CO2 évités perdus"
            } else {
                " ; sans effet rebond"
            }
        ),
        source_line: match incomes {
            Some(i) => format!("{} ; revenus : {}", flows.provenance.line(), i.source.line()),
            None => flows.provenance.line(),
        },
        incomes: incomes.map(|i| i.source.clone()),
        flows: flows.provenance.clone(),
    })
}

/// Several scenarios side by side.
pub fn compare(
    flows: &Flows,
    incomes: Option<&Incomes>,
    r: &Referential,
    pos: &Positions,
    t: &TerritoryRef,
    scenarios: &[TeleworkParams],
) -> Result<Vec<TeleworkResult>, MobilityError> {
    scenarios.iter().map(|p| telework(flows, incomes, r, pos, t, p)).collect()
}
