//! `echelle guarantees`: import a register, check a guarantee before a vote, exposure,
//! stress test. Parses, calls `echelle_guarantees::study`, prints through `echelle-report`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_guarantees::import::{Mapping, Sources};
use echelle_guarantees::store::RegisterMeta;
use echelle_guarantees::study::{self, ExposureQuery};
use echelle_guarantees::{Category, Date, Frequency, GuaranteeError, Profile, Proposal, tables};
use echelle_report::csv::Dialect;
use echelle_report::{Cell, Table, xlsx};
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
    /// Import a register (CSV files or a workbook) with a column-mapping TOML file; all or nothing.
    Import(ImportArgs),
    /// Check a proposed guarantee against the prudential rules, this year and the next ones.
    Check(CheckArgs),
    /// Outstanding guaranteed capital per territory (or per beneficiary).
    Exposure(ExposureArgs),
    /// A beneficiary defaults: what each guarantor pays, year by year.
    Stress(StressArgs),
    /// Generate a SYNTHETIC register for the communes and EPCI of a territory (demo).
    Synth(SynthArgs),
}

#[derive(clap::Args)]
struct SynthArgs {
    /// The territory whose communes and EPCI guarantee.
    #[arg(long, default_value = "per:bassin-minier")]
    within: String,
    #[arg(long, default_value_t = 16)]
    seed: u64,
    /// Dataset id in the store.
    #[arg(long, default_value = echelle_guarantees::store::DEFAULT_ID)]
    id: String,
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The mapping file (which column holds which field).
    #[arg(long)]
    mapping: PathBuf,
    /// A workbook holding the sheets named in the mapping.
    #[arg(long, conflicts_with_all = ["guarantees", "finances"])]
    workbook: Option<PathBuf>,
    /// The guarantees table (CSV).
    #[arg(long, requires = "finances")]
    guarantees: Option<PathBuf>,
    /// The finances table (CSV).
    #[arg(long)]
    finances: Option<PathBuf>,
    /// Given schedules (CSV), if any.
    #[arg(long)]
    schedules: Option<PathBuf>,
    /// The budget year the ratios need revenue for (default: the latest in the finances).
    #[arg(long)]
    year: Option<i32>,
    /// Dataset id in the store.
    #[arg(long, default_value = echelle_guarantees::store::DEFAULT_ID)]
    id: String,
    #[arg(long, default_value = "Registre des garanties d'emprunt")]
    title: String,
    /// Who published it (shown in every source line).
    #[arg(long, default_value = "États de la dette garantie des collectivités")]
    source: String,
    #[arg(long, default_value = "")]
    vintage: String,
    /// Generated data: every output says SYNTHÉTIQUE.
    #[arg(long)]
    synthetic: bool,
}

#[derive(clap::Args)]
struct CheckArgs {
    /// The proposal as JSON (the API's body); the options below are ignored when given.
    #[arg(long)]
    proposal: Option<PathBuf>,
    /// The guarantor: com:CODE, epci:SIREN, dep:CODE or reg:CODE.
    #[arg(long, required_unless_present = "proposal")]
    guarantor: Option<String>,
    #[arg(long, default_value = "")]
    beneficiary: String,
    #[arg(long, required_unless_present = "proposal")]
    siren: Option<String>,
    /// social_housing, development, general_interest or other.
    #[arg(long, default_value = "other")]
    category: String,
    /// Amount borrowed, euros.
    #[arg(long, required_unless_present = "proposal")]
    amount: Option<f64>,
    /// Date the funds are drawn (AAAA-MM-JJ).
    #[arg(long, required_unless_present = "proposal")]
    start: Option<String>,
    #[arg(long, required_unless_present = "proposal")]
    years: Option<u32>,
    /// yearly or quarterly.
    #[arg(long, default_value = "yearly")]
    frequency: String,
    /// Yearly rate, percent.
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// constant_annuity or constant_amortisation.
    #[arg(long, default_value = "constant_annuity")]
    profile: String,
    /// Share guaranteed, percent.
    #[arg(long, required_unless_present = "proposal")]
    share: Option<f64>,
    #[arg(long)]
    state_aided: bool,
    #[arg(long)]
    housing_plan: bool,
    /// A development operation (C. urb. L300-4 to L300-5-2) mainly of housing in a tense zone.
    #[arg(long)]
    tense_zone_housing: bool,
    /// The register's loan id when others already guarantee it.
    #[arg(long)]
    loan: Option<String>,
    /// The vote's budget year (default: the start's year).
    #[arg(long)]
    year: Option<i32>,
    /// Years projected after the vote's.
    #[arg(long)]
    horizon: Option<u32>,
    /// The register's dataset id.
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    to: Destination,
}

#[derive(clap::Args)]
struct ExposureArgs {
    /// Territories (epci:200072460, per:bassin-minier…); default: every guarantor.
    territories: Vec<String>,
    /// Or every territory of a layer (com, epci, dep, reg)…
    #[arg(long)]
    layer: Option<String>,
    /// …within this territory.
    #[arg(long)]
    within: Option<String>,
    /// Date of the outstanding capital (default: 31 December of the year).
    #[arg(long)]
    date: Option<String>,
    /// Year of the annuities and revenue.
    #[arg(long)]
    year: Option<i32>,
    /// Per beneficiary across its guarantors instead.
    #[arg(long)]
    beneficiaries: bool,
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    to: Destination,
}

#[derive(clap::Args)]
struct StressArgs {
    /// The defaulting beneficiary's SIREN.
    #[arg(long)]
    siren: String,
    /// Date of the default: payments due after it are called.
    #[arg(long)]
    date: String,
    #[arg(long)]
    dataset: Option<String>,
    #[command(flatten)]
    to: Destination,
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command {
        Command::Import(a) => import(store, a),
        Command::Check(a) => check(store, a),
        Command::Exposure(a) => exposure(store, a),
        Command::Stress(a) => stress(store, a),
        Command::Synth(a) => synth(store, a),
    }
}

fn user<T>(r: Result<T, GuaranteeError>) -> Result<T> {
    r.map_err(|e| if e.is_user_error() { UserError(e.to_string()).into() } else { e.into() })
}

fn import(store: &Path, a: ImportArgs) -> Result<()> {
    let text = std::fs::read_to_string(&a.mapping).map_err(|e| UserError(format!("{}: {e}", a.mapping.display())))?;
    let mapping = user(Mapping::parse(&a.mapping.display().to_string(), &text))?;
    let sources = match (&a.workbook, &a.guarantees, &a.finances) {
        (Some(w), _, _) => Sources::Workbook(w),
        (None, Some(g), Some(f)) => Sources::Csv { guarantees: g, finances: f, schedules: a.schedules.as_deref() },
        _ => return Err(UserError("give --workbook FILE, or --guarantees FILE --finances FILE".into()).into()),
    };
    let s = open_store(store)?;
    let r = s.referential()?;
    let meta = RegisterMeta { id: a.id, title: a.title, source: a.source, vintage: a.vintage, synthetic: a.synthetic };
    let (d, reg) = user(echelle_guarantees::store::import(
        &s,
        &sources,
        &mapping,
        &r,
        &echelle_guarantees::Rules::shipped(),
        a.year,
        &meta,
    ))?;
    println!(
        "registre « {} » importé : {} emprunts, {} garanties, {} lignes de finances{}",
        d.id,
        reg.loans.len(),
        reg.guarantees.len(),
        reg.finances.len(),
        if d.synthetic { " — SYNTHÉTIQUE" } else { "" }
    );
    Ok(())
}

fn synth(store: &Path, a: SynthArgs) -> Result<()> {
    let s = open_store(store)?;
    let r = s.referential()?;
    let within = r.resolve(&a.within)?;
    let reg = user(echelle_guarantees::synth::register(&r, &within, a.seed))?;
    let meta = RegisterMeta {
        id: a.id,
        title: format!("Registre des garanties d'emprunt — {}", r.name(&within).unwrap_or("?")),
        source: format!("echelle guarantees synth (graine {}), données générées", a.seed),
        vintage: "2026".into(),
        synthetic: true,
    };
    let d = user(echelle_guarantees::store::save(&s, &reg, &meta))?;
    println!(
        "registre SYNTHÉTIQUE « {} » : {} emprunts, {} garanties, {} garants",
        d.id,
        reg.loans.len(),
        reg.guarantees.len(),
        reg.guarantors().len()
    );
    Ok(())
}

fn parse<T>(what: &str, v: &str, f: fn(&str) -> Option<T>) -> Result<T> {
    f(v).ok_or_else(|| UserError(format!("--{what} {v}: not understood")).into())
}

fn check(store: &Path, a: CheckArgs) -> Result<()> {
    let proposal: Proposal = match &a.proposal {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| UserError(format!("{}: {e}", path.display())))?;
            serde_json::from_str(&text).map_err(|e| UserError(format!("{}: {e}", path.display())))?
        }
        None => Proposal {
            guarantor: a.guarantor.clone().unwrap_or_default(),
            beneficiary: a.beneficiary.clone(),
            siren: a.siren.clone().unwrap_or_default(),
            category: parse("category", &a.category, Category::parse)?,
            amount: a.amount.unwrap_or_default(),
            start: parse("start", a.start.as_deref().unwrap_or_default(), Date::parse)?,
            years: a.years.unwrap_or_default(),
            frequency: parse("frequency", &a.frequency, Frequency::parse)?,
            rate: a.rate,
            profile: parse("profile", &a.profile, Profile::parse)?,
            share: a.share.unwrap_or_default(),
            state_aided: a.state_aided,
            housing_plan: a.housing_plan,
            tense_zone_housing: a.tense_zone_housing,
            loan: a.loan.clone(),
            year: a.year,
            horizon: a.horizon,
        },
    };
    let s = open_store(store)?;
    let r = s.referential()?;
    let loaded = user(study::load(&s, a.dataset.as_deref()))?;
    let c = user(study::check(&loaded, &r, &proposal))?;
    write(&c, &tables::check_table(&c), &a.to, || {
        let mut out = String::new();
        out.push_str(&format!(
            "{} ({}) — exercice {} : {}\n",
            c.guarantor_name,
            c.guarantor,
            c.vote.year,
            if c.vote.holds { "toutes les règles sont respectées" } else { "au moins une règle est dépassée" }
        ));
        for o in &c.vote.outcomes {
            out.push_str(&format!(
                "  {} : {} — valeur {} {u}, plafond {} {u}, marge {} {u}\n    {}\n",
                o.label,
                if o.holds { "respectée" } else { "DÉPASSÉE" },
                french(o.value, 2),
                french(o.limit, 2),
                french(o.margin, 2),
                o.article,
                u = o.unit
            ));
            if let Some(e) = &o.exemption {
                out.push_str(&format!("    exemption : {} ({})\n", e.label, e.basis));
            }
        }
        if let Some(rule) = c.vote.first_to_break {
            let o = c.vote.outcomes.iter().find(|o| o.rule == rule).expect("an outcome per rule");
            out.push_str(&format!("  règle la plus proche de sa limite : {}\n", o.label));
        }
        match &c.first_break {
            Some(b) => out.push_str(&format!("  première règle dépassée : {} en {}\n", b.label, b.year)),
            None => {
                out.push_str(&format!("  aucune règle dépassée jusqu'en {}\n", c.vote.year + c.projection.len() as i32))
            }
        }
        out.push_str(&format!("{}\n{}\n", c.rules_text, loaded.provenance.line()));
        out
    })
}

fn exposure(store: &Path, a: ExposureArgs) -> Result<()> {
    let s = open_store(store)?;
    let r = s.referential()?;
    let loaded = user(study::load(&s, a.dataset.as_deref()))?;
    let p = Some(&loaded.provenance);
    if a.beneficiaries {
        let year = a.year.or_else(|| loaded.register.finances.iter().map(|f| f.year).max()).unwrap_or(2026);
        let date = match &a.date {
            Some(d) => parse("date", d, Date::parse)?,
            None => Date::end_of_year(year),
        };
        let list = user(study::beneficiaries(&loaded, &r, date))?;
        let t = tables::beneficiaries_table(&list, p);
        return write(&list, &t, &a.to, || text_table(&t));
    }
    let q = ExposureQuery {
        territories: (!a.territories.is_empty()).then(|| a.territories.join(",")),
        layer: a.layer,
        within: a.within,
        date: a.date,
        year: a.year,
    };
    let list = user(study::exposure(&loaded, &r, &q))?;
    let t = tables::exposure_table(&list, p);
    write(&list, &t, &a.to, || text_table(&t))
}

fn stress(store: &Path, a: StressArgs) -> Result<()> {
    let s = open_store(store)?;
    let r = s.referential()?;
    let loaded = user(study::load(&s, a.dataset.as_deref()))?;
    let date = parse("date", &a.date, Date::parse)?;
    let st = user(study::stress(&loaded, &r, &a.siren, date))?;
    let t = tables::stress_table(&st, Some(&loaded.provenance));
    write(&st, &t, &a.to, || text_table(&t))
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
    format!("{}\n{}{}\n", t.title, align(&rows), t.source)
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
