//! The catalog: a SQLite file that says which datasets the store holds, where they
//! come from and what they contain, and which user perimeters exist.
//!
//! Every change is one transaction, which is what makes imports atomic: files are
//! written aside first and the catalog row that points to them is the commit.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};

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

    /// The folder name of the current reference pack.
    pub fn current_pack(&self) -> Result<Option<String>, StoreError> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = 'pack'", [], |r| r.get(0)).optional()?)
    }

    /// Makes `pack` current and registers its datasets, in one transaction; returns
    /// the folder of the pack it replaced.
    pub fn commit_pack(&self, pack: &str, datasets: &[Dataset]) -> Result<Option<String>, StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        let previous = self.current_pack()?;
        tx.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('pack', ?1)", [pack])?;
        for d in datasets {
            insert_dataset(&tx, d)?;
        }
        tx.commit()?;
        Ok(previous.filter(|p| p != pack))
    }

    /// Registers (or replaces) a dataset.
    pub fn register(&self, dataset: &Dataset) -> Result<(), StoreError> {
        let tx = self.conn.unchecked_transaction()?;
        insert_dataset(&tx, dataset)?;
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

    pub fn add_perimeter(&self, id: &str, definition: &str) -> Result<(), StoreError> {
        self.conn.execute("INSERT INTO perimeter (id, definition) VALUES (?1, ?2)", params![id, definition])?;
        Ok(())
    }

    /// Users' indicator catalogs: (name, TOML text).
    pub fn indicator_catalogs(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut stmt = self.conn.prepare("SELECT name, definition FROM indicator_catalog ORDER BY added_at, name")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    pub fn add_indicator_catalog(&self, name: &str, definition: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT OR REPLACE INTO indicator_catalog (name, definition) VALUES (?1, ?2)",
            params![name, definition],
        )?;
        Ok(())
    }

    pub fn remove_perimeter(&self, id: &str) -> Result<bool, StoreError> {
        Ok(self.conn.execute("DELETE FROM perimeter WHERE id = ?1", [id])? > 0)
    }
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
