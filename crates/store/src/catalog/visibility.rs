//! Who may see each dataset and user perimeter: one row per non-public object
//! (owner, level), one per organisation it is shared with. An object without a row
//! is public, so catalogs written before visibility existed keep meaning the same.
//!
//! Schema step: [`SCHEMA`], applied at open after the base tables.

use std::collections::BTreeSet;

use echelle_platform::{Visibilities, Visibility};
use rusqlite::{Connection, params};

use super::{Catalog, Dataset, bump, insert_dataset};
use crate::StoreError;

/// The schema step of visibility: `object_visibility` (kind, id, level, owner) and
/// `object_share` (kind, id, org). `kind` is `dataset` or `perimeter`.
pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS object_visibility (
    kind TEXT NOT NULL CHECK (kind IN ('dataset', 'perimeter')), id TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('shared', 'private')), owner TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS object_share (
    kind TEXT NOT NULL, id TEXT NOT NULL, org TEXT NOT NULL,
    PRIMARY KEY (kind, id, org));
";

/// The kinds of catalog objects that carry a visibility.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectKind {
    /// A dataset, by its id.
    Dataset,
    /// A user perimeter, by its id (shipped perimeters are public).
    Perimeter,
}

impl ObjectKind {
    fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Dataset => "dataset",
            ObjectKind::Perimeter => "perimeter",
        }
    }
}

impl Catalog {
    /// The visibility of every non-public dataset and user perimeter, in one read.
    pub fn visibilities(&self) -> Result<Visibilities, StoreError> {
        read_all(&self.conn)
    }

    /// The visibility of one object (public when the catalog says nothing of it).
    pub fn visibility(&self, kind: ObjectKind, id: &str) -> Result<Visibility, StoreError> {
        let all = self.visibilities()?;
        Ok(match kind {
            ObjectKind::Dataset => all.dataset(id).clone(),
            ObjectKind::Perimeter => all.perimeter(id).clone(),
        })
    }

    /// Gives an existing dataset or user perimeter this visibility, in one transaction
    /// (the catalog's version moves, so that a server reads it again at once).
    pub fn set_visibility(&self, kind: ObjectKind, id: &str, visibility: &Visibility) -> Result<(), StoreError> {
        let tx = self.write()?;
        let exists = match kind {
            ObjectKind::Dataset => {
                tx.query_row("SELECT COUNT(*) FROM dataset WHERE id = ?1", [id], |r| r.get::<_, i64>(0))?
            }
            ObjectKind::Perimeter => {
                tx.query_row("SELECT COUNT(*) FROM perimeter WHERE id = ?1", [id], |r| r.get::<_, i64>(0))?
            }
        };
        if exists == 0 {
            return Err(match kind {
                ObjectKind::Dataset => StoreError::UnknownDataset(id.into()),
                ObjectKind::Perimeter => StoreError::UnknownPerimeter(id.into()),
            });
        }
        write_visibility(&tx, kind, id, visibility)?;
        bump(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Writes the visibility of an object about to be added (a perimeter saved next):
    /// it holds from the moment the object exists. No check that it exists.
    pub fn declare_visibility(&self, kind: ObjectKind, id: &str, visibility: &Visibility) -> Result<(), StoreError> {
        let tx = self.write()?;
        write_visibility(&tx, kind, id, visibility)?;
        tx.commit()?;
        Ok(())
    }

    /// Registers (or replaces) a dataset with its visibility, in one transaction: a
    /// private dataset is never seen public, not even for a moment.
    pub fn register_with_visibility(&self, dataset: &Dataset, visibility: &Visibility) -> Result<(), StoreError> {
        let tx = self.write()?;
        insert_dataset(&tx, dataset)?;
        write_visibility(&tx, ObjectKind::Dataset, &dataset.id, visibility)?;
        bump(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// This catalog as seen by someone who may not see the datasets `hidden`:
    /// [`Catalog::datasets`] and [`Catalog::dataset`] answer as if they did not exist.
    /// For reading only (an import through it would sweep their files).
    pub fn hiding(mut self, hidden: BTreeSet<String>) -> Catalog {
        self.hidden = hidden;
        self
    }

    /// Whether [`Catalog::hiding`] hides datasets.
    pub(crate) fn hides(&self) -> bool {
        !self.hidden.is_empty()
    }
}

/// Writes the visibility of one object inside a transaction (public: no row).
pub(crate) fn write_visibility(
    conn: &Connection,
    kind: ObjectKind,
    id: &str,
    visibility: &Visibility,
) -> Result<(), StoreError> {
    let k = kind.as_str();
    conn.execute("DELETE FROM object_visibility WHERE kind = ?1 AND id = ?2", params![k, id])?;
    conn.execute("DELETE FROM object_share WHERE kind = ?1 AND id = ?2", params![k, id])?;
    if let Some(owner) = visibility.owner() {
        conn.execute(
            "INSERT INTO object_visibility (kind, id, level, owner) VALUES (?1, ?2, ?3, ?4)",
            params![k, id, visibility.level(), owner],
        )?;
    }
    if let Visibility::Shared { with, .. } = visibility {
        for org in with {
            conn.execute(
                "INSERT OR IGNORE INTO object_share (kind, id, org) VALUES (?1, ?2, ?3)",
                params![k, id, org],
            )?;
        }
    }
    Ok(())
}

fn read_all(conn: &Connection) -> Result<Visibilities, StoreError> {
    let mut out = Visibilities::default();
    let mut stmt = conn.prepare_cached(
        "SELECT v.kind, v.id, v.level, v.owner, s.org FROM object_visibility v
         LEFT JOIN object_share s ON s.kind = v.kind AND s.id = v.id ORDER BY v.kind, v.id, s.org",
    )?;
    let rows = stmt.query_map([], |r| {
        Ok((
            r.get::<_, String>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, Option<String>>(4)?,
        ))
    })?;
    for row in rows {
        let (kind, id, level, owner, org) = row?;
        let map = match kind.as_str() {
            "dataset" => &mut out.datasets,
            "perimeter" => &mut out.perimeters,
            other => return Err(StoreError::Invalid(format!("catalog: unknown object kind '{other}'"))),
        };
        let v = map.entry(id).or_insert_with(|| match level.as_str() {
            "shared" => Visibility::Shared { owner: owner.clone(), with: Vec::new() },
            _ => Visibility::Private { owner: owner.clone() },
        });
        if let (Visibility::Shared { with, .. }, Some(org)) = (v, org) {
            with.push(org);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatasetLevel;

    fn dataset(id: &str) -> Dataset {
        Dataset {
            id: id.into(),
            title: id.into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            path: format!("datasets/{id}.parquet"),
            source: "test".into(),
            vintage: "2026".into(),
            geography: "2026".into(),
            rows: 1,
            checksum: "0".into(),
            synthetic: true,
        }
    }

    #[test]
    fn visibility_is_stored_changed_and_hides_datasets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let c = Catalog::open(&path).unwrap();
        c.register(&dataset("communes")).unwrap();
        let private = Visibility::Private { owner: "cci".into() };
        c.register_with_visibility(&dataset("commerce"), &private).unwrap();
        assert_eq!(c.visibility(ObjectKind::Dataset, "commerce").unwrap(), private);
        assert_eq!(c.visibility(ObjectKind::Dataset, "communes").unwrap(), Visibility::Public);
        let shared = Visibility::Shared { owner: "cci".into(), with: vec!["dep59".into(), "dep62".into()] };
        let before = c.version().unwrap();
        c.set_visibility(ObjectKind::Dataset, "commerce", &shared).unwrap();
        assert_eq!(c.version().unwrap(), before + 1);
        assert_eq!(Catalog::open(&path).unwrap().visibilities().unwrap().dataset("commerce"), &shared);
        assert!(matches!(
            c.set_visibility(ObjectKind::Perimeter, "nowhere", &private),
            Err(StoreError::UnknownPerimeter(_))
        ));
        let seen = Catalog::open(&path).unwrap().hiding(["commerce".to_string()].into());
        assert_eq!(seen.datasets().unwrap().len(), 1);
        assert!(matches!(seen.dataset("commerce"), Err(StoreError::UnknownDataset(_))));
        c.set_visibility(ObjectKind::Dataset, "commerce", &Visibility::Public).unwrap();
        assert!(c.visibilities().unwrap().datasets.is_empty(), "public: no row");
    }
}
