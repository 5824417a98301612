//! Visibility of catalog objects and the viewer a request is made by.

use std::collections::{BTreeMap, BTreeSet};

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

impl Role {
    /// Its name in the account stores and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Analyst => "analyst",
        }
    }

    /// The role of a name written by [`Role::as_str`].
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "admin" => Some(Role::Admin),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }
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

    /// Whether someone sees both objects: anyone when one is public, else a member of
    /// an organisation that both reach (administrators, who see everything, aside).
    pub fn shares_audience(&self, other: &Visibility) -> bool {
        fn orgs(v: &Visibility) -> Vec<&str> {
            match v {
                Visibility::Public => Vec::new(),
                Visibility::Private { owner } => vec![owner],
                Visibility::Shared { owner, with } => std::iter::once(owner).chain(with).map(String::as_str).collect(),
            }
        }
        let (a, b) = (orgs(self), orgs(other));
        *self == Visibility::Public || *other == Visibility::Public || a.iter().any(|o| b.contains(o))
    }
}

impl Viewer {
    /// Whether this viewer may read an object of this visibility.
    pub fn can_see(&self, visibility: &Visibility) -> bool {
        match (self, visibility) {
            (_, Visibility::Public) | (Viewer::Local, _) => true,
            (Viewer::Public, _) => false,
            (Viewer::Account(p), _) if p.role == Role::Admin => true,
            (Viewer::Account(p), Visibility::Private { owner }) => !owner.is_empty() && p.org.as_deref() == Some(owner),
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
            Viewer::Account(p) => visibility.owner().is_some_and(|o| !o.is_empty() && p.org.as_deref() == Some(o)),
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

/// A visibility given by a person (CLI flag, API field) that does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VisibilityError {
    /// Not one of public, shared, private.
    #[error("visibilité « {0} » inconnue : public, shared (partagé) ou private (privé)")]
    UnknownLevel(String),
    /// Shared or private without an owner organisation.
    #[error("une visibilité {0} demande une organisation propriétaire (--owner)")]
    NoOwner(&'static str),
    /// An organisation slug outside `a-z0-9-`, or too long.
    #[error("organisation « {0} » : 1 à 64 lettres minuscules, chiffres ou tirets")]
    BadOrg(String),
    /// Organisations to share with, on an object that is not shared.
    #[error("--share-with ne vaut que pour une visibilité partagée (shared)")]
    NotShared,
}

/// Whether `org` is an organisation slug (`cci-hdf`): what may be stored as an owner.
pub fn is_org_slug(org: &str) -> bool {
    !org.is_empty() && org.len() <= 64 && org.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl Visibility {
    /// The visibility a person asked for: `level` (public, shared or private, or their
    /// French names), the owner organisation, the organisations shared with.
    pub fn parse(level: &str, owner: Option<&str>, with: &[String]) -> Result<Visibility, VisibilityError> {
        let owner = owner.map(str::trim).filter(|o| !o.is_empty());
        if let Some(o) = owner.filter(|o| !is_org_slug(o)) {
            return Err(VisibilityError::BadOrg(o.chars().take(40).collect()));
        }
        let mut shared: Vec<OrgId> = Vec::new();
        for w in with.iter().map(|w| w.trim()).filter(|w| !w.is_empty()) {
            if !is_org_slug(w) {
                return Err(VisibilityError::BadOrg(w.chars().take(40).collect()));
            }
            if Some(w) != owner && !shared.iter().any(|s| s == w) {
                shared.push(w.to_string());
            }
        }
        shared.sort();
        let need = |what| owner.map(String::from).ok_or(VisibilityError::NoOwner(what));
        match level.trim().to_lowercase().as_str() {
            "public" => {
                if shared.is_empty() {
                    Ok(Visibility::Public)
                } else {
                    Err(VisibilityError::NotShared)
                }
            }
            "private" | "privé" | "prive" => {
                if shared.is_empty() {
                    Ok(Visibility::Private { owner: need("privée")? })
                } else {
                    Err(VisibilityError::NotShared)
                }
            }
            "shared" | "partagé" | "partage" => Ok(Visibility::Shared { owner: need("partagée")?, with: shared }),
            other => Err(VisibilityError::UnknownLevel(other.chars().take(40).collect())),
        }
    }

    /// The same object shared besides with `orgs` (a private one becomes shared).
    pub fn share_with(&self, orgs: &[String]) -> Result<Visibility, VisibilityError> {
        match self {
            Visibility::Public => Err(VisibilityError::NotShared),
            Visibility::Private { owner } => Visibility::parse("shared", Some(owner), orgs),
            Visibility::Shared { owner, with } => {
                let all: Vec<String> = with.iter().chain(orgs).cloned().collect();
                Visibility::parse("shared", Some(owner), &all)
            }
        }
    }

    /// The same object no longer shared with `orgs` (shared with nobody: private).
    pub fn unshare(&self, orgs: &[String]) -> Result<Visibility, VisibilityError> {
        match self {
            Visibility::Shared { owner, with } => {
                let left: Vec<String> = with.iter().filter(|w| !orgs.contains(w)).cloned().collect();
                let level = if left.is_empty() { "private" } else { "shared" };
                Visibility::parse(level, Some(owner), &left)
            }
            _ => Err(VisibilityError::NotShared),
        }
    }

    /// The word stored and shown in listings: `public`, `shared` or `private`.
    pub fn level(&self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Shared { .. } => "shared",
            Visibility::Private { .. } => "private",
        }
    }

    /// The badge shown beside a non-public object (« privé », « partagé »); none for a public one.
    pub fn badge(&self) -> Option<&'static str> {
        match self {
            Visibility::Public => None,
            Visibility::Shared { .. } => Some("partagé"),
            Visibility::Private { .. } => Some("privé"),
        }
    }

    /// The organisations that may read it, besides administrators and the local user
    /// (`None`: everyone).
    fn readers(&self) -> Option<Vec<&str>> {
        match self {
            Visibility::Public => None,
            Visibility::Private { owner } => Some(vec![owner.as_str()]),
            Visibility::Shared { owner, with } => {
                Some(std::iter::once(owner.as_str()).chain(with.iter().map(String::as_str)).collect())
            }
        }
    }

    /// The visibility of what is made of objects of these visibilities (an indicator of
    /// its datasets): readable only by those who may read every one of them. Two
    /// private objects of different owners give an object no organisation reads
    /// (administrators and the local user still do): private to no owner.
    pub fn most_restrictive<'a>(all: impl IntoIterator<Item = &'a Visibility>) -> Visibility {
        let mut owner: Option<&str> = None;
        let mut readers: Option<Vec<&str>> = None;
        for v in all {
            let Some(r) = v.readers() else { continue };
            owner = owner.or(v.owner());
            readers = Some(match readers {
                None => r,
                Some(before) => before.into_iter().filter(|o| r.contains(o)).collect(),
            });
        }
        let Some(readers) = readers else { return Visibility::Public };
        match owner.filter(|o| readers.contains(o)).or(readers.first().copied()) {
            None => Visibility::Private { owner: String::new() },
            Some(owner) => {
                let with: Vec<OrgId> = readers.iter().filter(|r| **r != owner).map(|r| r.to_string()).collect();
                if with.is_empty() {
                    Visibility::Private { owner: owner.into() }
                } else {
                    Visibility::Shared { owner: owner.into(), with }
                }
            }
        }
    }
}

/// The visibility of an indicator: as declared with it if it is, else the most
/// restrictive of the datasets it reads (an indicator of a private dataset is private).
pub fn indicator_visibility<'a>(
    declared: Option<&Visibility>,
    datasets: impl IntoIterator<Item = &'a Visibility>,
) -> Visibility {
    match declared {
        Some(v) => v.clone(),
        None => Visibility::most_restrictive(datasets),
    }
}

/// The non-public objects of a catalog, by kind (an object not named is public).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Visibilities {
    /// Datasets, by id.
    pub datasets: BTreeMap<String, Visibility>,
    /// User perimeters, by id.
    pub perimeters: BTreeMap<String, Visibility>,
}

impl Visibilities {
    /// The visibility of a dataset (public when not named).
    pub fn dataset(&self, id: &str) -> &Visibility {
        self.datasets.get(id).unwrap_or(&PUBLIC)
    }

    /// The visibility of a perimeter (public when not named: shipped ones are).
    pub fn perimeter(&self, id: &str) -> &Visibility {
        self.perimeters.get(id).unwrap_or(&PUBLIC)
    }
}

static PUBLIC: Visibility = Visibility::Public;

/// An indicator as visibility sees it: its id, the datasets it reads and the
/// visibility declared with it, if any.
pub struct IndicatorReads<'a> {
    /// The indicator's id.
    pub id: &'a str,
    /// The datasets it reads.
    pub datasets: Vec<&'a str>,
    /// Declared with the indicator, in place of its datasets'.
    pub declared: Option<&'a Visibility>,
}

/// What one viewer may not see, by kind: the filter every endpoint applies. Objects
/// named here answer exactly like objects that do not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hidden {
    /// Dataset ids.
    pub datasets: BTreeSet<String>,
    /// Perimeter ids (the code of `per:…`).
    pub perimeters: BTreeSet<String>,
    /// Indicator ids.
    pub indicators: BTreeSet<String>,
}

impl Hidden {
    /// Nothing is hidden: the viewer sees the whole catalog.
    pub fn is_empty(&self) -> bool {
        self.datasets.is_empty() && self.perimeters.is_empty() && self.indicators.is_empty()
    }
}

impl Viewer {
    /// The datasets this viewer may not see.
    pub fn hidden_datasets(&self, v: &Visibilities) -> BTreeSet<String> {
        v.datasets.iter().filter(|(_, vis)| !self.can_see(vis)).map(|(id, _)| id.clone()).collect()
    }

    /// The user perimeters this viewer may not see.
    pub fn hidden_perimeters(&self, v: &Visibilities) -> BTreeSet<String> {
        v.perimeters.iter().filter(|(_, vis)| !self.can_see(vis)).map(|(id, _)| id.clone()).collect()
    }

    /// The indicators this viewer may not see ([`indicator_visibility`] of each).
    pub fn hidden_indicators<'a>(
        &self,
        v: &Visibilities,
        indicators: impl IntoIterator<Item = IndicatorReads<'a>>,
    ) -> BTreeSet<String> {
        indicators
            .into_iter()
            .filter(|i| {
                let vis = indicator_visibility(i.declared, i.datasets.iter().map(|d| v.dataset(d)));
                !self.can_see(&vis)
            })
            .map(|i| i.id.to_string())
            .collect()
    }

    /// Everything this viewer may not see in a catalog.
    pub fn hidden<'a>(&self, v: &Visibilities, indicators: impl IntoIterator<Item = IndicatorReads<'a>>) -> Hidden {
        if self.is_admin() {
            return Hidden::default();
        }
        Hidden {
            datasets: self.hidden_datasets(v),
            perimeters: self.hidden_perimeters(v),
            indicators: self.hidden_indicators(v, indicators),
        }
    }

    /// The visibility an object this viewer creates gets when none is asked: private
    /// to its organisation for an account of one, public for the local user (and an
    /// administrator without organisation).
    pub fn default_visibility(&self) -> Visibility {
        match self.org() {
            Some(org) => Visibility::Private { owner: org.into() },
            None => Visibility::Public,
        }
    }

    /// Whether this viewer may give an object the visibility `to` (it must be able to
    /// change the object as it is, and remain among those who may change it after).
    pub fn can_set(&self, from: &Visibility, to: &Visibility) -> bool {
        self.can_change(from) && self.can_change(to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyst(org: &str) -> Viewer {
        Viewer::Account(Principal { login: "a".into(), org: Some(org.into()), role: Role::Analyst })
    }

    #[test]
    fn two_objects_share_an_audience_when_someone_sees_both() {
        let private = |o: &str| Visibility::Private { owner: o.into() };
        let shared = |o: &str, w: &[&str]| Visibility::Shared {
            owner: o.into(),
            with: w.iter().map(|s| s.to_string()).collect(),
        };
        assert!(Visibility::Public.shares_audience(&private("a")) && private("a").shares_audience(&Visibility::Public));
        assert!(private("a").shares_audience(&private("a")) && !private("a").shares_audience(&private("b")));
        assert!(
            shared("a", &["b"]).shares_audience(&private("b"))
                && shared("c", &["b"]).shares_audience(&shared("d", &["b"]))
        );
        assert!(!shared("a", &["b"]).shares_audience(&shared("c", &["d"])));
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

    #[test]
    fn visibilities_are_parsed_with_their_owner() {
        assert_eq!(Visibility::parse("public", None, &[]), Ok(Visibility::Public));
        assert_eq!(Visibility::parse("privé", Some("cci"), &[]), Ok(Visibility::Private { owner: "cci".into() }));
        let shared = Visibility::parse("shared", Some("cci"), &["dep62".into(), "cci".into(), "dep59".into()]);
        assert_eq!(shared, Ok(Visibility::Shared { owner: "cci".into(), with: vec!["dep59".into(), "dep62".into()] }));
        assert_eq!(Visibility::parse("private", None, &[]), Err(VisibilityError::NoOwner("privée")));
        assert!(matches!(Visibility::parse("secret", Some("cci"), &[]), Err(VisibilityError::UnknownLevel(_))));
        assert!(matches!(Visibility::parse("private", Some("CCI HDF"), &[]), Err(VisibilityError::BadOrg(_))));
        assert_eq!(Visibility::parse("public", None, &["x".into()]), Err(VisibilityError::NotShared));
        let private = Visibility::Private { owner: "cci".into() };
        let shared = private.share_with(&["dep62".into()]).unwrap();
        assert_eq!(shared, Visibility::Shared { owner: "cci".into(), with: vec!["dep62".into()] });
        assert_eq!(shared.unshare(&["dep62".into()]), Ok(private));
        assert_eq!(Visibility::Public.share_with(&["dep62".into()]), Err(VisibilityError::NotShared));
    }

    #[test]
    fn an_indicator_is_as_restricted_as_its_datasets_unless_declared() {
        let public = Visibility::Public;
        let private = Visibility::Private { owner: "cci".into() };
        let shared = Visibility::Shared { owner: "dep62".into(), with: vec!["cci".into(), "reg".into()] };
        assert_eq!(indicator_visibility(None, [&public]), public);
        assert_eq!(indicator_visibility(None, [&public, &private]), private);
        assert_eq!(indicator_visibility(None, [&shared, &private]), private, "only cci reads both");
        assert_eq!(indicator_visibility(Some(&public), [&private]), public, "declared public by its owner");
        let nobody = indicator_visibility(None, [&private, &Visibility::Private { owner: "dep59".into() }]);
        assert!(
            !analyst("cci").can_see(&nobody) && !analyst("dep59").can_see(&nobody) && !analyst("").can_see(&nobody)
        );
        assert!(Viewer::Local.can_see(&nobody));
        let two = Visibility::Shared { owner: "reg".into(), with: vec!["cci".into(), "dep62".into()] };
        let both = indicator_visibility(None, [&shared, &two]);
        for (org, sees) in [("cci", true), ("dep62", true), ("reg", true), ("dep59", false)] {
            assert_eq!(analyst(org).can_see(&both), sees, "{org}: {both:?}");
        }
    }

    #[test]
    fn hidden_lists_what_a_viewer_may_not_see() {
        let mut v = Visibilities::default();
        v.datasets.insert("commerce".into(), Visibility::Private { owner: "cci".into() });
        v.perimeters.insert("zone".into(), Visibility::Shared { owner: "cci".into(), with: vec!["dep62".into()] });
        let reads = || {
            vec![
                IndicatorReads { id: "surface", datasets: vec!["commerce"], declared: None },
                IndicatorReads { id: "pop", datasets: vec!["communes"], declared: None },
                IndicatorReads { id: "total", datasets: vec!["commerce"], declared: Some(&Visibility::Public) },
            ]
        };
        let public = Viewer::Public.hidden(&v, reads());
        assert_eq!(public.datasets.iter().collect::<Vec<_>>(), ["commerce"]);
        assert_eq!(public.perimeters.iter().collect::<Vec<_>>(), ["zone"]);
        assert_eq!(public.indicators.iter().collect::<Vec<_>>(), ["surface"]);
        let dep62 = analyst("dep62").hidden(&v, reads());
        assert!(dep62.perimeters.is_empty() && dep62.indicators.len() == 1);
        assert!(analyst("cci").hidden(&v, reads()).is_empty());
        assert!(Viewer::Local.hidden(&v, reads()).is_empty());
        assert_eq!(analyst("cci").default_visibility(), Visibility::Private { owner: "cci".into() });
        assert_eq!(Viewer::Local.default_visibility(), Visibility::Public);
        assert!(!analyst("cci").can_set(&Visibility::Private { owner: "cci".into() }, &Visibility::Public));
    }
}
