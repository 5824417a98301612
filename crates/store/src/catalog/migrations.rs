//! The catalog's schema, as numbered steps applied in order at open, each recorded in
//! `schema_migrations`: a catalog is never rebuilt, only moved forward, and a binary
//! refuses a catalog written by a newer one rather than misread it.
//!
//! To change the schema, append a step (never edit an applied one) with its SQLite
//! and its PostgreSQL text.

use super::{Backend, Dialect, in_write};
use crate::StoreError;

/// One step of the schema.
pub(crate) struct Migration {
    /// Its number: steps apply in increasing order, each once.
    pub version: i64,
    /// What it does, recorded beside its number.
    pub name: &'static str,
    /// Its statements on SQLite.
    pub sqlite: &'static str,
    /// Its statements on PostgreSQL.
    pub postgres: &'static str,
}

/// Every step, in order. Step 1 is the schema catalogs had before steps were
/// recorded (`IF NOT EXISTS`: such a catalog takes it as already there).
pub(crate) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "datasets, indicator catalogs, user perimeters, meta (pack, version)",
        sqlite: "
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
",
        // Times as SQLite writes them (UTC, to the second), so that both order alike.
        postgres: "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dataset (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, level TEXT NOT NULL, key_column TEXT NOT NULL,
    path TEXT NOT NULL, source TEXT NOT NULL, vintage TEXT NOT NULL, geography TEXT NOT NULL,
    rows BIGINT NOT NULL, checksum TEXT NOT NULL, synthetic BIGINT NOT NULL CHECK (synthetic IN (0, 1)),
    registered_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'));
CREATE TABLE IF NOT EXISTS indicator_catalog (
    name TEXT PRIMARY KEY, definition TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'));
CREATE TABLE IF NOT EXISTS perimeter (
    id TEXT PRIMARY KEY, definition TEXT NOT NULL,
    added_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'));
",
    },
    Migration {
        version: 2,
        name: "visibility of datasets and user perimeters (owner, level, shares)",
        sqlite: VISIBILITY,
        postgres: VISIBILITY,
    },
    Migration {
        version: 3,
        name: "accounts, organisations, sessions, API tokens, login failures, audit log (PostgreSQL)",
        // The embedded store keeps them in `accounts.sqlite`, beside the catalog, where
        // a login never waits for an import's write lock.
        sqlite: "-- accounts.sqlite holds them",
        postgres: ACCOUNTS,
    },
    Migration {
        version: 4,
        name: "each dataset's declared statistical secrecy (JSON of echelle_platform::SecrecyRule)",
        sqlite: "ALTER TABLE dataset ADD COLUMN secrecy TEXT",
        postgres: "ALTER TABLE dataset ADD COLUMN IF NOT EXISTS secrecy TEXT",
    },
    Migration {
        version: 5,
        name: "the requests desk: cases, routed organisations, attachments, outbox, contacts, referents",
        sqlite: DESK_SQLITE,
        postgres: DESK_POSTGRES,
    },
    Migration {
        version: 6,
        name: "shared studies: their versions (who, when, what changed) and comments",
        sqlite: STUDIES_SQLITE,
        postgres: STUDIES_POSTGRES,
    },
];

/// Step 6 (issue 18): shared studies ([`Catalog::study_create`](super::Catalog::study_create)).
/// A study is its versions, each the whole `echelle_exchange::Study` as JSON; `study`
/// keeps the latest number and the visibility (JSON of `echelle_platform::Visibility`).
const STUDIES_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS study (
    id INTEGER PRIMARY KEY, visibility TEXT NOT NULL, version INTEGER NOT NULL,
    created_by TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS study_version (
    study_id INTEGER NOT NULL REFERENCES study (id) ON DELETE CASCADE, version INTEGER NOT NULL,
    author TEXT NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL, changes TEXT NOT NULL,
    PRIMARY KEY (study_id, version));
CREATE TABLE IF NOT EXISTS study_comment (
    study_id INTEGER NOT NULL REFERENCES study (id) ON DELETE CASCADE, id INTEGER NOT NULL,
    author TEXT NOT NULL, at INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (study_id, id));
";

/// Step 6 on PostgreSQL: the same tables.
const STUDIES_POSTGRES: &str = "
CREATE TABLE IF NOT EXISTS study (
    id BIGINT PRIMARY KEY, visibility TEXT NOT NULL, version BIGINT NOT NULL,
    created_by TEXT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS study_version (
    study_id BIGINT NOT NULL REFERENCES study (id) ON DELETE CASCADE, version BIGINT NOT NULL,
    author TEXT NOT NULL, at BIGINT NOT NULL, body TEXT NOT NULL, changes TEXT NOT NULL,
    PRIMARY KEY (study_id, version));
CREATE TABLE IF NOT EXISTS study_comment (
    study_id BIGINT NOT NULL REFERENCES study (id) ON DELETE CASCADE, id BIGINT NOT NULL,
    author TEXT NOT NULL, at BIGINT NOT NULL, text TEXT NOT NULL, PRIMARY KEY (study_id, id));
";

/// Step 5 (issue 18): the requests desk ([`Catalog::desk_submit`](super::Catalog::desk_submit)).
/// A case is its JSON (`echelle_exchange::Case`) with the columns lists filter on; a case
/// awaiting its requester's e-mail check has `pending_hash` set and is seen by nobody.
const DESK_SQLITE: &str = "
CREATE TABLE IF NOT EXISTS desk_case (
    id INTEGER PRIMARY KEY, requester TEXT NOT NULL, territory TEXT NOT NULL, theme TEXT NOT NULL,
    status TEXT NOT NULL, submitted_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
    body TEXT NOT NULL, figures TEXT NOT NULL, follow_hash TEXT UNIQUE,
    pending_hash TEXT UNIQUE, pending_until INTEGER);
CREATE TABLE IF NOT EXISTS desk_case_org (
    case_id INTEGER NOT NULL REFERENCES desk_case (id) ON DELETE CASCADE, org TEXT NOT NULL,
    PRIMARY KEY (case_id, org));
CREATE TABLE IF NOT EXISTS desk_attachment (
    case_id INTEGER NOT NULL REFERENCES desk_case (id) ON DELETE CASCADE, n INTEGER NOT NULL,
    name TEXT NOT NULL, media_type TEXT NOT NULL, size INTEGER NOT NULL, content BLOB NOT NULL,
    PRIMARY KEY (case_id, n));
CREATE TABLE IF NOT EXISTS desk_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER NOT NULL, recipient TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, queued_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, due_at INTEGER, sent_at INTEGER, error TEXT);
CREATE INDEX IF NOT EXISTS desk_outbox_due ON desk_outbox (due_at);
CREATE TABLE IF NOT EXISTS desk_contact (login TEXT PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS desk_referent (
    org TEXT NOT NULL, theme TEXT NOT NULL, territory TEXT NOT NULL, PRIMARY KEY (org, theme, territory));
";

/// Step 5 on PostgreSQL: the same tables.
const DESK_POSTGRES: &str = "
CREATE TABLE IF NOT EXISTS desk_case (
    id BIGINT PRIMARY KEY, requester TEXT NOT NULL, territory TEXT NOT NULL, theme TEXT NOT NULL,
    status TEXT NOT NULL, submitted_at BIGINT NOT NULL, updated_at BIGINT NOT NULL,
    body TEXT NOT NULL, figures TEXT NOT NULL, follow_hash TEXT UNIQUE,
    pending_hash TEXT UNIQUE, pending_until BIGINT);
CREATE TABLE IF NOT EXISTS desk_case_org (
    case_id BIGINT NOT NULL REFERENCES desk_case (id) ON DELETE CASCADE, org TEXT NOT NULL,
    PRIMARY KEY (case_id, org));
CREATE TABLE IF NOT EXISTS desk_attachment (
    case_id BIGINT NOT NULL REFERENCES desk_case (id) ON DELETE CASCADE, n BIGINT NOT NULL,
    name TEXT NOT NULL, media_type TEXT NOT NULL, size BIGINT NOT NULL, content BYTEA NOT NULL,
    PRIMARY KEY (case_id, n));
CREATE TABLE IF NOT EXISTS desk_outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, case_id BIGINT NOT NULL, recipient TEXT NOT NULL,
    subject TEXT NOT NULL, body TEXT NOT NULL, queued_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0, due_at BIGINT, sent_at BIGINT, error TEXT);
CREATE INDEX IF NOT EXISTS desk_outbox_due ON desk_outbox (due_at);
CREATE TABLE IF NOT EXISTS desk_contact (login TEXT PRIMARY KEY, email TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS desk_referent (
    org TEXT NOT NULL, theme TEXT NOT NULL, territory TEXT NOT NULL, PRIMARY KEY (org, theme, territory));
";

/// Step 3 (issue 17): the account store of a catalog in PostgreSQL, so that every
/// server of the schema knows the same accounts and sessions
/// ([`PostgresAccounts`](super::PostgresAccounts)). The tables of `accounts.sqlite`.
const ACCOUNTS: &str = "
CREATE TABLE IF NOT EXISTS organisation (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS account (
    login TEXT PRIMARY KEY, org TEXT REFERENCES organisation (id), role TEXT NOT NULL,
    password_hash TEXT NOT NULL, disabled BIGINT NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS session (
    id_hash TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES account (login), csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, client TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS session_login ON session (login);
CREATE TABLE IF NOT EXISTS api_token (
    id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, login TEXT NOT NULL REFERENCES account (login),
    name TEXT NOT NULL, scope TEXT NOT NULL, created_at BIGINT NOT NULL,
    last_used_at BIGINT, revoked_at BIGINT);
CREATE TABLE IF NOT EXISTS login_failure (subject TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS login_failure_subject ON login_failure (subject, at_ms);
CREATE TABLE IF NOT EXISTS audit (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL,
    action TEXT NOT NULL, target TEXT NOT NULL, client TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
";

/// Step 2 (issue 17): one row per non-public object (kind `dataset` or `perimeter`),
/// one per organisation it is shared with; an object without a row is public. The
/// same text on both databases.
const VISIBILITY: &str = "
CREATE TABLE IF NOT EXISTS object_visibility (
    kind TEXT NOT NULL CHECK (kind IN ('dataset', 'perimeter')), id TEXT NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('shared', 'private')), owner TEXT NOT NULL,
    PRIMARY KEY (kind, id));
CREATE TABLE IF NOT EXISTS object_share (
    kind TEXT NOT NULL, id TEXT NOT NULL, org TEXT NOT NULL,
    PRIMARY KEY (kind, id, org));
";

/// The table of applied steps, in each dialect.
fn tracking(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (datetime('now')))"
        }
        Dialect::Postgres => {
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'))"
        }
    }
}

/// The last step applied (0 for none); an error if the table is missing.
pub(crate) fn applied(db: &dyn Backend) -> Result<i64, StoreError> {
    let rows = db.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", &[])?;
    rows.first().map(|r| r[0].int()).transpose().map(|v| v.unwrap_or(0))
}

/// The number of the last step this binary knows.
pub(crate) fn latest() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies the steps `db` lacks, all in one write transaction (so two processes opening
/// a new catalog at once apply each step once); refuses a catalog of a newer binary.
pub(crate) fn apply(db: &dyn Backend) -> Result<(), StoreError> {
    let known = latest();
    // The common case reads one number and writes nothing.
    match applied(db) {
        Ok(found) if found == known => return Ok(()),
        Ok(found) if found > known => return Err(StoreError::NewerCatalog { found, known }),
        _ => {}
    }
    in_write(db, || {
        db.batch(tracking(db.dialect()))?;
        let found = applied(db)?;
        if found > known {
            return Err(StoreError::NewerCatalog { found, known });
        }
        for step in MIGRATIONS.iter().filter(|m| m.version > found) {
            db.batch(match db.dialect() {
                Dialect::Sqlite => step.sqlite,
                Dialect::Postgres => step.postgres,
            })?;
            db.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[step.version.into(), step.name.into()],
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order_from_one() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            assert!(!m.sqlite.trim().is_empty() && !m.postgres.trim().is_empty(), "{}", m.name);
        }
    }
}
