//! `echelle flows`: commuting between territories (origin–destination matrices,
//! balances, inflows, distances and CO2), from the flows in the store; every output
//! names its dataset, vintage and unit, and says SYNTHETIC when the flows were
//! generated.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::Result;
use echelle_mobility::distance::{self, DistanceParams, Positions};
use echelle_mobility::flows::{self, Flows};
use echelle_mobility::map::{self, MapParams};
use echelle_mobility::matrix::{self, By};
use echelle_mobility::road::{self, RoadDistances};
use echelle_mobility::secrecy::{Count, Secrecy};
use echelle_mobility::telework::{self, TeleworkParams};
use echelle_mobility::vulnerability::{self, FuelData, FuelParams, Incomes, Vulnerability};
use echelle_mobility::{Flow, MobilityError, Provenance, Zones};
use echelle_referential::{Layer, Referential};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use super::{UserError, open_store};
use crate::output::{Format, align, french};

/// The communes of any of `ts`, as a mask over the referential's communes.
fn mask_of(r: &Referential, ts: &[echelle_referential::TerritoryRef]) -> Result<Vec<bool>> {
    let mut mask = vec![false; r.communes().len()];
    for t in ts {
        for &c in r.members(t)?.iter() {
            mask[c as usize] = true;
        }
    }
    Ok(mask)
}

fn is_in(mask: &[bool], c: u32) -> bool {
    mask.get(c as usize).copied().unwrap_or(false)
}

/// The machine name of a distance method (`road`, `straight_line`, `intra_commune`), for CSV.
fn method_name(m: Option<distance::Method>) -> Result<String> {
    Ok(match m {
        Some(m) => serde_json::to_value(m)?.as_str().unwrap_or_default().to_string(),
        None => String::new(),
    })
}

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
    /// household rule applied to people counts (an assumption). Default and least: the
    /// dataset's declared 11 (any threshold for synthetic flows).
    #[arg(long, allow_negative_numbers = true)]
    secret_below: Option<f64>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

impl Common {
    /// The threshold asked for, to check parameters before the flows are read; every
    /// figure is then shown under the rule [`load`] returns (the dataset's, made stricter).
    fn secrecy(&self) -> Secrecy {
        Secrecy::below(self.secret_below)
    }
}

/// Distance and emission parameters (defaults and sources: crates/mobility/src/distance.rs).
#[derive(clap::Args, Clone)]
pub(crate) struct DistArgs {
    /// Road km per straight-line km (assumption, stated in the output).
    #[arg(long, default_value_t = distance::DETOUR, allow_negative_numbers = true)]
    detour: f64,
    /// One-way km of a trip inside one commune (assumption).
    #[arg(long, default_value_t = distance::INTRA_KM, allow_negative_numbers = true)]
    intra_km: f64,
    /// Commuting days per year (assumption).
    #[arg(long, default_value_t = distance::WORKING_DAYS, allow_negative_numbers = true)]
    working_days: f64,
    /// People per car on commuting trips (assumption: driver alone).
    #[arg(long, default_value_t = distance::OCCUPANCY, allow_negative_numbers = true)]
    occupancy: f64,
    /// Share of public-transport km by regional train, the rest by bus (assumption).
    #[arg(long, default_value_t = distance::RAIL_SHARE, allow_negative_numbers = true)]
    rail_share: f64,
    /// Road network of the store (`echelle network build … --name NAME`): flows between
    /// two communes on it take the length of the fastest route; the others keep the
    /// straight line × detour (each output says which, and for how many workers).
    #[arg(long)]
    network: Option<String>,
    /// With --network: a commune whose centroid is farther than this from any junction
    /// is not on the network (m).
    #[arg(long, default_value_t = road::MAX_SNAP_M, allow_negative_numbers = true)]
    max_snap_m: f64,
    /// With --network: at most this many origin communes get a search (one each, those
    /// with most workers first); the others keep the straight line.
    #[arg(long, default_value_t = road::MAX_SEARCHES)]
    max_searches: usize,
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

    /// The communes' positions, with road distances on the named network if any, for
    /// the flows that `keep` retains (one search per origin commune of those).
    fn positions(
        &self,
        store: &echelle_store::Store,
        r: &Referential,
        flows: &Flows,
        keep: impl Fn(&Flow) -> bool,
    ) -> Result<Positions> {
        let pos = Positions::from_store(store, r).map_err(user)?;
        let Some(name) = &self.network else { return Ok(pos) };
        let mut some = flows.clone();
        some.flows.retain(|f| keep(f));
        let flows = &some;
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("road distances on {msg}: [{bar:30}] {pos}/{len} origin communes")
                .expect("valid template"),
        );
        bar.set_message(name.clone());
        let graph = road::load_network(store, name).map_err(user)?;
        let roads = RoadDistances::compute(&graph, name, flows, &pos, self.max_snap_m, self.max_searches, &|d, t| {
            bar.set_length(t as u64);
            bar.set_position(d as u64);
        })
        .map_err(user)?;
        bar.finish_and_clear();
        Ok(pos.with_roads(roads))
    }
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
        /// Break cells down by mode (or trans) or socio-professional group (or cs1): detailed file only.
        #[arg(long, default_value = "none")]
        by: String,
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
        #[arg(long, default_value_t = Layer::Commune.prefix().to_string())]
        partners: String,
        #[arg(long, default_value_t = matrix::TOP_PARTNERS)]
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
    /// The commune-to-commune flows from or to a territory, largest first, with distances (secret ones without counts);
    /// or, with --layer, the flow map of a layer (lines between its territories and their balances).
    Lines {
        #[arg(required_unless_present = "layer")]
        territory: Option<String>,
        /// At most this many lines.
        #[arg(long, default_value_t = 50)]
        top: usize,
        /// Flow map of this layer's territories instead (com, epci, dep…).
        #[arg(long, conflicts_with = "territory")]
        layer: Option<String>,
        /// With --layer: only territories inside this one.
        #[arg(long, requires = "layer")]
        within: Option<String>,
        /// With --layer: lines with fewer workers are not drawn (default: the secrecy threshold).
        #[arg(long, requires = "layer")]
        min: Option<f64>,
        /// With --layer: at most this many lines, largest first.
        #[arg(long, default_value_t = map::LINES_LIMIT)]
        limit: usize,
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
            if layer.is_none() && zones.is_empty() {
                return Err(UserError("flows matrix: give --layer or --zones".into()).into());
            }
            let z = Zones::parse(&r, layer.as_deref(), &zones, within.as_deref()).map_err(user)?;
            let by: By = by.parse().map_err(user)?;
            let d = flows::flow_dataset(&store, common.dataset.as_deref()).map_err(user)?;
            let path = store.root().join(&d.path);
            let provenance = Provenance::of(&d).with_unit(flows::UNIT);
            let secrecy = Secrecy::declared(&provenance, common.secret_below).map_err(user)?;
            matrix::check_breakdown(by, flows::is_detailed(&path).map_err(user)?, &d.id).map_err(user)?;
            let mut sums = None;
            for run in 0..repeat.max(1) {
                let start = Instant::now();
                let seed = secrecy.cell_key.map(|_| flows::record_seed(&d.checksum));
                sums = Some(matrix::sums_from_parquet(&path, seed, &r, &z, by).map_err(user)?);
                if repeat > 1 {
                    eprintln!("run {}: {:.3} s", run + 1, start.elapsed().as_secs_f64());
                }
            }
            let m = matrix::build(sums.expect("one run"), &z, by, secrecy, provenance);
            print_matrix(&m, common.format)
        }
        FlowsCommand::Summary { territory, partners, top, common } => {
            let t = r.resolve(&territory)?;
            let (f, secrecy) = load(&store, &r, &common)?;
            let partners: Layer = partners.parse()?;
            let s = matrix::summary(&f, &r, &t, partners, top, secrecy).map_err(user)?;
            match common.format {
                Format::Json => json(&s),
                Format::Csv => {
                    let mut out = String::from("territory,measure,value,unit\n");
                    for (k, v) in summary_lines(&s) {
                        let v = v.map(|x| x.to_string()).unwrap_or_else(|| missing(s.secret).into());
                        let _ = writeln!(out, "{},{k},{v},{}", s.territory, s.unit);
                    }
                    for (kind, list) in [("destination", &s.top_destinations), ("origin", &s.top_origins)] {
                        for p in list {
                            let v = raw(p.workers);
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
                            v.map(|x| french(x, if pct { 1 } else { 0 })).unwrap_or_else(|| missing(s.secret).into()),
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
                                shown(p.workers),
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
            let (f, secrecy) = load(&store, &r, &common)?;
            let mask = t.as_ref().map(|t| mask_of(&r, std::slice::from_ref(t))).transpose()?;
            let pos = dist.positions(&store, &r, &f, |x| mask.as_ref().is_none_or(|m| is_in(m, x.origin)))?;
            let d = distance::distances(&f, &r, &pos, t.as_ref(), &p, secrecy).map_err(user)?;
            match common.format {
                Format::Json => json(&d),
                Format::Csv => {
                    println!("measure,value,unit");
                    println!("workers,{},actifs", raw(d.workers));
                    println!("workers_without_distance,{},actifs", raw(d.workers_without_distance));
                    for m in &d.by_method {
                        println!(
                            "workers_{},{},actifs",
                            serde_json::to_value(m.method)?.as_str().unwrap_or("?"),
                            raw(m.workers)
                        );
                        println!("flows_{},{},flux", serde_json::to_value(m.method)?.as_str().unwrap_or("?"), m.flows);
                    }
                    println!("mean_km,{},km", d.mean_km.map(|x| x.to_string()).unwrap_or_default());
                    println!("km_per_day,{},km", d.km_per_day);
                    println!("co2_per_year,{},tCO2e", d.co2_t_per_year.map(|x| x.to_string()).unwrap_or_default());
                    for b in &d.histogram {
                        let to = b.to_km.map(|x| x.to_string()).unwrap_or_default();
                        println!("workers_{}_{to}_km,{},actifs", b.from_km, raw(b.workers));
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
                    for m in &d.by_method {
                        println!(
                            "  méthode : {} — {} flux, {} actifs",
                            m.label,
                            french(m.flows as f64, 0),
                            shown(m.workers)
                        );
                    }
                    println!(
                        "Actifs: {} (dont {} sans distance: étranger ou commune sans position)",
                        shown(d.workers),
                        shown(d.workers_without_distance)
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
                        rows.push(vec![label, shown(b.workers), b.share.map(|x| french(x, 1)).unwrap_or_default()]);
                    }
                    println!();
                    print!("{}", align(&rows));
                    let mut rows = vec![vec!["mode".to_string(), "actifs".into(), "km/jour".into(), "tCO2e/an".into()]];
                    for m in &d.by_mode {
                        rows.push(vec![
                            m.mode.clone(),
                            shown(m.workers),
                            m.km_per_day.map(|x| french(x, 0)).unwrap_or_else(|| missing(m.workers.is_secret()).into()),
                            m.co2_t_per_year
                                .map(|x| french(x, 1))
                                .unwrap_or_else(|| missing(m.workers.is_secret()).into()),
                        ]);
                    }
                    println!();
                    print!("{}", align(&rows));
                    footer(&d.provenance, Some(&d.secrecy));
                    Ok(())
                }
            }
        }
        FlowsCommand::Lines { territory: None, layer: Some(layer), within, min, limit, dist: _, common, .. } => {
            let z = Zones::parse(&r, Some(&layer), &[], within.as_deref()).map_err(user)?;
            let l: Layer = layer.parse()?;
            let (f, secrecy) = load(&store, &r, &common)?;
            let p = MapParams { min, limit, secrecy };
            p.validate().map_err(user)?;
            let pos = Positions::from_store(&store, &r).map_err(user)?;
            let m = map::flow_map(&f, &z, l.prefix(), within.as_deref(), &pos, &p).map_err(user)?;
            match common.format {
                Format::Json => json(&m),
                Format::Csv => {
                    println!("origin,dest,workers");
                    for x in &m.lines {
                        println!("{},{},{}", x.origin, x.dest, x.workers);
                    }
                    Ok(())
                }
                Format::Table => {
                    println!("Carte des flux entre territoires ({}) — {} lignes", m.layer, m.lines.len());
                    let mut rows = vec![vec!["origine".to_string(), "destination".into(), "actifs".into()]];
                    for x in &m.lines {
                        rows.push(vec![
                            format!("{} {}", x.origin, x.origin_name),
                            format!("{} {}", x.dest, x.dest_name),
                            french(x.workers, 0),
                        ]);
                    }
                    print!("{}", align(&rows));
                    println!(
                        "Non tracées : {} sous le minimum, {} secrètes, {} sans position, {} au-delà de la limite.",
                        m.hidden.below_min, m.hidden.secret, m.hidden.without_position, m.hidden.over_limit
                    );
                    footer(&m.provenance, Some(&m.secrecy));
                    Ok(())
                }
            }
        }
        FlowsCommand::Lines { territory, top, dist, common, .. } => {
            let t = r.resolve(territory.as_deref().unwrap_or_default())?;
            let p = dist.params();
            let (f, secrecy) = load(&store, &r, &common)?;
            let mask = mask_of(&r, std::slice::from_ref(&t))?;
            let pos = dist.positions(&store, &r, &f, |x| is_in(&mask, x.origin) || is_in(&mask, x.dest))?;
            let mut lines = distance::flow_lines(&f, &r, &pos, &t, &p, secrecy).map_err(user)?;
            lines.truncate(top);
            match common.format {
                Format::Json => json(&lines),
                Format::Csv => {
                    println!("origin,dest,workers,secret,km,method");
                    for l in &lines {
                        println!(
                            "{},{},{},{},{},{}",
                            l.origin,
                            l.dest.as_deref().unwrap_or("abroad"),
                            raw(l.workers),
                            l.secret,
                            l.km.map(|x| x.to_string()).unwrap_or_default(),
                            method_name(l.method)?
                        );
                    }
                    Ok(())
                }
                Format::Table => {
                    println!("Flux de et vers {} {} — {}", t, r.name(&t).unwrap_or(""), p.method_on(&pos));
                    let mut rows = vec![vec![
                        "origine".to_string(),
                        "destination".into(),
                        "actifs".into(),
                        "km".into(),
                        "méthode".into(),
                    ]];
                    for l in &lines {
                        rows.push(vec![
                            format!("{} {}", l.origin, l.origin_name),
                            l.dest
                                .as_ref()
                                .map(|d| format!("{d} {}", l.dest_name.clone().unwrap_or_default()))
                                .unwrap_or("étranger ou inconnu".into()),
                            shown(l.workers),
                            l.km.map(|x| french(x, 1)).unwrap_or("n/d".into()),
                            l.method.map(|m| p.label(&pos, m)).unwrap_or_default(),
                        ]);
                    }
                    print!("{}", align(&rows));
                    footer(&f.provenance, Some(&secrecy));
                    Ok(())
                }
            }
        }
        FlowsCommand::Into { target, from, common } => {
            let (t, from) = (r.resolve(&target)?, r.resolve(&from)?);
            let (f, secrecy) = load(&store, &r, &common)?;
            let x = matrix::inflows(&f, &r, &t, &from, secrecy).map_err(user)?;
            match common.format {
                Format::Json => json(&x),
                Format::Csv => {
                    println!("target,from,commuters_in,from_commuters,share_pct,unit,dataset,vintage,synthetic");
                    println!(
                        "{},{},{},{},{},{},{},{},{}",
                        x.target,
                        x.from,
                        raw(x.commuters_in),
                        raw(x.from_commuters),
                        x.share.map(|s| s.to_string()).unwrap_or_else(|| missing(x.secret).into()),
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
                        shown(x.commuters_in)
                    );
                    println!(
                        "  dont résidant dans {} {}: {} soit {} %",
                        x.from,
                        x.from_name,
                        shown(x.from_commuters),
                        x.share.map(|s| french(s, 1)).unwrap_or_else(|| missing(x.secret).into())
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
                    footer(&x.provenance, Some(&x.secrecy));
                    Ok(())
                }
            }
        }
    }
}

/// The flows asked for and the rule their counts are shown under: the dataset's
/// declared one, made stricter when the client asks (a weaker one is refused).
fn load(store: &echelle_store::Store, r: &Referential, common: &Common) -> Result<(Flows, Secrecy)> {
    let f = Flows::load(store, r, common.dataset.as_deref()).map_err(user)?;
    let secrecy = Secrecy::declared(&f.provenance, common.secret_below).map_err(user)?;
    if f.workers_without_origin > 0.0 {
        eprintln!(
            "note: {} workers left out: their home code is a former commune since split, with no commune actuelle",
            french(f.workers_without_origin, 0)
        );
    }
    Ok((f, secrecy))
}

fn summary_lines(s: &matrix::Summary) -> Vec<(&'static str, Option<f64>)> {
    vec![
        ("actifs résidents", s.residents_in_work.value()),
        ("travaillant sur place", s.working_inside.value()),
        ("sortants", s.outgoing.value()),
        ("entrants", s.incoming.value()),
        ("emplois occupés (actifs y travaillant)", s.jobs_held.value()),
        ("solde (entrants - sortants)", s.net_balance),
        ("taux d'auto-contention (sur place / résidents) %", s.self_containment),
        ("taux de dépendance (sortants / résidents) %", s.dependence),
        ("autosuffisance (sur place / emplois occupés) %", s.job_self_sufficiency),
    ]
}

/// What a missing figure is called: « secret » when secrecy hid it, else not available.
fn missing(secret: bool) -> &'static str {
    if secret { "secret" } else { "n/d" }
}

/// A count for tables: French digits, or « secret ».
fn shown(c: Count) -> String {
    c.value().map(|x| french(x, 0)).unwrap_or_else(|| "secret".into())
}

/// A count for CSV: the number, or `secret`.
fn raw(c: Count) -> String {
    c.value().map(|x| x.to_string()).unwrap_or_else(|| "secret".into())
}

/// Streamed: a commune matrix of France is 700 MB of JSON, not held in memory twice.
pub(crate) fn json<T: Serialize>(v: &T) -> Result<()> {
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    // As an `io::Error` again: a reader gone away (`| head`) ends the command quietly.
    serde_json::to_writer_pretty(&mut out, v).map_err(std::io::Error::from)?;
    writeln!(out)?;
    out.flush()?;
    Ok(())
}

/// The source line, the synthetic warning and the secrecy note, all from the library.
pub(crate) fn footer(p: &Provenance, secrecy: Option<&Secrecy>) {
    println!("\n{}", p.line());
    if p.synthetic {
        println!(
            "DONNÉES SYNTHÉTIQUES : ces flux ont été générés par `echelle synth`, ils ne décrivent aucune navette réelle."
        );
    }
    if let Some(s) = secrecy {
        println!("{}", s.note());
    }
}

fn print_matrix(m: &matrix::Matrix, format: Format) -> Result<()> {
    match format {
        Format::Json => json(m),
        Format::Csv => {
            // Streamed: a commune matrix of France is 3.3 million lines, put together
            // in a buffer with no allocation per line.
            let mut out = std::io::stdout().lock();
            let mut line = Vec::with_capacity(1 << 20);
            line.extend_from_slice(b"origin,dest,category,workers,secret,secondary,fragile\n");
            let flag = |b: bool| if b { &b"true"[..] } else { b"false" };
            for c in &m.cells {
                for part in [c.origin_key.as_bytes(), b",", c.dest_key.as_bytes(), b","] {
                    line.extend_from_slice(part);
                }
                line.extend_from_slice(c.category.as_deref().unwrap_or("").as_bytes());
                line.push(b',');
                match c.workers.value() {
                    Some(x) => echelle_report::write_number(&mut line, x),
                    None => line.extend_from_slice(b"secret"),
                }
                for b in [c.secret, c.secondary, c.fragile] {
                    line.push(b',');
                    line.extend_from_slice(flag(b));
                }
                line.push(b'\n');
                if line.len() >= 1 << 20 {
                    out.write_all(&line)?;
                    line.clear();
                }
            }
            out.write_all(&line)?;
            out.flush()?;
            Ok(())
        }
        Format::Table => {
            println!(
                "Matrice origine–destination ({}): {} zones, {} cellules non nulles, total {}",
                m.unit,
                m.zones.len(),
                m.cells.len(),
                shown(m.total)
            );
            let mut rows =
                vec![vec!["origine".to_string(), "destination".into(), "catégorie".into(), "actifs".into(), "".into()]];
            for c in &m.cells {
                rows.push(vec![
                    format!("{} {}", c.origin_key, m.zones[c.origin as usize].name),
                    format!("{} {}", c.dest_key, m.zones[c.dest as usize].name),
                    c.category.clone().unwrap_or_default(),
                    shown(c.workers),
                    if c.fragile && !c.secret { "fragile".into() } else { String::new() },
                ]);
            }
            print!("{}", align(&rows));
            println!("\nTotaux par zone:");
            let mut rows =
                vec![vec!["zone".to_string(), "nom".into(), "actifs résidents".into(), "emplois occupés".into()]];
            let zero = Count::Shown(0.0);
            for t in m.totals.iter().filter(|t| t.residents_in_work != zero || t.jobs_held != zero) {
                rows.push(vec![t.key.clone(), t.name.clone(), shown(t.residents_in_work), shown(t.jobs_held)]);
            }
            print!("{}", align(&rows));
            println!(
                "{} cellules secrètes (dont {} pour qu'un secret ne se déduise pas d'un total).",
                m.secret_cells,
                m.cells.iter().filter(|c| c.secondary).count()
            );
            footer(&m.provenance, Some(&m.secrecy));
            Ok(())
        }
    }
}

/// A share typed as `0.5` or `50%`; a change as `+30%`, `-10%` or `0.3`.
fn share(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let (num, pct) = match t.strip_suffix('%') {
        Some(n) => (n.trim(), true),
        None => (t, false),
    };
    let v: f64 =
        num.trim_start_matches('+').parse().map_err(|_| format!("'{s}' is not a number (0.3, 30% or +30%)"))?;
    Ok(if pct { v / 100.0 } else { v })
}

/// Fuel and income parameters (defaults and sources: crates/mobility/src/vulnerability.rs).
#[derive(clap::Args, Clone)]
pub struct FuelArgs {
    /// Car consumption, L/100 km (assumption, unconfirmed).
    #[arg(long, default_value_t = vulnerability::CONSUMPTION, allow_negative_numbers = true)]
    consumption: f64,
    /// Fuel price, €/L (assumption, unconfirmed).
    #[arg(long, default_value_t = vulnerability::FUEL_PRICE, allow_negative_numbers = true)]
    fuel_price: f64,
    /// Vulnerability threshold, share of disposable income (METHODS.md §4: 4.5%).
    #[arg(long, default_value_t = vulnerability::EFFORT_THRESHOLD, value_parser = share, allow_hyphen_values = true)]
    threshold: f64,
    /// D9/D1 ratio of standard of living inside a commune when the income file has no deciles (assumption).
    #[arg(long, default_value_t = vulnerability::D9_D1, allow_negative_numbers = true)]
    d9_d1: f64,
    /// Third decile of standard of living, €/UC/year, for "precarious" (default: estimated from the income dataset).
    #[arg(long, allow_negative_numbers = true)]
    d3: Option<f64>,
    /// The Filosofi dataset (default: the only one in the store).
    #[arg(long)]
    incomes: Option<String>,
    #[command(flatten)]
    dist: DistArgs,
}

impl FuelArgs {
    fn params(&self, secrecy: Secrecy) -> FuelParams {
        FuelParams {
            secrecy,
            consumption: self.consumption,
            price: self.fuel_price,
            distance: self.dist.params(),
            threshold: self.threshold,
            d9_d1: self.d9_d1,
            d3: self.d3,
            ..FuelParams::default()
        }
    }
}

#[derive(clap::Args, Clone)]
struct Targets {
    /// Territories (any layer: com:62119, epci:200072460, per:bassin-minier…).
    territories: Vec<String>,
    /// Or every territory of a layer…
    #[arg(long)]
    layer: Option<String>,
    /// … inside this one.
    #[arg(long)]
    within: Option<String>,
}

impl Targets {
    fn resolve(&self, r: &Referential) -> Result<Vec<echelle_referential::TerritoryRef>> {
        let mut out = super::resolve_all(r, &self.territories)?;
        if let Some(l) = &self.layer {
            let within = self.within.as_ref().map(|w| r.resolve(w)).transpose()?;
            out.extend(r.territories_within(l.parse()?, within.as_ref())?);
        }
        if out.is_empty() {
            return Err(UserError("name territories, or --layer (with --within)".into()).into());
        }
        Ok(out)
    }
}

#[derive(clap::Args)]
pub struct VulnerabilityArgs {
    #[command(subcommand)]
    command: VulnerabilityCommand,
}

#[derive(clap::Subcommand)]
enum VulnerabilityCommand {
    /// Fuel spending of car commuting per household, effort, vulnerable (> 4.5 %) and precarious shares.
    Show {
        #[command(flatten)]
        targets: Targets,
        #[command(flatten)]
        fuel: FuelArgs,
        #[command(flatten)]
        common: Common,
    },
    /// How the shares move when the fuel price changes (e.g. --price-change +30%).
    Scenario {
        #[command(flatten)]
        targets: Targets,
        /// Relative change of the fuel price: +30%, -10%, 0.3.
        #[arg(long, value_parser = share, allow_hyphen_values = true)]
        price_change: f64,
        #[command(flatten)]
        fuel: FuelArgs,
        #[command(flatten)]
        common: Common,
    },
}

fn opt(v: Option<f64>, decimals: u8) -> String {
    v.map(|x| french(x, decimals)).unwrap_or("n/d".into())
}

fn income_footer(v: &Vulnerability) {
    println!("\nMéthode: {}", v.method);
    match (v.d3, v.d3_estimated) {
        (Some(d), true) => {
            println!("D3 du niveau de vie: {} €/UC/an, estimé sur les communes du jeu de revenus", french(d, 0))
        }
        (Some(d), false) => println!("D3 du niveau de vie: {} €/UC/an (paramètre)", french(d, 0)),
        (None, _) => println!("D3 inconnu: part « précaire » non calculée"),
    }
    println!("Revenus : {}", v.incomes.line());
    footer(&v.flows, Some(&v.params.secrecy));
}

pub fn vulnerability_cmd(store_root: &Path, args: VulnerabilityArgs) -> Result<()> {
    let store = open_store(store_root)?;
    let r = store.referential()?;
    let (targets, fuel, common, change) = match &args.command {
        VulnerabilityCommand::Show { targets, fuel, common } => (targets, fuel, common, None),
        VulnerabilityCommand::Scenario { targets, price_change, fuel, common } => {
            (targets, fuel, common, Some(*price_change))
        }
    };
    let list = targets.resolve(&r)?;
    let mut p = fuel.params(common.secrecy());
    p.validate().map_err(user)?;
    let (f, secrecy) = load(&store, &r, common)?;
    p.secrecy = secrecy;
    let incomes = Incomes::load(&store, &r, fuel.incomes.as_deref()).map_err(user)?;
    let mask = mask_of(&r, &list)?;
    let pos = fuel.dist.positions(&store, &r, &f, |x| is_in(&mask, x.origin))?;
    let data = FuelData { flows: &f, incomes: &incomes, referential: &r, positions: &pos };
    match change {
        None => {
            let out: Vec<Vulnerability> = vulnerability::vulnerability_many(&data, &list, &p).map_err(user)?;
            match common.format {
                Format::Json => json(&out),
                Format::Csv => {
                    println!(
                        "territory,households,car_commuters,spending_per_household_eur,effort_pct,vulnerable_pct,precarious_pct,communes_with_incomes,communes,synthetic"
                    );
                    for v in &out {
                        let o = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
                        println!(
                            "{},{},{},{},{},{},{},{},{},{}",
                            v.territory,
                            v.households,
                            raw(v.car_commuters),
                            o(v.spending_per_household),
                            o(v.effort_pct),
                            o(v.vulnerable_pct),
                            o(v.precarious_pct),
                            v.communes_with_incomes,
                            v.communes,
                            v.flows.synthetic || v.incomes.synthetic
                        );
                    }
                    Ok(())
                }
                Format::Table => {
                    println!(
                        "Vulnérabilité énergétique liée aux trajets contraints en voiture (domicile-travail), METHODS.md §4"
                    );
                    let mut rows = vec![vec![
                        "territoire".to_string(),
                        "nom".into(),
                        "ménages".into(),
                        "navetteurs voiture".into(),
                        "€/ménage/an".into(),
                        "effort %".into(),
                        "vulnérables %".into(),
                        "précaires %".into(),
                        "communes avec revenus".into(),
                    ]];
                    for v in &out {
                        rows.push(vec![
                            v.territory.clone(),
                            v.name.clone(),
                            french(v.households, 0),
                            shown(v.car_commuters),
                            opt(v.spending_per_household, 0),
                            opt(v.effort_pct, 2),
                            opt(v.vulnerable_pct, 2),
                            opt(v.precarious_pct, 2),
                            format!("{}/{}", v.communes_with_incomes, v.communes),
                        ]);
                    }
                    print!("{}", align(&rows));
                    if let Some(v) = out.first() {
                        income_footer(v);
                    }
                    Ok(())
                }
            }
        }
        Some(change) => {
            let out: Vec<vulnerability::PriceScenario> =
                vulnerability::price_scenarios(&data, &list, &p, change).map_err(user)?;
            match common.format {
                Format::Json => json(&out),
                Format::Csv => {
                    println!(
                        "territory,base_price,scenario_price,vulnerable_pct_base,vulnerable_pct_scenario,change_pts,precarious_pct_base,precarious_pct_scenario"
                    );
                    for s in &out {
                        let o = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
                        println!(
                            "{},{},{},{},{},{},{},{}",
                            s.territory,
                            s.base_price,
                            s.scenario_price,
                            o(s.base.vulnerable_pct),
                            o(s.scenario.vulnerable_pct),
                            o(s.vulnerable_change_pts),
                            o(s.base.precarious_pct),
                            o(s.scenario.precarious_pct)
                        );
                    }
                    Ok(())
                }
                Format::Table => {
                    if let Some(s) = out.first() {
                        println!(
                            "Scénario prix du carburant: {} €/L → {} €/L ({:+} %)",
                            french(s.base_price, 2),
                            french(s.scenario_price, 2),
                            (change * 100.0).round()
                        );
                    }
                    let mut rows = vec![vec![
                        "territoire".to_string(),
                        "nom".into(),
                        "vulnérables % (base)".into(),
                        "vulnérables % (scénario)".into(),
                        "écart (points)".into(),
                        "précaires % (base)".into(),
                        "précaires % (scénario)".into(),
                    ]];
                    for s in &out {
                        rows.push(vec![
                            s.territory.clone(),
                            s.base.name.clone(),
                            opt(s.base.vulnerable_pct, 2),
                            opt(s.scenario.vulnerable_pct, 2),
                            opt(s.vulnerable_change_pts, 2),
                            opt(s.base.precarious_pct, 2),
                            opt(s.scenario.precarious_pct, 2),
                        ]);
                    }
                    print!("{}", align(&rows));
                    if let Some(s) = out.first() {
                        income_footer(&s.base);
                    }
                    Ok(())
                }
            }
        }
    }
}

#[derive(clap::Args)]
pub struct TeleworkArgs {
    #[command(subcommand)]
    command: TeleworkCommand,
}

#[derive(clap::Subcommand)]
enum TeleworkCommand {
    /// One scenario for a territory's residents: km, CO2, money and vulnerable share.
    Show {
        territory: String,
        /// Telework days a week for those who telework (0 < days <= 5).
        #[arg(long, default_value_t = telework::DAYS, allow_negative_numbers = true)]
        days: f64,
        /// Share of teleworkable commuters who telework: 0.5 or 50%.
        #[arg(long, default_value_t = telework::TAKE_UP, value_parser = share, allow_hyphen_values = true)]
        take_up: f64,
        /// Apply ADEME's average rebound effect (31 % of km and CO2 avoided eaten, METHODS.md §5).
        #[arg(long)]
        rebound: bool,
        #[command(flatten)]
        data: TeleworkData,
    },
    /// Scenarios side by side: --scenario DAYS:TAKE-UP[:rebound], repeated.
    Compare {
        territory: String,
        #[arg(long = "scenario", required = true)]
        scenarios: Vec<String>,
        #[command(flatten)]
        data: TeleworkData,
    },
}

/// The options both telework commands take.
#[derive(clap::Args)]
struct TeleworkData {
    /// Skip the vulnerability change (no income dataset needed).
    #[arg(long)]
    no_incomes: bool,
    #[command(flatten)]
    fuel: FuelArgs,
    #[command(flatten)]
    common: Common,
}

fn scenario(s: &str, fuel: FuelParams) -> Result<TeleworkParams> {
    let parts: Vec<&str> = s.split(':').collect();
    let bad = || UserError(format!("scenario '{s}': expected DAYS:TAKE-UP[:rebound], e.g. 2:50% or 1:0.3:rebound"));
    if !(2..=3).contains(&parts.len()) || (parts.len() == 3 && parts[2] != "rebound") {
        return Err(bad().into());
    }
    let days: f64 = parts[0].trim().parse().map_err(|_| bad())?;
    let take_up = share(parts[1]).map_err(|_| bad())?;
    Ok(TeleworkParams { days, take_up, rebound: parts.len() == 3, fuel })
}

pub fn telework_cmd(store_root: &Path, args: TeleworkArgs) -> Result<()> {
    let store = open_store(store_root)?;
    let r = store.referential()?;
    let (territory, scenarios, TeleworkData { no_incomes, fuel, common }) = match &args.command {
        TeleworkCommand::Show { territory, days, take_up, rebound, data } => {
            let p = TeleworkParams {
                days: *days,
                take_up: *take_up,
                rebound: *rebound,
                fuel: data.fuel.params(data.common.secrecy()),
            };
            (territory, vec![p], data)
        }
        TeleworkCommand::Compare { territory, scenarios, data } => {
            let fuel = data.fuel.params(data.common.secrecy());
            let list = scenarios.iter().map(|s| scenario(s, fuel)).collect::<Result<Vec<_>>>()?;
            (territory, list, data)
        }
    };
    let t = r.resolve(territory)?;
    for p in &scenarios {
        p.validate().map_err(user)?;
    }
    let (f, secrecy) = load(&store, &r, common)?;
    let scenarios: Vec<TeleworkParams> =
        scenarios.into_iter().map(|p| TeleworkParams { fuel: FuelParams { secrecy, ..p.fuel }, ..p }).collect();
    let incomes =
        if *no_incomes { None } else { Some(Incomes::load(&store, &r, fuel.incomes.as_deref()).map_err(user)?) };
    let mask = mask_of(&r, std::slice::from_ref(&t))?;
    let pos = fuel.dist.positions(&store, &r, &f, |x| is_in(&mask, x.origin))?;
    let out = telework::compare(&f, incomes.as_ref(), &r, &pos, &t, &scenarios).map_err(user)?;
    match common.format {
        Format::Json => json(&out),
        Format::Csv => {
            println!(
                "territory,days,take_up,rebound,commuters,teleworkers,km_per_year,km_avoided_per_year,co2_avoided_t_per_year,money_saved_eur_per_year,vulnerable_pct_before,vulnerable_pct_after,synthetic"
            );
            for x in &out {
                let o = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
                println!(
                    "{},{},{},{},{},{},{},{},{},{},{},{},{}",
                    x.territory,
                    x.params.days,
                    x.params.take_up,
                    x.params.rebound,
                    raw(x.commuters),
                    raw(x.teleworkers),
                    x.km_per_year,
                    x.km_avoided_per_year,
                    o(x.co2_avoided_t_per_year),
                    x.money_saved_eur_per_year,
                    o(x.vulnerable_pct_before),
                    o(x.vulnerable_pct_after),
                    x.flows.synthetic
                );
            }
            Ok(())
        }
        Format::Table => {
            println!("Scénarios de télétravail — actifs résidant dans {} {}", t, r.name(&t).unwrap_or(""));
            let mut header = vec!["".to_string()];
            header.extend(out.iter().map(|x| {
                format!(
                    "{} j/sem, {} %{}",
                    french(x.params.days, 1),
                    french(x.params.take_up * 100.0, 0),
                    if x.params.rebound { ", rebond" } else { "" }
                )
            }));
            let mut rows = vec![header];
            let mut line = |label: &str, f: &dyn Fn(&telework::TeleworkResult) -> String| {
                let mut row = vec![label.to_string()];
                row.extend(out.iter().map(f));
                rows.push(row);
            };
            line("navetteurs (avec distance)", &|x| shown(x.commuters));
            line("télétravailleurs", &|x| shown(x.teleworkers));
            line("km/an sans télétravail", &|x| french(x.km_per_year, 0));
            line("km/an évités", &|x| french(x.km_avoided_per_year, 0));
            line("tCO2e/an évitées", &|x| opt(x.co2_avoided_t_per_year, 1));
            line("€/an de carburant économisés", &|x| french(x.money_saved_eur_per_year, 0));
            line("€/an par conducteur télétravailleur", &|x| opt(x.money_saved_per_teleworking_driver, 0));
            line("ménages vulnérables % avant", &|x| opt(x.vulnerable_pct_before, 2));
            line("ménages vulnérables % après", &|x| opt(x.vulnerable_pct_after, 2));
            line("écart (points)", &|x| opt(x.vulnerable_change_pts, 2));
            print!("{}", align(&rows));
            if let Some(x) = out.first() {
                println!("\nMéthode: {}", x.method);
                footer(&x.flows, Some(&x.params.fuel.secrecy));
                if let Some(i) = &x.incomes {
                    println!("Revenus : {}", i.line());
                }
            }
            Ok(())
        }
    }
}
