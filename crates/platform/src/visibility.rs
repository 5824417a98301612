//! Visibility of catalog objects and the viewer a request is made by.

use serde::{Deserialize, Serialize};

/// An organisation's identifier: a short slug chosen by the administrator (`cci-hdf`).
pub type OrgId = String;

/// What an account may do beyond reading what its organisation may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages accounts, organisations and tokens, reads the audit log, sees everything.
    Admin,
    /// A partner analyst: member of one organisation, reads what it may see, writes its own.
    Analyst,
}

/// A signed-in account (by session cookie or API token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Principal {
    /// The account's login.
    pub login: String,
    /// The organisation the account belongs to (administrators may have none).
    pub org: Option<OrgId>,
    /// The account's role.
    pub role: Role,
}

/// Who a request is made by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Viewer {
    /// The embedded single-user mode: a server on a loopback address with no account
    /// configured, or the CLI on its own store. Sees and may change everything.
    Local,
    /// A visitor without an account: public objects only, no change.
    Public,
    /// A signed-in account.
    Account(Principal),
}

/// Who may see a catalog object. Stored beside the object; public unless said otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Visibility {
    /// Everyone, without an account.
    #[default]
    Public,
    /// The owner organisation and the organisations named.
    Shared {
        /// The organisation that owns the object.
        owner: OrgId,
        /// The organisations it is shared with.
        with: Vec<OrgId>,
    },
    /// The owner organisation only.
    Private {
        /// The organisation that owns the object.
        owner: OrgId,
    },
}

impl Visibility {
    /// The owner organisation (`None` for public objects).
    pub fn owner(&self) -> Option<&str> {
        match self {
            Visibility::Public => None,
            Visibility::Shared { owner, .. } | Visibility::Private { owner } => Some(owner),
        }
    }
}

impl Viewer {
    /// Whether this viewer may read an object of this visibility.
    pub fn can_see(&self, visibility: &Visibility) -> bool {
        match (self, visibility) {
            (_, Visibility::Public) | (Viewer::Local, _) => true,
            (Viewer::Public, _) => false,
            (Viewer::Account(p), _) if p.role == Role::Admin => true,
            (Viewer::Account(p), Visibility::Private { owner }) => p.org.as_deref() == Some(owner),
            (Viewer::Account(p), Visibility::Shared { owner, with }) => {
                p.org.as_ref().is_some_and(|org| org == owner || with.contains(org))
            }
        }
    }

    /// Whether this viewer may change an object of this visibility (a public object:
    /// administrators and the local user only, since it has no owner to answer for it).
    pub fn can_change(&self, visibility: &Visibility) -> bool {
        match self {
            Viewer::Local => true,
            Viewer::Public => false,
            Viewer::Account(p) if p.role == Role::Admin => true,
            Viewer::Account(p) => visibility.owner().is_some_and(|o| p.org.as_deref() == Some(o)),
        }
    }

    /// Whether this viewer manages accounts and reads the audit log.
    pub fn is_admin(&self) -> bool {
        matches!(self, Viewer::Local) || matches!(self, Viewer::Account(p) if p.role == Role::Admin)
    }

    /// The organisation new objects of this viewer belong to (`None`: public objects).
    pub fn org(&self) -> Option<&str> {
        match self {
            Viewer::Account(p) => p.org.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyst(org: &str) -> Viewer {
        Viewer::Account(Principal { login: "a".into(), org: Some(org.into()), role: Role::Analyst })
    }

    #[test]
    fn public_sees_public_only() {
        let private = Visibility::Private { owner: "cci".into() };
        assert!(Viewer::Public.can_see(&Visibility::Public));
        assert!(!Viewer::Public.can_see(&private));
        assert!(!Viewer::Public.can_change(&Visibility::Public));
    }

    #[test]
    fn members_see_their_own_and_what_is_shared_with_them() {
        let private = Visibility::Private { owner: "cci".into() };
        let shared = Visibility::Shared { owner: "cci".into(), with: vec!["dep62".into()] };
        assert!(analyst("cci").can_see(&private));
        assert!(!analyst("dep62").can_see(&private));
        assert!(analyst("dep62").can_see(&shared));
        assert!(!analyst("dep59").can_see(&shared));
        assert!(analyst("cci").can_change(&shared));
        assert!(!analyst("dep62").can_change(&shared));
        assert!(!analyst("cci").can_change(&Visibility::Public));
    }

    #[test]
    fn local_and_admin_see_everything() {
        let admin = Viewer::Account(Principal { login: "root".into(), org: None, role: Role::Admin });
        let private = Visibility::Private { owner: "cci".into() };
        for v in [Viewer::Local, admin] {
            assert!(v.can_see(&private) && v.can_change(&private) && v.is_admin());
        }
    }
}
