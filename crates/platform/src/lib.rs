//! The partners' platform: who is asking, and what they may see.
//!
//! ```text
//!  request ──server: session cookie / API token / loopback──> Viewer
//!  catalog object (dataset, indicator, perimeter, study, request) ──> Visibility
//!  Viewer::can_see(&Visibility) ── false ──> answered exactly like an object that does not exist
//! ```
//!
//! The server turns a request into a [`Viewer`] (its job: cookies, tokens, CSRF); every
//! decision about what that viewer may read or change is taken here, once.

mod visibility;

pub mod account;
pub mod audit;
pub mod cellkey;
pub mod protection;
pub mod secrecy;
pub mod session;
pub mod store;
pub mod throttle;
pub mod token;

pub use account::{Account, AccountError, Accounts, Login, NewAccount, Organisation};
pub use audit::{Action, Actor, AuditEntry, AuditQuery};
pub use protection::{Protection, Units};
pub use secrecy::{CENSUS_BELOW, Counted, SecrecyError, SecrecyRule};
pub use store::{AccountStore, SqliteAccounts};
pub use token::{Scope, TokenInfo};
pub use visibility::{
    Hidden, IndicatorReads, OrgId, Principal, Role, Viewer, Visibilities, Visibility, VisibilityError,
    indicator_visibility, is_org_slug,
};
