//! The desk's requests as indicators of the observatory: counts by theme, by EPCI and by
//! outcome, and the median time to an answer, without revealing one commune's request
//! to those who may not read it.
//!
//! A cell is published when it counts at least [`MIN_CASES`] requests from at least
//! [`MIN_REQUESTERS`] different requesters; when a single cell of a margin is hidden,
//! the next smallest is hidden too, so that the total minus the others does not give it
//! back. The desk's agents, who read every case, see every cell.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::case::{Case, Step};

/// Fewest requests in a published cell.
pub const MIN_CASES: usize = 3;
/// Fewest different requesters in a published cell.
pub const MIN_REQUESTERS: usize = 2;

/// One cell of a margin.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Cell {
    /// What it counts: a theme, an EPCI key, a status key.
    pub key: String,
    /// Its French label.
    pub label: String,
    /// Requests; `None` when secret.
    pub requests: Option<u64>,
    /// Median days from submission to the answer, over the answered ones; `None` when
    /// secret or none answered.
    pub median_days_to_answer: Option<f64>,
    /// Hidden by the rule.
    pub secret: bool,
}

/// The desk's indicators.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeskIndicators {
    /// Every request counted (received since the desk opened, e-mail checked); `None`
    /// when secret (too few requests or requesters in all).
    pub requests: Option<u64>,
    /// Median days to an answer over every answered request; `None` when secret or none.
    pub median_days_to_answer: Option<f64>,
    /// The totals are hidden by the rule.
    pub secret: bool,
    /// By theme.
    pub by_theme: Vec<Cell>,
    /// By EPCI of the territory (`autre` for a territory outside any EPCI).
    pub by_epci: Vec<Cell>,
    /// By status.
    pub by_status: Vec<Cell>,
    /// The rule applied, in French.
    pub rule: String,
    /// The source, for the figures' captions.
    pub source: String,
}

/// Days from submission to the first answer, if answered.
pub fn days_to_answer(case: &Case) -> Option<f64> {
    let submitted = case.history.first()?.at;
    let answered = case.history.iter().find(|e| matches!(e.step, Step::Answer { .. }))?.at;
    Some((answered - submitted) as f64 / 86_400.0)
}

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    let value = if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 };
    Some((value * 10.0).round() / 10.0)
}

#[derive(Default)]
struct Group<'a> {
    label: String,
    requests: u64,
    requesters: BTreeSet<&'a str>,
    days: Vec<f64>,
}

fn margin<'a>(cases: &'a [Case], by: impl Fn(&'a Case) -> (String, String), everything: bool) -> Vec<Cell> {
    let mut groups: BTreeMap<String, Group<'a>> = BTreeMap::new();
    for c in cases {
        let (key, label) = by(c);
        let g = groups.entry(key).or_default();
        g.label = label;
        g.requests += 1;
        g.requesters.insert(&c.requester);
        g.days.extend(days_to_answer(c));
    }
    let mut cells: Vec<(Cell, bool)> = groups
        .into_iter()
        .map(|(key, g)| {
            let hidden = !everything && (g.requests < MIN_CASES as u64 || g.requesters.len() < MIN_REQUESTERS);
            let cell = Cell {
                key,
                label: g.label,
                requests: Some(g.requests),
                median_days_to_answer: median(g.days),
                secret: hidden,
            };
            (cell, hidden)
        })
        .collect();
    // A single hidden cell would be the total minus the others: hide the next smallest.
    if cells.iter().filter(|(_, h)| *h).count() == 1
        && let Some(i) = (0..cells.len()).filter(|&i| !cells[i].1).min_by_key(|&i| cells[i].0.requests)
    {
        cells[i].1 = true;
        cells[i].0.secret = true;
    }
    cells
        .into_iter()
        .map(|(mut c, hidden)| {
            if hidden {
                c.requests = None;
                c.median_days_to_answer = None;
            }
            c
        })
        .collect()
}

/// The indicators of `cases`; `epci_of` gives a territory's EPCI (its key and name),
/// `everything` says the viewer reads every case (no cell hidden).
pub fn indicators(
    cases: &[Case],
    epci_of: impl Fn(&str) -> Option<(String, String)>,
    everything: bool,
) -> DeskIndicators {
    let requesters: BTreeSet<&str> = cases.iter().map(|c| c.requester.as_str()).collect();
    let secret = !everything && (cases.len() < MIN_CASES || requesters.len() < MIN_REQUESTERS);
    DeskIndicators {
        requests: (!secret).then_some(cases.len() as u64),
        median_days_to_answer: median(cases.iter().filter_map(days_to_answer).collect()).filter(|_| !secret),
        secret,
        by_theme: margin(cases, |c| (c.theme.key().to_string(), c.theme.label().to_string()), everything),
        by_epci: margin(
            cases,
            |c| epci_of(&c.territory).unwrap_or_else(|| ("autre".into(), "hors EPCI".into())),
            everything,
        ),
        by_status: margin(cases, |c| (c.status.key().to_string(), c.status.label().to_string()), everything),
        rule: format!(
            "case publiée si elle compte au moins {MIN_CASES} demandes d'au moins {MIN_REQUESTERS} demandeurs différents ; \
             une seule case masquée dans une répartition entraîne le masquage de la plus petite autre"
        ),
        source: "echelle, guichet d'ingénierie : demandes reçues (adresse vérifiée)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Actor, Theme, Urgency};

    fn case(requester: &str, theme: Theme, territory: &str, answered_after_days: Option<i64>) -> Case {
        let mut c = Case::submit(requester, "Projet", theme, territory, "…", Urgency::Normal, 0).unwrap();
        if let Some(d) = answered_after_days {
            let referent = Actor::Referent { login: "r".into(), org: "caue".into() };
            c.apply(&Actor::Agent { login: "g".into() }, Step::Route { to: vec!["caue".into()] }, 1).unwrap();
            c.apply(&referent, Step::Accept, 2).unwrap();
            c.apply(&referent, Step::Answer { text: "ok".into() }, d * 86_400).unwrap();
        }
        c
    }

    fn epci(t: &str) -> Option<(String, String)> {
        Some(match t {
            "com:62041" | "com:62119" => ("epci:200033579".into(), "CU d'Arras".into()),
            _ => ("epci:246200364".into(), "CA de Lens-Liévin".into()),
        })
    }

    #[test]
    fn a_single_communes_request_is_never_shown_and_its_complement_is_hidden_too() {
        let cases = vec![
            case("arras", Theme::Heritage, "com:62041", Some(10)),
            case("arras", Theme::Heritage, "com:62041", Some(20)),
            case("lens", Theme::Heritage, "com:62498", Some(30)),
            case("lievin", Theme::Housing, "com:62510", None),
            case("lens", Theme::Housing, "com:62498", None),
            case("avion", Theme::Housing, "com:62065", None),
            case("avion", Theme::Energy, "com:62065", None),
        ];
        let public = indicators(&cases, epci, false);
        assert_eq!(public.requests, Some(7));
        assert_eq!(public.median_days_to_answer, Some(20.0));
        let energy = public.by_theme.iter().find(|c| c.key == "energy").unwrap();
        assert!(energy.secret && energy.requests.is_none(), "one request of one commune");
        let hidden = public.by_theme.iter().filter(|c| c.secret).count();
        assert_eq!(hidden, 2, "the smallest other theme is hidden so the total does not give energy back");
        // Arras' EPCI: two requests, one requester.
        let arras = public.by_epci.iter().find(|c| c.key == "epci:200033579").unwrap();
        assert!(arras.secret);
        let all = indicators(&cases, epci, true);
        assert!(all.by_theme.iter().all(|c| !c.secret && c.requests.is_some()));
        assert_eq!(all.by_theme.iter().map(|c| c.requests.unwrap()).sum::<u64>(), 7);
    }

    #[test]
    fn the_totals_of_too_few_requests_are_secret_too() {
        let one = [case("mairie-arras", Theme::Heritage, "com:62041", Some(4))];
        let public = indicators(&one, |_| None, false);
        assert!(public.secret && public.requests.is_none() && public.median_days_to_answer.is_none());
        let agents = indicators(&one, |_| None, true);
        assert_eq!((agents.requests, agents.median_days_to_answer), (Some(1), Some(4.0)));
    }
}
