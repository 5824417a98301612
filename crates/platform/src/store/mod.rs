//! Where accounts, sessions, tokens, login failures and the audit log are kept: the
//! narrow [`AccountStore`] trait (rows in, rows out, no rule: the rules are
//! [`crate::Accounts`]'), with an embedded SQLite implementation ([`SqliteAccounts`]).
//! Every method is one statement or one short transaction of portable SQL, so that a
//! PostgreSQL implementation is a translation.

mod sqlite;

pub use sqlite::{ACCOUNTS_FILE, SqliteAccounts};

use crate::account::{Account, AccountError, Organisation};
use crate::audit::{AuditEntry, AuditQuery};
use crate::session::SessionRecord;
use crate::token::TokenInfo;

/// The storage of the account rules. Times are Unix seconds, except login failures'
/// (Unix milliseconds).
pub trait AccountStore: Send + Sync {
    /// Adds an organisation; [`AccountError::Exists`] if its id is taken.
    fn add_organisation(&self, org: &Organisation) -> Result<(), AccountError>;
    /// Every organisation, by id.
    fn organisations(&self) -> Result<Vec<Organisation>, AccountError>;

    /// Adds an account with its password's PHC string; [`AccountError::Exists`] if its login is taken.
    fn add_account(&self, account: &Account, password_hash: &str) -> Result<(), AccountError>;
    /// An account and its password's PHC string.
    fn account(&self, login: &str) -> Result<Option<(Account, String)>, AccountError>;
    /// Every account, by login.
    fn accounts(&self) -> Result<Vec<Account>, AccountError>;
    /// Whether any account exists.
    fn has_accounts(&self) -> Result<bool, AccountError>;
    /// Sets the disabled flag; false if no such account.
    fn set_disabled(&self, login: &str, disabled: bool) -> Result<bool, AccountError>;
    /// Replaces the password's PHC string; false if no such account.
    fn set_password_hash(&self, login: &str, hash: &str) -> Result<bool, AccountError>;

    /// Adds a session.
    fn add_session(&self, session: &SessionRecord) -> Result<(), AccountError>;
    /// The session of a hashed id.
    fn session(&self, id_hash: &str) -> Result<Option<SessionRecord>, AccountError>;
    /// Removes a session.
    fn remove_session(&self, id_hash: &str) -> Result<(), AccountError>;
    /// Removes every session of an account.
    fn remove_sessions_of(&self, login: &str) -> Result<(), AccountError>;
    /// Removes the sessions expired at `now`.
    fn remove_expired_sessions(&self, now: i64) -> Result<(), AccountError>;

    /// Adds a token with the hash of its secret.
    fn add_token(&self, token: &TokenInfo, secret_hash: &str) -> Result<(), AccountError>;
    /// The token of a secret's hash.
    fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenInfo>, AccountError>;
    /// The secret hash of a token, to move it to another store.
    fn token_hash(&self, id: &str) -> Result<Option<String>, AccountError>;
    /// Every token, newest first.
    fn tokens(&self) -> Result<Vec<TokenInfo>, AccountError>;
    /// Marks a token revoked at `at`; false if no such token or already revoked.
    fn revoke_token(&self, id: &str, at: i64) -> Result<bool, AccountError>;
    /// Records a token's use at `at`.
    fn touch_token(&self, id: &str, at: i64) -> Result<(), AccountError>;

    /// Records a failed login of a subject (`login:…`, `addr:…`) at `at_ms`, and forgets
    /// every failure before `forget_before_ms`.
    fn record_failure(&self, subject: &str, at_ms: i64, forget_before_ms: i64) -> Result<(), AccountError>;
    /// The failures of a subject at or after `since_ms`.
    fn failures(&self, subject: &str, since_ms: i64) -> Result<Vec<i64>, AccountError>;
    /// Forgets a subject's failures.
    fn clear_failures(&self, subject: &str) -> Result<(), AccountError>;

    /// Appends a line to the audit log.
    fn append_audit(&self, entry: &AuditEntry) -> Result<(), AccountError>;
    /// Lines of the audit log, newest first.
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AccountError>;
}
