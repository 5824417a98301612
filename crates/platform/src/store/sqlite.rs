//! The embedded account store: `accounts.sqlite`, a sibling of the store's
//! `catalog.sqlite` rather than tables inside it. Sessions, token uses, login failures
//! and audit lines are written on every login and every read of a private dataset: in
//! the catalog they would queue behind imports on SQLite's one writer, and they must
//! not move the catalog's version (which makes every server read the store again).
//! Being in the store folder, `--store` still selects both, and a copy of the folder is
//! a whole backup.
//!
//! The file is created by the first write (an account, an organisation, a failed
//! login): a store without it has no account, and reading it creates nothing (tests
//! read the shared test store in place). The schema is versioned: migrations are
//! numbered and applied in order, each in its own transaction, on opening.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::AccountStore;
use crate::Role;
use crate::account::{Account, AccountError, Organisation};
use crate::audit::{Action, AuditEntry, AuditQuery};
use crate::session::SessionRecord;
use crate::token::{Scope, TokenInfo};

/// The file's name in the store folder.
pub const ACCOUNTS_FILE: &str = "accounts.sqlite";

/// The schema, one migration a step (portable SQL: TEXT, BIGINT, INTEGER flags).
const MIGRATIONS: &[&str] = &["
CREATE TABLE organisation (id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE account (
    login TEXT PRIMARY KEY, org TEXT REFERENCES organisation (id), role TEXT NOT NULL,
    password_hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created_at BIGINT NOT NULL);
CREATE TABLE session (
    id_hash TEXT PRIMARY KEY, login TEXT NOT NULL REFERENCES account (login), csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, client TEXT NOT NULL);
CREATE INDEX session_login ON session (login);
CREATE TABLE api_token (
    id TEXT PRIMARY KEY, secret_hash TEXT NOT NULL UNIQUE, login TEXT NOT NULL REFERENCES account (login),
    name TEXT NOT NULL, scope TEXT NOT NULL, created_at BIGINT NOT NULL,
    last_used_at BIGINT, revoked_at BIGINT);
CREATE TABLE login_failure (subject TEXT NOT NULL, at_ms BIGINT NOT NULL);
CREATE INDEX login_failure_subject ON login_failure (subject, at_ms);
CREATE TABLE audit (
    seq INTEGER PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL, action TEXT NOT NULL,
    target TEXT NOT NULL, client TEXT NOT NULL, detail TEXT NOT NULL);
CREATE INDEX audit_at ON audit (at);
"];

/// The account store in a SQLite file.
pub struct SqliteAccounts {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl SqliteAccounts {
    /// The store of the file at `path`, opened now if it exists, else at the first write.
    pub fn open(path: &Path) -> Result<SqliteAccounts, AccountError> {
        let conn = if path.is_file() { Some(connect(path)?) } else { None };
        Ok(SqliteAccounts { path: path.to_path_buf(), conn: Mutex::new(conn) })
    }

    /// The store of the account file in a store folder.
    pub fn in_store(root: &Path) -> Result<SqliteAccounts, AccountError> {
        SqliteAccounts::open(&root.join(ACCOUNTS_FILE))
    }

    /// The schema version of the file (0 before it exists).
    pub fn schema_version(&self) -> Result<usize, AccountError> {
        self.read(0, schema_version)
    }

    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Runs a read; `empty` when the file does not exist yet.
    fn read<T>(&self, empty: T, f: impl FnOnce(&Connection) -> Result<T, AccountError>) -> Result<T, AccountError> {
        let mut guard = self.lock();
        if guard.is_none() && self.path.is_file() {
            *guard = Some(connect(&self.path)?);
        }
        match guard.as_ref() {
            Some(c) => f(c),
            None => Ok(empty),
        }
    }

    /// Runs a write, creating the file if needed.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> Result<T, AccountError>) -> Result<T, AccountError> {
        let mut guard = self.lock();
        if guard.is_none() {
            *guard = Some(connect(&self.path)?);
        }
        f(guard.as_ref().expect("connected"))
    }
}

fn connect(path: &Path) -> Result<Connection, AccountError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    migrate(&mut conn)?;
    Ok(conn)
}

fn schema_version(conn: &Connection) -> Result<usize, AccountError> {
    let v: Option<i64> = conn.query_row("SELECT MAX(version) FROM schema_migration", [], |r| r.get(0))?;
    Ok(v.unwrap_or(0) as usize)
}

/// Applies the migrations the file lacks, each in its own transaction.
fn migrate(conn: &mut Connection) -> Result<(), AccountError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migration (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )?;
    let done = schema_version(conn)?;
    if done > MIGRATIONS.len() {
        return Err(AccountError::Storage(format!(
            "schéma de version {done}, plus récent que celui de ce programme ({}) : mettez echelle à jour",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        // Another process may have applied it meanwhile.
        if schema_version(&tx)? > i {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.execute(
            "INSERT INTO schema_migration (version, applied_at) VALUES (?1, ?2)",
            params![(i + 1) as i64, crate::audit::now_seconds()],
        )?;
        tx.commit()?;
    }
    Ok(())
}

fn parse_role(s: &str) -> rusqlite::Result<Role> {
    Role::parse(s).ok_or_else(|| invalid(format!("rôle inconnu « {s} »")))
}

fn invalid(message: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, message.into())
}

/// A uniqueness violation as [`AccountError::Exists`].
fn exists(e: rusqlite::Error, what: String) -> AccountError {
    match e {
        rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            AccountError::Exists(what)
        }
        e => e.into(),
    }
}

fn account_row(r: &Row<'_>) -> rusqlite::Result<(Account, String)> {
    Ok((
        Account {
            login: r.get(0)?,
            org: r.get(1)?,
            role: parse_role(&r.get::<_, String>(2)?)?,
            disabled: r.get::<_, i64>(3)? != 0,
            created_at: r.get(4)?,
        },
        r.get(5)?,
    ))
}

const ACCOUNT_COLUMNS: &str = "login, org, role, disabled, created_at, password_hash";
const TOKEN_COLUMNS: &str = "id, login, name, scope, created_at, last_used_at, revoked_at";

fn token_row(r: &Row<'_>) -> rusqlite::Result<TokenInfo> {
    let scope: String = r.get(3)?;
    Ok(TokenInfo {
        id: r.get(0)?,
        login: r.get(1)?,
        name: r.get(2)?,
        scope: Scope::parse(&scope).ok_or_else(|| invalid(format!("portée inconnue « {scope} »")))?,
        created_at: r.get(4)?,
        last_used_at: r.get(5)?,
        revoked_at: r.get(6)?,
    })
}

impl AccountStore for SqliteAccounts {
    fn add_organisation(&self, org: &Organisation) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute("INSERT INTO organisation (id, name) VALUES (?1, ?2)", params![org.id, org.name])
                .map_err(|e| exists(e, format!("l'organisation « {} » existe déjà", org.id)))?;
            Ok(())
        })
    }

    fn organisations(&self) -> Result<Vec<Organisation>, AccountError> {
        self.read(Vec::new(), |c| {
            let mut stmt = c.prepare("SELECT id, name FROM organisation ORDER BY id")?;
            let rows = stmt.query_map([], |r| Ok(Organisation { id: r.get(0)?, name: r.get(1)? }))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn add_account(&self, a: &Account, password_hash: &str) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO account (login, org, role, password_hash, disabled, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![a.login, a.org, a.role.as_str(), password_hash, a.disabled as i64, a.created_at],
            )
            .map_err(|e| exists(e, format!("le compte « {} » existe déjà", a.login)))?;
            Ok(())
        })
    }

    fn account(&self, login: &str) -> Result<Option<(Account, String)>, AccountError> {
        self.read(None, |c| {
            Ok(c.query_row(&format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE login = ?1"), [login], account_row)
                .optional()?)
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, AccountError> {
        self.read(Vec::new(), |c| {
            let mut stmt = c.prepare(&format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY login"))?;
            let rows = stmt.query_map([], |r| account_row(r).map(|(a, _)| a))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn has_accounts(&self) -> Result<bool, AccountError> {
        self.read(false, |c| Ok(c.query_row("SELECT EXISTS (SELECT 1 FROM account)", [], |r| r.get::<_, i64>(0))? != 0))
    }

    fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool, AccountError> {
        self.read(false, |c| {
            Ok(c.execute("UPDATE account SET disabled = ?2 WHERE login = ?1", params![login, disabled as i64])? > 0)
        })
    }

    fn set_password_hash(&self, login: &str, hash: &str) -> Result<bool, AccountError> {
        self.read(false, |c| {
            Ok(c.execute("UPDATE account SET password_hash = ?2 WHERE login = ?1", params![login, hash])? > 0)
        })
    }

    fn add_session(&self, s: &SessionRecord) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO session (id_hash, login, csrf, created_at, expires_at, client) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.id_hash, s.login, s.csrf, s.created_at, s.expires_at, s.from],
            )?;
            Ok(())
        })
    }

    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, AccountError> {
        self.read(None, |c| {
            Ok(c.query_row(
                "SELECT id_hash, login, csrf, created_at, expires_at, client FROM session WHERE id_hash = ?1",
                [id_hash],
                |r| {
                    Ok(SessionRecord {
                        id_hash: r.get(0)?,
                        login: r.get(1)?,
                        csrf: r.get(2)?,
                        created_at: r.get(3)?,
                        expires_at: r.get(4)?,
                        from: r.get(5)?,
                    })
                },
            )
            .optional()?)
        })
    }

    fn remove_session(&self, id_hash: &str) -> Result<(), AccountError> {
        self.read((), |c| {
            c.execute("DELETE FROM session WHERE id_hash = ?1", [id_hash])?;
            Ok(())
        })
    }

    fn remove_sessions_of(&self, login: &str) -> Result<(), AccountError> {
        self.read((), |c| {
            c.execute("DELETE FROM session WHERE login = ?1", [login])?;
            Ok(())
        })
    }

    fn remove_expired_sessions(&self, now: i64) -> Result<(), AccountError> {
        self.read((), |c| {
            c.execute("DELETE FROM session WHERE expires_at <= ?1", [now])?;
            Ok(())
        })
    }

    fn add_token(&self, t: &TokenInfo, secret_hash: &str) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO api_token (id, secret_hash, login, name, scope, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![t.id, secret_hash, t.login, t.name, t.scope.as_str(), t.created_at],
            )
            .map_err(|e| exists(e, format!("le jeton « {} » existe déjà", t.id)))?;
            Ok(())
        })
    }

    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenInfo>, AccountError> {
        self.read(None, |c| {
            Ok(c.query_row(
                &format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE secret_hash = ?1"),
                [secret_hash],
                token_row,
            )
            .optional()?)
        })
    }

    fn token_hash(&self, id: &str) -> Result<Option<String>, AccountError> {
        self.read(None, |c| {
            Ok(c.query_row("SELECT secret_hash FROM api_token WHERE id = ?1", [id], |r| r.get(0)).optional()?)
        })
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>, AccountError> {
        self.read(Vec::new(), |c| {
            let mut stmt = c.prepare(&format!("SELECT {TOKEN_COLUMNS} FROM api_token ORDER BY created_at DESC, id"))?;
            let rows = stmt.query_map([], token_row)?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn revoke_token(&self, id: &str, at: i64) -> Result<bool, AccountError> {
        self.read(false, |c| {
            Ok(c.execute("UPDATE api_token SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL", params![id, at])?
                > 0)
        })
    }

    fn touch_token(&self, id: &str, at: i64) -> Result<(), AccountError> {
        self.read((), |c| {
            c.execute("UPDATE api_token SET last_used_at = ?2 WHERE id = ?1", params![id, at])?;
            Ok(())
        })
    }

    fn record_failure(&self, subject: &str, at_ms: i64, forget_before_ms: i64) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute("DELETE FROM login_failure WHERE at_ms < ?1", [forget_before_ms])?;
            c.execute("INSERT INTO login_failure (subject, at_ms) VALUES (?1, ?2)", params![subject, at_ms])?;
            Ok(())
        })
    }

    fn failures(&self, subject: &str, since_ms: i64) -> Result<Vec<i64>, AccountError> {
        self.read(Vec::new(), |c| {
            let mut stmt = c.prepare("SELECT at_ms FROM login_failure WHERE subject = ?1 AND at_ms >= ?2")?;
            let rows = stmt.query_map(params![subject, since_ms], |r| r.get(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }

    fn clear_failures(&self, subject: &str) -> Result<(), AccountError> {
        self.read((), |c| {
            c.execute("DELETE FROM login_failure WHERE subject = ?1", [subject])?;
            Ok(())
        })
    }

    fn append_audit(&self, e: &AuditEntry) -> Result<(), AccountError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO audit (at, who, action, target, client, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![e.at, e.who, e.action.as_str(), e.target, e.from, e.detail],
            )?;
            Ok(())
        })
    }

    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, AccountError> {
        self.read(Vec::new(), |c| {
            let mut stmt = c.prepare(
                "SELECT at, who, action, target, client, detail FROM audit
                 WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR who = ?3)
                 ORDER BY seq DESC LIMIT ?4",
            )?;
            let rows =
                stmt.query_map(params![q.since, q.action.map(Action::as_str), q.who, q.limit() as i64], |r| {
                    let action: String = r.get(2)?;
                    Ok(AuditEntry {
                        at: r.get(0)?,
                        who: r.get(1)?,
                        action: Action::parse(&action)
                            .ok_or_else(|| invalid(format!("action inconnue « {action} »")))?,
                        target: r.get(3)?,
                        from: r.get(4)?,
                        detail: r.get(5)?,
                    })
                })?;
            Ok(rows.collect::<Result<_, _>>()?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_created_by_the_first_write_and_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(ACCOUNTS_FILE);
        let s = SqliteAccounts::open(&path).unwrap();
        assert!(
            !s.has_accounts().unwrap() && s.accounts().unwrap().is_empty() && s.failures("x", 0).unwrap().is_empty()
        );
        assert!(!path.exists(), "reading creates nothing");
        s.add_organisation(&Organisation { id: "cci".into(), name: "CCI".into() }).unwrap();
        assert!(path.is_file());
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
        let again = SqliteAccounts::open(&path).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len());
        assert!(matches!(
            again.add_organisation(&Organisation { id: "cci".into(), name: "x".into() }),
            Err(AccountError::Exists(_))
        ));
        let a = Account {
            login: "ana".into(),
            org: Some("cci".into()),
            role: Role::Analyst,
            disabled: false,
            created_at: 1,
        };
        again.add_account(&a, "$argon2id$x").unwrap();
        assert_eq!(s.account("ana").unwrap(), Some((a, "$argon2id$x".to_string())), "seen by the other handle");
        let orphan = Account {
            login: "bob".into(),
            org: Some("nowhere".into()),
            role: Role::Analyst,
            disabled: false,
            created_at: 1,
        };
        assert!(s.add_account(&orphan, "h").is_err(), "an unknown organisation is refused by the schema");
        s.record_failure("login:ana", 100, 0).unwrap();
        s.record_failure("login:ana", 200, 0).unwrap();
        assert_eq!(s.failures("login:ana", 150).unwrap(), [200]);
        s.record_failure("login:bob", 300, 150).unwrap();
        assert_eq!(s.failures("login:ana", 0).unwrap(), [200], "older failures forgotten");
    }
}
