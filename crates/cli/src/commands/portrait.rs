use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use echelle_indicators::Target;
use echelle_referential::Layer;

use super::{engine, resolve_all, runtime};
use crate::output::{self, Destination, french};

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
    #[command(flatten)]
    to: Destination,
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    let rt = runtime()?;
    let engine = rt.block_on(engine(store))?;
    let r = engine.referential().clone();
    let t = r.resolve(&a.territory)?;
    let targets = Target::portrait(&r, &t, &resolve_all(&r, &a.against)?)?;
    let ids = super::indicator::indicator_ids(&engine, a.indicators.as_deref());
    let e = rt.block_on(engine.evaluate(&targets, &ids.iter().map(String::as_str).collect::<Vec<_>>()))?;
    let name = r.name(&t).unwrap_or(&t.code).to_string();
    let text = || -> Result<String> {
        let mut out = format!("{name} — {}\n", t.layer.label());
        if t.layer != Layer::Iris {
            let members = r.members(&t)?;
            let population = french(r.population_of(&members) as f64, 0);
            let _ = writeln!(out, "{} : {} communes, population {population}", t.key(), members.len());
        }
        if let Some(p) = r.perimeter(&t.code).filter(|_| t.layer == Layer::Perimeter) {
            let note = p.def.note.as_ref().map(|n| format!(" — {n}")).unwrap_or_default();
            let _ = writeln!(out, "statut : {}{note}", p.def.status.label());
        }
        out.push('\n');
        out.push_str(&super::indicator::transposed(&e));
        Ok(out)
    };
    let text = if a.to.format == output::EvalFormat::Table { text()? } else { String::new() };
    output::write(&e, &a.to, &format!("Portrait {name}"), || text)
}
