//! `echelle catalog`: where the store's catalog lives, and moving it into PostgreSQL.

use std::path::Path;

use anyhow::Result;
use echelle_store::PostgresLocation;

use super::open_store;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<CatalogCommand>,
}

#[derive(clap::Subcommand)]
enum CatalogCommand {
    /// Where the catalog lives, its schema step, its version and what it holds (the default).
    Info,
    /// Move the catalog into PostgreSQL, so that several `echelle serve` share it: copies it
    /// into an empty schema, then writes `catalog.toml` in the store (the Parquet files stay).
    Move {
        /// postgresql://user[:password]@host[:port]/database
        url: String,
        /// The schema of the catalog's tables (created if needed).
        #[arg(long, default_value = "echelle")]
        schema: String,
    },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command.unwrap_or(CatalogCommand::Info) {
        CatalogCommand::Info => {
            let s = open_store(store)?;
            let c = s.catalog();
            let place = match s.postgres() {
                Some(l) => format!("PostgreSQL {} (schéma {})", l.redacted(), l.schema),
                None => format!("SQLite {}", store.join("catalog.sqlite").display()),
            };
            println!("catalogue : {place}");
            println!("étape de schéma : {} ; version : {}", c.schema_version()?, c.version()?);
            println!(
                "jeux de données : {} ; périmètres d'utilisateurs : {} ; catalogues d'indicateurs : {}",
                c.datasets()?.len(),
                c.user_perimeters()?.len(),
                c.indicator_catalogs()?.len()
            );
            Ok(())
        }
        CatalogCommand::Move { url, schema } => {
            let location = PostgresLocation::new(url, schema);
            let s = open_store(store)?;
            s.move_catalog(&location)?;
            let moved = open_store(store)?;
            println!(
                "catalogue déplacé dans PostgreSQL {} (schéma {}) : {} jeux de données, version {} ; \
                 {} n'est plus lu",
                location.redacted(),
                location.schema,
                moved.catalog().datasets()?.len(),
                moved.catalog().version()?,
                store.join("catalog.sqlite").display()
            );
            Ok(())
        }
    }
}
