//! The audit log: who did what, when, from where. Logins, failed logins, logouts,
//! imports, exports, reads of non-public datasets and every administration change.
//! Appended to the account store, read by administrators (API, CLI) and exported as
//! CSV through `echelle-report` (the columns and cells are [`COLUMNS`] and
//! [`AuditEntry::cells`]). It never holds a password, a token or a session id.

use serde::{Deserialize, Serialize};

use crate::Viewer;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A session opened.
    Login,
    /// A login refused: wrong password, unknown or disabled account, throttled.
    LoginFailed,
    /// A session closed.
    Logout,
    /// A dataset or catalog imported.
    Import,
    /// A table, layer or document exported.
    Export,
    /// A non-public dataset read.
    Read,
    /// An organisation created.
    OrganisationCreated,
    /// An account created.
    AccountCreated,
    /// An account disabled.
    AccountDisabled,
    /// An account enabled again.
    AccountEnabled,
    /// An account's password changed.
    PasswordChanged,
    /// An API token created.
    TokenCreated,
    /// An API token revoked.
    TokenRevoked,
    /// A step on a request of the desk (its case history has the detail).
    DeskStep,
}

impl Action {
    /// Every action, in the order of the declaration.
    pub const ALL: [Action; 14] = [
        Action::Login,
        Action::LoginFailed,
        Action::Logout,
        Action::Import,
        Action::Export,
        Action::Read,
        Action::OrganisationCreated,
        Action::AccountCreated,
        Action::AccountDisabled,
        Action::AccountEnabled,
        Action::PasswordChanged,
        Action::TokenCreated,
        Action::TokenRevoked,
        Action::DeskStep,
    ];

    /// The word stored and exported.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::LoginFailed => "login_failed",
            Action::Logout => "logout",
            Action::Import => "import",
            Action::Export => "export",
            Action::Read => "read",
            Action::OrganisationCreated => "organisation_created",
            Action::AccountCreated => "account_created",
            Action::AccountDisabled => "account_disabled",
            Action::AccountEnabled => "account_enabled",
            Action::PasswordChanged => "password_changed",
            Action::TokenCreated => "token_created",
            Action::TokenRevoked => "token_revoked",
            Action::DeskStep => "desk_step",
        }
    }

    /// The action of a stored word.
    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Who acts, and from where: the audit's "who" and "from where".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// A login, `local` (embedded mode, the command line) or `public`.
    pub who: String,
    /// A client address, or `cli`.
    pub from: String,
}

impl Actor {
    /// The viewer of a request from `from`.
    pub fn of(viewer: &Viewer, from: &str) -> Actor {
        let who = match viewer {
            Viewer::Local => "local".to_string(),
            Viewer::Public => "public".to_string(),
            Viewer::Account(p) => p.login.clone(),
        };
        Actor { who, from: from.to_string() }
    }

    /// The command line, run by whoever owns the store.
    pub fn command_line() -> Actor {
        Actor { who: "local".into(), from: "cli".into() }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Unix seconds.
    pub at: i64,
    /// Who: a login, `local` or `public` (for a failed login: the login typed).
    pub who: String,
    /// What.
    pub action: Action,
    /// On what: a login, a dataset id, an organisation, a token id, an export's name.
    pub target: String,
    /// From where: the client address, or `cli`.
    pub from: String,
    /// Anything else worth knowing (why a login failed, a role), never a secret.
    pub detail: String,
}

/// Which lines to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Lines at or after this Unix second.
    pub since: Option<i64>,
    /// Lines of this action only: login, login_failed, logout, import, export, read,
    /// organisation_created, account_created, account_disabled, account_enabled,
    /// password_changed, token_created, token_revoked.
    #[param(value_type = Option<String>)]
    pub action: Option<Action>,
    /// Lines of this actor only.
    pub who: Option<String>,
    /// At most this many lines (default and maximum [`MAX_AUDIT_LINES`]).
    pub limit: Option<usize>,
}

/// The most lines one read gives.
pub const MAX_AUDIT_LINES: usize = 100_000;

impl AuditQuery {
    /// The limit asked, within [1, MAX_AUDIT_LINES].
    pub fn limit(&self) -> usize {
        self.limit.unwrap_or(MAX_AUDIT_LINES).clamp(1, MAX_AUDIT_LINES)
    }
}

/// The columns of the exported log.
pub const COLUMNS: [&str; 6] = ["date (UTC)", "qui", "action", "objet", "depuis", "détail"];

impl AuditEntry {
    /// A line written now.
    pub fn new(actor: &Actor, action: Action, target: &str, detail: &str, now: i64) -> AuditEntry {
        AuditEntry {
            at: now,
            who: actor.who.clone(),
            action,
            target: target.to_string(),
            from: actor.from.clone(),
            detail: detail.to_string(),
        }
    }

    /// The exported cells, in the order of [`COLUMNS`].
    pub fn cells(&self) -> [String; 6] {
        [
            iso_time(self.at),
            self.who.clone(),
            self.action.as_str().to_string(),
            self.target.clone(),
            self.from.clone(),
            self.detail.clone(),
        ]
    }
}

/// `2026-12-04T23:50:00Z` for Unix seconds (the date from the report crate's civil calendar).
pub fn iso_time(seconds: i64) -> String {
    let (days, s) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let date = echelle_report::Date::from_days(days).iso();
    format!("{date}T{:02}:{:02}:{:02}Z", s / 3600, s % 3600 / 60, s % 60)
}

/// The current Unix time in seconds.
pub fn now_seconds() -> i64 {
    now_millis() / 1000
}

/// The current Unix time in milliseconds.
pub fn now_millis() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_actions() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_time(1_796_342_400 + 3_661), "2026-12-04T01:01:01Z");
        assert_eq!(iso_time(951_782_400), "2000-02-29T00:00:00Z");
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        let e = AuditEntry::new(&Actor::command_line(), Action::Login, "x", "", 0);
        assert_eq!(e.cells().len(), COLUMNS.len());
    }
}
