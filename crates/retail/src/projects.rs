//! Projects at a date: where each application stands, floor space authorised but not
//! opened, approval rates by number and by area.
//!
//! The decision in force is the latest vote or decision (CDAC, then CNAC, then a
//! court). An authorisation under an appeal not yet decided is not final: it is
//! counted neither as authorised nor as refused until the CNAC decides.

use serde::Serialize;

use crate::date::Date;
use crate::register::{Event, EventKind, Nature, Project};
use crate::rules::Rules;

/// A vote or decision on an application.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailDecision)]
pub struct Decision {
    /// Its date.
    #[schema(value_type = String)]
    pub date: Date,
    /// Who decided: `cdac_vote`, `cnac_decision`, `court_decision`.
    pub by: EventKind,
    /// Authorised (or upheld).
    pub favourable: bool,
    /// Votes for, against, abstaining (CDAC).
    pub votes: Option<[u32; 3]>,
    /// Area authorised, m² (the area requested when the decision does not say).
    pub area: f64,
}

/// Where a project stands on a date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailProjectState)]
pub struct ProjectState {
    /// Its identifier.
    pub id: String,
    /// Name or main brand.
    pub name: String,
    /// Commune code.
    pub commune: String,
    /// The establishment it creates or extends.
    pub establishment: Option<String>,
    /// Creation or extension.
    pub nature: Nature,
    /// Area requested, m².
    pub area_requested: f64,
    /// Whether a CDAC authorisation is needed (area requested at or above the threshold, L752-1).
    pub needs_authorisation: bool,
    /// Artificialises soil (L752-6 V).
    pub artificialises: bool,
    /// Retail park or zone.
    pub zone: Option<String>,
    /// `filed`, `appeal_pending`, `authorised`, `refused`, `opened`.
    pub status: String,
    /// French label of the status.
    pub status_label: String,
    /// The CDAC's vote.
    pub cdac: Option<Decision>,
    /// The decision in force (latest vote or decision), when final.
    pub decision: Option<Decision>,
    /// Area authorised by the decision in force, when favourable.
    pub area_authorised: Option<f64>,
    /// Area opened, m².
    pub area_opened: Option<f64>,
    /// Events up to the date.
    pub events: Vec<Event>,
}

/// An approval rate.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailApproval)]
pub struct Approval {
    /// Applications decided.
    pub decided: usize,
    /// Of which authorised.
    pub approved: usize,
    /// Approved over decided, percent.
    pub by_number_pct: Option<f64>,
    /// Area requested by the applications decided, m².
    pub area_requested: f64,
    /// Area authorised, m².
    pub area_approved: f64,
    /// Area authorised over area requested, percent.
    pub by_area_pct: Option<f64>,
}

/// Count and area.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailCountArea)]
pub struct CountArea {
    /// Projects or shops.
    pub count: usize,
    /// Sales area, m².
    pub area: f64,
}

impl CountArea {
    fn add(&mut self, area: f64) {
        self.count += 1;
        self.area += area;
    }
}

/// The projects of a territory on a date.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[schema(as = RetailProjectSummary)]
pub struct ProjectSummary {
    /// Filed by the date.
    pub filed: CountArea,
    /// Not decided yet (no vote, or an appeal pending): area requested.
    pub pending: CountArea,
    /// Authorised (decision in force) and not opened: area authorised.
    pub authorised_not_opened: CountArea,
    /// Opened: area opened.
    pub opened: CountArea,
    /// Refused (decision in force): area requested.
    pub refused: CountArea,
    /// Artificialising soil: area requested.
    pub artificialising: CountArea,
    /// The CDACs' votes.
    pub cdac_approval: Approval,
    /// The decisions in force (after appeals).
    pub final_approval: Approval,
}

fn decision(e: &Event, requested: f64) -> Decision {
    let votes = match (e.votes_for, e.votes_against, e.votes_abstaining) {
        (None, None, None) => None,
        (f, a, s) => Some([f.unwrap_or(0), a.unwrap_or(0), s.unwrap_or(0)]),
    };
    Decision {
        date: e.date,
        by: e.kind,
        favourable: e.favourable.unwrap_or(false),
        votes,
        area: e.area.unwrap_or(requested),
    }
}

/// Where a project stands on `d`; `None` before it was filed.
pub fn state(p: &Project, rules: &Rules, d: Date) -> Option<ProjectState> {
    let mut events: Vec<Event> = p.events.iter().filter(|e| e.date <= d).cloned().collect();
    if events.is_empty() {
        return None;
    }
    events.sort_by_key(|e| (e.date, e.kind));
    let cdac = events.iter().rev().find(|e| e.kind == EventKind::CdacVote).map(|e| decision(e, p.area_requested));
    let last = events.iter().rposition(|e| e.kind.decides());
    let appeal_pending = events.iter().rposition(|e| e.kind == EventKind::CnacAppeal).is_some_and(|a| {
        events[a..].iter().all(|e| e.kind != EventKind::CnacDecision && e.kind != EventKind::CourtDecision)
    });
    let in_force = last.filter(|_| !appeal_pending).map(|i| decision(&events[i], p.area_requested));
    let opening = events.iter().rev().find(|e| e.kind == EventKind::Opening);
    let area_authorised = in_force.as_ref().filter(|x| x.favourable).map(|x| x.area);
    let area_opened = opening.map(|e| e.area.or(area_authorised).unwrap_or(p.area_requested));
    let (status, label) = match (&in_force, opening, appeal_pending) {
        (_, Some(_), _) => ("opened", "ouvert"),
        (_, None, true) => ("appeal_pending", "recours pendant devant la CNAC"),
        (Some(x), None, false) if x.favourable => ("authorised", "autorisé, non ouvert"),
        (Some(_), None, false) => ("refused", "refusé"),
        (None, None, false) => ("filed", "en instruction"),
    };
    Some(ProjectState {
        id: p.id.clone(),
        name: p.name.clone(),
        commune: p.commune.clone(),
        establishment: p.establishment.clone(),
        nature: p.nature,
        area_requested: p.area_requested,
        needs_authorisation: p.area_requested >= rules.authorisation_threshold,
        artificialises: p.artificialises,
        zone: p.zone.clone(),
        status: status.into(),
        status_label: label.into(),
        cdac,
        decision: in_force,
        area_authorised,
        area_opened,
        events,
    })
}

/// Percent with two decimals.
pub(crate) fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| (part / whole * 10_000.0).round() / 100.0)
}

fn approval(decided: impl Iterator<Item = (f64, Decision)>) -> Approval {
    let mut a = Approval {
        decided: 0,
        approved: 0,
        by_number_pct: None,
        area_requested: 0.0,
        area_approved: 0.0,
        by_area_pct: None,
    };
    for (requested, d) in decided {
        a.decided += 1;
        a.area_requested += requested;
        if d.favourable {
            a.approved += 1;
            a.area_approved += d.area;
        }
    }
    a.by_number_pct = pct(a.approved as f64, a.decided as f64);
    a.by_area_pct = pct(a.area_approved, a.area_requested);
    a
}

/// The summary of projects' states.
pub fn summary(states: &[ProjectState]) -> ProjectSummary {
    let mut s = ProjectSummary {
        filed: CountArea::default(),
        pending: CountArea::default(),
        authorised_not_opened: CountArea::default(),
        opened: CountArea::default(),
        refused: CountArea::default(),
        artificialising: CountArea::default(),
        cdac_approval: approval(states.iter().filter_map(|p| p.cdac.clone().map(|d| (p.area_requested, d)))),
        final_approval: approval(states.iter().filter_map(|p| p.decision.clone().map(|d| (p.area_requested, d)))),
    };
    for p in states {
        s.filed.add(p.area_requested);
        if p.artificialises {
            s.artificialising.add(p.area_requested);
        }
        match p.status.as_str() {
            "opened" => s.opened.add(p.area_opened.unwrap_or(0.0)),
            "authorised" => s.authorised_not_opened.add(p.area_authorised.unwrap_or(0.0)),
            "refused" => s.refused.add(p.area_requested),
            _ => s.pending.add(p.area_requested),
        }
    }
    s
}
