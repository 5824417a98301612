//! Login throttling and lockout, per login and per client address.
//!
//! Failed logins are recorded in the account store (so that every server process on
//! one database sees them, and a restart forgets nothing). The default policy:
//! - per login: after the f-th failure of the last 15 minutes, the next password check
//!   waits 2^(f-1) s (1, 2, 4, 8 s…, at most 60 s); after 5 failures in 15 minutes the
//!   login is locked for 15 minutes from the 5th;
//! - per client address: the first 5 failures cost nothing (a mistyped password
//!   behind an office's NAT), then the same growing wait; after 30 failures in
//!   15 minutes the address is locked for 15 minutes.
//!
//! An attempt inside a wait or a lock is refused (HTTP 429, `Retry-After`) without the
//! password being checked, so a loop that does not wait gets no answer about passwords,
//! and parallel connections gain nothing. A successful login clears its login's
//! failures, not its address's (one valid account must not reset a guessing address).

use serde::{Deserialize, Serialize};

/// The limits of one kind of subject (a login, an address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    /// Failures that cost no wait.
    pub free: u32,
    /// Failures within the window that lock the subject.
    pub lock_after: u32,
}

/// How failed logins are slowed and locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The wait after the first failure that costs one, in milliseconds; doubled at each
    /// further failure.
    pub first_wait_ms: i64,
    /// The longest wait, in milliseconds.
    pub max_wait_ms: i64,
    /// Failures older than this are forgotten, and a lock lasts this long, in milliseconds.
    pub window_ms: i64,
    /// Per login.
    pub login: Limit,
    /// Per client address.
    pub address: Limit,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            first_wait_ms: 1_000,
            max_wait_ms: 60_000,
            window_ms: 15 * 60_000,
            login: Limit { free: 0, lock_after: 5 },
            address: Limit { free: 5, lock_after: 30 },
        }
    }
}

/// Whether a password may be checked now for a subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Check it.
    Allowed,
    /// Not before this many milliseconds.
    Wait(i64),
    /// Locked for this many more milliseconds.
    Locked(i64),
}

impl Verdict {
    /// The longer refusal of two.
    pub fn worst(self, other: Verdict) -> Verdict {
        use Verdict::*;
        match (self, other) {
            (Locked(a), Locked(b)) => Locked(a.max(b)),
            (Locked(a), _) | (_, Locked(a)) => Locked(a),
            (Wait(a), Wait(b)) => Wait(a.max(b)),
            (Wait(a), _) | (_, Wait(a)) => Wait(a),
            _ => Allowed,
        }
    }

    /// Whole seconds to tell the client (`Retry-After`), at least 1; 0 when allowed.
    pub fn retry_after_seconds(self) -> u64 {
        match self {
            Verdict::Allowed => 0,
            Verdict::Wait(ms) | Verdict::Locked(ms) => (ms.max(1) as u64).div_ceil(1000),
        }
    }
}

impl Policy {
    /// The wait after `costly` failures that cost one (0 for none).
    pub fn wait_ms(&self, costly: u32) -> i64 {
        if costly == 0 {
            return 0;
        }
        let doubled = self.first_wait_ms.saturating_mul(1i64 << (costly - 1).min(40));
        doubled.min(self.max_wait_ms)
    }

    /// The verdict for a subject of these limits whose failures of the window are at
    /// `failures` (Unix milliseconds, any order), at `now`.
    pub fn verdict(&self, limit: Limit, failures: &[i64], now: i64) -> Verdict {
        let mut recent: Vec<i64> = failures.iter().copied().filter(|t| *t > now - self.window_ms).collect();
        recent.sort_unstable_by(|a, b| b.cmp(a));
        let n = recent.len() as u32;
        if limit.lock_after > 0 && n >= limit.lock_after {
            let until = recent[limit.lock_after as usize - 1] + self.window_ms;
            if until > now {
                return Verdict::Locked(until - now);
            }
        }
        if n > limit.free {
            let until = recent[0] + self.wait_ms(n - limit.free);
            if until > now {
                return Verdict::Wait(until - now);
            }
        }
        Verdict::Allowed
    }
}

/// The subject a login's failures are recorded under.
pub fn login_subject(login: &str) -> String {
    format!("login:{}", login.to_lowercase())
}

/// The subject a client address's failures are recorded under.
pub fn address_subject(from: &str) -> String {
    format!("addr:{from}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_wait_grows_then_the_login_locks() {
        let p = Policy::default();
        let waits: Vec<i64> = (0..8).map(|f| p.wait_ms(f)).collect();
        assert_eq!(waits, [0, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000]);
        let now = 10_000_000;
        let mut failures = Vec::new();
        for f in 1..=4u32 {
            failures.push(now);
            assert_eq!(p.verdict(p.login, &failures, now), Verdict::Wait(p.wait_ms(f)));
            assert_eq!(p.verdict(p.login, &failures, now + p.wait_ms(f)), Verdict::Allowed);
        }
        failures.push(now);
        assert_eq!(p.verdict(p.login, &failures, now), Verdict::Locked(p.window_ms));
        assert_eq!(p.verdict(p.login, &failures, now + p.window_ms), Verdict::Allowed, "forgotten after the window");
        // The address: five free failures, then waits.
        assert_eq!(p.verdict(p.address, &failures, now), Verdict::Allowed);
        failures.push(now);
        assert_eq!(p.verdict(p.address, &failures, now), Verdict::Wait(1_000));
    }

    proptest! {
        /// More failures never shorten a refusal, and a verdict never outlasts the window.
        #[test]
        fn refusals_grow_with_failures(offsets in proptest::collection::vec(0i64..900_000, 0..40), extra in 0i64..900_000) {
            let p = Policy::default();
            let now = 1_000_000_000;
            let failures: Vec<i64> = offsets.iter().map(|o| now - o).collect();
            let mut more = failures.clone();
            more.push(now - extra);
            let ms = |v: Verdict| match v { Verdict::Allowed => 0, Verdict::Wait(m) => m, Verdict::Locked(m) => m + 1_000_000_000 };
            for limit in [p.login, p.address] {
                let (a, b) = (p.verdict(limit, &failures, now), p.verdict(limit, &more, now));
                prop_assert!(ms(b) >= ms(a), "{a:?} then {b:?}");
                if let Verdict::Locked(m) | Verdict::Wait(m) = b { prop_assert!(m <= p.window_ms); }
            }
        }
    }
}
