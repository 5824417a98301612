//! A request's case: its status, the steps that move it and who may take them, its
//! history and its messages.

use serde::{Deserialize, Serialize};

/// What a request is about (the themes of the Pas-de-Calais' « Ingénierie 62 »).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Urbanisme, planification.
    Planning,
    /// Habitat.
    Housing,
    /// Commerce.
    Retail,
    /// Mobilité.
    Mobility,
    /// Énergie.
    Energy,
    /// Patrimoine.
    Heritage,
    /// Économie.
    Economy,
    /// Autre.
    Other,
}

impl Theme {
    /// Every theme, in the form's order.
    pub const ALL: [Theme; 8] = [
        Theme::Planning,
        Theme::Housing,
        Theme::Retail,
        Theme::Mobility,
        Theme::Energy,
        Theme::Heritage,
        Theme::Economy,
        Theme::Other,
    ];

    /// Its key in the store and the API (`planning`, `housing`, …).
    pub fn key(self) -> &'static str {
        match self {
            Theme::Planning => "planning",
            Theme::Housing => "housing",
            Theme::Retail => "retail",
            Theme::Mobility => "mobility",
            Theme::Energy => "energy",
            Theme::Heritage => "heritage",
            Theme::Economy => "economy",
            Theme::Other => "other",
        }
    }

    /// The theme of a key written by [`Theme::key`].
    pub fn parse(key: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.key() == key)
    }

    /// Its French label.
    pub fn label(self) -> &'static str {
        match self {
            Theme::Planning => "urbanisme et planification",
            Theme::Housing => "habitat",
            Theme::Retail => "commerce",
            Theme::Mobility => "mobilité",
            Theme::Energy => "énergie",
            Theme::Heritage => "patrimoine",
            Theme::Economy => "économie",
            Theme::Other => "autre",
        }
    }
}

/// How soon the requester needs help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// Within the usual delays.
    Normal,
    /// A deadline is near (a council vote, a call for projects).
    Urgent,
}

/// Where a case is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Status {
    /// Submitted, waiting for the desk.
    Received,
    /// Sent to one or more partner referents (organisations).
    Routed {
        /// The organisations it was routed to.
        to: Vec<String>,
    },
    /// A referent took it.
    Accepted {
        /// The organisation that took it.
        by: String,
    },
    /// The partner works on it.
    InProgress {
        /// The organisation working on it.
        by: String,
    },
    /// The partner answered; the requester reads the answer.
    Answered {
        /// The organisation that answered.
        by: String,
    },
    /// Over.
    Closed,
    /// Declined, with the reason the requester reads.
    Refused {
        /// Why.
        reason: String,
    },
}

impl Status {
    /// Its French name.
    pub fn label(&self) -> &'static str {
        match self {
            Status::Received => "reçue",
            Status::Routed { .. } => "orientée",
            Status::Accepted { .. } => "acceptée",
            Status::InProgress { .. } => "en cours",
            Status::Answered { .. } => "répondue",
            Status::Closed => "close",
            Status::Refused { .. } => "refusée",
        }
    }

    /// Its key in the store and the API (`received`, `routed`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::Routed { .. } => "routed",
            Status::Accepted { .. } => "accepted",
            Status::InProgress { .. } => "in_progress",
            Status::Answered { .. } => "answered",
            Status::Closed => "closed",
            Status::Refused { .. } => "refused",
        }
    }

    /// Days the desk gives itself to take the next step (reminders after that); none once over.
    pub fn deadline_days(&self, urgency: Urgency) -> Option<i64> {
        let normal: i64 = match self {
            Status::Received => 5,
            Status::Routed { .. } => 10,
            Status::Accepted { .. } => 10,
            Status::InProgress { .. } => 60,
            Status::Answered { .. } => 30,
            Status::Closed | Status::Refused { .. } => return None,
        };
        Some(if urgency == Urgency::Urgent { (normal + 1) / 2 } else { normal })
    }
}

/// Who acts on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Actor {
    /// The commune or EPCI that submitted it.
    Requester {
        /// Its login (or verified e-mail).
        login: String,
    },
    /// An agent of the desk.
    Agent {
        /// Its login.
        login: String,
    },
    /// A referent of a partner organisation.
    Referent {
        /// Its login.
        login: String,
        /// Its organisation.
        org: String,
    },
}

impl Actor {
    /// Who `login` (member of `org`; one of the desk's agents when `agent`) is on `case`:
    /// an agent, its requester, or a referent of an organisation it was routed to;
    /// `None` for anyone else, who may not know the case exists.
    pub fn on(case: &Case, login: &str, org: Option<&str>, agent: bool) -> Option<Actor> {
        if agent {
            return Some(Actor::Agent { login: login.into() });
        }
        if login == case.requester {
            return Some(Actor::Requester { login: login.into() });
        }
        let org = org.filter(|o| case.routed_to().iter().any(|r| r == o))?;
        Some(Actor::Referent { login: login.into(), org: org.into() })
    }

    fn login(&self) -> &str {
        match self {
            Actor::Requester { login } | Actor::Agent { login } | Actor::Referent { login, .. } => login,
        }
    }
}

/// A step of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    /// The desk sends it to partner referents (at least one).
    Route {
        /// Their organisations.
        to: Vec<String>,
    },
    /// A referent it was routed to takes it.
    Accept,
    /// The partner starts the work.
    Start,
    /// The partner answers (the answer is a message).
    Answer {
        /// The answer.
        text: String,
    },
    /// The requester or the desk ends it.
    Close,
    /// The desk (or a referent it was routed to) declines it, with a reason.
    Refuse {
        /// Why.
        reason: String,
    },
    /// A message in the case's thread.
    Message {
        /// Its text.
        text: String,
    },
}

/// One line of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Event {
    /// Unix seconds.
    pub at: i64,
    /// Who took the step (a login).
    pub who: String,
    /// The step.
    pub step: Step,
    /// The status after it.
    pub status: String,
}

/// A step refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeskError {
    /// A step that does not follow from the status (a skipped step, a reply after closing).
    #[error("demande {status} : « {step} » n'est pas possible maintenant ({why})")]
    Order {
        /// The current status.
        status: &'static str,
        /// The step asked.
        step: &'static str,
        /// What is possible instead.
        why: String,
    },
    /// An actor who may not take this step.
    #[error("{0}")]
    Forbidden(String),
    /// A field missing or out of range.
    #[error("{0}")]
    Invalid(String),
}

/// The longest text of a message, an answer or a reason.
pub const MAX_TEXT: usize = 20_000;

/// A request and what happened to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Case {
    /// Its title.
    pub title: String,
    /// Its theme.
    pub theme: Theme,
    /// The territory it concerns (a referential key, `com:62041`): its portrait and
    /// figures are attached by the caller, which resolves it.
    pub territory: String,
    /// Its description.
    pub description: String,
    /// How soon.
    pub urgency: Urgency,
    /// Who submitted it.
    pub requester: String,
    /// Where it is.
    pub status: Status,
    /// Since when (Unix seconds).
    pub since: i64,
    /// Every step, oldest first (the submission first).
    pub history: Vec<Event>,
    /// When the desk last reminded those who must act that the case is late.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded: Option<i64>,
}

/// Days between two reminders of a case that stays late.
pub const REMIND_EVERY_DAYS: i64 = 7;

fn text(what: &str, s: &str) -> Result<String, DeskError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(DeskError::Invalid(format!("{what} : vide")));
    }
    if t.len() > MAX_TEXT {
        return Err(DeskError::Invalid(format!("{what} : {} caractères au plus", MAX_TEXT)));
    }
    Ok(t.to_string())
}

impl Case {
    /// A request submitted by `requester` at `at`: a title, a territory and a
    /// description are required.
    pub fn submit(
        requester: &str,
        title: &str,
        theme: Theme,
        territory: &str,
        description: &str,
        urgency: Urgency,
        at: i64,
    ) -> Result<Case, DeskError> {
        let title = text("titre", title)?;
        if title.chars().count() > 200 {
            return Err(DeskError::Invalid("titre : 200 caractères au plus".into()));
        }
        if territory.trim().is_empty() {
            return Err(DeskError::Invalid(
                "territoire : choisissez la commune ou l'EPCI concerné dans le référentiel".into(),
            ));
        }
        let description = text("description", description)?;
        let submitted = Event {
            at,
            who: requester.to_string(),
            step: Step::Message { text: description.clone() },
            status: Status::Received.label().into(),
        };
        Ok(Case {
            title,
            theme,
            territory: territory.trim().to_string(),
            description,
            urgency,
            requester: requester.to_string(),
            status: Status::Received,
            since: at,
            history: vec![submitted],
            reminded: None,
        })
    }

    /// Whether `actor` takes part in the case (may read it, its messages and attachments):
    /// the requester, the desk's agents, and the referents of the organisations it was
    /// routed to.
    pub fn involves(&self, actor: &Actor) -> bool {
        match actor {
            Actor::Requester { login } => *login == self.requester,
            Actor::Agent { .. } => true,
            Actor::Referent { org, .. } => self.routed_to().iter().any(|o| o == org),
        }
    }

    /// The organisations it was routed to (in every later status too).
    pub fn routed_to(&self) -> Vec<String> {
        self.history
            .iter()
            .filter_map(|e| match &e.step {
                Step::Route { to } => Some(to.clone()),
                _ => None,
            })
            .next_back()
            .unwrap_or_default()
    }

    /// Takes `step` as `actor` at `at`; on an error the case is unchanged.
    pub fn apply(&mut self, actor: &Actor, step: Step, at: i64) -> Result<(), DeskError> {
        if !self.involves(actor) {
            return Err(DeskError::Forbidden("cette demande n'existe pas".into()));
        }
        let order = |step: &'static str, why: &str| DeskError::Order {
            status: self.status.label(),
            step,
            why: why.to_string(),
        };
        let partner = match actor {
            Actor::Referent { org, .. } => Some(org.clone()),
            _ => None,
        };
        let agent = matches!(actor, Actor::Agent { .. });
        let next = match (&self.status, &step) {
            (Status::Closed | Status::Refused { .. }, _) => {
                return Err(order(step_name(&step), "la demande est terminée"));
            }
            (_, Step::Message { text: t }) => {
                text("message", t)?;
                None
            }
            (Status::Received, Step::Route { to }) => {
                if !agent {
                    return Err(DeskError::Forbidden("seuls les agents du guichet orientent une demande".into()));
                }
                if to.is_empty() || to.iter().any(|o| o.trim().is_empty()) {
                    return Err(DeskError::Invalid("orienter : au moins un partenaire référent".into()));
                }
                Some(Status::Routed { to: to.clone() })
            }
            (Status::Routed { to }, Step::Accept) => match &partner {
                Some(org) if to.contains(org) => Some(Status::Accepted { by: org.clone() }),
                _ => return Err(DeskError::Forbidden("seul un partenaire référent désigné accepte".into())),
            },
            (Status::Accepted { by }, Step::Start) if partner.as_ref() == Some(by) => {
                Some(Status::InProgress { by: by.clone() })
            }
            (Status::Accepted { by } | Status::InProgress { by }, Step::Answer { text: t })
                if partner.as_ref() == Some(by) =>
            {
                text("réponse", t)?;
                Some(Status::Answered { by: by.clone() })
            }
            (Status::Answered { .. }, Step::Close) if agent || *actor == self.requester_actor() => Some(Status::Closed),
            (Status::Received | Status::Routed { .. } | Status::Accepted { .. }, Step::Refuse { reason }) => {
                let routed_partner = partner.as_ref().is_some_and(|o| self.routed_to().contains(o));
                if !(agent || routed_partner) {
                    return Err(DeskError::Forbidden("seuls le guichet ou un référent désigné refusent".into()));
                }
                Some(Status::Refused { reason: text("motif du refus", reason)? })
            }
            (status, step) => return Err(order(step_name(step), expected(status))),
        };
        if let Some(s) = next {
            self.status = s;
            self.since = at;
        }
        self.history.push(Event { at, who: actor.login().into(), step, status: self.status.label().into() });
        Ok(())
    }

    /// The steps `actor` may take now (`route`, `accept`, …, `message`), for the forms.
    pub fn possible_steps(&self, actor: &Actor) -> Vec<&'static str> {
        let probes = [
            Step::Route { to: vec!["-".into()] },
            Step::Accept,
            Step::Start,
            Step::Answer { text: "-".into() },
            Step::Close,
            Step::Refuse { reason: "-".into() },
            Step::Message { text: "-".into() },
        ];
        probes
            .into_iter()
            .filter(|s| self.clone().apply(actor, s.clone(), self.since).is_ok())
            .map(|s| s.key())
            .collect()
    }

    fn requester_actor(&self) -> Actor {
        Actor::Requester { login: self.requester.clone() }
    }

    /// Whether the case waits past its deadline at `now` (a reminder is due).
    pub fn overdue(&self, now: i64) -> bool {
        self.status.deadline_days(self.urgency).is_some_and(|d| now > self.since + d * 86_400)
    }

    /// Days left at `now` before the next step is due, to a tenth (negative: late); none once over.
    pub fn due_in_days(&self, now: i64) -> Option<f64> {
        let d = self.status.deadline_days(self.urgency)?;
        Some(((self.since + d * 86_400 - now) as f64 / 8_640.0).round() / 10.0)
    }

    /// Whether a reminder is due at `now`: the case is late, and was not reminded since
    /// its last status change, or not for [`REMIND_EVERY_DAYS`].
    pub fn reminder_due(&self, now: i64) -> bool {
        self.overdue(now) && self.reminded.is_none_or(|r| r < self.since || now - r >= REMIND_EVERY_DAYS * 86_400)
    }
}

impl Step {
    /// Its key in the API (`route`, `accept`, …), as serialised.
    pub fn key(&self) -> &'static str {
        match self {
            Step::Route { .. } => "route",
            Step::Accept => "accept",
            Step::Start => "start",
            Step::Answer { .. } => "answer",
            Step::Close => "close",
            Step::Refuse { .. } => "refuse",
            Step::Message { .. } => "message",
        }
    }
}

fn step_name(step: &Step) -> &'static str {
    match step {
        Step::Route { .. } => "orienter",
        Step::Accept => "accepter",
        Step::Start => "commencer",
        Step::Answer { .. } => "répondre",
        Step::Close => "clore",
        Step::Refuse { .. } => "refuser",
        Step::Message { .. } => "écrire",
    }
}

fn expected(status: &Status) -> &'static str {
    match status {
        Status::Received => "elle doit d'abord être orientée par le guichet",
        Status::Routed { .. } => "un référent désigné doit d'abord l'accepter",
        Status::Accepted { .. } => "le partenaire qui l'a acceptée la commence ou y répond",
        Status::InProgress { .. } => "le partenaire qui la traite y répond",
        Status::Answered { .. } => "le demandeur ou le guichet la clôt",
        Status::Closed | Status::Refused { .. } => "la demande est terminée",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commune() -> Actor {
        Actor::Requester { login: "mairie-arras".into() }
    }
    fn agent() -> Actor {
        Actor::Agent { login: "guichet".into() }
    }
    fn caue() -> Actor {
        Actor::Referent { login: "lea".into(), org: "caue62".into() }
    }
    fn other() -> Actor {
        Actor::Referent { login: "max".into(), org: "parc-naturel".into() }
    }
    fn case() -> Case {
        Case::submit(
            "mairie-arras",
            "Réhabiliter la halle",
            Theme::Heritage,
            "com:62041",
            "La halle…",
            Urgency::Normal,
            0,
        )
        .unwrap()
    }

    #[test]
    fn a_request_goes_from_received_to_closed_and_every_step_is_in_its_history() {
        let mut c = case();
        c.apply(&agent(), Step::Route { to: vec!["caue62".into()] }, 10).unwrap();
        c.apply(&caue(), Step::Accept, 20).unwrap();
        c.apply(&caue(), Step::Start, 30).unwrap();
        c.apply(&commune(), Step::Message { text: "Le plan est joint.".into() }, 35).unwrap();
        c.apply(&caue(), Step::Answer { text: "Voici nos recommandations.".into() }, 40).unwrap();
        c.apply(&commune(), Step::Close, 50).unwrap();
        assert_eq!(c.status, Status::Closed);
        let statuses: Vec<&str> = c.history.iter().map(|e| e.status.as_str()).collect();
        assert_eq!(statuses, ["reçue", "orientée", "acceptée", "en cours", "en cours", "répondue", "close"]);
        let who: Vec<&str> = c.history.iter().map(|e| e.who.as_str()).collect();
        assert_eq!(who, ["mairie-arras", "guichet", "lea", "lea", "mairie-arras", "lea", "mairie-arras"]);
    }

    #[test]
    fn skipped_steps_strangers_and_replies_after_closing_are_refused_and_change_nothing() {
        let mut c = case();
        let before = c.clone();
        let e = c.apply(&agent(), Step::Answer { text: "x".into() }, 1).unwrap_err();
        assert!(e.to_string().contains("orientée par le guichet"), "{e}");
        assert!(matches!(
            c.apply(&commune(), Step::Route { to: vec!["caue62".into()] }, 1),
            Err(DeskError::Forbidden(_))
        ));
        assert!(matches!(c.apply(&agent(), Step::Route { to: vec![] }, 1), Err(DeskError::Invalid(_))));
        assert!(matches!(c.apply(&caue(), Step::Accept, 1), Err(DeskError::Forbidden(_))), "not routed to it yet");
        assert_eq!(c, before, "nothing stored");
        c.apply(&agent(), Step::Route { to: vec!["caue62".into()] }, 10).unwrap();
        assert!(!c.involves(&other()), "a partner not routed the request does not see it");
        assert!(matches!(c.apply(&other(), Step::Accept, 11), Err(DeskError::Forbidden(_))));
        assert!(matches!(c.apply(&caue(), Step::Answer { text: "x".into() }, 11), Err(DeskError::Order { .. })));
        c.apply(&agent(), Step::Refuse { reason: "Hors du champ du CAUE.".into() }, 12).unwrap();
        let e = c.apply(&commune(), Step::Message { text: "Pourquoi ?".into() }, 13).unwrap_err();
        assert!(e.to_string().contains("terminée"), "{e}");
        assert!(Case::submit("m", "t", Theme::Other, " ", "d", Urgency::Normal, 0).is_err(), "a territory is required");
        assert!(matches!(c.apply(&agent(), Step::Refuse { reason: " ".into() }, 14), Err(DeskError::Order { .. })));
    }

    #[test]
    fn a_case_waiting_past_its_deadline_is_overdue_sooner_when_urgent() {
        let mut c = case();
        assert!(!c.overdue(5 * 86_400) && c.overdue(5 * 86_400 + 1));
        assert_eq!((c.due_in_days(86_400 + 43_200), c.due_in_days(6 * 86_400)), (Some(3.5), Some(-1.0)));
        c.urgency = Urgency::Urgent;
        assert!(c.overdue(3 * 86_400 + 1));
        c.apply(&agent(), Step::Refuse { reason: "doublon".into() }, 10).unwrap();
        assert!(!c.overdue(i64::MAX / 2), "a refused case waits for nothing");
    }

    #[test]
    fn a_late_case_is_reminded_once_then_weekly_and_again_after_each_status_change() {
        let day = 86_400;
        let mut c = case();
        assert!(!c.reminder_due(5 * day));
        assert!(c.reminder_due(6 * day));
        c.reminded = Some(6 * day);
        assert!(!c.reminder_due(12 * day) && c.reminder_due(13 * day));
        c.apply(&agent(), Step::Route { to: vec!["caue62".into()] }, 7 * day).unwrap();
        assert!(
            !c.reminder_due(17 * day) && c.reminder_due(17 * day + 1),
            "routed: 10 days, whatever was reminded before"
        );
    }
}
