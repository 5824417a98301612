use std::path::{Path, PathBuf};

use anyhow::Result;
use echelle_indicators::{Engine, Evaluation, Target, parse_catalog};
use echelle_referential::{Layer, TerritoryRef};
use indicatif::ProgressBar;

use super::{UserError, engine, open_store, resolve_all, runtime};
use crate::output::{self, Destination, align, cell};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<IndicatorCommand>,
}

#[derive(clap::Subcommand)]
enum IndicatorCommand {
    /// List the declared indicators (the default).
    List,
    /// Add a catalog of `[[indicator]]` declarations; each is checked against its dataset.
    Add { file: PathBuf },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    let rt = runtime()?;
    match a.command.unwrap_or(IndicatorCommand::List) {
        IndicatorCommand::List => {
            let engine = rt.block_on(engine(store))?;
            let mut rows = vec![vec![
                "indicateur".into(),
                "libellé".into(),
                "unité".into(),
                "jeu de données".into(),
                "agrégation".into(),
            ]];
            for d in engine.indicators() {
                let agg = format!("{:?}", d.aggregate);
                let agg = agg.split([' ', '{']).next().unwrap_or_default().to_lowercase();
                rows.push(vec![d.id.clone(), d.label.clone(), d.unit.clone(), d.dataset.clone(), agg]);
            }
            print!("{}", align(&rows));
            Ok(())
        }
        IndicatorCommand::Add { file } => {
            let text = std::fs::read_to_string(&file).map_err(|e| UserError(format!("{}: {e}", file.display())))?;
            let origin = file.display().to_string();
            let defs = parse_catalog(&origin, &text)?;
            let engine = rt.block_on(engine(store))?;
            for d in &defs {
                engine.check(d).map_err(|e| UserError(format!("{origin}: {e}")))?;
            }
            let name = file.file_stem().map_or("catalog".into(), |s| s.to_string_lossy().into_owned());
            open_store(store)?.catalog().add_indicator_catalog(&name, &text)?;
            println!("{} indicators added from {origin}", defs.len());
            Ok(())
        }
    }
}

#[derive(clap::Args)]
pub struct EvalArgs {
    /// Indicators, comma separated (see `echelle indicator`).
    indicators: String,
    /// Territories (`dep:59`, `62119`, `Béthune`, `per:mel`…).
    territories: Vec<String>,
    /// Every territory of this layer (com, iris, epci, arr, dep, reg, per).
    #[arg(long)]
    layer: Option<String>,
    /// With --layer: only the territories inside this one.
    #[arg(long)]
    within: Option<String>,
    /// Add each territory's references (département, région, France).
    #[arg(long)]
    references: bool,
    /// Add these territories as references.
    #[arg(long, value_delimiter = ',')]
    against: Vec<String>,
    #[command(flatten)]
    to: Destination,
}

pub fn eval(store: &Path, a: EvalArgs) -> Result<()> {
    let rt = runtime()?;
    let engine = rt.block_on(engine(store))?;
    let r = engine.referential().clone();
    let ids: Vec<&str> = a.indicators.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    for id in &ids {
        engine.indicator(id)?;
    }
    let mut territories = resolve_all(&r, &a.territories)?;
    if let Some(layer) = &a.layer {
        let within = a.within.as_deref().map(|w| r.resolve(w)).transpose()?;
        territories.extend(r.territories_within(layer.parse()?, within.as_ref())?);
    }
    if territories.is_empty() {
        return Err(UserError("name at least one territory, or a layer with --layer".into()).into());
    }
    if a.references {
        let mut refs: Vec<TerritoryRef> = Vec::new();
        for t in &territories {
            for x in r.references(t)? {
                if !refs.contains(&x) && !territories.contains(&x) {
                    refs.push(x);
                }
            }
        }
        territories.extend(refs);
    }
    territories.extend(resolve_all(&r, &a.against)?);
    let spinner = (territories.len() > 1000).then(|| {
        let s = ProgressBar::new_spinner();
        s.set_message(format!("evaluating {} indicators for {} territories", ids.len(), territories.len()));
        s.enable_steady_tick(std::time::Duration::from_millis(100));
        s
    });
    let targets = territories.iter().map(|t| Target::territory(&r, t)).collect::<Result<Vec<_>, _>>()?;
    let evaluation = rt.block_on(engine.evaluate(&targets, &ids))?;
    if let Some(s) = spinner {
        s.finish_and_clear();
    }
    output::write(&evaluation, &a.to, "Indicateurs", || output::table(&evaluation))
}

#[derive(clap::Args)]
pub struct CompareArgs {
    /// Two to four territories; a single perimeter is compared with the rest of its régions.
    territories: Vec<String>,
    /// Indicators, comma separated [default: the key indicators].
    #[arg(long)]
    indicators: Option<String>,
    #[command(flatten)]
    to: Destination,
}

pub fn compare(store: &Path, a: CompareArgs) -> Result<()> {
    let rt = runtime()?;
    let engine = rt.block_on(engine(store))?;
    let r = engine.referential().clone();
    let territories = resolve_all(&r, &a.territories)?;
    let mut targets = territories.iter().map(|t| Target::territory(&r, t)).collect::<Result<Vec<_>, _>>()?;
    match territories.as_slice() {
        [one] if one.layer == Layer::Perimeter => targets.push(Target::outside(&r, one)?),
        [_] | [] => {
            return Err(UserError(
                "compare needs two to four territories, or one perimeter (inside versus outside)".into(),
            )
            .into());
        }
        list if list.len() > 4 => return Err(UserError("compare takes at most four territories".into()).into()),
        _ => {}
    }
    let ids = indicator_ids(&engine, a.indicators.as_deref());
    let evaluation = rt.block_on(engine.evaluate(&targets, &ids.iter().map(String::as_str).collect::<Vec<_>>()))?;
    output::write(&evaluation, &a.to, "Comparaison", || transposed(&evaluation))
}

/// The requested indicators, or the key ones.
pub fn indicator_ids(engine: &Engine, list: Option<&str>) -> Vec<String> {
    match list {
        Some(l) => l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect(),
        None => engine.key_indicators().into_iter().map(str::to_string).collect(),
    }
}

/// One row per indicator, one column per territory: the layout of a comparison.
pub fn transposed(e: &Evaluation) -> String {
    let mut header = vec!["indicateur".to_string(), "unité".to_string()];
    header.extend(e.targets.iter().map(|(key, label)| format!("{label} ({key})")));
    let mut rows = vec![header];
    for (i, d) in e.indicators.iter().enumerate() {
        let mut row = vec![d.label.clone(), d.unit.clone()];
        row.extend(e.values[i].iter().map(|v| cell(v, d.decimals)));
        rows.push(row);
    }
    let mut out = align(&rows);
    out.push_str(&output::sources(e));
    out
}
