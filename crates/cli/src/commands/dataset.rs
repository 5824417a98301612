//! `echelle dataset`: who may see a dataset of the store (public, shared with named
//! organisations, private to its owner), changed after its import.

use std::path::Path;

use anyhow::Result;
use echelle_platform::Visibility;
use echelle_store::ObjectKind;

use super::{UserError, open_store};
use crate::output::align;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<DatasetCommand>,
}

#[derive(clap::Subcommand)]
enum DatasetCommand {
    /// List the datasets with their visibility (the default).
    List,
    /// Set a dataset's visibility: public, shared or private.
    Visibility {
        /// The dataset id.
        id: String,
        /// public, shared or private.
        level: String,
        /// The owner organisation (shared or private).
        #[arg(long)]
        owner: Option<String>,
        /// The organisations it is shared with (shared).
        #[arg(long, value_delimiter = ',')]
        share_with: Vec<String>,
    },
    /// Share a private or shared dataset with more organisations.
    Share {
        /// The dataset id.
        id: String,
        /// The organisations, comma-separated.
        #[arg(long = "with", value_delimiter = ',', required = true)]
        orgs: Vec<String>,
    },
    /// Stop sharing a dataset with organisations (with none left, it is private).
    Unshare {
        /// The dataset id.
        id: String,
        /// The organisations, comma-separated.
        #[arg(long = "with", value_delimiter = ',', required = true)]
        orgs: Vec<String>,
    },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    let store = open_store(store)?;
    let catalog = store.catalog();
    let user = |e: echelle_platform::VisibilityError| UserError(e.to_string());
    let (id, next) = match a.command.unwrap_or(DatasetCommand::List) {
        DatasetCommand::List => {
            let all = catalog.visibilities()?;
            let mut rows = vec![vec!["jeu".into(), "visibilité".into(), "propriétaire".into(), "partagé avec".into()]];
            for d in catalog.datasets()? {
                let v = all.dataset(&d.id);
                let with = match v {
                    Visibility::Shared { with, .. } => with.join(", "),
                    _ => String::new(),
                };
                rows.push(vec![d.id, label(v).into(), v.owner().unwrap_or("").into(), with]);
            }
            print!("{}", align(&rows));
            return Ok(());
        }
        DatasetCommand::Visibility { id, level, owner, share_with } => {
            let v = Visibility::parse(&level, owner.as_deref(), &share_with).map_err(user)?;
            (id, v)
        }
        DatasetCommand::Share { id, orgs } => {
            let v = catalog.visibility(ObjectKind::Dataset, &id)?.share_with(&orgs).map_err(user)?;
            (id, v)
        }
        DatasetCommand::Unshare { id, orgs } => {
            let v = catalog.visibility(ObjectKind::Dataset, &id)?.unshare(&orgs).map_err(user)?;
            (id, v)
        }
    };
    catalog.set_visibility(ObjectKind::Dataset, &id, &next)?;
    println!(
        "jeu '{id}' : {}{}",
        label(&next),
        next.owner().map(|o| format!(" (propriétaire {o})")).unwrap_or_default()
    );
    Ok(())
}

/// The French word for a visibility in listings.
fn label(v: &Visibility) -> &'static str {
    v.badge().unwrap_or("public")
}
