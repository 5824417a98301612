//! `echelle fetch <name>`: download an official file by name, check it, import it.

use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_import::fetch::{SHIPPED_SOURCES, download, find, parse_sources};
use echelle_import::{Format, ImportRequest, Options, prepare};

use super::open_store;

#[derive(clap::Args)]
pub struct Args {
    /// The source's name in the catalog of addresses (see --list).
    name: Option<String>,
    /// A catalog of addresses of your own [default: the shipped data/sources.toml].
    #[arg(long)]
    catalog: Option<PathBuf>,
    /// List the known sources.
    #[arg(long)]
    list: bool,
    /// Import even when the catalog declares no size and checksum.
    #[arg(long)]
    accept_unverified: bool,
    /// Download and check only.
    #[arg(long)]
    no_import: bool,
}

pub fn run(store_root: &Path, args: Args) -> Result<()> {
    let sources = match &args.catalog {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| echelle_import::ImportError::io(p, e))?;
            parse_sources(&p.display().to_string(), &text)?
        }
        None => parse_sources(SHIPPED_SOURCES.0, SHIPPED_SOURCES.1)?,
    };
    if args.list || args.name.is_none() {
        for s in &sources {
            let check = if s.sha256.is_some() && s.size.is_some() { "checked" } else { "unverified" };
            println!("{:<22} {:<14} {check:<10} {}\n{:<22} {}", s.name, s.format, s.title, "", s.url);
        }
        return Ok(());
    }
    let entry = find(&sources, args.name.as_deref().unwrap_or_default())?;
    let store = open_store(store_root)?;
    let got = download(entry, &store.root().join("downloads"), args.accept_unverified)?;
    println!(
        "downloaded {} ({} bytes, SHA-256 {}{})",
        got.path.display(),
        got.size,
        got.sha256,
        if got.verified { ", matches the catalog" } else { ", NOT verified: the catalog declares no checksum" }
    );
    if args.no_import {
        return Ok(());
    }
    let request = ImportRequest {
        path: got.path,
        format: Format::parse(&entry.format),
        id: entry.id.clone(),
        vintage: entry.vintage.clone(),
        source: Some(format!("{}, {} (SHA-256 {})", entry.title, entry.url, got.sha256)),
        options: Options::default(),
        ..Default::default()
    };
    let prepared = prepare(request)?;
    print!("{}", prepared.describe());
    print!("{}", prepared.run(&store)?.text());
    Ok(())
}
