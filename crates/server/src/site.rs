//! Where the server is reached: the `Host` values it answers (loopback by default,
//! so that a web page cannot reach it through DNS rebinding) and the public URL its
//! absolute links (OGC API) are built from, never the request's `Host`.

use std::net::{IpAddr, SocketAddr};

use crate::ApiError;

/// The ports a `Host` without one means (http, https).
const DEFAULT_PORTS: [u16; 2] = [80, 443];

/// A `Host` value allowed: a name, and its port (`None`: any).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Allowed {
    name: String,
    port: Option<u16>,
}

/// The allowed `Host` values and the public URL.
#[derive(Debug, Clone)]
pub struct Site {
    /// `scheme://host[:port][/prefix]`, without a trailing slash.
    public_url: String,
    hosts: Vec<Allowed>,
    /// Listening on a loopback address only (the embedded mode is possible).
    loopback: bool,
}

/// A `Host` value split into its lower-cased name and port; `None` when malformed.
fn split_host(value: &str) -> Option<(String, Option<u16>)> {
    let value = value.trim();
    if value.is_empty() || value.len() > 255 {
        return None;
    }
    let (name, port) = if let Some(rest) = value.strip_prefix('[') {
        let (inside, after) = rest.split_once(']')?;
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':')?.parse().ok()?),
        };
        (format!("[{inside}]"), port)
    } else {
        match value.rsplit_once(':') {
            Some((n, p)) => (n.to_string(), Some(p.parse().ok()?)),
            None => (value.to_string(), None),
        }
    };
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c)) {
        return None;
    }
    Some((name.to_ascii_lowercase(), port))
}

/// How an address is written in a `Host` value.
fn host_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

impl Site {
    /// The site of a server listening on `listening`: loopback names with its port,
    /// the listening address itself when it is a definite one, the public URL's host,
    /// and the `allowed` values (`name` for any port, or `name:port`).
    pub fn new(listening: SocketAddr, public_url: Option<&str>, allowed: &[String]) -> Result<Site, ApiError> {
        let port = listening.port();
        let mut hosts: Vec<Allowed> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|n| Allowed { name: n.to_string(), port: Some(port) })
            .collect();
        let ip = listening.ip();
        if !ip.is_unspecified() {
            hosts.push(Allowed { name: host_name(ip), port: Some(port) });
        }
        for a in allowed {
            let (name, port) = split_host(a)
                .ok_or_else(|| ApiError::BadRequest(format!("allowed host '{a}': expected NAME or NAME:PORT")))?;
            hosts.push(Allowed { name, port });
        }
        let public_url = match public_url {
            Some(u) => {
                let u = u.trim_end_matches('/');
                let rest = u
                    .strip_prefix("http://")
                    .or_else(|| u.strip_prefix("https://"))
                    .filter(|r| !r.contains(['?', '#']))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!("public URL '{u}': expected http(s)://HOST[:PORT][/PATH]"))
                    })?;
                let authority = rest.split('/').next().unwrap_or_default();
                let (name, port) = split_host(authority)
                    .ok_or_else(|| ApiError::BadRequest(format!("public URL '{u}': no host name")))?;
                let default = if u.starts_with("https://") { DEFAULT_PORTS[1] } else { DEFAULT_PORTS[0] };
                hosts.push(Allowed { name, port: Some(port.unwrap_or(default)) });
                u.to_string()
            }
            None => {
                let shown = if ip.is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { ip };
                format!("http://{}:{port}", host_name(shown))
            }
        };
        Ok(Site { public_url, hosts, loopback: ip.is_loopback() })
    }

    /// Loopback on port 8080, the default of `echelle serve`.
    pub fn loopback() -> Site {
        Site::new(SocketAddr::from(([127, 0, 0, 1], 8080)), None, &[]).expect("loopback site")
    }

    /// An absolute URL of the server: the public URL followed by `path` (`/ogc/…`).
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Whether the server listens on a loopback address only: only then may a request
    /// without credentials be the local user's (when no account exists).
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// Whether a `Host` value is one the server answers.
    pub fn allows(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else { return false };
        self.hosts.iter().any(|a| {
            a.name == name
                && match (a.port, port) {
                    (None, _) => true,
                    (Some(p), Some(q)) => p == q,
                    (Some(p), None) => DEFAULT_PORTS.contains(&p),
                }
        })
    }
}

impl Default for Site {
    fn default() -> Self {
        Site::loopback()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        let s = Site::new("127.0.0.1:8080".parse().unwrap(), None, &["obs.example.org".into(), "10.0.0.2:81".into()])
            .unwrap();
        for ok in [
            "localhost:8080",
            "127.0.0.1:8080",
            "[::1]:8080",
            "LOCALHOST:8080",
            "obs.example.org",
            "obs.example.org:9",
            "10.0.0.2:81",
        ] {
            assert!(s.allows(ok), "{ok}");
        }
        for bad in [
            "evil.example:8080",
            "localhost:8081",
            "localhost",
            "10.0.0.2:80",
            "",
            "a b",
            "localhost:x",
            "127.0.0.1:8080@evil",
        ] {
            assert!(!s.allows(bad), "{bad}");
        }
        assert_eq!(s.url("/ogc"), "http://127.0.0.1:8080/ogc");
        let p = Site::new("0.0.0.0:80".parse().unwrap(), Some("https://obs.example.org/echelle/"), &[]).unwrap();
        assert_eq!(p.url("/ogc"), "https://obs.example.org/echelle/ogc");
        assert!(p.allows("obs.example.org:443") && p.allows("obs.example.org") && p.allows("localhost"));
        assert!(!p.allows("obs.example.org:8080"));
        assert!(Site::new("127.0.0.1:1".parse().unwrap(), Some("ftp://x"), &[]).is_err());
    }
}
