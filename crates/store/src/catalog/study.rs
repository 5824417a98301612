//! Shared studies' tables (migration step 6), written once for both databases. Every
//! save is a new version beside the others (nothing is overwritten), saved only on the
//! version its author read: two partners editing at once do not lose each other's work.
//!
//! ```text
//!  server ──study_create / study_save(id, read version)──> study (latest, visibility)
//!                                                      └──> study_version (whole body, author, at, changes)
//!         ──study_comment──> study_comment
//! ```
//!
//! Like the desk's, these writes never move the catalog's version: no server reloads.

use echelle_exchange::{Comment, Study};

use super::{Catalog, Value, in_write};
use crate::StoreError;

/// A study as stored: its latest version and visibility.
#[derive(Debug, Clone)]
pub struct StoredStudy {
    /// Its number (its link: `/etudes/{id}`).
    pub id: i64,
    /// Its latest version's number, from 1.
    pub version: i64,
    /// Its visibility, JSON of `echelle_platform::Visibility` (the server reads it).
    pub visibility: String,
    /// Who created it.
    pub created_by: String,
    /// Unix seconds of its last save.
    pub updated_at: i64,
    /// Its latest version.
    pub study: Study,
}

/// One version of a study: who saved it, when, and what changed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct VersionInfo {
    /// Its number, from 1.
    pub version: i64,
    /// Who saved it (a login).
    pub author: String,
    /// Unix seconds.
    pub at: i64,
    /// What changed from the version before, in French (the first: "création").
    pub changes: Vec<String>,
}

/// What became of a save.
#[derive(Debug)]
pub enum Saved {
    /// Saved as this version.
    Done(i64),
    /// Someone saved version `.0` since the version the author read: nothing written.
    Stale(i64),
    /// No such study.
    Missing,
}

fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Invalid(format!("study: unreadable: {e}")))
}

fn text<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::Invalid(format!("study: {e}")))
}

impl Catalog {
    /// Keeps a new study, version 1 by `author`; its number.
    pub fn study_create(&self, study: &Study, visibility: &str, author: &str, now: i64) -> Result<i64, StoreError> {
        in_write(self.db.as_ref(), || {
            let id = self.db.query("SELECT COALESCE(MAX(id), 0) + 1 FROM study", &[])?[0][0].int()?;
            self.db.execute(
                "INSERT INTO study (id, visibility, version, created_by, created_at, updated_at)
                 VALUES ($1, $2, 1, $3, $4, $4)",
                &[id.into(), visibility.into(), author.into(), now.into()],
            )?;
            self.insert_version(id, 1, study, author, &["création".to_string()], now)?;
            Ok(id)
        })
    }

    fn insert_version(
        &self,
        id: i64,
        version: i64,
        study: &Study,
        author: &str,
        changes: &[String],
        now: i64,
    ) -> Result<(), StoreError> {
        self.db.execute(
            "INSERT INTO study_version (study_id, version, author, at, body, changes) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                id.into(),
                version.into(),
                author.into(),
                now.into(),
                text(study)?.as_str().into(),
                text(&changes)?.as_str().into(),
            ],
        )?;
        Ok(())
    }

    /// Saves `study` (and `visibility`) as the next version of study `id`, if its latest
    /// version is still `read`; `changes` says what changed, in French.
    #[allow(clippy::too_many_arguments)]
    pub fn study_save(
        &self,
        id: i64,
        read: i64,
        study: &Study,
        visibility: &str,
        author: &str,
        changes: &[String],
        now: i64,
    ) -> Result<Saved, StoreError> {
        in_write(self.db.as_ref(), || {
            let rows = self.db.query("SELECT version FROM study WHERE id = $1", &[id.into()])?;
            let Some(latest) = rows.first().map(|r| r[0].int()).transpose()? else { return Ok(Saved::Missing) };
            if latest != read {
                return Ok(Saved::Stale(latest));
            }
            self.db.execute(
                "UPDATE study SET version = $2, visibility = $3, updated_at = $4 WHERE id = $1",
                &[id.into(), (latest + 1).into(), visibility.into(), now.into()],
            )?;
            self.insert_version(id, latest + 1, study, author, changes, now)?;
            Ok(Saved::Done(latest + 1))
        })
    }

    /// A study at its latest version.
    pub fn study(&self, id: i64) -> Result<Option<StoredStudy>, StoreError> {
        Ok(self.studies_where("s.id = $1", &[id.into()])?.pop())
    }

    /// Every study at its latest version, newest first (the server keeps those a viewer may see).
    pub fn studies(&self) -> Result<Vec<StoredStudy>, StoreError> {
        self.studies_where("1 = 1", &[])
    }

    fn studies_where(&self, filter: &str, params: &[Value]) -> Result<Vec<StoredStudy>, StoreError> {
        let sql = format!(
            "SELECT s.id, s.version, s.visibility, s.created_by, s.updated_at, v.body FROM study s
             JOIN study_version v ON v.study_id = s.id AND v.version = s.version WHERE {filter} ORDER BY s.id DESC"
        );
        self.db
            .query(&sql, params)?
            .into_iter()
            .map(|mut r| {
                let study = parse(&std::mem::replace(&mut r[5], Value::Null).text()?)?;
                Ok(StoredStudy {
                    id: r[0].int()?,
                    version: r[1].int()?,
                    visibility: std::mem::replace(&mut r[2], Value::Null).text()?,
                    created_by: std::mem::replace(&mut r[3], Value::Null).text()?,
                    updated_at: r[4].int()?,
                    study,
                })
            })
            .collect()
    }

    /// The versions of a study, oldest first.
    pub fn study_versions(&self, id: i64) -> Result<Vec<VersionInfo>, StoreError> {
        self.db
            .query(
                "SELECT version, author, at, changes FROM study_version WHERE study_id = $1 ORDER BY version",
                &[id.into()],
            )?
            .into_iter()
            .map(|mut r| {
                Ok(VersionInfo {
                    version: r[0].int()?,
                    author: std::mem::replace(&mut r[1], Value::Null).text()?,
                    at: r[2].int()?,
                    changes: parse(&std::mem::replace(&mut r[3], Value::Null).text()?)?,
                })
            })
            .collect()
    }

    /// One version of a study.
    pub fn study_version(&self, id: i64, version: i64) -> Result<Option<Study>, StoreError> {
        let rows = self.db.query(
            "SELECT body FROM study_version WHERE study_id = $1 AND version = $2",
            &[id.into(), version.into()],
        )?;
        rows.into_iter().next().map(|mut r| parse(&r.swap_remove(0).text()?)).transpose()
    }

    /// Adds a comment to study `id`; the comment.
    pub fn study_comment(&self, id: i64, author: &str, text: &str, now: i64) -> Result<Comment, StoreError> {
        in_write(self.db.as_ref(), || {
            let n = self
                .db
                .query("SELECT COALESCE(MAX(id), 0) + 1 FROM study_comment WHERE study_id = $1", &[id.into()])?[0][0]
                .int()?;
            self.db.execute(
                "INSERT INTO study_comment (study_id, id, author, at, text) VALUES ($1, $2, $3, $4, $5)",
                &[id.into(), n.into(), author.into(), now.into(), text.into()],
            )?;
            Ok(Comment { id: n, who: author.into(), at: now, text: text.into() })
        })
    }

    /// The comments of a study, oldest first.
    pub fn study_comments(&self, id: i64) -> Result<Vec<Comment>, StoreError> {
        self.db
            .query("SELECT id, author, at, text FROM study_comment WHERE study_id = $1 ORDER BY id", &[id.into()])?
            .into_iter()
            .map(|mut r| {
                Ok(Comment {
                    id: r[0].int()?,
                    who: std::mem::replace(&mut r[1], Value::Null).text()?,
                    at: r[2].int()?,
                    text: std::mem::replace(&mut r[3], Value::Null).text()?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{backends, copy_store_on, test_store};

    #[test]
    fn every_backend_keeps_versions_and_comments_alike() {
        for backend in backends() {
            let dir = tempfile::tempdir().unwrap();
            copy_store_on(&test_store(), dir.path(), &backend);
            let store = crate::Store::open(dir.path()).unwrap();
            let c = store.catalog();
            let version_before = c.version().unwrap();
            let mut s = Study {
                title: "Commerce".into(),
                notes: String::new(),
                territories: vec!["dep:62".into()],
                indicators: vec![],
                map: serde_json::Value::Null,
                tables: vec![],
            };
            let id = c.study_create(&s, r#"{"level":"public"}"#, "ana", 100).unwrap();
            s.territories.push("dep:59".into());
            let changed = vec!["territoires : + dep:59".to_string()];
            assert!(matches!(
                c.study_save(id, 1, &s, r#"{"level":"public"}"#, "bob", &changed, 200).unwrap(),
                Saved::Done(2)
            ));
            assert!(
                matches!(c.study_save(id, 1, &s, "{}", "eve", &changed, 300).unwrap(), Saved::Stale(2)),
                "{backend:?}"
            );
            assert!(matches!(c.study_save(id + 1, 1, &s, "{}", "eve", &changed, 300).unwrap(), Saved::Missing));
            let stored = c.study(id).unwrap().unwrap();
            assert_eq!((stored.version, stored.updated_at, stored.study.territories.len()), (2, 200, 2));
            assert_eq!(c.study_version(id, 1).unwrap().unwrap().territories, ["dep:62"]);
            let versions = c.study_versions(id).unwrap();
            assert_eq!(versions.iter().map(|v| v.author.as_str()).collect::<Vec<_>>(), ["ana", "bob"]);
            assert_eq!(versions[1].changes, changed);
            c.study_comment(id, "bob", "À compléter", 250).unwrap();
            assert_eq!(c.study_comment(id, "ana", "Fait", 260).unwrap().id, 2);
            assert_eq!(c.study_comments(id).unwrap().len(), 2);
            assert_eq!(c.studies().unwrap().len(), 1);
            assert_eq!(c.version().unwrap(), version_before, "{backend:?}: studies do not move the catalog version");
        }
    }
}
