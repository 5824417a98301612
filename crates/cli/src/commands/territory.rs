use std::path::Path;

use anyhow::Result;
use echelle_referential::Layer;

use super::referential;
use crate::output::{align, french};

#[derive(clap::Args)]
pub struct FindArgs {
    /// A name (accents and case do not matter) or a code.
    query: Vec<String>,
    #[arg(long, default_value_t = 10)]
    limit: usize,
}

pub fn find(store: &Path, a: FindArgs) -> Result<()> {
    let r = referential(store)?;
    let query = a.query.join(" ");
    let found = r.find(&query, a.limit);
    if found.is_empty() {
        let hint = match r.resolve(&query) {
            Err(e) => e.to_string(),
            Ok(t) => r.describe(&t),
        };
        return Err(super::UserError(format!("nothing matches '{query}': {hint}")).into());
    }
    let mut rows = vec![vec!["territoire".into(), "nom".into(), "couche".into(), "note".into()]];
    for m in found {
        rows.push(vec![m.territory.key(), m.name, m.territory.layer.label().into(), m.note.unwrap_or_default()]);
    }
    print!("{}", align(&rows));
    Ok(())
}

pub fn layers(store: &Path) -> Result<()> {
    let r = referential(store)?;
    let mut rows = vec![vec!["couche".into(), "préfixe".into(), "territoires".into()]];
    for layer in Layer::ALL {
        rows.push(vec![layer.label().into(), layer.prefix().into(), r.territories(layer).len().to_string()]);
    }
    print!("{}", align(&rows));
    Ok(())
}

#[derive(clap::Args)]
pub struct ListArgs {
    /// com, iris, epci, arr, dep, reg, fr or per.
    layer: String,
    /// Only the territories inside this one (e.g. `dep:59`).
    #[arg(long)]
    within: Option<String>,
}

pub fn list(store: &Path, a: ListArgs) -> Result<()> {
    let r = referential(store)?;
    let layer: Layer = a.layer.parse()?;
    let within = a.within.map(|w| r.resolve(&w)).transpose()?;
    let mut rows = vec![vec!["territoire".into(), "nom".into(), "communes".into(), "population".into()]];
    for t in r.territories_within(layer, within.as_ref())? {
        let name = r.name(&t).unwrap_or_default().to_string();
        let (count, pop) = match t.layer {
            Layer::Iris => ("1".into(), String::new()),
            _ => {
                let members = r.members(&t)?;
                (members.len().to_string(), french(r.population_of(&members) as f64, 0))
            }
        };
        rows.push(vec![t.key(), name, count, pop]);
    }
    print!("{}", align(&rows));
    Ok(())
}

#[derive(clap::Args)]
pub struct MembersArgs {
    /// The territory (`epci:200093201`, `mel`, `Béthune`…).
    territory: String,
}

pub fn members(store: &Path, a: MembersArgs) -> Result<()> {
    let r = referential(store)?;
    let t = r.resolve(&a.territory)?;
    let members = r.members(&t)?;
    println!("{}: {} communes", r.describe(&t), members.len());
    let mut rows = vec![vec!["commune".into(), "nom".into(), "dép.".into(), "population".into()]];
    for &m in members.iter() {
        let c = &r.communes()[m as usize];
        rows.push(vec![
            c.code.clone(),
            c.name.clone(),
            c.departement.clone(),
            c.population.map_or("n/d".into(), |p| french(p as f64, 0)),
        ]);
    }
    print!("{}", align(&rows));
    Ok(())
}
