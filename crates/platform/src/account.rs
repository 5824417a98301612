//! Organisations, accounts, passwords, and [`Accounts`]: every rule about them in one
//! place (the server and the command line only call it).
//!
//! Passwords are hashed with Argon2id (RustCrypto `argon2`, its default parameters:
//! 19 MiB of memory, 2 passes, 1 lane, the OWASP recommendation), salted per password,
//! stored as a PHC string; at least [`MIN_PASSWORD_CHARS`] characters. Verification
//! compares in constant time (the `password-hash` crate's), and a login that does not
//! exist is checked against a dummy hash, so its answer takes as long as a wrong password.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use serde::{Deserialize, Serialize};

use crate::audit::{Action, Actor, AuditEntry, AuditQuery};
use crate::session::{OpenedSession, SESSION_SECONDS, SessionRecord, digest, new_secret};
use crate::store::AccountStore;
use crate::throttle::{Policy, Verdict, address_subject, login_subject};
use crate::token::{Scope, TokenInfo, new_token};
use crate::{OrgId, Principal, Role};

/// The shortest password accepted, in characters (ANSSI and NIST SP 800-63B: length
/// matters more than composition rules, which are not imposed).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest password accepted, in bytes (hashing a megabyte is a denial of service).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// What was given is at fault (a login's characters, a short password…).
    #[error("{0}")]
    Invalid(String),
    /// No such account, organisation or token.
    #[error("{0}")]
    NotFound(String),
    /// It exists already.
    #[error("{0}")]
    Exists(String),
    /// The account store failed.
    #[error("base des comptes : {0}")]
    Storage(String),
}

impl AccountError {
    /// Whether the caller is at fault (HTTP 4xx, exit status 2).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, AccountError::Storage(_))
    }
}

impl From<rusqlite::Error> for AccountError {
    fn from(e: rusqlite::Error) -> Self {
        AccountError::Storage(e.to_string())
    }
}

/// An organisation: a partner (a chamber of commerce, a département, an agency).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Organisation {
    /// A short slug chosen by the administrator (`cci-hdf`).
    pub id: OrgId,
    /// Its name, for people.
    pub name: String,
}

/// An account, as listed (never its password).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Account {
    /// The login.
    pub login: String,
    /// Its organisation (required for analysts).
    pub org: Option<OrgId>,
    /// Its role.
    pub role: Role,
    /// A disabled account cannot log in, and its sessions and tokens are refused.
    pub disabled: bool,
    /// Unix seconds.
    pub created_at: i64,
}

impl Account {
    /// Who the account acts as.
    pub fn principal(&self) -> Principal {
        Principal { login: self.login.clone(), org: self.org.clone(), role: self.role }
    }
}

/// Checks a login: 2 to 64 of lower-case letters, digits, `.`, `-`, `_`, `@`.
pub fn check_login(login: &str) -> Result<(), AccountError> {
    let ok = (2..=64).contains(&login.len())
        && login.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "identifiant « {} » : de 2 à 64 caractères parmi a-z, 0-9, « . », « - », « _ », « @ »",
            quote(login)
        )))
    }
}

/// Checks an organisation's slug: 2 to 40 of lower-case letters, digits and `-`.
pub fn check_org_id(id: &str) -> Result<(), AccountError> {
    let ok = (2..=40).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-');
    if ok {
        Ok(())
    } else {
        Err(AccountError::Invalid(format!(
            "organisation « {} » : de 2 à 40 caractères parmi a-z, 0-9 et « - »",
            quote(id)
        )))
    }
}

/// Checks a new password's length.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(AccountError::Invalid(format!(
            "mot de passe trop court : au moins {MIN_PASSWORD_CHARS} caractères"
        )));
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AccountError::Invalid(format!("mot de passe trop long : au plus {MAX_PASSWORD_BYTES} octets")));
    }
    Ok(())
}

/// At most 40 characters of a value, for a message.
fn quote(s: &str) -> String {
    let mut q: String = s.chars().take(40).collect();
    if s.chars().count() > 40 {
        q.push('…');
    }
    q
}

/// The PHC string of an Argon2id hash of `password` with a random salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Storage(format!("hachage du mot de passe : {e}")))
}

/// Whether `password` matches the PHC string `hash` (constant-time comparison).
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash no password is known to match, checked for unknown logins.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password(&new_secret()).expect("hashing a random password"))
}

/// Whether a request without credentials is the local user's: only on a server listening
/// on a loopback address while no account exists (the embedded single-user mode).
pub fn embedded(loopback: bool, accounts_exist: bool) -> bool {
    loopback && !accounts_exist
}

/// The serving rule: on a loopback address a server may run without accounts (the
/// embedded mode); on any other address, without an account everyone who reaches it
/// would be the local user, so it refuses to start.
pub fn may_serve(ip: IpAddr, accounts_exist: bool) -> Result<(), AccountError> {
    if ip.is_loopback() || accounts_exist {
        return Ok(());
    }
    Err(AccountError::Invalid(format!(
        "refus de servir sur {ip} sans compte : tout visiteur y serait l'utilisateur local, libre de tout lire et \
         de tout modifier. Créez d'abord un administrateur (echelle account add LOGIN --role admin), ou servez \
         sur 127.0.0.1"
    )))
}

/// A new account, as an administrator describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NewAccount {
    /// The login.
    pub login: String,
    /// Its organisation (required for analysts, optional for administrators).
    pub org: Option<OrgId>,
    /// Its role.
    pub role: Role,
}

/// What a login attempt came to.
#[derive(Debug)]
pub enum Login {
    /// A session opened for this account.
    Opened(OpenedSession, Principal),
    /// Wrong login or password (which one is not said), or a disabled account.
    Wrong,
    /// Too many failures: retry after this verdict's time, without the password being checked.
    Throttled(Verdict),
}

/// The account rules over one [`AccountStore`]. Times are passed in (Unix seconds, or
/// milliseconds for the throttle), so that every rule is testable without waiting.
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    policy: Policy,
}

/// A token is written as used at most once in this many seconds.
const TOKEN_USE_RESOLUTION: i64 = 60;

impl Accounts {
    /// The rules over `store`, with the default throttling policy.
    pub fn new(store: Arc<dyn AccountStore>) -> Accounts {
        Accounts { store, policy: Policy::default() }
    }

    /// The same with another throttling policy.
    pub fn with_policy(mut self, policy: Policy) -> Accounts {
        self.policy = policy;
        self
    }

    /// The throttling policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The store.
    pub fn store(&self) -> &dyn AccountStore {
        self.store.as_ref()
    }

    /// Whether any account exists (a server then wants a login from everyone).
    pub fn configured(&self) -> Result<bool, AccountError> {
        self.store.has_accounts()
    }

    /// Appends a line to the audit log.
    pub fn record(&self, actor: &Actor, action: Action, target: &str, detail: &str) -> Result<(), AccountError> {
        self.store.append_audit(&AuditEntry::new(actor, action, target, detail, crate::audit::now_seconds()))
    }

    /// Lines of the audit log, newest first.
    pub fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, AccountError> {
        self.store.audit(query)
    }

    /// Creates an organisation.
    pub fn add_organisation(&self, id: &str, name: &str, by: &Actor) -> Result<Organisation, AccountError> {
        check_org_id(id)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AccountError::Invalid("nom de l'organisation : de 1 à 200 caractères".into()));
        }
        let org = Organisation { id: id.to_string(), name: name.to_string() };
        self.store.add_organisation(&org)?;
        self.record(by, Action::OrganisationCreated, id, name)?;
        Ok(org)
    }

    /// Every organisation, by id.
    pub fn organisations(&self) -> Result<Vec<Organisation>, AccountError> {
        self.store.organisations()
    }

    /// Creates an account with its password.
    pub fn add_account(&self, new: &NewAccount, password: &str, by: &Actor) -> Result<Account, AccountError> {
        check_login(&new.login)?;
        check_password(password)?;
        match (&new.org, new.role) {
            (None, Role::Analyst) => {
                return Err(AccountError::Invalid("un analyste appartient à une organisation (--org)".into()));
            }
            (Some(org), _) if !self.store.organisations()?.iter().any(|o| &o.id == org) => {
                return Err(AccountError::NotFound(format!(
                    "organisation « {} » inconnue (echelle org add)",
                    quote(org)
                )));
            }
            _ => {}
        }
        let account = Account {
            login: new.login.clone(),
            org: new.org.clone(),
            role: new.role,
            disabled: false,
            created_at: crate::audit::now_seconds(),
        };
        self.store.add_account(&account, &hash_password(password)?)?;
        self.record(by, Action::AccountCreated, &new.login, &format!("rôle {}", new.role.as_str()))?;
        Ok(account)
    }

    /// Every account, by login.
    pub fn accounts(&self) -> Result<Vec<Account>, AccountError> {
        self.store.accounts()
    }

    /// The account of a login.
    pub fn account(&self, login: &str) -> Result<Account, AccountError> {
        self.store
            .account(login)?
            .map(|(a, _)| a)
            .ok_or_else(|| AccountError::NotFound(format!("compte « {} » inconnu", quote(login))))
    }

    /// Disables (or enables again) an account; disabling closes its sessions.
    pub fn set_disabled(&self, login: &str, disabled: bool, by: &Actor) -> Result<Account, AccountError> {
        if !self.store.set_disabled(login, disabled)? {
            return Err(AccountError::NotFound(format!("compte « {} » inconnu", quote(login))));
        }
        if disabled {
            self.store.remove_sessions_of(login)?;
        }
        let action = if disabled { Action::AccountDisabled } else { Action::AccountEnabled };
        self.record(by, action, login, "")?;
        self.account(login)
    }

    /// Changes an account's password; closes its sessions.
    pub fn set_password(&self, login: &str, password: &str, by: &Actor) -> Result<(), AccountError> {
        check_password(password)?;
        if !self.store.set_password_hash(login, &hash_password(password)?)? {
            return Err(AccountError::NotFound(format!("compte « {} » inconnu", quote(login))));
        }
        self.store.remove_sessions_of(login)?;
        self.record(by, Action::PasswordChanged, login, "")
    }

    /// A login attempt from the client address `from` at `now_ms` (Unix milliseconds):
    /// throttled first, then the password checked; every outcome is audited.
    pub fn login(&self, login: &str, password: &str, from: &str, now_ms: i64) -> Result<Login, AccountError> {
        let login = login.trim().to_lowercase();
        // What was typed in the login field is audited only if it can be a login: a
        // password typed there by mistake must not land in the log.
        let who = if check_login(&login).is_ok() { login.clone() } else { "(identifiant invalide)".into() };
        let actor = Actor { who, from: from.to_string() };
        let (by_login, by_address) = (login_subject(&login), address_subject(from));
        let since = now_ms - self.policy.window_ms;
        let verdict = self
            .policy
            .verdict(self.policy.login, &self.store.failures(&by_login, since)?, now_ms)
            .worst(self.policy.verdict(self.policy.address, &self.store.failures(&by_address, since)?, now_ms));
        if verdict != Verdict::Allowed {
            let why = match verdict {
                Verdict::Locked(_) => "verrouillé",
                _ => "trop tôt après un échec",
            };
            self.record(&actor, Action::LoginFailed, &actor.who, why)?;
            return Ok(Login::Throttled(verdict));
        }
        let found = if password.len() > MAX_PASSWORD_BYTES { None } else { self.store.account(&login)? };
        let checked = match &found {
            Some((account, hash)) => verify_password(password, hash) && !account.disabled,
            None => {
                // As long as a wrong password, so that timing tells no login apart.
                let _ = verify_password(password, dummy_hash());
                false
            }
        };
        let Some((account, _)) = found.filter(|_| checked) else {
            self.store.record_failure(&by_login, now_ms, since)?;
            self.store.record_failure(&by_address, now_ms, since)?;
            self.record(&actor, Action::LoginFailed, &actor.who, "identifiant ou mot de passe incorrect")?;
            return Ok(Login::Wrong);
        };
        self.store.clear_failures(&by_login)?;
        let now = now_ms / 1000;
        let opened = OpenedSession { id: new_secret(), csrf: new_secret(), expires_at: now + SESSION_SECONDS };
        self.store.remove_expired_sessions(now)?;
        self.store.add_session(&SessionRecord {
            id_hash: digest(&opened.id),
            login: account.login.clone(),
            csrf: opened.csrf.clone(),
            created_at: now,
            expires_at: opened.expires_at,
            from: from.to_string(),
        })?;
        self.record(&actor, Action::Login, &account.login, "")?;
        Ok(Login::Opened(opened, account.principal()))
    }

    /// The account and CSRF token of a session id (from the cookie), if it is open,
    /// unexpired and its account enabled.
    pub fn session(&self, id: &str, now: i64) -> Result<Option<(Principal, String)>, AccountError> {
        if id.len() != 64 {
            return Ok(None);
        }
        let Some(session) = self.store.session(&digest(id))? else { return Ok(None) };
        if session.expires_at <= now {
            return Ok(None);
        }
        Ok(self.enabled(&session.login)?.map(|a| (a.principal(), session.csrf)))
    }

    /// Closes a session.
    pub fn logout(&self, id: &str, from: &str) -> Result<(), AccountError> {
        let hash = digest(id);
        if let Some(session) = self.store.session(&hash)? {
            self.store.remove_session(&hash)?;
            let actor = Actor { who: session.login.clone(), from: from.to_string() };
            self.record(&actor, Action::Logout, &session.login, "")?;
        }
        Ok(())
    }

    fn enabled(&self, login: &str) -> Result<Option<Account>, AccountError> {
        Ok(self.store.account(login)?.map(|(a, _)| a).filter(|a| !a.disabled))
    }

    /// Creates an API token for `login`; returns its secret (shown once, never stored)
    /// and what is listed of it. The admin scope is for administrators only.
    pub fn create_token(
        &self,
        login: &str,
        name: &str,
        scope: Scope,
        by: &Actor,
    ) -> Result<(String, TokenInfo), AccountError> {
        let account = self.account(login)?;
        if scope == Scope::Admin && account.role != Role::Admin {
            return Err(AccountError::Invalid(
                "portée « admin » réservée aux comptes administrateurs : « read » ou « write »".into(),
            ));
        }
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AccountError::Invalid("nom du jeton : de 1 à 200 caractères".into()));
        }
        let (secret, id) = new_token();
        let info = TokenInfo {
            id,
            login: account.login.clone(),
            name: name.to_string(),
            scope,
            created_at: crate::audit::now_seconds(),
            last_used_at: None,
            revoked_at: None,
        };
        self.store.add_token(&info, &digest(&secret))?;
        self.record(by, Action::TokenCreated, &info.id, &format!("{} ({}) pour {}", info.name, scope.as_str(), login))?;
        Ok((secret, info))
    }

    /// The account and scope of a token's secret, if it is known, not revoked and its
    /// account enabled; its use is recorded.
    pub fn token(&self, secret: &str, now: i64) -> Result<Option<(Principal, Scope)>, AccountError> {
        if !secret.starts_with(crate::token::TOKEN_PREFIX) || secret.len() > 128 {
            return Ok(None);
        }
        let Some(info) = self.store.token_by_hash(&digest(secret))? else { return Ok(None) };
        if info.revoked_at.is_some() {
            return Ok(None);
        }
        let Some(account) = self.enabled(&info.login)? else { return Ok(None) };
        if info.last_used_at.is_none_or(|t| now - t >= TOKEN_USE_RESOLUTION) {
            self.store.touch_token(&info.id, now)?;
        }
        Ok(Some((account.principal(), info.scope)))
    }

    /// Every token (all accounts' when `login` is `None`).
    pub fn tokens(&self, login: Option<&str>) -> Result<Vec<TokenInfo>, AccountError> {
        let all = self.store.tokens()?;
        Ok(all.into_iter().filter(|t| login.is_none_or(|l| t.login == l)).collect())
    }

    /// Revokes a token by id.
    pub fn revoke_token(&self, id: &str, by: &Actor) -> Result<(), AccountError> {
        if !self.store.revoke_token(id, crate::audit::now_seconds())? {
            return Err(AccountError::NotFound(format!("jeton « {} » inconnu ou déjà révoqué", quote(id))));
        }
        self.record(by, Action::TokenRevoked, id, "")
    }
}
