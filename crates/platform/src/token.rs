//! API tokens for scripts: random, shown once, kept hashed, scoped, revocable, their
//! last use recorded. Sent as `Authorization: Bearer ech_…`; not an ambient credential
//! (a browser never adds it by itself), so requests made with one need no CSRF token.

use serde::{Deserialize, Serialize};

use crate::session::new_secret;

/// What every token starts with, so that a leaked one is recognised by secret scanners.
pub const TOKEN_PREFIX: &str = "ech_";

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read only: any request that would change something is refused.
    Read,
    /// Read and change what the account may change; no administration.
    Write,
    /// Everything the account may do, administration included (administrators only).
    Admin,
}

impl Scope {
    /// The word stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }

    /// The scope of a stored or typed word.
    pub fn parse(s: &str) -> Option<Scope> {
        match s {
            "read" => Some(Scope::Read),
            "write" => Some(Scope::Write),
            "admin" => Some(Scope::Admin),
            _ => None,
        }
    }

    /// Whether a request of this kind is allowed: `changes` for any method but
    /// GET/HEAD/OPTIONS, `administration` for the administration endpoints.
    pub fn allows(self, changes: bool, administration: bool) -> bool {
        match self {
            Scope::Read => !changes && !administration,
            Scope::Write => !administration,
            Scope::Admin => true,
        }
    }
}

/// A token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// A short public id, to list and revoke it.
    pub id: String,
    /// The account it acts as.
    pub login: String,
    /// What it is for, in the creator's words.
    pub name: String,
    /// What it may do.
    pub scope: Scope,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of its last use (recorded at most once a minute).
    pub last_used_at: Option<i64>,
    /// Unix seconds of its revocation; refused from then on.
    pub revoked_at: Option<i64>,
}

/// A new token's secret (`ech_` and 64 hex digits) and its public id (8 hex digits).
pub fn new_token() -> (String, String) {
    let secret = format!("{TOKEN_PREFIX}{}", new_secret());
    let id = new_secret()[..8].to_string();
    (secret, id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes() {
        assert!(Scope::Read.allows(false, false));
        assert!(!Scope::Read.allows(true, false));
        assert!(!Scope::Read.allows(false, true));
        assert!(Scope::Write.allows(true, false) && !Scope::Write.allows(false, true));
        assert!(Scope::Admin.allows(true, true));
        for s in [Scope::Read, Scope::Write, Scope::Admin] {
            assert_eq!(Scope::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn tokens_are_random() {
        let (a, ida) = new_token();
        let (b, idb) = new_token();
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == 68 && a != b);
        assert_eq!(ida.len(), 8);
        assert_ne!(ida, idb);
    }
}
