//! `echelle retail`: import an inventory of large retail, the inventory of a territory
//! at a date, its change between two dates, its projects, its shops, a SYNTHETIC demo.
//! Parses, calls `echelle_retail::study`, prints through `echelle-report`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_report::csv::Dialect;
use echelle_report::{Cell, Table, xlsx};
use echelle_retail::import::{Context, Mapping, Sources};
use echelle_retail::store::{Contours, InventoryMeta};
use echelle_retail::study::{self, AtDate, Between, LayerAt};
use echelle_retail::{Brands, Date, RetailError, Rules, tables};
use serde::Serialize;

use super::{UserError, open_store};
use crate::output::{Destination, EvalFormat, align, emit, french};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Import establishments (and projects) from CSV files or a workbook with a column-mapping TOML file; all or nothing.
    Import(ImportArgs),
    /// Shops and floor space of a territory at a date: bands, categories, density against its references, projects.
    Inventory(AtArgs),
    /// Openings, extensions, moves and closures of a territory between two dates.
    Change(ChangeArgs),
    /// Authorisation projects of a territory at a date: where each stands, authorised not opened, approval rates.
    Projects(AtArgs),
    /// The counted shops of a territory at a date, with their position (for maps; --format geojson too).
    Shops(ShopsArgs),
    /// Density of every territory of a layer within another.
    Densities(LayerArgs),
    /// Generate a SYNTHETIC inventory of the communes of a territory (demo).
    Synth(SynthArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The mapping file (which column holds which field).
    #[arg(long)]
    mapping: PathBuf,
    /// A workbook holding the sheets named in the mapping.
    #[arg(long, conflicts_with_all = ["establishments", "projects"])]
    workbook: Option<PathBuf>,
    /// The establishments' observations (CSV).
    #[arg(long)]
    establishments: Option<PathBuf>,
    /// The projects' events (CSV).
    #[arg(long)]
    projects: Option<PathBuf>,
    /// name-suggestion-index's nsi.json, to guess the category of brands without one.
    #[arg(long)]
    brands: Option<PathBuf>,
    /// Add to the inventory already stored instead of replacing it.
    #[arg(long)]
    append: bool,
    /// The territory the inventory covers (per:aire-urbaine-centrale): figures reaching beyond are marked partial.
    #[arg(long)]
    coverage: Option<String>,
    /// Dates after this day are refused (default: today).
    #[arg(long)]
    today: Option<String>,
    /// Dataset id in the store.
    #[arg(long, default_value = echelle_retail::store::DEFAULT_ID)]
    id: String,
    #[arg(long, default_value = "Inventaire des commerces de plus de 300 m²")]
    title: String,
    /// Who published it (shown in every source line).
    #[arg(long, default_value = "Observatoire du commerce de l'aire urbaine centrale")]
    source: String,
    /// Vintage (default: the year of the latest observation).
    #[arg(long)]
    vintage: Option<String>,
    /// Generated data: every output says SYNTHÉTIQUE.
    #[arg(long)]
    synthetic: bool,
}

#[derive(clap::Args)]
struct AtArgs {
    /// The territory (epci:200072460, per:aire-urbaine-centrale, a commune's name…).
    territory: String,
    /// The date (AAAA-MM-JJ; default: the inventory's latest observation).
    #[arg(long)]
    date: Option<String>,
    /// Other territories to compare with (inventory), comma separated.
    #[arg(long)]
    against: Option<String>,
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    to: Destination,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ShopsFormat {
    Table,
    Csv,
    Json,
    Xlsx,
    Geojson,
}

#[derive(clap::Args)]
struct ShopsArgs {
    territory: String,
    #[arg(long)]
    date: Option<String>,
    #[arg(long)]
    dataset: Option<String>,
    /// table, csv, json, xlsx, or geojson (points, for QGIS).
    #[arg(long, value_enum, default_value = "table")]
    format: ShopsFormat,
    /// Write to this file instead of the standard output (required for xlsx).
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(clap::Args)]
struct ChangeArgs {
    territory: String,
    #[arg(long)]
    from: String,
    /// Default: the inventory's latest observation.
    #[arg(long)]
    to: Option<String>,
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    dest: Destination,
}

#[derive(clap::Args)]
struct LayerArgs {
    /// com, epci, arr, dep.
    #[arg(long)]
    layer: String,
    #[arg(long)]
    within: String,
    #[arg(long)]
    date: Option<String>,
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    to: Destination,
}

#[derive(clap::Args)]
struct SynthArgs {
    /// The territory whose communes get shops.
    #[arg(long, default_value = "per:aire-urbaine-centrale")]
    within: String,
    #[arg(long, default_value_t = 15)]
    seed: u64,
    /// Dataset id in the store.
    #[arg(long, default_value = echelle_retail::store::DEFAULT_ID)]
    id: String,
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command {
        Command::Import(a) => import(store, a),
        Command::Inventory(a) => inventory(store, a),
        Command::Change(a) => change(store, a),
        Command::Projects(a) => projects(store, a),
        Command::Shops(a) => shops(store, a),
        Command::Densities(a) => densities(store, a),
        Command::Synth(a) => synth(store, a),
    }
}

fn user<T>(r: Result<T, RetailError>) -> Result<T> {
    r.map_err(|e| if e.is_user_error() { UserError(e.to_string()).into() } else { e.into() })
}

fn import(store: &Path, a: ImportArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.mapping).map_err(|e| UserError(format!("{}: {e}", a.mapping.display())))?;
    let mapping = user(Mapping::parse(&a.mapping.display().to_string(), &text))?;
    let sources = match (&a.workbook, &a.establishments) {
        (Some(w), _) => Sources::Workbook(w),
        (None, Some(e)) => Sources::Csv { establishments: e, projects: a.projects.as_deref() },
        _ => return Err(UserError("give --workbook FILE, or --establishments FILE [--projects FILE]".into()).into()),
    };
    let today = match &a.today {
        Some(d) => Date::parse(d).ok_or_else(|| UserError(format!("--today {d}: AAAA-MM-JJ expected")))?,
        None => Date::today(),
    };
    let brands = a.brands.as_deref().map(Brands::read).transpose().map_err(|e| UserError(e.to_string()))?;
    let s = open_store(store)?;
    let r = s.referential()?;
    let contours = user(Contours::read(&s))?;
    let rules = Rules::shipped();
    let existing = if a.append { Some(user(echelle_retail::store::load(&s, &a.id))?.0) } else { None };
    let cx = Context { referential: &r, rules: &rules, brands: brands.as_ref(), places: &contours, today };
    let mut reg = user(echelle_retail::import::read(&sources, &mapping, &cx, existing.as_ref()))?;
    if let Some(c) = &a.coverage {
        reg.coverage = Some(r.resolve(c)?.key());
    }
    let vintage = a
        .vintage
        .unwrap_or_else(|| echelle_retail::store::latest_date(&reg).map_or_else(String::new, |d| d.year.to_string()));
    let meta = InventoryMeta { id: a.id, title: a.title, source: a.source, vintage, synthetic: a.synthetic };
    let d = user(echelle_retail::store::save(&s, &reg, &meta))?;
    let establishments = reg.establishments().len();
    let guessed: Vec<String> = reg
        .observations
        .iter()
        .filter_map(|o| {
            o.guessed_from.as_ref().map(|g| {
                format!("  {} « {} » : {} ({g})", o.establishment, o.brand.as_deref().unwrap_or(""), o.category)
            })
        })
        .collect();
    println!(
        "inventaire « {} » importé : {} établissements, {} observations, {} projets{}",
        d.id,
        establishments,
        reg.observations.len(),
        reg.projects.len(),
        if d.synthetic { " — SYNTHÉTIQUE" } else { "" }
    );
    if !guessed.is_empty() {
        println!(
            "{} catégorie(s) devinée(s) d'après l'enseigne, à confirmer (renseignez la colonne catégorie pour corriger) :\n{}",
            guessed.len(),
            guessed.join("\n")
        );
    }
    Ok(())
}

fn synth(store: &Path, a: SynthArgs) -> Result<()> {
    let s = open_store(store)?;
    let r = s.referential()?;
    let within = r.resolve(&a.within)?;
    let contours = user(Contours::read(&s))?;
    let reg = user(echelle_retail::synth::inventory(&r, &within, &contours, a.seed))?;
    let meta = InventoryMeta {
        id: a.id,
        title: format!("Inventaire des commerces de plus de 300 m² — {}", r.name(&within).unwrap_or("?")),
        source: format!("echelle retail synth (graine {}), données générées", a.seed),
        vintage: "2026".into(),
        synthetic: true,
    };
    let d = user(echelle_retail::store::save(&s, &reg, &meta))?;
    println!(
        "inventaire SYNTHÉTIQUE « {} » : {} établissements, {} observations sur trois dates, {} projets",
        d.id,
        reg.establishments().len(),
        reg.observations.len(),
        reg.projects.len()
    );
    Ok(())
}

fn loaded(
    store: &Path,
    dataset: Option<&str>,
) -> Result<(echelle_retail::study::Loaded, echelle_referential::Referential)> {
    let s = open_store(store)?;
    let r = s.referential()?;
    Ok((user(study::load(&s, dataset))?, r))
}

fn inventory(store: &Path, a: AtArgs) -> Result<()> {
    let (l, r) = loaded(store, a.dataset.as_deref())?;
    let q = AtDate { territory: a.territory, date: a.date, against: a.against };
    let i = user(study::inventory(&l, &r, &q))?;
    let t = tables::inventory_table(&i);
    write(&i, &t, &a.to, || text_table(&t))
}

fn change(store: &Path, a: ChangeArgs) -> Result<()> {
    let (l, r) = loaded(store, a.dataset.as_deref())?;
    let q = Between { territory: a.territory, from: a.from, to: a.to };
    let c = user(study::change(&l, &r, &q))?;
    let t = tables::change_table(&c);
    write(&c, &t, &a.dest, || text_table(&t))
}

fn projects(store: &Path, a: AtArgs) -> Result<()> {
    let (l, r) = loaded(store, a.dataset.as_deref())?;
    let q = AtDate { territory: a.territory, date: a.date, against: None };
    let p = user(study::projects(&l, &r, &q))?;
    let t = tables::projects_table(&p);
    write(&p, &t, &a.to, || text_table(&t))
}

fn shops(store: &Path, a: ShopsArgs) -> Result<()> {
    let (l, r) = loaded(store, a.dataset.as_deref())?;
    let q = AtDate { territory: a.territory, date: a.date, against: None };
    let s = user(study::shops(&l, &r, &q))?;
    let t = tables::shops_table(&s);
    let format = match a.format {
        ShopsFormat::Geojson => {
            let bytes = tables::shops_geojson(&s).map_err(|e| UserError(e.to_string()))?;
            return emit(a.out.as_deref(), &bytes);
        }
        ShopsFormat::Table => EvalFormat::Table,
        ShopsFormat::Csv => EvalFormat::Csv,
        ShopsFormat::Json => EvalFormat::Json,
        ShopsFormat::Xlsx => EvalFormat::Xlsx,
    };
    write(&s, &t, &Destination { format, out: a.out }, || text_table(&t))
}

fn densities(store: &Path, a: LayerArgs) -> Result<()> {
    let (l, r) = loaded(store, a.dataset.as_deref())?;
    let q = LayerAt { layer: a.layer, within: a.within, date: a.date };
    let d = user(study::densities(&l, &r, &q))?;
    let t = tables::densities_table(&d);
    write(&d, &t, &a.to, || text_table(&t))
}

/// A table as text: French numbers, columns aligned, title above and source below.
fn text_table(t: &Table) -> String {
    let mut rows = vec![t.columns.clone()];
    for r in &t.rows {
        rows.push(
            r.iter()
                .enumerate()
                .map(|(j, c)| match c {
                    Cell::Text(s) => s.clone(),
                    Cell::Number(x) => french(*x, t.info.get(j).and_then(|i| i.decimals).unwrap_or(2)),
                    Cell::Empty => String::new(),
                })
                .collect(),
        );
    }
    format!("{}\n{}Source : {}\n", t.title, align(&rows), t.source)
}

/// JSON is the library's answer as the API serves it; CSV and XLSX the report table.
fn write<T: Serialize>(value: &T, t: &Table, to: &Destination, text: impl FnOnce() -> String) -> Result<()> {
    let bytes = match to.format {
        EvalFormat::Table => text().into_bytes(),
        EvalFormat::Csv => echelle_report::csv::write(t, Dialect::Plain),
        EvalFormat::Json => {
            let mut s = serde_json::to_string_pretty(value).expect("serialisable");
            s.push('\n');
            s.into_bytes()
        }
        EvalFormat::Xlsx => {
            if to.out.is_none() {
                return Err(UserError("--format xlsx writes a file: name it with --out FILE.xlsx".into()).into());
            }
            xlsx::write(t, echelle_report::Date::today()).map_err(|e| UserError(e.to_string()))?
        }
    };
    emit(to.out.as_deref(), &bytes)
}
