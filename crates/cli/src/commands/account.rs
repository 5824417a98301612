//! `echelle account|org|token|audit`: accounts, organisations, API tokens and the audit
//! log of a store (its `accounts.sqlite`), as an administrator on the server's machine.
//!
//! Passwords are read from standard input (one line) or, on a terminal, typed twice
//! without echo; never from the command line, where `ps` and the shell's history would
//! keep them.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use echelle_platform::{Accounts, Actor, AuditQuery, NewAccount, Role, Scope};

use super::UserError;
use crate::output::align;

fn accounts(store: &Path) -> Result<Accounts> {
    std::fs::create_dir_all(store).with_context(|| store.display().to_string())?;
    Ok(Accounts::new(echelle_store::account_store(store, &Default::default())?))
}

/// Unix seconds as shown in listings.
fn when(t: i64) -> String {
    echelle_platform::audit::iso_time(t)
}

#[derive(clap::Args)]
pub struct AccountArgs {
    #[command(subcommand)]
    command: AccountCommand,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum RoleArg {
    Admin,
    Analyst,
}

#[derive(clap::Subcommand)]
enum AccountCommand {
    /// Create an account; its password is read from standard input (or typed twice on a terminal).
    Add {
        login: String,
        /// Its role.
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Its organisation (required for analysts; see `echelle org add`).
        #[arg(long)]
        org: Option<String>,
    },
    /// List the accounts.
    List,
    /// Disable an account (its sessions close, its tokens are refused), or enable it again.
    Disable {
        login: String,
        /// Enable it again instead.
        #[arg(long)]
        enable: bool,
    },
    /// Set an account's password (read like `add`'s); its sessions close.
    Password { login: String },
}

/// Reads a new password: twice without echo on a terminal, else one line of standard input.
fn read_password(login: &str) -> Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("Mot de passe de {login} : "))?;
        let again = rpassword::prompt_password("Une seconde fois : ")?;
        if first != again {
            return Err(UserError("les deux mots de passe diffèrent".into()).into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn account(store: &Path, a: AccountArgs) -> Result<()> {
    let accounts = accounts(store)?;
    let by = Actor::command_line();
    match a.command {
        AccountCommand::Add { login, role, org } => {
            let role = match role {
                RoleArg::Admin => Role::Admin,
                RoleArg::Analyst => Role::Analyst,
            };
            let new = NewAccount { login: login.clone(), org, role };
            // The login's rules first: no password typed for nothing.
            echelle_platform::account::check_login(&login)?;
            let password = read_password(&login)?;
            let created = accounts.add_account(&new, &password, &by)?;
            println!("compte « {} » créé ({})", created.login, role_word(created.role));
        }
        AccountCommand::List => {
            let mut rows =
                vec![vec!["identifiant".into(), "rôle".into(), "organisation".into(), "état".into(), "créé le".into()]];
            for a in accounts.accounts()? {
                rows.push(vec![
                    a.login,
                    role_word(a.role).into(),
                    a.org.unwrap_or_default(),
                    if a.disabled { "désactivé" } else { "actif" }.into(),
                    when(a.created_at),
                ]);
            }
            print!("{}", align(&rows));
        }
        AccountCommand::Disable { login, enable } => {
            accounts.set_disabled(&login, !enable, &by)?;
            println!("compte « {login} » {}", if enable { "réactivé" } else { "désactivé" });
        }
        AccountCommand::Password { login } => {
            accounts.account(&login)?;
            let password = read_password(&login)?;
            accounts.set_password(&login, &password, &by)?;
            println!("mot de passe de « {login} » changé ; ses sessions sont fermées");
        }
    }
    Ok(())
}

fn role_word(role: Role) -> &'static str {
    match role {
        Role::Admin => "administrateur",
        Role::Analyst => "analyste",
    }
}

#[derive(clap::Args)]
pub struct OrgArgs {
    #[command(subcommand)]
    command: OrgCommand,
}

#[derive(clap::Subcommand)]
enum OrgCommand {
    /// Create an organisation: a slug id (`cci-hdf`) and its name.
    Add {
        id: String,
        #[arg(long)]
        name: String,
    },
    /// List the organisations.
    List,
}

pub fn org(store: &Path, a: OrgArgs) -> Result<()> {
    let accounts = accounts(store)?;
    match a.command {
        OrgCommand::Add { id, name } => {
            let org = accounts.add_organisation(&id, &name, &Actor::command_line())?;
            println!("organisation « {} » créée : {}", org.id, org.name);
        }
        OrgCommand::List => {
            let mut rows = vec![vec!["organisation".into(), "nom".into()]];
            rows.extend(accounts.organisations()?.into_iter().map(|o| vec![o.id, o.name]));
            print!("{}", align(&rows));
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ScopeArg {
    Read,
    Write,
    Admin,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Create an API token acting as LOGIN; its secret is printed once, on standard output.
    Create {
        login: String,
        /// What it is for.
        #[arg(long)]
        name: String,
        /// read: no change; write: changes, no administration; admin: everything (administrators only).
        #[arg(long, value_enum, default_value = "read")]
        scope: ScopeArg,
    },
    /// List the tokens (never their secrets).
    List {
        /// One account's only.
        #[arg(long)]
        login: Option<String>,
    },
    /// Revoke a token by id.
    Revoke { id: String },
}

pub fn token(store: &Path, a: TokenArgs) -> Result<()> {
    let accounts = accounts(store)?;
    match a.command {
        TokenCommand::Create { login, name, scope } => {
            let scope = match scope {
                ScopeArg::Read => Scope::Read,
                ScopeArg::Write => Scope::Write,
                ScopeArg::Admin => Scope::Admin,
            };
            let (secret, info) = accounts.create_token(&login, &name, scope, &Actor::command_line())?;
            eprintln!(
                "jeton {} ({}) créé pour {} : copiez-le maintenant, il ne sera plus jamais affiché",
                info.id,
                scope.as_str(),
                info.login
            );
            println!("{secret}");
        }
        TokenCommand::List { login } => {
            let mut rows = vec![vec![
                "id".into(),
                "compte".into(),
                "nom".into(),
                "portée".into(),
                "créé le".into(),
                "dernier usage".into(),
                "révoqué le".into(),
            ]];
            for t in accounts.tokens(login.as_deref())? {
                rows.push(vec![
                    t.id,
                    t.login,
                    t.name,
                    t.scope.as_str().into(),
                    when(t.created_at),
                    t.last_used_at.map(when).unwrap_or_default(),
                    t.revoked_at.map(when).unwrap_or_default(),
                ]);
            }
            print!("{}", align(&rows));
        }
        TokenCommand::Revoke { id } => {
            accounts.revoke_token(&id, &Actor::command_line())?;
            println!("jeton « {id} » révoqué");
        }
    }
    Ok(())
}

#[derive(clap::Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Write the audit log as CSV, newest first (standard output, or --output).
    Export {
        /// The file to write.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// For a spreadsheet set to French conventions (';', BOM).
        #[arg(long)]
        excel: bool,
        /// Lines of this action only (login, login_failed, logout, import, export, read…).
        #[arg(long)]
        action: Option<String>,
        /// Lines of this actor only (a login, `local`, `public`).
        #[arg(long)]
        who: Option<String>,
    },
}

pub fn audit(store: &Path, a: AuditArgs) -> Result<()> {
    let accounts = accounts(store)?;
    match a.command {
        AuditCommand::Export { output, excel, action, who } => {
            let action = match action {
                Some(word) => Some(echelle_platform::Action::parse(&word).ok_or_else(|| {
                    let known: Vec<&str> = echelle_platform::Action::ALL.iter().map(|a| a.as_str()).collect();
                    UserError(format!("--action {word} : inconnue ; au choix : {}", known.join(", ")))
                })?),
                None => None,
            };
            let lines = accounts.audit(&AuditQuery { action, who, ..Default::default() })?;
            let dialect = if excel { echelle_report::csv::Dialect::Excel } else { echelle_report::csv::Dialect::Plain };
            let out: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).with_context(|| path.display().to_string())?,
                )),
                None => Box::new(std::io::stdout().lock()),
            };
            let mut csv = echelle_report::csv::Writer::new(out, dialect)?;
            csv.texts(echelle_platform::audit::COLUMNS)?;
            for line in &lines {
                csv.texts(line.cells())?;
            }
            csv.finish()?.flush()?;
            if let Some(path) = output {
                eprintln!("{} lignes du journal d'audit écrites dans {}", lines.len(), path.display());
            }
        }
    }
    Ok(())
}
