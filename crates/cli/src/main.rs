//! `echelle`: a thin shell over the referential, store and indicator crates.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// echelle, a territorial observatory: every territory of France at every scale.
#[derive(Parser)]
#[command(name = "echelle", version, about)]
struct Cli {
    /// The store folder [default: $ECHELLE_STORE, else ~/.local/share/echelle].
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the reference pack from the published files (see scripts/setup).
    Pack(commands::pack::Args),
    /// Find territories by name or code ("bethune", "59350", "mel").
    Find(commands::territory::FindArgs),
    /// List the layers and how many territories each has.
    Layers,
    /// List the territories of a layer (com, iris, epci, arr, dep, reg, fr, per).
    List(commands::territory::ListArgs),
    /// List the member communes of a territory.
    Members(commands::territory::MembersArgs),
    /// Study perimeters: list them with their counts and populations, add or remove one.
    Perimeter(commands::perimeter::Args),
    /// The store's catalog: where it lives (SQLite or PostgreSQL), move it into PostgreSQL.
    Catalog(commands::catalog::Args),
    /// Indicators: list the declared ones, add a catalog of your own.
    Indicator(commands::indicator::Args),
    /// Evaluate indicators for territories, with their references.
    Eval(commands::indicator::EvalArgs),
    /// Compare territories side by side.
    Compare(commands::indicator::CompareArgs),
    /// A territory's key indicators against its département, région and France.
    Portrait(commands::portrait::Args),
    /// Check the referential against the published totals (EPCI, départements, régions).
    Check(commands::check::Args),
    /// Serve the observatory over HTTP: JSON API and web application.
    Serve(commands::serve::Args),
    /// Print the server's OpenAPI document (JSON), e.g. for the web application's type generation.
    Openapi,
    /// Road networks from OpenStreetMap: build, list, export, import.
    Network(commands::network::Args),
    /// Access to services: nearest facilities, diagnostics per territory, isochrones.
    Access(commands::access::Args),
    /// Import a published file (MOBPRO, flows, BPE, Filosofi, COG…) or your own commune table.
    Import(commands::import::Args),
    /// Who may see a dataset: list, set its visibility, share or unshare it.
    Dataset(commands::dataset::Args),
    /// Download an official file by name (catalog of addresses in data/sources.toml), check it, import it.
    Fetch(commands::fetch::Args),
    /// Generate SYNTHETIC data in INSEE's formats (MOBPRO, BPE, Filosofi), for demos and benchmarks.
    Synth(commands::synth::Args),
    /// Commuting flows: origin–destination matrices, balances, inflows, distances and CO2.
    Flows(commands::mobility::FlowsArgs),
    /// Energy vulnerability from car commuting (fuel spending vs income), and fuel price scenarios.
    Vulnerability(commands::mobility::VulnerabilityArgs),
    /// Telework scenarios: km, CO2, money and vulnerable households, side by side.
    Telework(commands::mobility::TeleworkArgs),
    /// Where to open p sites (third places…): p-median, maximal covering, set covering, p-center; proven optimum or gap.
    Siting(commands::siting::Args),
    /// Local authorities' loan guarantees: import a register, check before a vote, exposure, stress test.
    Guarantees(commands::guarantees::Args),
    /// Large retail (shops over 300 m²): import an inventory, its figures at a date, change, projects, SYNTHETIC demo.
    Retail(commands::retail::Args),
    /// Accounts of the partners' platform: add, list, disable, set a password.
    Account(commands::account::AccountArgs),
    /// Organisations (partners) accounts belong to: add, list.
    Org(commands::account::OrgArgs),
    /// API tokens for scripts: create (shown once), list, revoke.
    Token(commands::account::TokenArgs),
    /// The audit log (logins, exports, reads of non-public datasets…): export as CSV.
    Audit(commands::account::AuditArgs),
    /// The engineering-requests desk: its agents' organisation, referents, contacts, outbox.
    Desk(commands::desk::Args),
}

/// `echelle list com | head -1`: when the reader of standard output goes away,
/// `println!` panics with "failed printing to stdout: Broken pipe"; the command then
/// ends quietly, as `cat` or `rg` do, instead of printing a panic.
fn quiet_on_broken_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to stdout") && message.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
}

fn main() -> ExitCode {
    quiet_on_broken_pipe();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("ECHELLE_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let store = cli.store.unwrap_or_else(echelle_store::Store::default_root);
    let result = match cli.command {
        Command::Pack(a) => commands::pack::run(&store, a),
        Command::Find(a) => commands::territory::find(&store, a),
        Command::Layers => commands::territory::layers(&store),
        Command::List(a) => commands::territory::list(&store, a),
        Command::Members(a) => commands::territory::members(&store, a),
        Command::Perimeter(a) => commands::perimeter::run(&store, a),
        Command::Catalog(a) => commands::catalog::run(&store, a),
        Command::Indicator(a) => commands::indicator::run(&store, a),
        Command::Eval(a) => commands::indicator::eval(&store, a),
        Command::Compare(a) => commands::indicator::compare(&store, a),
        Command::Portrait(a) => commands::portrait::run(&store, a),
        Command::Check(a) => commands::check::run(&store, a),
        Command::Serve(a) => commands::serve::run(&store, a),
        Command::Openapi => commands::serve::openapi(),
        Command::Network(a) => commands::network::run(&store, a),
        Command::Access(a) => commands::access::run(&store, a),
        Command::Import(a) => commands::import::run(&store, a),
        Command::Dataset(a) => commands::dataset::run(&store, a),
        Command::Fetch(a) => commands::fetch::run(&store, a),
        Command::Synth(a) => commands::synth::run(&store, a),
        Command::Flows(a) => commands::mobility::flows_cmd(&store, a),
        Command::Vulnerability(a) => commands::mobility::vulnerability_cmd(&store, a),
        Command::Telework(a) => commands::mobility::telework_cmd(&store, a),
        Command::Siting(a) => commands::siting::run(&store, a),
        Command::Guarantees(a) => commands::guarantees::run(&store, a),
        Command::Retail(a) => commands::retail::run(&store, a),
        Command::Account(a) => commands::account::account(&store, a),
        Command::Org(a) => commands::account::org(&store, a),
        Command::Token(a) => commands::account::token(&store, a),
        Command::Audit(a) => commands::account::audit(&store, a),
        Command::Desk(a) => commands::desk::run(&store, a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("echelle: {e:#}");
            if commands::is_user_error(&e) { ExitCode::from(2) } else { ExitCode::FAILURE }
        }
    }
}
