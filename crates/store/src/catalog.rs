//! The catalog: a SQLite file that says which datasets the store holds, where they
//! come from and what they contain, and which user perimeters exist.
//!
//! Every change is one transaction, which is what makes imports atomic: files are
//! written aside first and the catalog row that points to them is the commit. Each
//! transaction also increments the catalog's version (a `meta` row), so that a
//! server notices a change made by any process by reading one number.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use crate::StoreError;

/// The level of the rows of a dataset: one row per commune, or per IRIS; or rows
/// that are not one per territory (origin–destination flows, geolocated facilities,
/// reference tables), which the indicator engine does not load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatasetLevel {
    Commune,
    Iris,
    /// Origin–destination rows (commuting): key column is the origin commune.
    Flow,
    /// Geolocated facilities (BPE): key column is the commune of the facility.
    Point,
    /// A reference table (COG files, correspondence table), not keyed by territory.
    Table,
}

impl DatasetLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetLevel::Commune => "commune",
            DatasetLevel::Iris => "iris",
            DatasetLevel::Flow => "flow",
            DatasetLevel::Point => "point",
            DatasetLevel::Table => "table",
        }
    }

    pub fn parse(s: &str) -> Result<Self, StoreError> {
        match s {
            "commune" => Ok(DatasetLevel::Commune),
            "iris" => Ok(DatasetLevel::Iris),
            "flow" => Ok(DatasetLevel::Flow),
            "point" => Ok(DatasetLevel::Point),
            "table" => Ok(DatasetLevel::Table),
            other => Err(StoreError::Invalid(format!("catalog: unknown dataset level '{other}'"))),
        }
    }
}

/// A dataset registered in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    pub id: String,
    pub title: String,
    pub level: DatasetLevel,
    /// The column holding the commune (or IRIS) code on the current geography.
    pub key_column: String,
    /// Path relative to the store root.
    pub path: String,
    pub source: String,
    pub vintage: String,
    /// The year of the official geography the codes refer to.
    pub geography: String,
    pub rows: u64,
    pub checksum: String,
    pub synthetic: bool,
}

pub struct Catalog {
    conn: Connection,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dataset (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, level TEXT NOT NULL, key_column TEXT NOT NULL,
    path TEXT NOT NULL, source TEXT NOT NULL, vintage TEXT NOT NULL, geography TEXT NOT NULL,
    rows INTEGER NOT NULL, checksum TEXT NOT NULL, synthetic INTEGER NOT NULL,
    registered_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS indicator_catalog (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS perimeter (
    id TEXT PRIMARY KEY, definition TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT (datetime('now')));
";

impl Catalog {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        conn.execute_batch(SCHEMA)?;
        Ok(Catalog { conn })
    }

    /// The catalog's version: incremented by every change, in the change's own
    /// transaction (0 for a catalog never changed since versions were kept).
    pub fn version(&self) -> Result<u64, StoreError> {
        version(&self.conn)
    }

    /// A write transaction taken at once (`BEGIN IMMEDIATE`): what it reads cannot be
    /// changed by another process before it commits.
    fn write(&self) -> Result<Transaction<'_>, StoreError> {
        Ok(Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?)
    }

    /// The folder name of the current reference pack.
    pub fn current_pack(&self) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = 'pack'", [], |r| r.get(0)).optional()?)
    }

    /// Makes `pack` current and registers its datasets, in one transaction; returns
    /// the folder of the pack it replaced.
    pub fn commit_pack(&self, pack: &str, datasets: &[Dataset]) -> Result<Option<String>, StoreError> {
        let tx = self.write()?;
        let previous = self.current_pack()?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('pack', ?1)", [pack])?;
        for d in datasets {
            insert_dataset(&tx, d)?;
        }
        bump(&tx)?;
        tx.commit()?;
        Ok(previous.filter(|p| p != pack))
    }

    /// Registers (or replaces) a dataset.
    pub fn register(&self, dataset: &Dataset) -> Result<(), StoreError> {
        let tx = self.write()?;
        insert_dataset(&tx, dataset)?;
        bump(&tx)?;
        tx.commit()?;
        Ok(())
    }

    pub fn datasets(&self) -> Result<Vec<Dataset>, StoreError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, title, level, key_column, path, source, vintage, geography, rows, checksum, synthetic
             FROM dataset ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                Dataset {
                    id: r.get(0)?,
                    title: r.get(1)?,
                    level: DatasetLevel::Commune,
                    key_column: r.get(3)?,
                    path: r.get(4)?,
                    source: r.get(5)?,
                    vintage: r.get(6)?,
                    geography: r.get(7)?,
                    rows: r.get::<_, i64>(8)? as u64,
                    checksum: r.get(9)?,
                    synthetic: r.get::<_, i64>(10)? != 0,
                },
                r.get::<_, String>(2)?,
            ))
        })?;
        rows.map(|row| {
            let (mut d, level) = row?;
            d.level = DatasetLevel::parse(&level)?;
            Ok(d)
        })
        .collect()
    }

    pub fn dataset(&self, id: &str) -> Result<Dataset, StoreError> {
        self.datasets()?.into_iter().find(|d| d.id == id).ok_or_else(|| StoreError::UnknownDataset(id.into()))
    }

    pub fn user_perimeters(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT id, definition FROM perimeter ORDER BY added_at, id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Users' indicator catalogs: (name, TOML text).
    pub fn indicator_catalogs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT name, definition FROM indicator_catalog ORDER BY added_at, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_indicator_catalog(&self, name: &str, definition: &str) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.execute(
            "INSERT OR REPLACE INTO indicator_catalog (name, definition) VALUES (?1, ?2)",
            params![name, definition],
        )?;
        bump(&tx)?;
        tx.commit()?;
        Ok(())
    }

    /// Rewrites the user perimeters in one write transaction: `change` gets them as
    /// they are (id, definition, in order of addition) and returns them as they must be,
    /// or an error that leaves them untouched. The version is incremented if any changed.
    pub fn update_perimeters(
        &self,
        change: impl FnOnce(Vec<(String, String)>) -> Result<Vec<(String, String)>, StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.write()?;
        let current = self.user_perimeters()?;
        let next = change(current.clone())?;
        let mut changed = false;
        for (id, definition) in &current {
            if !next.iter().any(|(i, d)| i == id && d == definition) {
                changed |= tx.execute("DELETE FROM perimeter WHERE id = ?1", [id])? > 0;
            }
        }
        for (id, definition) in &next {
            if !current.iter().any(|(i, d)| i == id && d == definition) {
                tx.execute("INSERT INTO perimeter (id, definition) VALUES (?1, ?2)", params![id, definition])?;
                changed = true;
            }
        }
        if changed {
            bump(&tx)?;
        }
        tx.commit()?;
        Ok(())
    }
}

fn version(conn: &Connection) -> Result<u64, StoreError> {
    let v: Option<i64> =
        conn.query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'version'", [], |r| r.get(0)).optional()?;
    Ok(v.unwrap_or(0) as u64)
}

/// Increments the catalog's version, inside the change's transaction.
fn bump(conn: &Connection) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('version', '1')
         ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
        [],
    )?;
    Ok(())
}

fn insert_dataset(conn: &Connection, d: &Dataset) -> Result<(), StoreError> {
    conn.execute(
        "INSERT OR REPLACE INTO dataset
         (id, title, level, key_column, path, source, vintage, geography, rows, checksum, synthetic)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            d.id,
            d.title,
            d.level.as_str(),
            d.key_column,
            d.path,
            d.source,
            d.vintage,
            d.geography,
            d.rows as i64,
            d.checksum,
            d.synthetic as i64
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn every_change_increments_the_version_seen_by_every_connection() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        let (a, b) = (Catalog::open(&path).unwrap(), Catalog::open(&path).unwrap());
        assert_eq!(a.version().unwrap(), 0, "a catalog never changed");
        a.register(&dataset("one")).unwrap();
        assert_eq!(b.version().unwrap(), 1);
        b.commit_pack("pack-x", &[dataset("two")]).unwrap();
        a.add_indicator_catalog("mine", "").unwrap();
        assert_eq!(a.version().unwrap(), 3);
        b.update_perimeters(|mut p| {
            p.push(("p".into(), "id = 'p'".into()));
            Ok(p)
        })
        .unwrap();
        assert_eq!(a.version().unwrap(), 4);
        b.update_perimeters(Ok).unwrap();
        assert_eq!(a.version().unwrap(), 4, "nothing changed");
        let refused = a.update_perimeters(|_| Err(StoreError::Invalid("no".into())));
        assert!(refused.is_err());
        assert_eq!((a.version().unwrap(), a.user_perimeters().unwrap().len()), (4, 1), "a refused change leaves all");
        a.update_perimeters(|_| Ok(Vec::new())).unwrap();
        assert_eq!((b.version().unwrap(), b.user_perimeters().unwrap().len()), (5, 0));
    }

    #[test]
    fn a_catalog_of_an_earlier_version_opens_with_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        // As written before versions were kept: the same tables, no version row.
        let old = Connection::open(&path).unwrap();
        old.execute_batch(SCHEMA).unwrap();
        old.execute("INSERT INTO meta (key, value) VALUES ('pack', 'pack-old')", []).unwrap();
        old.execute("INSERT INTO perimeter (id, definition) VALUES ('p', 'id = \"p\"')", []).unwrap();
        drop(old);
        let c = Catalog::open(&path).unwrap();
        assert_eq!(c.version().unwrap(), 0);
        assert_eq!(c.current_pack().unwrap().as_deref(), Some("pack-old"));
        assert_eq!(c.user_perimeters().unwrap().len(), 1);
        c.register(&dataset("one")).unwrap();
        assert_eq!(c.version().unwrap(), 1);
    }
}
