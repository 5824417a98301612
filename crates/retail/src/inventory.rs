//! The inventory at a date, rebuilt from the observations.
//!
//! An establishment opens on the earliest opening date any observation gives (else on
//! its first observation) and closes on the earliest closing date given. While open,
//! its state at a date is its latest observation up to that date, or its first
//! observation before it was first observed. Nothing depends on the order the
//! observations came in: each establishment's are sorted by date, and
//! (establishment, date) is unique in a register.

use crate::date::Date;
use crate::register::{Observation, Register};
use crate::rules::Rules;

/// One establishment's observations, by date.
#[derive(Debug, Clone)]
pub struct Timeline<'a> {
    /// Its identifier.
    pub id: &'a str,
    /// Its observations, by date.
    pub observations: Vec<&'a Observation>,
    /// When it opened.
    pub opened: Date,
    /// When it closed.
    pub closed: Option<Date>,
}

impl<'a> Timeline<'a> {
    /// Whether it is open on `d`.
    pub fn open_at(&self, d: Date) -> bool {
        self.opened <= d && self.closed.is_none_or(|c| d < c)
    }

    /// Its state on `d`, when open.
    pub fn state_at(&self, d: Date) -> Option<&'a Observation> {
        if !self.open_at(d) {
            return None;
        }
        self.observations.iter().rev().find(|o| o.observed <= d).or(self.observations.first()).copied()
    }
}

/// Why an open establishment is not counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Exclusion {
    /// Its category is excluded (car dealers and garages, caravans, hotels and restaurants).
    Category,
    /// Under the observation threshold inside a mall.
    InMall,
    /// Under the observation threshold.
    BelowThreshold,
}

/// Whether an establishment in this state is counted, and if not, why: (reason key, label).
pub fn exclusion(rules: &Rules, o: &Observation) -> Option<(String, String)> {
    let category = rules.category(&o.category).filter(|c| c.excluded);
    let naf = o.naf.as_deref().and_then(|n| rules.naf_exclusion(n));
    if let Some(c) = category.or(naf) {
        return Some((c.key.clone(), format!("exclu : {}", c.label)));
    }
    if o.area() < rules.observation_threshold {
        return Some(if o.in_mall {
            ("in_mall".into(), format!("moins de {} m² dans une galerie marchande", rules.observation_threshold))
        } else {
            ("below_threshold".into(), format!("moins de {} m²", rules.observation_threshold))
        });
    }
    None
}

/// Every establishment's timeline, built once for many dates and territories.
pub struct Index<'a> {
    /// The timelines, by identifier.
    pub timelines: Vec<Timeline<'a>>,
}

impl<'a> Index<'a> {
    /// Indexes a register.
    pub fn new(reg: &'a Register) -> Index<'a> {
        let timelines = reg
            .establishments()
            .into_iter()
            .map(|(id, observations)| {
                let opened =
                    observations.iter().filter_map(|o| o.opened).min().unwrap_or_else(|| observations[0].observed);
                let closed = observations.iter().filter_map(|o| o.closed).min();
                Timeline { id, observations, opened, closed }
            })
            .collect();
        Index { timelines }
    }

    /// Every establishment open on `d`, with its state then, by identifier.
    pub fn open_at(&self, d: Date) -> Vec<(&'a str, &'a Observation)> {
        self.timelines.iter().filter_map(|t| t.state_at(d).map(|o| (t.id, o))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(id: &str, observed: &str, area: f64) -> Observation {
        Observation {
            establishment: id.into(),
            observed: Date::parse(observed).unwrap(),
            source: "test".into(),
            siret: None,
            name: id.into(),
            brand: None,
            address: None,
            commune: "62119".into(),
            position: None,
            centre: None,
            area_indoor: area,
            area_outdoor: 0.0,
            category: "food".into(),
            guessed_from: None,
            naf: None,
            zone: None,
            in_mall: false,
            opened: None,
            closed: None,
        }
    }

    #[test]
    fn a_shop_is_its_latest_state_and_before_its_first_observation_its_first_state() {
        let mut a = obs("A", "2020-01-01", 800.0);
        a.opened = Date::parse("2015-06-01");
        let b = obs("A", "2023-01-01", 1200.0);
        let mut c = obs("A", "2025-01-01", 1200.0);
        c.closed = Date::parse("2024-09-30");
        let reg = Register { observations: vec![c, a, b], ..Default::default() };
        let ix = Index::new(&reg);
        let at = |d: &str| ix.open_at(Date::parse(d).unwrap()).first().map(|(_, o)| o.area());
        assert_eq!(at("2015-01-01"), None);
        assert_eq!(at("2016-01-01"), Some(800.0));
        assert_eq!(at("2022-12-31"), Some(800.0));
        assert_eq!(at("2023-01-01"), Some(1200.0));
        assert_eq!(at("2024-09-29"), Some(1200.0));
        assert_eq!(at("2024-09-30"), None);
    }

    #[test]
    fn exclusions_by_category_naf_mall_and_threshold() {
        let rules = Rules::shipped();
        let mut o = obs("A", "2020-01-01", 299.0);
        assert_eq!(exclusion(&rules, &o).unwrap().0, "below_threshold");
        o.in_mall = true;
        assert_eq!(exclusion(&rules, &o).unwrap().0, "in_mall");
        o.area_outdoor = 1.0;
        assert_eq!(exclusion(&rules, &o), None);
        o.naf = Some("45.11Z".into());
        assert_eq!(exclusion(&rules, &o).unwrap().0, "car");
    }
}
