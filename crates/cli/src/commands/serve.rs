use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use echelle_server::ServeConfig;

use super::{UserError, runtime};

#[derive(clap::Args)]
pub struct Args {
    /// Address to listen on; loopback by default, so nothing is exposed by accident.
    #[arg(long, default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    /// The built web application to serve at / (web/dist).
    #[arg(long)]
    web: Option<PathBuf>,
    /// Seconds after which a request is answered 408.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// A facility point file (GeoJSON or CSV) offered by the access view, as NAME=PATH
    /// (repeatable), e.g. france-services=../shared/data/france-services-2021.geojson.
    #[arg(long, value_name = "NAME=PATH")]
    facilities: Vec<String>,
    /// A `Host` value answered besides loopback's (repeatable): NAME for any port, or
    /// NAME:PORT. Other hosts are refused (421), against DNS rebinding.
    #[arg(long, value_name = "HOST")]
    allowed_host: Vec<String>,
    /// The URL clients reach the server at (behind a proxy, say), for absolute links;
    /// its host is answered. By default the listening address.
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
    /// Seconds a client has to send a request's headers, and an idle keep-alive
    /// connection is kept.
    #[arg(long, default_value_t = echelle_server::conn::HEADER_READ_TIMEOUT.as_secs())]
    header_timeout: u64,
    /// Connections open at once; beyond, new ones wait.
    #[arg(long, default_value_t = echelle_server::conn::MAX_CONNECTIONS)]
    max_connections: usize,
    /// Requests whose heavy part runs at once (default: one per core, at least 2).
    #[arg(long)]
    workers: Option<usize>,
    /// Requests waiting for a worker; beyond, 503 with Retry-After.
    #[arg(long, default_value_t = echelle_server::work::QUEUED)]
    queue: usize,
    /// Seconds between two reads of the catalog's version, which pick up changes made by
    /// other processes (a catalog in PostgreSQL also notifies them at once).
    #[arg(long, default_value_t = echelle_server::POLL_INTERVAL.as_secs())]
    poll_seconds: u64,
    /// The SMTP relay the requests desk's e-mails go through, smtp://HOST[:PORT] (plain
    /// SMTP, no authentication: the relay of the organisation's network); without one,
    /// e-mails wait in the outbox (`echelle desk outbox`).
    #[arg(long, value_name = "URL", env = "ECHELLE_SMTP")]
    smtp: Option<String>,
    /// The address the desk's e-mails are sent from.
    #[arg(long, value_name = "ADDRESS", env = "ECHELLE_MAIL_FROM", default_value = "guichet@echelle.invalid")]
    mail_from: String,
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    if let Some(web) = &a.web
        && !web.join("index.html").is_file()
    {
        return Err(UserError(format!("{}: no index.html (build the web application first)", web.display())).into());
    }
    let mut facilities = Vec::new();
    for f in &a.facilities {
        let Some((name, path)) = f.split_once('=') else {
            return Err(UserError(format!("--facilities {f}: expected NAME=PATH")).into());
        };
        if !Path::new(path).is_file() {
            return Err(UserError(format!("--facilities {name}: no file {path}")).into());
        }
        facilities.push((name.to_string(), PathBuf::from(path)));
    }
    let smtp = a
        .smtp
        .as_deref()
        .map(|url| echelle_server::SmtpConfig::parse(url, &a.mail_from))
        .transpose()
        .map_err(UserError)?;
    // A server others can reach wants accounts (exit status 2 otherwise).
    let accounts = echelle_platform::Accounts::new(echelle_store::account_store(store, &Default::default())?);
    echelle_platform::account::may_serve(a.addr.ip(), accounts.configured()?)?;
    let config = ServeConfig {
        store: store.to_path_buf(),
        addr: a.addr,
        web: a.web,
        request_timeout: Duration::from_secs(a.timeout),
        facilities,
        allowed_hosts: a.allowed_host,
        public_url: a.public_url,
        connections: echelle_server::Connections {
            header_read_timeout: Duration::from_secs(a.header_timeout.max(1)),
            max_connections: a.max_connections.max(1),
        },
        work: echelle_server::WorkConfig {
            running: a.workers.unwrap_or_else(echelle_server::work::default_running).max(1),
            queued: a.queue,
        },
        poll_interval: Duration::from_secs(a.poll_seconds.max(1)),
        smtp,
    };
    runtime()?.block_on(echelle_server::serve(config))?;
    Ok(())
}

/// `echelle openapi`: the server's OpenAPI document on standard output (no store needed).
pub fn openapi() -> Result<()> {
    println!("{}", echelle_server::openapi_json());
    Ok(())
}
