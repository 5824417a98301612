//! `echelle synth`: synthetic data in INSEE's exact formats, for the demo and the
//! benchmarks, always labelled synthetic (sidecar file, catalog, every report).

use std::collections::BTreeSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_import::synth::{mobpro, positions, tables};
use echelle_import::{ImportRequest, Options, prepare};

use super::open_store;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SynthCommand,
}

#[derive(clap::Args)]
struct Common {
    /// Territories whose communes are used (any layer, e.g. dep:59, epci:200093201, per:aml).
    #[arg(long, default_value = "fr", value_delimiter = ',')]
    within: Vec<String>,
    /// The seed: the same seed gives the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// The file to write.
    #[arg(long)]
    out: PathBuf,
    /// Also import the file into the store (registered as synthetic).
    #[arg(long)]
    import: bool,
}

#[derive(clap::Subcommand)]
enum SynthCommand {
    /// A FD_MOBPRO-format file (gravity model on real populations and distances).
    Mobpro {
        #[command(flatten)]
        common: Common,
        /// Number of rows (people in the sample).
        #[arg(long, default_value_t = 100_000)]
        rows: u64,
    },
    /// A bpe{yy}_ensemble_xy-format file.
    Bpe {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 2023)]
        year: u16,
    },
    /// A commune-level Filosofi-format file.
    Filosofi {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 2021)]
        year: u16,
    },
}

pub fn run(store_root: &Path, args: Args) -> Result<()> {
    let store = open_store(store_root)?;
    let r = store.referential()?;
    let common = match &args.command {
        SynthCommand::Mobpro { common, .. }
        | SynthCommand::Bpe { common, .. }
        | SynthCommand::Filosofi { common, .. } => common,
    };
    let mut communes = BTreeSet::new();
    for t in super::resolve_all(&r, &common.within)? {
        communes.extend(r.members(&t)?.iter().copied());
    }
    let communes: Vec<u32> = communes.into_iter().collect();
    match &args.command {
        SynthCommand::Mobpro { rows, .. } => {
            let centroids = positions::centroids(&store.pack_dir()?)?;
            let zone = mobpro::Zone::new(&r, &communes, &centroids);
            let g = mobpro::generate(&r, &zone, *rows, common.seed, &common.out, &|_| {})?;
            println!(
                "SYNTHETIC FD_MOBPRO-format file {}: {} rows over {} communes, {:.1} MB in {:.2} s ({:.0} rows/s)",
                common.out.display(),
                g.rows,
                g.communes,
                g.bytes as f64 / 1e6,
                g.seconds,
                g.rows as f64 / g.seconds.max(1e-9)
            );
            if !g.left_out.is_empty() {
                println!(
                    "  {} asked communes left out: no position in the reference pack (no commune shape: see the pack's build report){}",
                    g.left_out.len(),
                    if g.left_out.len() <= 10 { format!(": {}", g.left_out.join(", ")) } else { String::new() }
                );
            }
        }
        SynthCommand::Bpe { year, .. } => {
            let centroids = positions::centroids(&store.pack_dir()?)?;
            let n = tables::bpe(&r, &communes, &centroids, *year, common.seed, &common.out)?;
            println!("SYNTHETIC BPE-format file {}: {n} equipments", common.out.display());
        }
        SynthCommand::Filosofi { year, .. } => {
            let n = tables::filosofi(&r, &communes, *year, common.seed, &common.out)?;
            println!("SYNTHETIC Filosofi-format file {}: {n} communes", common.out.display());
        }
    }
    if common.import {
        let options = Options { progress: std::io::stderr().is_terminal(), ..Options::default() };
        let prepared = prepare(ImportRequest { path: common.out.clone(), options, ..Default::default() })?;
        print!("{}", prepared.describe());
        print!("{}", prepared.run(&store)?.text());
    }
    Ok(())
}
