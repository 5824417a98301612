//! The platform's account store beside a catalog in PostgreSQL: the tables of
//! `accounts.sqlite` in the catalog's schema (migration step 3), so that every
//! `echelle serve` of the store knows the same accounts, sessions, tokens, login
//! failures and audit log: a session opened on one server is valid on the others at
//! once, and a brute-force loop spread over servers meets one lockout.
//!
//! ```text
//!  Accounts (the rules, echelle-platform) ──dyn AccountStore──> PostgresAccounts
//!      └─ each call: an idle catalog connection of Connections (or a new one), given back
//! ```
//!
//! Writes are single statements: none takes the catalog's write lock, so a login never
//! waits for an import's transaction, and none moves the catalog's version.

use echelle_platform::account::{Account, AccountError, Organisation};
use echelle_platform::audit::{Action, AuditEntry, AuditQuery};
use echelle_platform::session::SessionRecord;
use echelle_platform::token::{Scope, TokenInfo};
use echelle_platform::{AccountStore, Role};

use super::{Catalog, Connections, PostgresLocation, Value};
use crate::StoreError;

/// The account store in the PostgreSQL schema of a catalog.
pub struct PostgresAccounts {
    location: PostgresLocation,
    connections: Connections,
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        AccountError::Storage(e.to_string())
    }
}

impl PostgresAccounts {
    /// The account store of the catalog at `location`, on connections of `connections`
    /// (the server's own, shared with its catalog); migrates the schema now.
    pub fn open(location: &PostgresLocation, connections: &Connections) -> Result<Self, StoreError> {
        Catalog::open_postgres_with(location, connections)?;
        Ok(PostgresAccounts { location: location.clone(), connections: connections.clone() })
    }

    fn execute(&self, sql: &str, params: &[Value]) -> Result<u64, AccountError> {
        Ok(self.catalog()?.db.execute(sql, params)?)
    }

    fn query(&self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, AccountError> {
        Ok(self.catalog()?.db.query(sql, params)?)
    }

    fn catalog(&self) -> Result<Catalog, StoreError> {
        Catalog::open_postgres_with(&self.location, &self.connections)
    }
}

/// Copies the accounts, organisations, API tokens (their hashes) and audit log of `from`
/// into `into`, which must hold none: what moving a store's catalog into PostgreSQL
/// carries with it. Sessions are not carried (their holders log in again).
pub(crate) fn copy(from: &dyn AccountStore, into: &PostgresAccounts) -> Result<(), AccountError> {
    if into.has_accounts()? || !into.organisations()?.is_empty() {
        return Err(AccountError::Invalid(
            "la base PostgreSQL de destination a déjà des comptes : aucun n'a été copié".into(),
        ));
    }
    for org in from.organisations()? {
        into.add_organisation(&org)?;
    }
    for account in from.accounts()? {
        let (account, hash) = from.account(&account.login)?.expect("listed");
        into.add_account(&account, &hash)?;
    }
    for token in from.tokens()?.into_iter().rev() {
        if let Some(hash) = from.token_hash(&token.id)? {
            into.add_token(&token, &hash)?;
            if let Some(at) = token.revoked_at {
                into.revoke_token(&token.id, at)?;
            }
            if let Some(at) = token.last_used_at {
                into.touch_token(&token.id, at)?;
            }
        }
    }
    let all = AuditQuery { limit: Some(echelle_platform::audit::MAX_AUDIT_LINES), ..Default::default() };
    for line in from.audit(&all)?.into_iter().rev() {
        into.append_audit(&line)?;
    }
    Ok(())
}

fn text(v: &Value) -> Result<String, AccountError> {
    v.clone().text().map_err(AccountError::from)
}

fn int(v: &Value) -> Result<i64, AccountError> {
    v.int().map_err(AccountError::from)
}

fn optional_text(v: &Value) -> Result<Option<String>, AccountError> {
    if *v == Value::Null { Ok(None) } else { text(v).map(Some) }
}

fn optional_int(v: &Value) -> Result<Option<i64>, AccountError> {
    if *v == Value::Null { Ok(None) } else { int(v).map(Some) }
}

fn unknown(what: &str, value: &str) -> AccountError {
    AccountError::Storage(format!("{what} inconnu(e) « {value} » dans la base"))
}

fn nullable(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

const ACCOUNT_COLUMNS: &str = "login, org, role, disabled, created_at, password_hash";
const TOKEN_COLUMNS: &str = "id, login, name, scope, created_at, last_used_at, revoked_at";
const SESSION_COLUMNS: &str = "id_hash, login, csrf, created_at, expires_at, client";

fn account_row(r: &[Value]) -> Result<(Account, String), AccountError> {
    let role = text(&r[2])?;
    Ok((
        Account {
            login: text(&r[0])?,
            org: optional_text(&r[1])?,
            role: Role::parse(&role).ok_or_else(|| unknown("rôle", &role))?,
            disabled: int(&r[3])? != 0,
            created_at: int(&r[4])?,
        },
        text(&r[5])?,
    ))
}

fn token_row(r: &[Value]) -> Result<TokenInfo, AccountError> {
    let scope = text(&r[3])?;
    Ok(TokenInfo {
        id: text(&r[0])?,
        login: text(&r[1])?,
        name: text(&r[2])?,
        scope: Scope::parse(&scope).ok_or_else(|| unknown("portée", &scope))?,
        created_at: int(&r[4])?,
        last_used_at: optional_int(&r[5])?,
        revoked_at: optional_int(&r[6])?,
    })
}

fn session_row(r: &[Value]) -> Result<SessionRecord, AccountError> {
    Ok(SessionRecord {
        id_hash: text(&r[0])?,
        login: text(&r[1])?,
        csrf: text(&r[2])?,
        created_at: int(&r[3])?,
        expires_at: int(&r[4])?,
        from: text(&r[5])?,
    })
}

fn audit_row(r: &[Value]) -> Result<AuditEntry, AccountError> {
    let action = text(&r[2])?;
    Ok(AuditEntry {
        at: int(&r[0])?,
        who: text(&r[1])?,
        action: Action::parse(&action).ok_or_else(|| unknown("action", &action))?,
        target: text(&r[3])?,
        from: text(&r[4])?,
        detail: text(&r[5])?,
    })
}

impl AccountStore for PostgresAccounts {
    fn add_organisation(&self, org: &Organisation) -> Result<(), AccountError> {
        let added = self.execute(
            "INSERT INTO organisation (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[org.id.as_str().into(), org.name.as_str().into()],
        )?;
        if added == 0 {
            return Err(AccountError::Exists(format!("l'organisation « {} » existe déjà", org.id)));
        }
        Ok(())
    }

    fn organisations(&self) -> Result<Vec<Organisation>, AccountError> {
        self.query("SELECT id, name FROM organisation ORDER BY id", &[])?
            .iter()
            .map(|r| Ok(Organisation { id: text(&r[0])?, name: text(&r[1])? }))
            .collect()
    }

    fn add_account(&self, a: &Account, password_hash: &str) -> Result<(), AccountError> {
        let added = self.execute(
            "INSERT INTO account (login, org, role, password_hash, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            &[
                a.login.as_str().into(),
                nullable(a.org.as_deref()),
                a.role.as_str().into(),
                password_hash.into(),
                (a.disabled as i64).into(),
                a.created_at.into(),
            ],
        )?;
        if added == 0 {
            return Err(AccountError::Exists(format!("le compte « {} » existe déjà", a.login)));
        }
        Ok(())
    }

    fn account(&self, login: &str) -> Result<Option<(Account, String)>, AccountError> {
        let rows = self.query(&format!("SELECT {ACCOUNT_COLUMNS} FROM account WHERE login = $1"), &[login.into()])?;
        rows.first().map(|r| account_row(r)).transpose()
    }

    fn accounts(&self) -> Result<Vec<Account>, AccountError> {
        let rows = self.query(&format!("SELECT {ACCOUNT_COLUMNS} FROM account ORDER BY login"), &[])?;
        rows.iter().map(|r| account_row(r).map(|(a, _)| a)).collect()
    }

    fn has_accounts(&self) -> Result<bool, AccountError> {
        Ok(!self.query("SELECT 1 FROM account LIMIT 1", &[])?.is_empty())
    }

    fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool, AccountError> {
        let changed = self
            .execute("UPDATE account SET disabled = $2 WHERE login = $1", &[login.into(), (disabled as i64).into()])?;
        Ok(changed > 0)
    }

    fn set_password_hash(&self, login: &str, hash: &str) -> Result<bool, AccountError> {
        Ok(self.execute("UPDATE account SET password_hash = $2 WHERE login = $1", &[login.into(), hash.into()])? > 0)
    }

    fn add_session(&self, s: &SessionRecord) -> Result<(), AccountError> {
        self.execute(
            &format!("INSERT INTO session ({SESSION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"),
            &[
                s.id_hash.as_str().into(),
                s.login.as_str().into(),
                s.csrf.as_str().into(),
                s.created_at.into(),
                s.expires_at.into(),
                s.from.as_str().into(),
            ],
        )?;
        Ok(())
    }

    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, AccountError> {
        let rows =
            self.query(&format!("SELECT {SESSION_COLUMNS} FROM session WHERE id_hash = $1"), &[id_hash.into()])?;
        rows.first().map(|r| session_row(r)).transpose()
    }

    fn remove_session(&self, id_hash: &str) -> Result<(), AccountError> {
        self.execute("DELETE FROM session WHERE id_hash = $1", &[id_hash.into()]).map(drop)
    }

    fn remove_sessions_of(&self, login: &str) -> Result<(), AccountError> {
        self.execute("DELETE FROM session WHERE login = $1", &[login.into()]).map(drop)
    }

    fn remove_expired_sessions(&self, now: i64) -> Result<(), AccountError> {
        self.execute("DELETE FROM session WHERE expires_at <= $1", &[now.into()]).map(drop)
    }

    fn add_token(&self, t: &TokenInfo, secret_hash: &str) -> Result<(), AccountError> {
        let added = self.execute(
            "INSERT INTO api_token (id, secret_hash, login, name, scope, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
            &[
                t.id.as_str().into(),
                secret_hash.into(),
                t.login.as_str().into(),
                t.name.as_str().into(),
                t.scope.as_str().into(),
                t.created_at.into(),
            ],
        )?;
        if added == 0 {
            return Err(AccountError::Exists(format!("le jeton « {} » existe déjà", t.id)));
        }
        Ok(())
    }

    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenInfo>, AccountError> {
        let rows = self
            .query(&format!("SELECT {TOKEN_COLUMNS} FROM api_token WHERE secret_hash = $1"), &[secret_hash.into()])?;
        rows.first().map(|r| token_row(r)).transpose()
    }

    fn token_hash(&self, id: &str) -> Result<Option<String>, AccountError> {
        let rows = self.query("SELECT secret_hash FROM api_token WHERE id = $1", &[id.into()])?;
        rows.first().map(|r| text(&r[0])).transpose()
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>, AccountError> {
        let rows = self.query(&format!("SELECT {TOKEN_COLUMNS} FROM api_token ORDER BY created_at DESC, id"), &[])?;
        rows.iter().map(|r| token_row(r)).collect()
    }

    fn revoke_token(&self, id: &str, at: i64) -> Result<bool, AccountError> {
        let changed = self.execute(
            "UPDATE api_token SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[id.into(), at.into()],
        )?;
        Ok(changed > 0)
    }

    fn touch_token(&self, id: &str, at: i64) -> Result<(), AccountError> {
        self.execute("UPDATE api_token SET last_used_at = $2 WHERE id = $1", &[id.into(), at.into()]).map(drop)
    }

    fn record_failure(&self, subject: &str, at_ms: i64, forget_before_ms: i64) -> Result<(), AccountError> {
        self.execute("DELETE FROM login_failure WHERE at_ms < $1", &[forget_before_ms.into()])?;
        self.execute("INSERT INTO login_failure (subject, at_ms) VALUES ($1, $2)", &[subject.into(), at_ms.into()])
            .map(drop)
    }

    fn failures(&self, subject: &str, since_ms: i64) -> Result<Vec<i64>, AccountError> {
        let rows = self.query(
            "SELECT at_ms FROM login_failure WHERE subject = $1 AND at_ms >= $2 ORDER BY at_ms",
            &[subject.into(), since_ms.into()],
        )?;
        rows.iter().map(|r| int(&r[0])).collect()
    }

    fn clear_failures(&self, subject: &str) -> Result<(), AccountError> {
        self.execute("DELETE FROM login_failure WHERE subject = $1", &[subject.into()]).map(drop)
    }

    fn append_audit(&self, e: &AuditEntry) -> Result<(), AccountError> {
        self.execute(
            "INSERT INTO audit (at, who, action, target, client, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                e.at.into(),
                e.who.as_str().into(),
                e.action.as_str().into(),
                e.target.as_str().into(),
                e.from.as_str().into(),
                e.detail.as_str().into(),
            ],
        )
        .map(drop)
    }

    fn audit(&self, q: &AuditQuery) -> Result<Vec<AuditEntry>, AccountError> {
        // Only the filters asked are bound: a NULL has no type PostgreSQL can infer.
        let mut conditions = Vec::new();
        let mut params = Vec::new();
        let mut filter = |condition: &str, value: Value| {
            params.push(value);
            conditions.push(format!("{condition} ${}", params.len()));
        };
        if let Some(since) = q.since {
            filter("at >=", since.into());
        }
        if let Some(action) = q.action {
            filter("action =", action.as_str().into());
        }
        if let Some(who) = &q.who {
            filter("who =", who.as_str().into());
        }
        let mut sql = String::from("SELECT at, who, action, target, client, detail FROM audit");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT {}", q.limit()));
        self.query(&sql, &params)?.iter().map(|r| audit_row(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use echelle_platform::SqliteAccounts;

    use super::*;
    use crate::testing::backends;

    /// The account store of each backend: a file in `dir`, a fresh PostgreSQL schema.
    fn stores(dir: &std::path::Path) -> Vec<Arc<dyn AccountStore>> {
        backends()
            .iter()
            .map(|b| match b.fresh_location() {
                Some(l) => {
                    Arc::new(PostgresAccounts::open(&l, &Connections::default()).unwrap()) as Arc<dyn AccountStore>
                }
                None => Arc::new(SqliteAccounts::open(&dir.join("accounts.sqlite")).unwrap()),
            })
            .collect()
    }

    fn account(login: &str, org: Option<&str>, role: Role) -> Account {
        Account { login: login.into(), org: org.map(str::to_string), role, disabled: false, created_at: 10 }
    }

    fn token(id: &str, created_at: i64) -> TokenInfo {
        TokenInfo {
            id: id.into(),
            login: "ana".into(),
            name: format!("script {id}"),
            scope: Scope::Read,
            created_at,
            last_used_at: None,
            revoked_at: None,
        }
    }

    fn line(at: i64, who: &str, action: Action) -> AuditEntry {
        AuditEntry { at, who: who.into(), action, target: "t".into(), from: "cli".into(), detail: String::new() }
    }

    #[test]
    fn every_backend_keeps_the_same_rows_and_refuses_the_same_things() {
        let dir = tempfile::tempdir().unwrap();
        for s in stores(dir.path()) {
            assert!(!s.has_accounts().unwrap());
            s.add_organisation(&Organisation { id: "cci".into(), name: "CCI".into() }).unwrap();
            let again = s.add_organisation(&Organisation { id: "cci".into(), name: "x".into() });
            assert!(matches!(again, Err(AccountError::Exists(_))), "{again:?}");
            let ana = account("ana", Some("cci"), Role::Analyst);
            s.add_account(&ana, "$argon2id$a").unwrap();
            s.add_account(&account("root", None, Role::Admin), "$argon2id$r").unwrap();
            assert!(matches!(s.add_account(&ana, "h"), Err(AccountError::Exists(_))));
            assert!(s.add_account(&account("bob", Some("nulle-part"), Role::Analyst), "h").is_err());
            assert_eq!(s.account("ana").unwrap(), Some((ana.clone(), "$argon2id$a".to_string())));
            assert_eq!(s.accounts().unwrap().iter().map(|a| a.login.as_str()).collect::<Vec<_>>(), ["ana", "root"]);
            assert!(s.set_disabled("ana", true).unwrap() && !s.set_disabled("zoe", true).unwrap());
            assert!(s.account("ana").unwrap().unwrap().0.disabled);
            assert!(s.set_password_hash("root", "$argon2id$r2").unwrap());
            assert_eq!(s.account("root").unwrap().unwrap().1, "$argon2id$r2");

            let session = SessionRecord {
                id_hash: "h1".into(),
                login: "ana".into(),
                csrf: "c".into(),
                created_at: 1,
                expires_at: 100,
                from: "192.0.2.1".into(),
            };
            s.add_session(&session).unwrap();
            s.add_session(&SessionRecord { id_hash: "h2".into(), expires_at: 1000, ..session.clone() }).unwrap();
            assert_eq!(s.session("h1").unwrap(), Some(session));
            s.remove_expired_sessions(100).unwrap();
            assert!(s.session("h1").unwrap().is_none() && s.session("h2").unwrap().is_some());
            s.remove_sessions_of("ana").unwrap();
            assert!(s.session("h2").unwrap().is_none());

            s.add_token(&token("t1", 5), "hash1").unwrap();
            s.add_token(&token("t2", 6), "hash2").unwrap();
            assert!(matches!(s.add_token(&token("t3", 7), "hash1"), Err(AccountError::Exists(_))), "same secret");
            assert_eq!(s.token_by_hash("hash2").unwrap(), Some(token("t2", 6)));
            assert_eq!(s.token_hash("t1").unwrap().as_deref(), Some("hash1"));
            assert_eq!(s.tokens().unwrap().iter().map(|t| t.id.as_str()).collect::<Vec<_>>(), ["t2", "t1"]);
            s.touch_token("t1", 50).unwrap();
            assert!(s.revoke_token("t1", 60).unwrap() && !s.revoke_token("t1", 70).unwrap());
            let t1 = s.token_by_hash("hash1").unwrap().unwrap();
            assert_eq!((t1.last_used_at, t1.revoked_at), (Some(50), Some(60)));

            s.record_failure("login:ana", 100, 0).unwrap();
            s.record_failure("login:ana", 200, 0).unwrap();
            assert_eq!(s.failures("login:ana", 150).unwrap(), [200]);
            s.record_failure("login:bob", 300, 150).unwrap();
            assert_eq!(s.failures("login:ana", 0).unwrap(), [200], "older failures forgotten");
            s.clear_failures("login:ana").unwrap();
            assert!(s.failures("login:ana", 0).unwrap().is_empty());

            s.append_audit(&line(1, "root", Action::Login)).unwrap();
            s.append_audit(&line(2, "ana", Action::Read)).unwrap();
            s.append_audit(&line(3, "root", Action::Read)).unwrap();
            let read = |q: AuditQuery| s.audit(&q).unwrap().iter().map(|e| e.at).collect::<Vec<_>>();
            assert_eq!(read(AuditQuery::default()), [3, 2, 1], "newest first");
            assert_eq!(read(AuditQuery { action: Some(Action::Read), ..Default::default() }), [3, 2]);
            assert_eq!(read(AuditQuery { who: Some("root".into()), since: Some(2), ..Default::default() }), [3]);
            assert_eq!(read(AuditQuery { limit: Some(1), ..Default::default() }), [3]);
        }
    }

    #[test]
    fn moving_the_catalog_into_postgres_carries_the_accounts() {
        for backend in backends() {
            let Some(location) = backend.fresh_location() else { continue };
            let dir = tempfile::tempdir().unwrap();
            let local = SqliteAccounts::in_store(dir.path()).unwrap();
            local.add_organisation(&Organisation { id: "cci".into(), name: "CCI".into() }).unwrap();
            local.add_account(&account("ana", Some("cci"), Role::Analyst), "$argon2id$a").unwrap();
            local.add_token(&token("t1", 5), "hash1").unwrap();
            local.revoke_token("t1", 9).unwrap();
            local.append_audit(&line(1, "root", Action::Login)).unwrap();
            local.append_audit(&line(2, "ana", Action::Read)).unwrap();
            crate::Store::open(dir.path()).unwrap().move_catalog(&location).unwrap();

            let moved = crate::account_store(dir.path(), &Connections::default()).unwrap();
            assert_eq!(moved.account("ana").unwrap(), local.account("ana").unwrap());
            assert_eq!(moved.organisations().unwrap(), local.organisations().unwrap());
            assert_eq!(moved.token_by_hash("hash1").unwrap(), local.token_by_hash("hash1").unwrap());
            assert_eq!(moved.audit(&AuditQuery::default()).unwrap(), local.audit(&AuditQuery::default()).unwrap());
            // A new account goes to PostgreSQL, not to the file left behind.
            moved.add_account(&account("zoe", Some("cci"), Role::Analyst), "h").unwrap();
            assert!(local.account("zoe").unwrap().is_none());
        }
    }
}
