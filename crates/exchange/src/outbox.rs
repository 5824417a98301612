//! The e-mails a case's steps send, and when a failed sending is tried again. The
//! outbox is a table (the store's): each e-mail is written in the step's own
//! transaction, then sent by a worker through the configured SMTP server, so that a
//! step is never lost to a mail server that is down, nor sent twice.

use serde::{Deserialize, Serialize};

use crate::case::{Case, Status, Step};

/// An e-mail to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email {
    /// The recipient's address.
    pub to: String,
    /// Its subject.
    pub subject: String,
    /// Its text.
    pub body: String,
}

/// Where an e-mail of the outbox is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Waiting for its attempt at this Unix second.
    Due {
        /// Attempts made so far.
        attempts: u32,
        /// When to try.
        at: i64,
    },
    /// Sent at this Unix second.
    Sent(i64),
    /// Given up after this many attempts; the last error is kept.
    Abandoned {
        /// Attempts made.
        attempts: u32,
        /// The SMTP server's last answer.
        error: String,
    },
}

/// Waits before the attempts after a failure: one minute, five, thirty, two hours, then
/// every six hours, until eight attempts.
const WAITS: [i64; 7] = [60, 300, 1_800, 7_200, 21_600, 21_600, 21_600];

/// What becomes of an e-mail whose attempt number `attempts` (from 1) failed at `now`.
pub fn next_attempt(attempts: u32, now: i64, error: &str) -> Delivery {
    match WAITS.get(attempts as usize - 1) {
        Some(wait) => Delivery::Due { attempts, at: now + wait },
        None => Delivery::Abandoned { attempts, error: error.to_string() },
    }
}

/// The addresses the desk writes to about a case (those it knows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recipients {
    /// The requester's.
    pub requester: Option<String>,
    /// The desk's agents'.
    pub agents: Vec<String>,
    /// The referents' of the organisations it was routed to.
    pub referents: Vec<String>,
}

/// The e-mails of a case's last step: its new status to the requester at every step, to
/// the agents when it arrives and ends, to the referents when it is routed to them and
/// when it ends; a message to everyone taking part. `link` is where the case is read.
pub fn notifications(case: &Case, id: &str, link: &str, to: &Recipients) -> Vec<Email> {
    let last = case.history.last();
    let message = match last.map(|e| &e.step) {
        Some(Step::Message { text }) if case.history.len() > 1 => Some(text),
        _ => None,
    };
    let (subject, detail, agents, referents) = match message {
        Some(text) => (
            format!("[echelle] Demande {id} : nouveau message ({})", case.title),
            format!("Message de {} :\n\n{text}", last.map_or("", |e| e.who.as_str())),
            true,
            true,
        ),
        None => {
            let detail = match &case.status {
                Status::Received => "La demande est enregistrée ; le guichet l'oriente vers un partenaire.".to_string(),
                Status::Routed { to } => format!("La demande est orientée vers : {}.", to.join(", ")),
                Status::Accepted { by } => format!("{by} a accepté la demande."),
                Status::InProgress { by } => format!("{by} a commencé à traiter la demande."),
                Status::Answered { by } => format!("{by} a répondu ; la réponse est dans la demande."),
                Status::Closed => "La demande est close.".to_string(),
                Status::Refused { reason } => format!("La demande est refusée : {reason}"),
            };
            let over = matches!(case.status, Status::Closed | Status::Refused { .. });
            let subject = format!("[echelle] Demande {id} {} : {}", case.status.label(), case.title);
            (
                subject,
                detail,
                over || matches!(case.status, Status::Received | Status::Answered { .. }),
                over || matches!(case.status, Status::Routed { .. }),
            )
        }
    };
    let body = format!(
        "{detail}\n\nTerritoire : {}\nThème : {}\nSuivre la demande : {link}\n",
        case.territory,
        case.theme.label()
    );
    let everyone = to.requester.iter().chain(to.agents.iter().filter(|_| agents));
    addressed(everyone.chain(to.referents.iter().filter(|_| referents)), &subject, &body)
}

/// One e-mail to each address, an address written twice (whatever its case) once.
fn addressed<'a>(to: impl Iterator<Item = &'a String>, subject: &str, body: &str) -> Vec<Email> {
    let mut seen = std::collections::BTreeSet::new();
    to.filter(|a| seen.insert(a.to_ascii_lowercase()))
        .map(|a| Email { to: a.clone(), subject: subject.to_string(), body: body.to_string() })
        .collect()
}

/// The reminder of a late case (see [`Case::reminder_due`]), to those who must act: the
/// agents while the desk must route it or close it, the referents (and the agents, who
/// follow up) while a partner must accept, start or answer it.
pub fn reminder(case: &Case, id: &str, link: &str, to: &Recipients, now: i64) -> Vec<Email> {
    let late_days = case.status.deadline_days(case.urgency).map_or(0, |d| (now - case.since) / 86_400 - d);
    let (who, referents) = match &case.status {
        Status::Received => ("le guichet doit l'orienter", false),
        Status::Routed { .. } => ("un référent désigné doit l'accepter ou la refuser", true),
        Status::Accepted { .. } | Status::InProgress { .. } => ("le partenaire doit y répondre", true),
        Status::Answered { .. } => ("le guichet ou le demandeur doit la clore", false),
        Status::Closed | Status::Refused { .. } => return Vec::new(),
    };
    let subject = format!("[echelle] Relance : demande {id} {} en retard ({})", case.status.label(), case.title);
    let body = format!(
        "La demande « {} » est {} depuis {} jour(s) : {who}, et le délai est dépassé de {late_days} jour(s).\n\n\
         Territoire : {}\nThème : {}\nSuivre la demande : {link}\n",
        case.title,
        case.status.label(),
        (now - case.since) / 86_400,
        case.territory,
        case.theme.label()
    );
    addressed(to.agents.iter().chain(to.referents.iter().filter(|_| referents)), &subject, &body)
}

/// The e-mail that checks a public requester's address: the request titled `title` waits
/// `days` days, seen by nobody, for its author to open `link` (which also follows it).
pub fn confirmation(to: &str, title: &str, link: &str, days: i64) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("[echelle] Confirmez votre demande : {title}"),
        body: format!(
            "Vous avez déposé une demande au guichet d'ingénierie : « {title} ».\n\n\
             Pour la confirmer, ouvrez ce lien dans les {days} jours : {link}\n\n\
             Ce lien permet aussi de suivre la demande et de lire la réponse : gardez ce message.\n\
             Si vous n'êtes pas l'auteur de cette demande, ignorez ce message : elle sera oubliée.\n"
        ),
    }
}

impl Delivery {
    /// What became of an e-mail, in French; `when` writes a Unix second.
    pub fn label(&self, when: impl Fn(i64) -> String) -> String {
        match self {
            Delivery::Sent(at) => format!("envoyé {}", when(*at)),
            Delivery::Due { attempts, at } => format!("en attente ({attempts} essais), {}", when(*at)),
            Delivery::Abandoned { attempts, error } => format!("abandonné après {attempts} essais : {error}"),
        }
    }
}

/// An address of the form `local@domain.tld`, without spaces, at most 254 characters.
pub fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && s.chars().all(|c| c.is_ascii_graphic() && c != '<' && c != '>' && c != ',' && c != ';')
        && !domain.contains('@')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{Actor, Step, Theme, Urgency};

    #[test]
    fn a_failed_sending_is_tried_later_then_abandoned() {
        assert_eq!(next_attempt(1, 1_000, "421"), Delivery::Due { attempts: 1, at: 1_060 });
        assert_eq!(next_attempt(4, 0, "421"), Delivery::Due { attempts: 4, at: 7_200 });
        assert_eq!(
            next_attempt(8, 0, "550 boîte inconnue"),
            Delivery::Abandoned { attempts: 8, error: "550 boîte inconnue".into() }
        );
    }

    #[test]
    fn each_status_tells_the_requester_and_a_routing_tells_the_referents() {
        let mut c = Case::submit("m", "Halle", Theme::Heritage, "com:62041", "…", Urgency::Normal, 0).unwrap();
        let to = Recipients {
            requester: Some("mairie@arras.fr".into()),
            agents: vec!["guichet@pdc.fr".into()],
            referents: vec!["lea@caue62.fr".into()],
        };
        let mails = notifications(&c, "D-1", "https://obs/desk/D-1", &to);
        assert_eq!(mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["mairie@arras.fr", "guichet@pdc.fr"]);
        assert!(mails[0].subject.contains("reçue") && mails[0].body.contains("com:62041"));
        c.apply(&Actor::Agent { login: "g".into() }, Step::Route { to: vec!["caue62".into()] }, 1).unwrap();
        let mails = notifications(&c, "D-1", "https://obs/desk/D-1", &to);
        assert_eq!(mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["mairie@arras.fr", "lea@caue62.fr"]);
        assert!(mails[1].body.contains("caue62") && mails[1].body.contains("https://obs/desk/D-1"));
        c.apply(&Actor::Requester { login: "m".into() }, Step::Message { text: "Le plan est joint.".into() }, 2)
            .unwrap();
        let mails = notifications(&c, "D-1", "https://obs/desk/D-1", &to);
        assert_eq!(mails.len(), 3, "a message goes to everyone taking part");
        assert!(mails[0].subject.contains("nouveau message") && mails[0].body.contains("Le plan est joint."));
    }

    #[test]
    fn addresses() {
        for ok in ["mairie@arras.fr", "jean.dupont+guichet@caue62.asso.fr"] {
            assert!(plausible_email(ok), "{ok}");
        }
        for bad in [
            "",
            "arras.fr",
            "@arras.fr",
            "a@b",
            "a b@c.fr",
            "a@.fr",
            "a@b.fr.",
            "a@b@c.fr",
            "<a@b.fr>",
            "a@b.fr,c@d.fr",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }

    #[test]
    fn a_late_case_reminds_those_who_must_act() {
        let mut c = Case::submit("m", "Halle", Theme::Heritage, "com:62041", "d", Urgency::Normal, 0).unwrap();
        let to = Recipients {
            requester: Some("mairie@arras.fr".into()),
            agents: vec!["guichet@pdc.fr".into()],
            referents: vec!["lea@caue62.fr".into()],
        };
        let mails = reminder(&c, "n° 1", "https://obs/1", &to, 8 * 86_400);
        assert_eq!(mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["guichet@pdc.fr"]);
        assert!(mails[0].subject.contains("Relance") && mails[0].body.contains("reçue depuis 8 jour(s)"), "{mails:?}");
        assert!(mails[0].body.contains("dépassé de 3 jour(s)"), "{}", mails[0].body);
        c.apply(&Actor::Agent { login: "g".into() }, Step::Route { to: vec!["caue62".into()] }, 1_796_400_000).unwrap();
        let mails = reminder(&c, "n° 1", "https://obs/1", &to, 1_796_400_000 + 11 * 86_400);
        assert_eq!(mails.len(), 2);
        assert!(mails[1].to == "lea@caue62.fr" && mails[1].body.contains("dépassé de 1 jour(s)"), "{mails:?}");
    }
}
