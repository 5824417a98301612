//! Sessions of the web application: a random id in an HttpOnly cookie, kept hashed
//! in the store, an expiry, and a CSRF token the page sends back on every change.
//!
//! The cookie is `Secure; HttpOnly; SameSite=Strict; Path=/`: the application is one
//! page on one origin, so no cross-site navigation ever needs to arrive signed in, and
//! Strict keeps the cookie off every request another site starts (Lax would still send
//! it on top-level GET links). Browsers keep Secure cookies over plain HTTP on
//! loopback only: a server on another address belongs behind TLS.

use rand::TryRng;
use rand::rngs::SysRng;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "echelle_session";

/// The request header that carries the session's CSRF token on every state-changing
/// request authenticated by the cookie (a page of another site cannot read the token,
/// nor set this header on a cross-site request without the server's CORS consent,
/// which it never gives).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lasts from the login: a working day. Seconds.
pub const SESSION_SECONDS: i64 = 8 * 3600;

/// A session as the store keeps it: its id only hashed, so that a copy of the store
/// opens no session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// SHA-256 of the id the cookie carries, in hex.
    pub id_hash: String,
    /// The account's login.
    pub login: String,
    /// The token the page sends in [`CSRF_HEADER`].
    pub csrf: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; the session is refused from then on.
    pub expires_at: i64,
    /// The client address it was opened from.
    pub from: String,
}

/// A session just opened: what the client gets, once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OpenedSession {
    /// The cookie's value (never stored nor logged).
    pub id: String,
    /// The CSRF token of the session.
    pub csrf: String,
    /// Unix seconds.
    pub expires_at: i64,
}

/// 32 bytes of the operating system's random generator, in hex (256 bits: no guessing).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    SysRng.try_fill_bytes(&mut bytes).expect("the operating system's random generator");
    hex(&bytes)
}

/// SHA-256 of a secret, in hex: what the store keeps of session ids and API tokens
/// (they are random and long, so a fast hash is enough, unlike passwords).
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether two secrets are equal, in a time that does not depend on where they differ.
pub fn same_secret(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The `Set-Cookie` value that opens a session.
pub fn cookie(id: &str) -> String {
    format!("{SESSION_COOKIE}={id}; Path=/; Max-Age={SESSION_SECONDS}; Secure; HttpOnly; SameSite=Strict")
}

/// The `Set-Cookie` value that ends it in the browser.
pub fn cleared_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict")
}

/// The session id in a `Cookie` header value, if any.
pub fn from_cookie_header(header: &str) -> Option<&str> {
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(n, _)| *n == SESSION_COOKIE).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_compared_whole() {
        let (a, b) = (new_secret(), new_secret());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert!(same_secret(&a, &a.clone()));
        assert!(!same_secret(&a, &b));
        assert!(!same_secret(&a, &a[..63]));
        assert_eq!(digest(&a), digest(&a.clone()));
        assert_ne!(digest(&a), a);
    }

    #[test]
    fn cookies() {
        let c = cookie("abc");
        for flag in ["Secure", "HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(c.contains(flag), "{c}");
        }
        assert!(cleared_cookie().contains("Max-Age=0"));
        assert_eq!(from_cookie_header("a=1; echelle_session=xyz; b=2"), Some("xyz"));
        assert_eq!(from_cookie_header("echelle_sessionx=1"), None);
    }
}
