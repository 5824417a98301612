//! `echelle catalog`: where the store's catalog lives, moving it into PostgreSQL, and
//! publishing the public layers into PostGIS for QGIS.

use std::path::Path;

use anyhow::Result;
use echelle_store::PostgresLocation;

use super::{UserError, open_store, runtime};

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
    /// Publish the public layers (shapes and key indicators, as a visitor without an
    /// account sees them) as PostGIS tables that QGIS adds straight from the database;
    /// each table is replaced in one transaction.
    Publish {
        /// postgresql://user[:password]@host[:port]/database (default: the catalog's
        /// database, when the catalog is in PostgreSQL).
        #[arg(long)]
        url: Option<String>,
        /// The schema of the layers' tables (created if needed).
        #[arg(long, default_value = "echelle_public")]
        schema: String,
        /// The layers, comma-separated: com, epci, arr, dep, reg, fr, per (default: all).
        #[arg(long, value_delimiter = ',')]
        layers: Vec<String>,
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
        CatalogCommand::Publish { url, schema, layers } => {
            let layers = layers.iter().map(|l| l.parse()).collect::<Result<Vec<echelle_referential::Layer>, _>>()?;
            let url = match url {
                Some(u) => u,
                None => open_store(store)?.postgres().map(|l| l.url.clone()).ok_or_else(|| {
                    UserError("catalog publish: le catalogue est dans SQLite ; donnez --url postgresql://…".into())
                })?,
            };
            let location = PostgresLocation::new(url, schema);
            location.check()?;
            let published = runtime()?.block_on(async {
                let state = echelle_server::AppState::open(store).await?;
                echelle_server::public_layers(&state, &layers).await
            })?;
            let mut statements = Vec::new();
            for layer in &published {
                statements.extend(echelle_report::postgis::statements(layer, &location.schema)?);
            }
            echelle_store::publish(&location, &statements)?;
            for layer in &published {
                println!(
                    "{}.{} : {} territoires, {} indicateurs",
                    location.schema,
                    layer.name,
                    layer.features.len(),
                    layer.indicators.len()
                );
            }
            println!("publié dans PostgreSQL {} : QGIS les ajoute comme couches PostGIS", location.redacted());
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
