//! `echelle import`: a published (or the user's own) file into the store.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_import::{Encoding, Format, ImportRequest, OnError, Options, prepare};

use super::{UserError, open_store};

#[derive(clap::Args)]
pub struct Args {
    /// The file, as published (CSV of any separator and encoding, or XLSX).
    file: PathBuf,
    /// Its format: mobpro, flows, bpe, filosofi, cog-communes, epci-composition,
    /// passage, plain [default: recognised from the header].
    #[arg(long)]
    format: Option<String>,
    /// The dataset id in the catalog [default: format and vintage, e.g. mobpro_2021].
    #[arg(long)]
    id: Option<String>,
    /// utf-8 or latin-1 [default: detected].
    #[arg(long)]
    encoding: Option<String>,
    /// The commune code column of a plain file [default: CODGEO, CODE_INSEE, COM…].
    #[arg(long)]
    key: Option<String>,
    /// Columns of a plain file that are counts, summed when communes merge.
    #[arg(long, value_delimiter = ',')]
    additive: Vec<String>,
    /// The vintage [default: read from the file name or columns].
    #[arg(long)]
    vintage: Option<String>,
    /// Where the file comes from, recorded in the catalog.
    #[arg(long)]
    source: Option<String>,
    /// The statistical secrecy the dataset declares: people, households, businesses or
    /// none, with :THRESHOLD to change it (people:20). Default: the format's (MOBPRO and
    /// flows people:11 with cell key noise, Filosofi households:11, others none).
    #[arg(long, value_name = "RULE")]
    secrecy: Option<String>,
    /// The column counting the protected units of each row (households, businesses),
    /// needed by a commune-level file whose rule protects [default: Filosofi's NBMENFISC…].
    #[arg(long, value_name = "COLUMN", requires = "secrecy")]
    secrecy_count: Option<String>,
    /// A spreadsheet's sheet [default: the first].
    #[arg(long)]
    sheet: Option<String>,
    /// A spreadsheet's header row, 1-based [default: its first non-empty row].
    #[arg(long)]
    header_row: Option<usize>,
    /// Move codes with INSEE's correspondence table: an imported `passage` dataset
    /// and the year of the file's geography, e.g. `--passage passage_2024:2022`.
    #[arg(long)]
    passage: Option<String>,
    /// Import the valid lines and write the bad ones to this file (or
    /// <file>.rejects.csv); without it, the first bad line stops the import.
    #[arg(long, num_args = 0..=1, default_missing_value = "")]
    rejects: Option<PathBuf>,
    /// Who may see the dataset: public, shared or private [default: public for a new
    /// dataset, unchanged for one imported again].
    #[arg(long)]
    visibility: Option<String>,
    /// The organisation that owns it (shared or private).
    #[arg(long)]
    owner: Option<String>,
    /// The organisations it is shared with (shared).
    #[arg(long, value_delimiter = ',')]
    share_with: Vec<String>,
    /// Show the columns and their types, import nothing.
    #[arg(long)]
    dry_run: bool,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

pub fn run(store: &Path, args: Args) -> Result<()> {
    let format = match &args.format {
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            UserError(format!(
                "unknown format '{f}': one of {}",
                Format::ALL.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            ))
        })?),
        None => None,
    };
    let encoding = args.encoding.as_deref().map(Encoding::parse).transpose()?;
    let visibility = match &args.visibility {
        Some(level) => Some(
            echelle_platform::Visibility::parse(level, args.owner.as_deref(), &args.share_with)
                .map_err(|e| UserError(e.to_string()))?,
        ),
        None if args.owner.is_some() || !args.share_with.is_empty() => {
            return Err(UserError("--owner et --share-with vont avec --visibility shared|private".into()).into());
        }
        None => None,
    };
    let on_error = match args.rejects {
        None => OnError::Stop,
        Some(p) if p.as_os_str().is_empty() => {
            let mut s = args.file.as_os_str().to_owned();
            s.push(".rejects.csv");
            OnError::Reject(PathBuf::from(s))
        }
        Some(p) => OnError::Reject(p),
    };
    let passage = match &args.passage {
        Some(p) => Some(
            p.split_once(':')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| UserError(format!("--passage {p}: write <dataset>:<year>, e.g. passage_2024:2022")))?,
        ),
        None => None,
    };
    let imported = args.file.display().to_string();
    let request = ImportRequest {
        passage,
        path: args.file,
        format,
        id: args.id,
        encoding,
        key: args.key,
        additive: args.additive,
        vintage: args.vintage,
        source: args.source,
        secrecy: args
            .secrecy
            .as_deref()
            .map(echelle_platform::SecrecyRule::parse)
            .transpose()?
            .map(|rule| echelle_platform::SecrecyRule { count_column: args.secrecy_count.clone(), ..rule }),
        sheet: args.sheet,
        header_row: args.header_row,
        options: Options { on_error, progress: !args.quiet && std::io::stderr().is_terminal(), ..Options::default() },
    };
    let prepared = prepare(request)?;
    print!("{}", prepared.describe());
    if args.dry_run {
        return Ok(());
    }
    // Registered with its visibility in the import's own transaction.
    let store = match visibility {
        Some(v) => open_store(store)?.importing_as(v),
        None => open_store(store)?,
    };
    let report = prepared.run(&store)?;
    print!("{}", report.text());
    // Audited once the store has accounts (before, the local user is alone).
    let accounts = echelle_platform::Accounts::new(echelle_store::account_store(store.root(), &Default::default())?);
    if accounts.configured()? {
        accounts.record(&echelle_platform::Actor::command_line(), echelle_platform::Action::Import, &imported, "")?;
    }
    Ok(())
}
