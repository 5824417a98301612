//! `echelle flows`: commuting between territories (origin–destination matrices,
//! balances, inflows, distances and CO2), from the flows in the store; every output
//! names its dataset, vintage and unit, and says SYNTHETIC when the flows were
//! generated.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use echelle_mobility::distance::{self, DistanceParams, Positions};
use echelle_mobility::flows::{self, Flows};
use echelle_mobility::matrix::{self, By, Secrecy};
use echelle_mobility::{MobilityError, Zones};
use echelle_referential::{Layer, Referential};
use serde::Serialize;

use super::{UserError, open_store};
use crate::output::{Format, align, french};

/// Mobility errors that come from what the user typed exit with status 2.
fn user(e: MobilityError) -> anyhow::Error {
    if e.is_user_error() { UserError(e.to_string()).into() } else { e.into() }
}

#[derive(clap::Args)]
pub struct FlowsArgs {
    #[command(subcommand)]
    command: FlowsCommand,
}

#[derive(clap::Args, Clone)]
struct Common {
    /// The flow dataset (default: the only home–work flow dataset of the store).
    #[arg(long)]
    dataset: Option<String>,
    /// Cells with fewer workers are secret (shown as "secret", never 0): METHODS.md §3's
    /// household rule applied to people counts (an assumption).
    #[arg(long, default_value_t = 11.0, allow_negative_numbers = true)]
    secret_below: f64,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl Common {
    fn secrecy(&self) -> Secrecy {
        Secrecy { threshold: self.secret_below, ..Secrecy::default() }
    }
}

/// Distance and emission parameters (defaults and sources: crates/mobility/src/distance.rs).
#[derive(clap::Args, Clone)]
pub(crate) struct DistArgs {
    /// Road km per straight-line km (assumption, stated in the output).
    #[arg(long, default_value_t = 1.3, allow_negative_numbers = true)]
    detour: f64,
    /// One-way km of a trip inside one commune (assumption).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    intra_km: f64,
    /// Commuting days per year (assumption).
    #[arg(long, default_value_t = 220.0, allow_negative_numbers = true)]
    working_days: f64,
    /// People per car on commuting trips (assumption: driver alone).
    #[arg(long, default_value_t = 1.0, allow_negative_numbers = true)]
    occupancy: f64,
    /// Share of public-transport km by regional train, the rest by bus (assumption).
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    rail_share: f64,
}

impl DistArgs {
    pub(crate) fn params(&self) -> DistanceParams {
        DistanceParams {
            detour: self.detour,
            intra_km: self.intra_km,
            working_days: self.working_days,
            occupancy: self.occupancy,
            rail_share: self.rail_share,
            ..DistanceParams::default()
        }
    }
}

#[derive(clap::ValueEnum, Clone, Copy)]
enum ByArg {
    Mode,
    Trans,
    Group,
    Cs1,
}

#[derive(clap::Subcommand)]
enum FlowsCommand {
    /// Origin–destination matrix between the territories of a layer, or between zones you name.
    Matrix {
        /// Layer of the zones (com, epci, arr, dep, reg, per).
        #[arg(long, conflicts_with = "zones")]
        layer: Option<String>,
        /// Zones, comma-separated, which must not overlap (e.g. per:mel,per:bassin-minier).
        #[arg(long, value_delimiter = ',')]
        zones: Vec<String>,
        /// Frame: only territories inside it; communes of the frame in no zone form "rest of the frame".
        #[arg(long)]
        within: Option<String>,
        /// Break cells down by mode (TRANS) or socio-professional group (CS1): detailed file only.
        #[arg(long, value_enum)]
        by: Option<ByArg>,
        /// Time the aggregation from the Parquet file N times in this process and print each time to stderr
        /// (benchmark: the first run is cold, the others warm).
        #[arg(long, default_value_t = 1, hide = true)]
        repeat: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Balance of a territory: residents in work, working inside, outgoing, incoming, rates, main partners.
    Summary {
        territory: String,
        /// Layer of the main destinations and origins listed.
        #[arg(long, default_value = "com")]
        partners: String,
        #[arg(long, default_value_t = 10)]
        top: usize,
        #[command(flatten)]
        common: Common,
    },
    /// Commuting distances of a territory's residents (all flows without one): classes, km per day, CO2 per year.
    Distances {
        territory: Option<String>,
        #[command(flatten)]
        dist: DistArgs,
        #[command(flatten)]
        common: Common,
    },
    /// The commune-to-commune flows from or to a territory, largest first, with distances (secret ones without counts).
    Lines {
        territory: String,
        /// At most this many lines.
        #[arg(long, default_value_t = 50)]
        top: usize,
        #[command(flatten)]
        dist: DistArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Workers commuting into a territory, and the share living in another (METHODS.md §1:
    /// `echelle flows into per:mel --from per:bassin-minier`).
    Into {
        target: String,
        #[arg(long)]
        from: String,
        #[command(flatten)]
        common: Common,
    },
}

pub fn flows_cmd(store_root: &Path, args: FlowsArgs) -> Result<()> {
    let store = open_store(store_root)?;
    let r = store.referential()?;
    match args.command {
        FlowsCommand::Matrix { layer, zones, within, by, repeat, common } => {
            let within = within.map(|w| r.resolve(&w)).transpose()?;
            let z = match (layer, zones.is_empty()) {
                (Some(l), _) => Zones::layer(&r, l.parse()?, within.as_ref()).map_err(user)?,
                (None, false) => Zones::of(&r, &super::resolve_all(&r, &zones)?, within.as_ref()).map_err(user)?,
                (None, true) => return Err(UserError("flows matrix: give --layer or --zones".into()).into()),
            };
            let by = match by {
                None => By::Nothing,
                Some(ByArg::Mode | ByArg::Trans) => By::Mode,
                Some(ByArg::Group | ByArg::Cs1) => By::Group,
            };
            common.secrecy().validate().map_err(user)?;
            let d = flows::flow_dataset(&store, common.dataset.as_deref()).map_err(user)?;
            let path = store.root().join(&d.path);
            let provenance = flows::provenance(&d, &path).map_err(user)?;
            if by != By::Nothing && !provenance.detailed {
                return Err(UserError(format!(
                    "dataset '{}' is the aggregated flows base: no mode (TRANS) nor group (CS1); import FD_MOBPRO",
                    d.id
                ))
                .into());
            }
            let mut sums = None;
            for run in 0..repeat.max(1) {
                let start = Instant::now();
                sums = Some(matrix::sums_from_parquet(&path, &r, &z, by).map_err(user)?);
                if repeat > 1 {
                    eprintln!("run {}: {:.3} s", run + 1, start.elapsed().as_secs_f64());
                }
            }
            let m = matrix::build(sums.expect("one run"), &z, by, common.secrecy(), provenance);
            print_matrix(&m, common.format)
        }
        FlowsCommand::Summary { territory, partners, top, common } => {
            let t = r.resolve(&territory)?;
            let f = load(&store, &r, &common)?;
            let partners: Layer = partners.parse()?;
            let s = matrix::summary(&f, &r, &t, partners, top, common.secrecy()).map_err(user)?;
            match common.format {
                Format::Json => json(&s),
                Format::Csv => {
                    let mut out = String::from("territory,measure,value,unit\n");
                    for (k, v) in summary_lines(&s) {
                        let _ = writeln!(
                            out,
                            "{},{k},{},{}",
                            s.territory,
                            v.map(|x| x.to_string()).unwrap_or_default(),
                            s.unit
                        );
                    }
                    for (kind, list) in [("destination", &s.top_destinations), ("origin", &s.top_origins)] {
                        for p in list {
                            let v = p.workers.map(|x| x.to_string()).unwrap_or_else(|| "secret".into());
                            let _ = writeln!(out, "{},{kind}:{},{v},{}", s.territory, p.key, s.unit);
                        }
                    }
                    print!("{out}");
                    Ok(())
                }
                Format::Table => {
                    println!("Navettes domicile-travail — {} {} ({})", s.territory, s.name, s.unit);
                    let mut rows = vec![vec!["mesure".to_string(), "valeur".to_string()]];
                    for (k, v) in summary_lines(&s) {
                        let pct = k.ends_with("%");
                        rows.push(vec![
                            k.to_string(),
                            v.map(|x| french(x, if pct { 1 } else { 0 })).unwrap_or("n/d".into()),
                        ]);
                    }
                    print!("{}", align(&rows));
                    for (title, list) in
                        [("Principales destinations", &s.top_destinations), ("Principales origines", &s.top_origins)]
                    {
                        println!("\n{title} ({}):", s.partner_layer);
                        let mut rows = vec![vec!["territoire".into(), "nom".into(), "actifs".into(), "part %".into()]];
                        for p in list {
                            rows.push(vec![
                                p.key.clone(),
                                p.name.clone(),
                                p.workers.map(|x| french(x, 0)).unwrap_or("secret".into()),
                                p.share.map(|x| french(x, 1)).unwrap_or_default(),
                            ]);
                        }
                        print!("{}", align(&rows));
                    }
                    footer(&s.provenance, Some(&s.secrecy));
                    Ok(())
                }
            }
        }
        FlowsCommand::Distances { territory, dist, common } => {
            let t = territory.map(|t| r.resolve(&t)).transpose()?;
            let p = dist.params();
            p.validate().map_err(user)?;
            let f = load(&store, &r, &common)?;
            let pos = Positions::from_store(&store, &r).map_err(user)?;
            let d = distance::distances(&f, &r, &pos, t.as_ref(), &p).map_err(user)?;
            match common.format {
                Format::Json => json(&d),
                Format::Csv => {
                    println!("measure,value,unit");
                    println!("workers,{},actifs", d.workers);
                    println!("workers_without_distance,{},actifs", d.workers_without_distance);
                    println!("mean_km,{},km", d.mean_km.map(|x| x.to_string()).unwrap_or_default());
                    println!("km_per_day,{},km", d.km_per_day);
                    println!("co2_per_year,{},tCO2e", d.co2_t_per_year.map(|x| x.to_string()).unwrap_or_default());
                    for b in &d.histogram {
                        let to = b.to_km.map(|x| x.to_string()).unwrap_or_default();
                        println!("workers_{}_{to}_km,{},actifs", b.from_km, b.workers);
                    }
                    Ok(())
                }
                Format::Table => {
                    let who = d.territory.as_ref().map(|t| format!("{t} {}", d.name.clone().unwrap_or_default()));
                    println!(
                        "Distances domicile-travail des actifs résidant dans {}",
                        who.unwrap_or("tous les territoires".into())
                    );
                    println!("Méthode: {}", d.method);
                    println!(
                        "Actifs: {} (dont {} sans distance: étranger ou commune sans position)",
                        french(d.workers, 0),
                        french(d.workers_without_distance, 0)
                    );
                    println!(
                        "Distance moyenne (aller, actifs qui se déplacent): {} km",
                        d.mean_km.map(|x| french(x, 1)).unwrap_or("n/d".into())
                    );
                    println!("Km parcourus par jour travaillé (aller-retour): {} km", french(d.km_per_day, 0));
                    println!(
                        "Émissions: {} tCO2e par an (ADEME Base Carbone via Impact CO2, METHODS.md §5)",
                        d.co2_t_per_year.map(|x| french(x, 1)).unwrap_or("n/d (mode inconnu: base agrégée)".into())
                    );
                    let mut rows = vec![vec!["distance".to_string(), "actifs".into(), "part %".into()]];
                    for b in &d.histogram {
                        let label = match b.to_km {
                            Some(to) => format!("{} à {} km", b.from_km, to),
                            None => format!("{} km et plus", b.from_km),
                        };
                        rows.push(vec![label, french(b.workers, 0), b.share.map(|x| french(x, 1)).unwrap_or_default()]);
                    }
                    println!();
                    print!("{}", align(&rows));
                    let mut rows = vec![vec!["mode".to_string(), "actifs".into(), "km/jour".into(), "tCO2e/an".into()]];
                    for m in &d.by_mode {
                        rows.push(vec![
                            m.mode.clone(),
                            french(m.workers, 0),
                            french(m.km_per_day, 0),
                            m.co2_t_per_year.map(|x| french(x, 1)).unwrap_or("n/d".into()),
                        ]);
                    }
                    println!();
                    print!("{}", align(&rows));
                    footer(&d.provenance, None);
                    Ok(())
                }
            }
        }
        FlowsCommand::Lines { territory, top, dist, common } => {
            let t = r.resolve(&territory)?;
            let p = dist.params();
            let f = load(&store, &r, &common)?;
            let pos = Positions::from_store(&store, &r).map_err(user)?;
            let mut lines = distance::flow_lines(&f, &r, &pos, &t, &p, common.secrecy()).map_err(user)?;
            lines.truncate(top);
            match common.format {
                Format::Json => json(&lines),
                Format::Csv => {
                    println!("origin,dest,workers,secret,km");
                    for l in &lines {
                        println!(
                            "{},{},{},{},{}",
                            l.origin,
                            l.dest.as_deref().unwrap_or("abroad"),
                            l.workers.map(|x| x.to_string()).unwrap_or_else(|| "secret".into()),
                            l.secret,
                            l.km.map(|x| x.to_string()).unwrap_or_default()
                        );
                    }
                    Ok(())
                }
                Format::Table => {
                    println!("Flux de et vers {} {} — {}", t, r.name(&t).unwrap_or(""), p.method());
                    let mut rows =
                        vec![vec!["origine".to_string(), "destination".into(), "actifs".into(), "km".into()]];
                    for l in &lines {
                        rows.push(vec![
                            format!("{} {}", l.origin, l.origin_name),
                            l.dest
                                .as_ref()
                                .map(|d| format!("{d} {}", l.dest_name.clone().unwrap_or_default()))
                                .unwrap_or("étranger ou inconnu".into()),
                            l.workers.map(|x| french(x, 0)).unwrap_or("secret".into()),
                            l.km.map(|x| french(x, 1)).unwrap_or("n/d".into()),
                        ]);
                    }
                    print!("{}", align(&rows));
                    footer(&f.provenance, Some(&common.secrecy()));
                    Ok(())
                }
            }
        }
        FlowsCommand::Into { target, from, common } => {
            let (t, from) = (r.resolve(&target)?, r.resolve(&from)?);
            let f = load(&store, &r, &common)?;
            let x = matrix::inflows(&f, &r, &t, &from).map_err(user)?;
            match common.format {
                Format::Json => json(&x),
                Format::Csv => {
                    println!("target,from,commuters_in,from_commuters,share_pct,unit,dataset,vintage,synthetic");
                    println!(
                        "{},{},{},{},{},{},{},{},{}",
                        x.target,
                        x.from,
                        x.commuters_in,
                        x.from_commuters,
                        x.share.map(|s| s.to_string()).unwrap_or_default(),
                        x.unit,
                        x.provenance.dataset,
                        x.provenance.vintage,
                        x.provenance.synthetic
                    );
                    Ok(())
                }
                Format::Table => {
                    println!(
                        "Actifs venant travailler dans {} {} (et résidant hors de ce territoire): {}",
                        x.target,
                        x.target_name,
                        french(x.commuters_in, 0)
                    );
                    println!(
                        "  dont résidant dans {} {}: {} soit {} %",
                        x.from,
                        x.from_name,
                        french(x.from_commuters, 0),
                        x.share.map(|s| french(s, 1)).unwrap_or("n/d".into())
                    );
                    if x.overlap_communes > 0 {
                        println!(
                            "  ({} communes sont dans les deux territoires: leurs résidents ne sont pas des entrants)",
                            x.overlap_communes
                        );
                    }
                    println!(
                        "  Référence publiée (METHODS.md §1, Insee Analyses Hauts-de-France n°196, 2025): 130 300 entrants dans la MEL en 2022, dont la moitié résidant dans l'ancien bassin minier."
                    );
                    footer(&x.provenance, None);
                    Ok(())
                }
            }
        }
    }
}

fn load(store: &echelle_store::Store, r: &Referential, common: &Common) -> Result<Flows> {
    Flows::load(store, r, common.dataset.as_deref()).map_err(user)
}

fn summary_lines(s: &matrix::Summary) -> Vec<(&'static str, Option<f64>)> {
    vec![
        ("actifs résidents", Some(s.residents_in_work)),
        ("travaillant sur place", Some(s.working_inside)),
        ("sortants", Some(s.outgoing)),
        ("entrants", Some(s.incoming)),
        ("emplois occupés (actifs y travaillant)", Some(s.jobs_held)),
        ("solde (entrants - sortants)", Some(s.net_balance)),
        ("taux d'auto-contention (sur place / résidents) %", s.self_containment),
        ("taux de dépendance (sortants / résidents) %", s.dependence),
        ("autosuffisance (sur place / emplois occupés) %", s.job_self_sufficiency),
    ]
}

pub(crate) fn json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub(crate) fn footer(p: &flows::Provenance, secrecy: Option<&Secrecy>) {
    println!("\nSource: {}", p.line());
    if p.synthetic {
        println!("SYNTHETIC DATA: these flows were generated by `echelle synth`, they describe no real commuting.");
    }
    if let Some(s) = secrecy {
        println!(
            "Secret: counts under {} workers are not shown (METHODS.md §3, household rule applied to people); counts under {} are fragile (INSEE); no secondary protection against differencing.",
            french(s.threshold, 0),
            french(s.fragile_below, 0)
        );
    }
}

fn print_matrix(m: &matrix::Matrix, format: Format) -> Result<()> {
    let value = |c: &matrix::MatrixCell| c.workers.map(|x| x.to_string()).unwrap_or_else(|| "secret".into());
    match format {
        Format::Json => json(m),
        Format::Csv => {
            let mut out = String::with_capacity(m.cells.len() * 48);
            out.push_str("origin,dest,category,workers,secret,fragile\n");
            for c in &m.cells {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{}",
                    c.origin_key,
                    c.dest_key,
                    c.category.as_deref().unwrap_or(""),
                    value(c),
                    c.secret,
                    c.fragile
                );
            }
            print!("{out}");
            Ok(())
        }
        Format::Table => {
            println!(
                "Matrice origine–destination ({}): {} zones, {} cellules non nulles, total {}",
                m.unit,
                m.zones.len(),
                m.cells.len(),
                french(m.total, 0)
            );
            let mut rows =
                vec![vec!["origine".to_string(), "destination".into(), "catégorie".into(), "actifs".into(), "".into()]];
            for c in &m.cells {
                rows.push(vec![
                    format!("{} {}", c.origin_key, m.zones[c.origin as usize].name),
                    format!("{} {}", c.dest_key, m.zones[c.dest as usize].name),
                    c.category.clone().unwrap_or_default(),
                    c.workers.map(|x| french(x, 0)).unwrap_or("secret".into()),
                    if c.fragile && !c.secret { "fragile".into() } else { String::new() },
                ]);
            }
            print!("{}", align(&rows));
            println!("\nTotaux par zone:");
            let mut rows =
                vec![vec!["zone".to_string(), "nom".into(), "actifs résidents".into(), "emplois occupés".into()]];
            for t in m.totals.iter().filter(|t| t.residents_in_work != 0.0 || t.jobs_held != 0.0) {
                rows.push(vec![t.key.clone(), t.name.clone(), french(t.residents_in_work, 0), french(t.jobs_held, 0)]);
            }
            print!("{}", align(&rows));
            println!("{} cellules secrètes.", m.secret_cells);
            footer(&m.provenance, Some(&m.secrecy));
            Ok(())
        }
    }
}
