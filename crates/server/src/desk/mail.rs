//! Sends the desk's outbox through the configured SMTP server: a worker of the server
//! takes the due e-mails ([`echelle_store::Catalog::desk_due`], each kept from other
//! servers while it is sent), speaks SMTP to the relay, and records what became of each
//! (sent, tried again later, or abandoned after eight attempts).
//!
//! The client is plain SMTP (RFC 5321: EHLO, MAIL, RCPT, DATA), for the relay of the
//! organisation's network that accepts the observatory's server; it has neither TLS nor
//! authentication (a relay on the same host or network is the usual setting; a remote
//! provider needs a local relay such as Postfix in front).

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::Duration;

use base64::Engine as _;
use echelle_exchange::Email;
use echelle_platform::audit::now_seconds;

use crate::AppState;

/// Where and as whom e-mails are sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The relay's host name or address.
    pub host: String,
    /// Its port (25 by default).
    pub port: u16,
    /// The sender's address (`From`, and the envelope's).
    pub from: String,
}

/// How long one exchange with the relay may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How often the worker looks for due e-mails.
pub const POLL: Duration = Duration::from_secs(2);
/// How often the late cases are looked for.
pub const REMIND_POLL: Duration = Duration::from_secs(600);

impl SmtpConfig {
    /// The relay of `smtp://HOST[:PORT]` (or `HOST[:PORT]`), sending as `from`.
    pub fn parse(url: &str, from: &str) -> Result<SmtpConfig, String> {
        let rest = url.strip_prefix("smtp://").unwrap_or(url).trim_end_matches('/');
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| format!("SMTP : port « {p} » invalide dans « {url} »"))?),
            None => (rest, 25),
        };
        if host.is_empty() || host.contains(['/', '@', ' ']) {
            return Err(format!("SMTP : « {url} » n'est pas smtp://HÔTE[:PORT]"));
        }
        if !from.contains('@') || from.contains(['<', '>', ' ', '\r', '\n']) {
            return Err(format!("SMTP : adresse d'expédition « {from} » invalide"));
        }
        Ok(SmtpConfig { host: host.to_string(), port, from: from.to_string() })
    }
}

/// A reply of the relay: its code and its text.
fn reply(reader: &mut impl BufRead) -> Result<(u16, String), String> {
    let mut text = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).map_err(|e| format!("lecture : {e}"))? == 0 {
            return Err("le serveur SMTP a fermé la connexion".into());
        }
        let code = line
            .get(..3)
            .and_then(|c| c.parse::<u16>().ok())
            .ok_or_else(|| format!("réponse SMTP illisible : {line:?}"))?;
        text.push_str(line.trim_end());
        // `250-…` continues, `250 …` ends.
        if line.as_bytes().get(3) != Some(&b'-') {
            return Ok((code, text));
        }
        text.push(' ');
    }
}

fn expect(reader: &mut impl BufRead, ok: &[u16]) -> Result<(), String> {
    let (code, text) = reply(reader)?;
    if ok.contains(&code) { Ok(()) } else { Err(text) }
}

/// A header's value in RFC 2047 encoded words when it is not plain ASCII.
fn header_text(s: &str) -> String {
    if s.is_ascii() {
        return s.to_string();
    }
    format!("=?UTF-8?B?{}?=", base64::engine::general_purpose::STANDARD.encode(s))
}

/// RFC 5322 date of Unix seconds, in UTC.
fn date(unix: i64) -> String {
    let (days, secs) = (unix.div_euclid(86_400), unix.rem_euclid(86_400));
    let echelle_report::Date { year, month, day } = echelle_report::Date::from_days(days);
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{}, {day:02} {} {year} {:02}:{:02}:{:02} +0000",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[month as usize - 1],
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

/// The message's text: headers, and the body in base64 (any relay carries it unchanged).
pub fn message(from: &str, email: &Email, id: &str, at: i64) -> String {
    let body = base64::engine::general_purpose::STANDARD.encode(email.body.replace('\n', "\r\n"));
    let lines: Vec<&str> =
        body.as_bytes().chunks(76).map(|c| std::str::from_utf8(c).expect("base64 is ASCII")).collect();
    let domain = from.rsplit_once('@').map_or("echelle", |(_, d)| d);
    format!(
        "From: echelle <{from}>\r\nTo: <{}>\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{id}@{domain}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\
         Auto-Submitted: auto-generated\r\n\r\n{}\r\n",
        email.to,
        header_text(&email.subject),
        date(at),
        lines.join("\r\n")
    )
}

/// Sends one e-mail; the relay's refusal (or the connection's failure) as an error.
pub fn send(config: &SmtpConfig, email: &Email, id: &str) -> Result<(), String> {
    if email.to.contains(['<', '>', '\r', '\n', ' ']) || !email.to.contains('@') {
        return Err(format!("adresse « {} » invalide", email.to));
    }
    let address = format!("{}:{}", config.host, config.port);
    let stream = std::net::ToSocketAddrs::to_socket_addrs(&address)
        .map_err(|e| format!("{address} : {e}"))?
        .find_map(|a| TcpStream::connect_timeout(&a, TIMEOUT).ok())
        .ok_or_else(|| format!("{address} : connexion impossible"))?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .and_then(|_| stream.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let mut writer = stream.try_clone().map_err(|e| e.to_string())?;
    let mut reader = BufReader::new(stream);
    let mut say =
        |line: &str| writer.write_all(format!("{line}\r\n").as_bytes()).map_err(|e| format!("écriture : {e}"));
    expect(&mut reader, &[220])?;
    let hello = config.from.rsplit_once('@').map_or("echelle", |(_, d)| d).to_string();
    say(&format!("EHLO {hello}"))?;
    expect(&mut reader, &[250])?;
    say(&format!("MAIL FROM:<{}>", config.from))?;
    expect(&mut reader, &[250])?;
    say(&format!("RCPT TO:<{}>", email.to))?;
    expect(&mut reader, &[250, 251])?;
    say("DATA")?;
    expect(&mut reader, &[354])?;
    let text = message(&config.from, email, id, now_seconds());
    // Dot-stuffing: a line starting with a dot gets another.
    let stuffed = text.replace("\r\n.", "\r\n..");
    say(&format!("{stuffed}."))?;
    expect(&mut reader, &[250])?;
    let _ = say("QUIT");
    Ok(())
}

/// Sends the e-mails of the outbox due at `now` once; how many were sent.
pub fn send_due(state: &AppState, config: &SmtpConfig, now: i64) -> Result<usize, crate::ApiError> {
    let store = state.store()?;
    let mut sent = 0;
    for out in store.catalog().desk_due(now, 20)? {
        let result = send(config, &out.email, &format!("desk-{}-{}.{}", out.case_id, out.id, out.attempts));
        match &result {
            Ok(()) => sent += 1,
            Err(e) => tracing::warn!(to = %out.email.to, error = %e, "sending a desk e-mail failed"),
        }
        let delivery = store.catalog().desk_delivered(out.id, now, result.err().as_deref())?;
        if let echelle_exchange::Delivery::Abandoned { attempts, error } = delivery {
            tracing::error!(to = %out.email.to, attempts, %error, "desk e-mail abandoned");
        }
    }
    Ok(sent)
}

/// Runs [`send_due`] every [`POLL`], and queues the late cases' reminders every
/// [`REMIND_POLL`], off the async workers, for the server's life.
pub fn spawn(state: AppState, config: SmtpConfig) {
    tracing::info!(relay = %format!("{}:{}", config.host, config.port), from = %config.from, "desk e-mails sent through SMTP");
    tokio::spawn(async move {
        let mut every = tokio::time::interval(POLL);
        let mut last_reminders = None;
        loop {
            every.tick().await;
            let remind = last_reminders.is_none_or(|t: std::time::Instant| t.elapsed() >= REMIND_POLL);
            if remind {
                last_reminders = Some(std::time::Instant::now());
            }
            let (state, config) = (state.clone(), config.clone());
            let work = move || {
                if remind {
                    super::remind_due(&state, now_seconds())?;
                }
                send_due(&state, &config, now_seconds())
            };
            match tokio::task::spawn_blocking(work).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "reading the desk's outbox failed"),
                Err(e) => tracing::error!(error = %e, "the desk's e-mail worker panicked"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_rfc_5322() {
        assert_eq!(date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
        assert_eq!(date(1_796_400_000), "Fri, 04 Dec 2026 16:00:00 +0000");
        assert_eq!(date(951_782_400), "Tue, 29 Feb 2000 00:00:00 +0000");
    }

    #[test]
    fn relays_and_headers() {
        assert_eq!(
            SmtpConfig::parse("smtp://relais.pdc.fr:2525", "guichet@pdc.fr").unwrap(),
            SmtpConfig { host: "relais.pdc.fr".into(), port: 2525, from: "guichet@pdc.fr".into() }
        );
        assert_eq!(SmtpConfig::parse("localhost", "g@x.fr").unwrap().port, 25);
        assert!(SmtpConfig::parse("smtp://h:x", "g@x.fr").is_err());
        assert!(SmtpConfig::parse("smtp://h", "pas une adresse").is_err());
        assert_eq!(header_text("Demande reçue"), "=?UTF-8?B?RGVtYW5kZSByZcOndWU=?=");
        let m = message("g@pdc.fr", &Email { to: "a@b.fr".into(), subject: "S".into(), body: "é\n.".into() }, "1", 0);
        assert!(m.contains("Content-Transfer-Encoding: base64\r\n") && m.ends_with("\r\n\r\nw6kNCi4=\r\n"), "{m}");
    }
}
