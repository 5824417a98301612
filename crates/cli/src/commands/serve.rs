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
    let config = ServeConfig {
        store: store.to_path_buf(),
        addr: a.addr,
        web: a.web,
        request_timeout: Duration::from_secs(a.timeout),
        facilities,
    };
    runtime()?.block_on(echelle_server::serve(config))?;
    Ok(())
}

/// `echelle openapi`: the server's OpenAPI document on standard output (no store needed).
pub fn openapi() -> Result<()> {
    println!("{}", echelle_server::openapi_json());
    Ok(())
}
