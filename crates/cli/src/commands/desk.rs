//! `echelle desk`: the engineering-requests desk's settings (who its agents are, which
//! partner helps with what and where, the addresses it writes to) and its outbox, as an
//! administrator on the server's machine. The requests themselves go through the web
//! application and the API (`/api/desk/…`).

use std::path::Path;

use anyhow::Result;
use echelle_exchange::Theme;

use super::{UserError, open_store};
use crate::output::align;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: DeskCommand,
}

#[derive(clap::Subcommand)]
enum DeskCommand {
    /// Name the organisation whose members are the desk's agents (without ORG: show it).
    Org { org: Option<String> },
    /// Declare that an organisation helps with a theme on a territory (routing suggestions).
    Referent {
        org: String,
        /// planning, housing, retail, mobility, energy, heritage, economy, other; `*`: every theme.
        #[arg(long, default_value = "*")]
        theme: String,
        /// A referential key (dep:62, epci:…, per:…); `*`: everywhere.
        #[arg(long, default_value = "*")]
        territory: String,
    },
    /// List the declared referents.
    Referents,
    /// Set the e-mail address the desk writes to for an account.
    Contact { login: String, email: String },
    /// The e-mails of every case (or of one), with what became of each.
    Outbox {
        /// Only this case's.
        #[arg(long)]
        case: Option<i64>,
    },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    let store = open_store(store)?;
    let catalog = store.catalog();
    let accounts = echelle_platform::Accounts::new(echelle_store::account_store(store.root(), &Default::default())?);
    let known_org = |org: &str| -> Result<()> {
        if accounts.organisations()?.iter().any(|o| o.id == org) {
            Ok(())
        } else {
            Err(UserError(format!("organisation « {org} » inconnue (voir `echelle org list`)")).into())
        }
    };
    match a.command {
        DeskCommand::Org { org: None } => match catalog.desk_org()? {
            Some(org) => println!("agents du guichet : membres de « {org} »"),
            None => println!("aucune organisation n'est nommée : seuls les administrateurs sont agents du guichet"),
        },
        DeskCommand::Org { org: Some(org) } => {
            known_org(&org)?;
            catalog.set_desk_org(&org)?;
            println!("agents du guichet : membres de « {org} »");
        }
        DeskCommand::Referent { org, theme, territory } => {
            known_org(&org)?;
            if theme != "*" && Theme::parse(&theme).is_none() {
                let keys: Vec<&str> = Theme::ALL.iter().map(|t| t.key()).collect();
                return Err(UserError(format!(
                    "thème « {theme} » inconnu ; attendu * ou l'un de : {}",
                    keys.join(", ")
                ))
                .into());
            }
            let territory = if territory == "*" {
                territory
            } else {
                store.referential()?.resolve(&territory).map_err(|e| UserError(format!("territoire : {e}")))?.key()
            };
            catalog.desk_add_referent(&org, &theme, &territory)?;
            println!("« {org} » : thème {theme}, territoire {territory}");
        }
        DeskCommand::Referents => {
            let mut rows = vec![vec!["organisation".into(), "thème".into(), "territoire".into()]];
            rows.extend(catalog.desk_referents()?.into_iter().map(|(o, t, k)| vec![o, t, k]));
            print!("{}", align(&rows));
        }
        DeskCommand::Contact { login, email } => {
            if !echelle_exchange::plausible_email(&email) {
                return Err(UserError(format!("adresse électronique « {email} » invalide")).into());
            }
            catalog.desk_set_contact(&login, &email.to_ascii_lowercase())?;
            println!("{login} : {}", email.to_ascii_lowercase());
        }
        DeskCommand::Outbox { case } => {
            let mut rows = vec![vec!["n°".into(), "demande".into(), "à".into(), "objet".into(), "état".into()]];
            for (out, delivery) in catalog.desk_outbox(case)? {
                let state = delivery.label(echelle_platform::audit::iso_time);
                rows.push(vec![out.id.to_string(), out.case_id.to_string(), out.email.to, out.email.subject, state]);
            }
            print!("{}", align(&rows));
        }
    }
    Ok(())
}
