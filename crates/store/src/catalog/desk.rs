//! The requests desk's tables (migration step 5), written once for both databases: a
//! case, its attachments and the e-mails its step sends are written in one transaction,
//! so that a step is never stored without its e-mails nor an e-mail queued for a step
//! that failed.
//!
//! ```text
//!  server ──desk_submit / desk_step(id, rules of echelle_exchange)──> desk_case (+ desk_case_org)
//!                                                           └───> desk_outbox ──desk_due──> SMTP worker
//! ```
//!
//! Desk writes take the catalog's write lock but never move its version: a case is not
//! a change of the observatory's data, so no server reloads for it.

use echelle_exchange::{Case, Delivery, DeskError, Email, next_attempt};

use super::{Catalog, Value, in_write};
use crate::StoreError;

/// An attachment to store with its case, already checked (`echelle_exchange::check_attachment`).
#[derive(Debug, Clone)]
pub struct NewAttachment {
    /// The file name the requester gave.
    pub name: String,
    /// Its media type, decided by its bytes.
    pub media_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

/// An attachment as listed with its case.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AttachmentInfo {
    /// Its number in the case, from 1.
    pub n: i64,
    /// Its file name.
    pub name: String,
    /// Its media type.
    pub media_type: String,
    /// Bytes.
    pub size: i64,
}

/// A case as stored.
#[derive(Debug, Clone)]
pub struct StoredCase {
    /// Its number.
    pub id: i64,
    /// The request and its history.
    pub case: Case,
    /// The territory's figures when it was submitted (JSON written by the server).
    pub figures: String,
    /// Its attachments.
    pub attachments: Vec<AttachmentInfo>,
}

/// Which cases a list holds.
#[derive(Debug, Clone, Copy)]
pub enum CaseFilter<'a> {
    /// Every case (the desk's agents; the desk's indicators).
    All,
    /// The cases a login submitted.
    Requester(&'a str),
    /// The cases routed to an organisation.
    Org(&'a str),
}

/// An e-mail of the outbox taken for sending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Its row.
    pub id: i64,
    /// The case it is about.
    pub case_id: i64,
    /// The e-mail.
    pub email: Email,
    /// Attempts made before this one.
    pub attempts: u32,
}

/// What became of a step asked on a case.
#[derive(Debug)]
pub enum Stepped {
    /// Taken: the case as it is now.
    Done(Case),
    /// Refused by the desk's rules; nothing was written.
    Refused(DeskError),
    /// No such case (or one still waiting for its e-mail check).
    Missing,
}

/// Seconds an e-mail taken by a worker is kept from the others: a worker killed while
/// sending leaves it to be taken again after this.
pub const SENDING_LEASE: i64 = 300;

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("desk: {e}")))
}

fn parse_case(text: String) -> Result<Case, StoreError> {
    serde_json::from_str(&text).map_err(|e| StoreError::Invalid(format!("desk: unreadable case: {e}")))
}

/// An outbox row's first columns (id, case_id, recipient, subject, body, attempts).
fn outgoing(r: &mut [Value]) -> Result<Outgoing, StoreError> {
    let mut take = |i: usize| std::mem::replace(&mut r[i], Value::Null).text();
    let email = Email { to: take(2)?, subject: take(3)?, body: take(4)? };
    Ok(Outgoing { id: r[0].int()?, case_id: r[1].int()?, attempts: r[5].int()? as u32, email })
}

impl Catalog {
    /// Stores a submitted case with its figures and attachments, and queues the e-mails
    /// `emails(id)` returns (for a pending case, its e-mail check), in one transaction;
    /// its number. A case with `pending`
    /// (the hash of its e-mail check's secret, and until when it holds) is seen by
    /// nobody until [`Catalog::desk_verify`]; `follow` is the hash of the secret of its
    /// requester's link, when the requester has no account.
    #[allow(clippy::too_many_arguments)]
    pub fn desk_submit(
        &self,
        case: &Case,
        figures: &str,
        attachments: &[NewAttachment],
        pending: Option<(&str, i64)>,
        follow: Option<&str>,
        emails: &dyn Fn(i64) -> Vec<Email>,
        now: i64,
    ) -> Result<i64, StoreError> {
        in_write(self.db.as_ref(), || {
            let rows = self.db.query("SELECT COALESCE(MAX(id), 0) + 1 FROM desk_case", &[])?;
            let id = rows[0][0].int()?;
            let opt = |s: Option<&str>| s.map_or(Value::Null, Value::from);
            self.db.execute(
                "INSERT INTO desk_case (id, requester, territory, theme, status, submitted_at, updated_at, body,
                     figures, follow_hash, pending_hash, pending_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)",
                &[
                    id.into(),
                    case.requester.as_str().into(),
                    case.territory.as_str().into(),
                    case.theme.key().into(),
                    case.status.key().into(),
                    case.since.into(),
                    json(case)?.as_str().into(),
                    figures.into(),
                    opt(follow),
                    opt(pending.map(|p| p.0)),
                    pending.map_or(Value::Null, |p| p.1.into()),
                ],
            )?;
            for (n, a) in attachments.iter().enumerate() {
                self.db.execute(
                    "INSERT INTO desk_attachment (case_id, n, name, media_type, size, content)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        id.into(),
                        (n as i64 + 1).into(),
                        a.name.as_str().into(),
                        a.media_type.as_str().into(),
                        (a.bytes.len() as i64).into(),
                        Value::Bytes(a.bytes.clone()),
                    ],
                )?;
            }
            self.queue(id, &emails(id), now)?;
            Ok(id)
        })
    }

    /// Confirms the e-mail check of a case submitted with a pending secret's hash, if it
    /// holds at `now`: the case becomes visible and `emails` of it are queued. Its number,
    /// or `None` for an unknown or expired secret (an expired case is removed).
    pub fn desk_verify(
        &self,
        pending_hash: &str,
        now: i64,
        emails: &dyn Fn(i64, &Case) -> Vec<Email>,
    ) -> Result<Option<i64>, StoreError> {
        in_write(self.db.as_ref(), || {
            self.db.execute(
                "DELETE FROM desk_case WHERE pending_hash IS NOT NULL AND pending_until < $1",
                &[now.into()],
            )?;
            let rows =
                self.db.query("SELECT id, body FROM desk_case WHERE pending_hash = $1", &[pending_hash.into()])?;
            let Some(mut row) = rows.into_iter().next() else { return Ok(None) };
            let id = row[0].int()?;
            let case = parse_case(row.swap_remove(1).text()?)?;
            self.db.execute(
                "UPDATE desk_case SET pending_hash = NULL, pending_until = NULL WHERE id = $1",
                &[id.into()],
            )?;
            self.queue(id, &emails(id, &case), now)?;
            Ok(Some(id))
        })
    }

    /// The case of a requester's link (the hash of its secret), if any.
    pub fn desk_case_followed(&self, follow_hash: &str) -> Result<Option<i64>, StoreError> {
        let rows = self
            .db
            .query("SELECT id FROM desk_case WHERE follow_hash = $1 AND pending_hash IS NULL", &[follow_hash.into()])?;
        rows.first().map(|r| r[0].int()).transpose()
    }

    /// A case, its figures and its attachments' list; `None` if there is no such case or
    /// it waits for its e-mail check.
    pub fn desk_case(&self, id: i64) -> Result<Option<StoredCase>, StoreError> {
        let rows = self
            .db
            .query("SELECT body, figures FROM desk_case WHERE id = $1 AND pending_hash IS NULL", &[id.into()])?;
        let Some(mut row) = rows.into_iter().next() else { return Ok(None) };
        let figures = row.swap_remove(1).text()?;
        let case = parse_case(row.swap_remove(0).text()?)?;
        let attachments = self
            .db
            .query("SELECT n, name, media_type, size FROM desk_attachment WHERE case_id = $1 ORDER BY n", &[id.into()])?
            .into_iter()
            .map(|mut r| {
                Ok(AttachmentInfo {
                    n: r[0].int()?,
                    size: r[3].int()?,
                    media_type: r.swap_remove(2).text()?,
                    name: r.swap_remove(1).text()?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(StoredCase { id, case, figures, attachments }))
    }

    /// The cases of a filter, newest first.
    pub fn desk_cases(&self, filter: CaseFilter) -> Result<Vec<(i64, Case)>, StoreError> {
        let (sql, params): (&str, Vec<Value>) = match filter {
            CaseFilter::All => ("SELECT id, body FROM desk_case WHERE pending_hash IS NULL ORDER BY id DESC", vec![]),
            CaseFilter::Requester(login) => (
                "SELECT id, body FROM desk_case WHERE pending_hash IS NULL AND requester = $1 ORDER BY id DESC",
                vec![login.into()],
            ),
            CaseFilter::Org(org) => (
                "SELECT c.id, c.body FROM desk_case c JOIN desk_case_org o ON o.case_id = c.id
                 WHERE c.pending_hash IS NULL AND o.org = $1 ORDER BY c.id DESC",
                vec![org.into()],
            ),
        };
        self.db
            .query(sql, &params)?
            .into_iter()
            .map(|mut r| Ok((r[0].int()?, parse_case(r.swap_remove(1).text()?)?)))
            .collect()
    }

    /// Takes a step on case `id`: `work` applies the desk's rules to the case and returns
    /// the e-mails the step sends; the case and its e-mails are written in one
    /// transaction, nothing at all if `work` refuses.
    pub fn desk_step(
        &self,
        id: i64,
        now: i64,
        work: impl FnOnce(&mut Case) -> Result<Vec<Email>, DeskError>,
    ) -> Result<Stepped, StoreError> {
        in_write(self.db.as_ref(), || {
            let rows =
                self.db.query("SELECT body FROM desk_case WHERE id = $1 AND pending_hash IS NULL", &[id.into()])?;
            let Some(mut row) = rows.into_iter().next() else { return Ok(Stepped::Missing) };
            let mut case = parse_case(row.swap_remove(0).text()?)?;
            let emails = match work(&mut case) {
                Ok(emails) => emails,
                Err(refused) => return Ok(Stepped::Refused(refused)),
            };
            self.db.execute(
                "UPDATE desk_case SET body = $2, status = $3, updated_at = $4 WHERE id = $1",
                &[id.into(), json(&case)?.as_str().into(), case.status.key().into(), now.into()],
            )?;
            self.db.execute("DELETE FROM desk_case_org WHERE case_id = $1", &[id.into()])?;
            for org in case.routed_to() {
                self.db.execute(
                    "INSERT INTO desk_case_org (case_id, org) VALUES ($1, $2)",
                    &[id.into(), org.as_str().into()],
                )?;
            }
            self.queue(id, &emails, now)?;
            Ok(Stepped::Done(case))
        })
    }

    /// An attachment of a case and its bytes.
    pub fn desk_attachment(&self, id: i64, n: i64) -> Result<Option<(AttachmentInfo, Vec<u8>)>, StoreError> {
        let rows = self.db.query(
            "SELECT a.name, a.media_type, a.size, a.content FROM desk_attachment a
             JOIN desk_case c ON c.id = a.case_id
             WHERE a.case_id = $1 AND a.n = $2 AND c.pending_hash IS NULL",
            &[id.into(), n.into()],
        )?;
        let Some(mut row) = rows.into_iter().next() else { return Ok(None) };
        let bytes = match row.swap_remove(3) {
            Value::Bytes(b) => b,
            other => return Err(StoreError::Invalid(format!("desk: attachment bytes expected, found {other:?}"))),
        };
        let size = row[2].int()?;
        let media_type = row.swap_remove(1).text()?;
        let name = row.swap_remove(0).text()?;
        Ok(Some((AttachmentInfo { n, name, media_type, size }, bytes)))
    }

    fn queue(&self, case_id: i64, emails: &[Email], now: i64) -> Result<(), StoreError> {
        for e in emails {
            self.db.execute(
                "INSERT INTO desk_outbox (case_id, recipient, subject, body, queued_at, due_at)
                 VALUES ($1, $2, $3, $4, $5, $5)",
                &[case_id.into(), e.to.as_str().into(), e.subject.as_str().into(), e.body.as_str().into(), now.into()],
            )?;
        }
        Ok(())
    }

    /// Takes up to `limit` e-mails due at `now` for sending: each is kept from other
    /// workers for [`SENDING_LEASE`] seconds, until [`Catalog::desk_delivered`] says what
    /// became of it.
    pub fn desk_due(&self, now: i64, limit: i64) -> Result<Vec<Outgoing>, StoreError> {
        in_write(self.db.as_ref(), || {
            let rows = self.db.query(
                "SELECT id, case_id, recipient, subject, body, attempts FROM desk_outbox
                 WHERE due_at IS NOT NULL AND due_at <= $1 ORDER BY id LIMIT $2",
                &[now.into(), limit.into()],
            )?;
            rows.into_iter()
                .map(|mut r| {
                    let out = outgoing(&mut r)?;
                    self.db.execute(
                        "UPDATE desk_outbox SET due_at = $2 WHERE id = $1",
                        &[out.id.into(), (now + SENDING_LEASE).into()],
                    )?;
                    Ok(out)
                })
                .collect()
        })
    }

    /// Records an attempt at sending e-mail `id` at `now`: sent, or failed with the SMTP
    /// server's answer (tried again later, or abandoned: [`next_attempt`]). What became of it.
    pub fn desk_delivered(&self, id: i64, now: i64, failure: Option<&str>) -> Result<Delivery, StoreError> {
        in_write(self.db.as_ref(), || {
            let rows = self.db.query("SELECT attempts FROM desk_outbox WHERE id = $1", &[id.into()])?;
            let attempts = rows.first().map(|r| r[0].int()).transpose()?.unwrap_or(0) as u32 + 1;
            let delivery = match failure {
                None => Delivery::Sent(now),
                Some(error) => next_attempt(attempts, now, error),
            };
            let (due, sent, error) = match &delivery {
                Delivery::Sent(at) => (Value::Null, Value::Int(*at), Value::Null),
                Delivery::Due { at, .. } => (Value::Int(*at), Value::Null, failure.map_or(Value::Null, Value::from)),
                Delivery::Abandoned { error, .. } => (Value::Null, Value::Null, error.as_str().into()),
            };
            self.db.execute(
                "UPDATE desk_outbox SET attempts = $2, due_at = $3, sent_at = $4, error = $5 WHERE id = $1",
                &[id.into(), (attempts as i64).into(), due, sent, error],
            )?;
            Ok(delivery)
        })
    }

    /// The e-mails of a case (every case: `None`), oldest first, with what became of each.
    pub fn desk_outbox(&self, case_id: Option<i64>) -> Result<Vec<(Outgoing, Delivery)>, StoreError> {
        let rows = self.db.query(
            "SELECT id, case_id, recipient, subject, body, attempts, due_at, sent_at, error FROM desk_outbox
             WHERE CAST($1 AS BIGINT) IS NULL OR case_id = $1 ORDER BY id",
            &[case_id.map_or(Value::Null, Value::Int)],
        )?;
        rows.into_iter()
            .map(|mut r| {
                let out = outgoing(&mut r)?;
                let attempts = out.attempts;
                let delivery = match (&r[6], &r[7]) {
                    (_, Value::Int(sent)) => Delivery::Sent(*sent),
                    (Value::Int(at), _) => Delivery::Due { attempts, at: *at },
                    _ => Delivery::Abandoned { attempts, error: r[8].clone().text().unwrap_or_default() },
                };
                Ok((out, delivery))
            })
            .collect()
    }

    /// Sets the e-mail address the desk writes to for a login.
    pub fn desk_set_contact(&self, login: &str, email: &str) -> Result<(), StoreError> {
        in_write(self.db.as_ref(), || {
            self.db.execute(
                "INSERT INTO desk_contact (login, email) VALUES ($1, $2)
                 ON CONFLICT (login) DO UPDATE SET email = excluded.email",
                &[login.into(), email.into()],
            )?;
            Ok(())
        })
    }

    /// Every login's e-mail address, by login.
    pub fn desk_contacts(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.db
            .query("SELECT login, email FROM desk_contact ORDER BY login", &[])?
            .into_iter()
            .map(|mut r| Ok((r.swap_remove(0).text()?, r.swap_remove(0).text()?)))
            .collect()
    }

    /// Declares that organisation `org` helps with `theme` (`*`: every theme) on
    /// `territory` (a referential key; `*`: everywhere): the desk's routing suggestions.
    pub fn desk_add_referent(&self, org: &str, theme: &str, territory: &str) -> Result<(), StoreError> {
        in_write(self.db.as_ref(), || {
            self.db.execute(
                "INSERT INTO desk_referent (org, theme, territory) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[org.into(), theme.into(), territory.into()],
            )?;
            Ok(())
        })
    }

    /// Every declared (organisation, theme, territory).
    pub fn desk_referents(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.db
            .query("SELECT org, theme, territory FROM desk_referent ORDER BY org, theme, territory", &[])?
            .into_iter()
            .map(|r| {
                let mut columns = r.into_iter().map(Value::text);
                let mut next = || columns.next().unwrap_or_else(|| Ok(String::new()));
                Ok((next()?, next()?, next()?))
            })
            .collect()
    }

    /// The organisation whose members are the desk's agents, if one was named.
    pub fn desk_org(&self) -> Result<Option<String>, StoreError> {
        let rows = self.db.query("SELECT value FROM meta WHERE key = 'desk.org'", &[])?;
        rows.into_iter().next().map(|mut r| r.swap_remove(0).text()).transpose()
    }

    /// Names the organisation whose members are the desk's agents.
    pub fn set_desk_org(&self, org: &str) -> Result<(), StoreError> {
        in_write(self.db.as_ref(), || {
            self.db.execute(
                "INSERT INTO meta (key, value) VALUES ('desk.org', $1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[org.into()],
            )?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use echelle_exchange::{Actor, Step, Theme, Urgency};

    use super::*;
    use crate::testing::backends;

    /// A fresh catalog of each backend: a file in `dir`, a new PostgreSQL schema.
    fn catalogs(dir: &std::path::Path) -> Vec<Catalog> {
        backends()
            .iter()
            .map(|b| match b.fresh_location() {
                Some(l) => Catalog::open_postgres(&l).unwrap(),
                None => Catalog::open(&dir.join("catalog.sqlite")).unwrap(),
            })
            .collect()
    }

    fn mail(to: &str) -> Email {
        Email { to: to.into(), subject: "s".into(), body: "b".into() }
    }

    #[test]
    fn every_backend_keeps_cases_attachments_and_the_outbox_alike() {
        let dir = tempfile::tempdir().unwrap();
        for c in catalogs(dir.path()) {
            let case = Case::submit("arras", "Halle", Theme::Heritage, "com:62041", "…", Urgency::Normal, 100).unwrap();
            let pdf = NewAttachment {
                name: "plan.pdf".into(),
                media_type: "application/pdf".into(),
                bytes: b"%PDF-1.7\x00\xff".to_vec(),
            };
            let version = c.version().unwrap();
            let id =
                c.desk_submit(&case, "{}", &[pdf], None, None, &|id| vec![mail(&format!("{id}@a.fr"))], 100).unwrap();
            assert_eq!(id, 1);
            assert_eq!(c.version().unwrap(), version, "a case does not move the catalog's version");
            let stored = c.desk_case(1).unwrap().unwrap();
            assert_eq!(stored.case, case);
            assert_eq!(
                stored.attachments[0],
                AttachmentInfo { n: 1, name: "plan.pdf".into(), media_type: "application/pdf".into(), size: 10 }
            );
            assert_eq!(c.desk_attachment(1, 1).unwrap().unwrap().1, b"%PDF-1.7\x00\xff", "bytes kept exactly");
            assert!(c.desk_attachment(1, 2).unwrap().is_none() && c.desk_case(2).unwrap().is_none());

            // A refused step writes nothing; a taken one writes the case, its organisations and its e-mails.
            let agent = Actor::Agent { login: "g".into() };
            let refused =
                c.desk_step(1, 200, |k| k.apply(&agent, Step::Accept, 200).map(|_| vec![mail("x@a.fr")])).unwrap();
            assert!(matches!(refused, Stepped::Refused(_)));
            let routed = Step::Route { to: vec!["caue62".into()] };
            let done = c.desk_step(1, 200, |k| k.apply(&agent, routed, 200).map(|_| vec![mail("r@caue.fr")])).unwrap();
            assert!(matches!(done, Stepped::Done(_)));
            assert!(matches!(c.desk_step(9, 200, |_| Ok(vec![])).unwrap(), Stepped::Missing));
            assert_eq!(c.desk_cases(CaseFilter::Org("caue62")).unwrap().len(), 1);
            assert_eq!(c.desk_cases(CaseFilter::Org("pnr")).unwrap().len(), 0);
            assert_eq!(c.desk_cases(CaseFilter::Requester("arras")).unwrap().len(), 1);
            let outbox = c.desk_outbox(Some(1)).unwrap();
            assert_eq!(outbox.iter().map(|(o, _)| o.email.to.as_str()).collect::<Vec<_>>(), ["1@a.fr", "r@caue.fr"]);

            // Sending: taken once (leased), then sent or retried, then abandoned.
            let due = c.desk_due(300, 10).unwrap();
            assert_eq!(due.len(), 2);
            assert!(c.desk_due(300, 10).unwrap().is_empty(), "leased to the worker that took them");
            assert_eq!(c.desk_delivered(due[0].id, 301, None).unwrap(), Delivery::Sent(301));
            assert_eq!(
                c.desk_delivered(due[1].id, 301, Some("451 plus tard")).unwrap(),
                Delivery::Due { attempts: 1, at: 361 }
            );
            let again = c.desk_due(361, 10).unwrap();
            assert_eq!((again.len(), again[0].attempts), (1, 1));
            let mut last = Delivery::Sent(0);
            for n in 2..=8 {
                last = c.desk_delivered(again[0].id, 400 * n, Some("550 inconnu")).unwrap();
            }
            assert_eq!(last, Delivery::Abandoned { attempts: 8, error: "550 inconnu".into() });
            assert_eq!(c.desk_outbox(None).unwrap()[1].1, last);

            // A public request waits for its e-mail check, seen by nobody, then is forgotten.
            let public =
                Case::submit("courriel:m@x.fr", "Voirie", Theme::Mobility, "com:62498", "…", Urgency::Urgent, 100)
                    .unwrap();
            let id = c
                .desk_submit(&public, "{}", &[], Some(("h1", 1_000)), Some("h1"), &|_| vec![mail("m@x.fr")], 100)
                .unwrap();
            assert!(c.desk_case(id).unwrap().is_none() && c.desk_case_followed("h1").unwrap().is_none());
            assert_eq!(c.desk_cases(CaseFilter::All).unwrap().len(), 1);
            assert_eq!(c.desk_verify("h1", 500, &|_, _| vec![mail("agents@a.fr")]).unwrap(), Some(id));
            assert_eq!(c.desk_case_followed("h1").unwrap(), Some(id));
            let late = c.desk_submit(&public, "{}", &[], Some(("h2", 1_000)), Some("h2"), &|_| vec![], 100).unwrap();
            assert_eq!(c.desk_verify("h2", 1_001, &|_, _| vec![]).unwrap(), None, "expired");
            assert!(c.desk_attachment(late, 1).unwrap().is_none());

            c.desk_set_contact("arras", "mairie@arras.fr").unwrap();
            c.desk_set_contact("arras", "urbanisme@arras.fr").unwrap();
            assert_eq!(c.desk_contacts().unwrap(), [("arras".to_string(), "urbanisme@arras.fr".to_string())]);
            c.desk_add_referent("caue62", "heritage", "dep:62").unwrap();
            c.desk_add_referent("caue62", "heritage", "dep:62").unwrap();
            assert_eq!(c.desk_referents().unwrap(), [("caue62".into(), "heritage".into(), "dep:62".into())]);
            assert_eq!(c.desk_org().unwrap(), None);
            c.set_desk_org("ingenierie-62").unwrap();
            assert_eq!(c.desk_org().unwrap().as_deref(), Some("ingenierie-62"));
        }
    }
}
