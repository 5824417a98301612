use std::path::Path;

use anyhow::Result;
use echelle_indicators::Target;
use echelle_referential::Layer;

use super::{engine, resolve_all, runtime};
use crate::output::{self, Format, french};

#[derive(clap::Args)]
pub struct Args {
    /// The territory (`Béthune`, `62119`, `epci:200093201`, `per:bassin-minier`…).
    territory: String,
    /// Also compare with these territories.
    #[arg(long, value_delimiter = ',')]
    against: Vec<String>,
    /// Indicators, comma separated [default: the key indicators].
    #[arg(long)]
    indicators: Option<String>,
    #[arg(long, value_enum, default_value_t)]
    format: Format,
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    let rt = runtime()?;
    let engine = rt.block_on(engine(store))?;
    let r = engine.referential().clone();
    let t = r.resolve(&a.territory)?;
    let targets = Target::portrait(&r, &t, &resolve_all(&r, &a.against)?)?;
    let ids = super::indicator::indicator_ids(&engine, a.indicators.as_deref());
    let e = rt.block_on(engine.evaluate(&targets, &ids.iter().map(String::as_str).collect::<Vec<_>>()))?;
    if !matches!(a.format, Format::Table) {
        output::print(&e, a.format);
        return Ok(());
    }
    println!("{} — {}", r.name(&t).unwrap_or(&t.code), t.layer.label());
    if t.layer != Layer::Iris {
        let members = r.members(&t)?;
        println!(
            "{} : {} communes, population {}",
            t.key(),
            members.len(),
            french(r.population_of(&members) as f64, 0)
        );
    }
    if let Some(p) = r.perimeter(&t.code).filter(|_| t.layer == Layer::Perimeter) {
        println!(
            "statut : {}{}",
            p.def.status.label(),
            p.def.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default()
        );
    }
    println!();
    print!("{}", super::indicator::transposed(&e));
    Ok(())
}
