use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use echelle_referential::PerimeterDef;

use super::{UserError, open_store};
use crate::output::{align, french};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<PerimeterCommand>,
}

#[derive(clap::Subcommand)]
enum PerimeterCommand {
    /// List the perimeters with their number of communes and population (the default).
    List,
    /// Add a perimeter from a TOML file (id, name, status, source, include/exclude/intersect).
    Add {
        file: PathBuf,
        /// Replace a user perimeter of the same id.
        #[arg(long)]
        replace: bool,
        /// Who may see it: public, shared or private [default: public].
        #[arg(long, default_value = "public")]
        visibility: String,
        /// The organisation that owns it (shared or private).
        #[arg(long)]
        owner: Option<String>,
        /// The organisations it is shared with (shared).
        #[arg(long, value_delimiter = ',')]
        share_with: Vec<String>,
    },
    /// Remove a user perimeter.
    Remove { id: String },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command.unwrap_or(PerimeterCommand::List) {
        PerimeterCommand::List => list(store),
        PerimeterCommand::Add { file, replace, visibility, owner, share_with } => {
            let visibility = echelle_platform::Visibility::parse(&visibility, owner.as_deref(), &share_with)
                .map_err(|e| UserError(e.to_string()))?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("{}", file.display()))
                .map_err(|e| UserError(format!("{e:#}")))?;
            let def = PerimeterDef::parse(&file.display().to_string(), &text)?;
            let id = def.id.clone();
            let store = open_store(store)?;
            let r = store.add_perimeter_as(def, replace, &visibility)?;
            let p = r.perimeter(&id).expect("just added");
            println!(
                "perimeter '{id}' added: {} communes, {} inhabitants",
                p.members.len(),
                french(r.population_of(&p.members) as f64, 0)
            );
            Ok(())
        }
        PerimeterCommand::Remove { id } => {
            open_store(store)?.remove_perimeter(id.strip_prefix("per:").unwrap_or(&id))?;
            println!("perimeter '{id}' removed");
            Ok(())
        }
    }
}

fn list(store: &Path) -> Result<()> {
    let r = super::referential(store)?;
    let mut rows = vec![vec![
        "périmètre".into(),
        "nom".into(),
        "statut".into(),
        "communes".into(),
        "population".into(),
        "population DGCL".into(),
    ]];
    for p in r.perimeters() {
        let dgcl: u64 = p.members.iter().filter_map(|&m| r.communes()[m as usize].population_dgcl).sum();
        rows.push(vec![
            format!("per:{}", p.def.id),
            p.def.name.clone(),
            p.def.status.label().into(),
            p.members.len().to_string(),
            french(r.population_of(&p.members) as f64, 0),
            french(dgcl as f64, 0),
        ]);
    }
    print!("{}", align(&rows));
    println!(
        "\npopulation: INSEE populations légales in force on 1 January 2026; population DGCL: the EPCI file epcicom2026 (older vintage)."
    );
    for p in r.perimeters() {
        if let Some(note) = &p.def.note {
            println!("per:{}: {note}", p.def.id);
        }
        if let Some(source) = &p.def.source {
            println!("per:{}: source: {source}", p.def.id);
        }
    }
    Ok(())
}
