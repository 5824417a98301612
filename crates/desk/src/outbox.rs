//! The e-mails a case's steps send, and when a failed sending is tried again. The
//! outbox is a table (the store's): each e-mail is written in the step's own
//! transaction, then sent by a worker through the configured SMTP server, so that a
//! step is never lost to a mail server that is down, nor sent twice.

use serde::{Deserialize, Serialize};

use crate::case::{Case, Status};

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

/// The e-mail of a case's new status to each recipient: the requester (`requester`),
/// and the referents of the organisations concerned (`referents`: their addresses).
pub fn notifications(case: &Case, id: &str, link: &str, requester: &str, referents: &[String]) -> Vec<Email> {
    let subject = format!("[echelle] Demande {id} {} : {}", case.status.label(), case.title);
    let detail = match &case.status {
        Status::Received => "Votre demande est enregistrée ; le guichet l'oriente vers un partenaire.".to_string(),
        Status::Routed { to } => format!("La demande est orientée vers : {}.", to.join(", ")),
        Status::Accepted { by } => format!("{by} a accepté la demande."),
        Status::InProgress { by } => format!("{by} a commencé à traiter la demande."),
        Status::Answered { by } => format!("{by} a répondu ; la réponse est dans la demande."),
        Status::Closed => "La demande est close.".to_string(),
        Status::Refused { reason } => format!("La demande est refusée : {reason}"),
    };
    let body = format!(
        "{detail}\n\nTerritoire : {}\nThème : {}\nSuivre la demande : {link}\n",
        case.territory,
        case.theme.label()
    );
    let to_referents = matches!(case.status, Status::Routed { .. } | Status::Closed | Status::Refused { .. });
    std::iter::once(requester.to_string())
        .chain(referents.iter().filter(|_| to_referents).cloned())
        .map(|to| Email { to, subject: subject.clone(), body: body.clone() })
        .collect()
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
        let referents = vec!["lea@caue62.fr".to_string()];
        let mails = notifications(&c, "D-1", "https://obs/desk/D-1", "mairie@arras.fr", &referents);
        assert_eq!(mails.len(), 1);
        assert!(mails[0].subject.contains("reçue") && mails[0].body.contains("com:62041"));
        c.apply(&Actor::Agent { login: "g".into() }, Step::Route { to: vec!["caue62".into()] }, 1).unwrap();
        let mails = notifications(&c, "D-1", "https://obs/desk/D-1", "mairie@arras.fr", &referents);
        assert_eq!(mails.iter().map(|m| m.to.as_str()).collect::<Vec<_>>(), ["mairie@arras.fr", "lea@caue62.fr"]);
        assert!(mails[1].body.contains("caue62") && mails[1].body.contains("https://obs/desk/D-1"));
    }
}
