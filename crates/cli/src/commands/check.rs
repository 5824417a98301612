//! Checks of the referential against published totals.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use echelle_referential::Layer;

use super::referential;
use crate::output::{align, french};

#[derive(clap::Args)]
pub struct Args {
    /// Print every EPCI, not only those that differ.
    #[arg(long)]
    all: bool,
}

/// For each EPCI: the sum of its members' DGCL populations against the EPCI's own
/// published population (same file, same vintage: they must be equal). For
/// départements and régions: the sum of the communes' legal populations against the
/// sum of the DGCL populations (two vintages: the difference is the vintage gap).
pub fn run(store: &Path, a: Args) -> Result<()> {
    let r = referential(store)?;
    let published = published_epci(store)?;
    let mut rows = vec![vec![
        "EPCI".into(),
        "nom".into(),
        "communes".into(),
        "Σ membres".into(),
        "publiée".into(),
        "écart".into(),
    ]];
    let mut differ = 0;
    for u in r.units(Layer::Epci) {
        let sum: u64 = u.members.iter().filter_map(|&m| r.communes()[m as usize].population_dgcl).sum();
        let publ = published.get(&u.code).copied().unwrap_or(0);
        if sum != publ {
            differ += 1;
        }
        if a.all || sum != publ {
            rows.push(vec![
                u.code.clone(),
                u.name.clone(),
                u.members.len().to_string(),
                sum.to_string(),
                publ.to_string(),
                (sum as i64 - publ as i64).to_string(),
            ]);
        }
    }
    if rows.len() > 1 {
        print!("{}", align(&rows));
    }
    println!(
        "EPCI: {} of {} reproduce their published municipal population exactly",
        r.units(Layer::Epci).len() - differ,
        r.units(Layer::Epci).len()
    );
    for layer in [Layer::Departement, Layer::Region] {
        let mut gap: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for u in r.units(layer) {
            let both = u
                .members
                .iter()
                .map(|&m| &r.communes()[m as usize])
                .filter_map(|c| Some((c.population?, c.population_dgcl?)));
            let (legal, dgcl) = both.fold((0, 0), |acc, (l, d)| (acc.0 + l, acc.1 + d));
            gap.insert(u.code.clone(), (legal, dgcl));
        }
        let (legal, dgcl): (u64, u64) = gap.values().fold((0, 0), |acc, v| (acc.0 + v.0, acc.1 + v.1));
        let worst = gap
            .iter()
            .filter(|(_, v)| v.1 > 0)
            .map(|(k, v)| (k, (v.0 as f64 / v.1 as f64 - 1.0) * 100.0))
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()));
        println!(
            "{}: Σ legal populations {} vs Σ DGCL populations {} ({:+.2} %); largest gap {}",
            layer.label(),
            french(legal as f64, 0),
            french(dgcl as f64, 0),
            (legal as f64 / dgcl as f64 - 1.0) * 100.0,
            worst.map(|(k, g)| format!("{k} {g:+.2} %")).unwrap_or_default()
        );
    }
    println!(
        "(over the communes that have both: legal populations in force on 1 January 2026 against the DGCL file epcicom2026, an older census vintage; the gap is that vintage difference)"
    );
    Ok(())
}

fn published_epci(store: &Path) -> Result<std::collections::HashMap<String, u64>> {
    Ok(super::open_store(store)?.published_populations()?)
}
