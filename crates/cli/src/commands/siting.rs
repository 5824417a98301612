//! `echelle siting`: where to open p sites (third places…) among the communes of a
//! territory, demand = their population (or an instance file's weights), straight-line
//! distances between contour centroids in the territory's projection (Lambert-93 in
//! mainland France).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use echelle_report::csv::{Dialect, Writer};
use echelle_siting::{Instance, Limits, Model, Outcome, Point, solve_model};

use super::UserError;

#[derive(Parser)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the larger variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Write the instance (demand points and candidates, Lambert-93 metres) as CSV:
    /// role,id,x,y,weight — the file the benchmark gives echelle and spopt alike.
    Instance {
        #[command(flatten)]
        territory: Territory,
        /// The CSV file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Solve a location model and print the sites chosen, the optimum, the bound and the gap.
    Solve {
        #[command(flatten)]
        territory: Territory,
        /// Read the instance from this file (written by `siting instance`) instead.
        #[arg(long, conflicts_with = "within")]
        instance: Option<PathBuf>,
        /// pmedian, mclp (maximal covering), lscp (set covering) or pcenter.
        #[arg(long, value_enum, default_value = "pmedian")]
        model: ModelArg,
        /// Sites to open (fixed ones included); not for lscp.
        #[arg(long, default_value_t = 5)]
        p: usize,
        /// Service distance in km (mclp, lscp).
        #[arg(long)]
        distance_km: Option<f64>,
        /// Candidates already open (ids), counted in p.
        #[arg(long, value_delimiter = ',')]
        fixed: Vec<String>,
        /// Candidates never to open (ids).
        #[arg(long, value_delimiter = ',')]
        exclude: Vec<String>,
        /// Stop after this many seconds with the gap reached.
        #[arg(long, default_value_t = 600.0)]
        time_limit: f64,
        /// The heuristic mode: the best solution found and the LP bound it proves.
        #[arg(long)]
        heuristic: bool,
        /// Keep only the pairs within this distance, km (all pairs by default): how
        /// instances of tens of thousands of points fit in memory. For the p-median, the
        /// points whose sites in a good solution lie farther keep their pairs up to them;
        /// other pairs beyond count the radius in the bound, and the objective is measured
        /// exactly; covering models need it at least their service distance.
        #[arg(long)]
        radius_km: Option<f64>,
        /// Demand from the observatory: population, commuters (leaving their home
        /// commune), commuters-teleworkable (× the teleworkable share by CS1),
        /// working-age (IRIS counts, 20–64), or points:FILE (a `weight` field).
        #[arg(long)]
        demand: Option<String>,
        /// Candidates: communes, tiers-lieux:FILE (CGET 2019 inventory),
        /// france-services:FILE, or points:FILE; each point joined to the commune whose contour contains it.
        #[arg(long)]
        candidates: Option<String>,
        /// Existing third places (CGET 2019 file), open in every solution.
        #[arg(long)]
        existing: Option<PathBuf>,
        /// Detour factor on straight lines (with --demand/--candidates/--existing).
        #[arg(long, default_value_t = echelle_mobility::third_places::DETOUR)]
        detour: f64,
        /// Cost pairs by travel time on this road network of the store (`echelle network
        /// list`) instead of straight lines (with --demand/--candidates/--existing).
        #[arg(long)]
        network: Option<String>,
        /// Service time in minutes (mclp, lscp on a road network).
        #[arg(long, requires = "network")]
        service_minutes: Option<f64>,
        /// On a road network, pairs farther than this many minutes are out of reach.
        #[arg(long, requires = "network", default_value_t = echelle_mobility::third_places::ROAD_LIMIT_MINUTES)]
        limit_minutes: f64,
        /// Threads of the HiGHS solver (its default: half the cores).
        #[arg(long)]
        threads: Option<usize>,
        /// What every site can serve, in demand units (unlimited by default); demand
        /// may then be split between sites.
        #[arg(long)]
        capacity: Option<f64>,
        /// Write the sites chosen, with the model, the optimum, the bound and the gap:
        /// the format follows the extension (.csv, .xlsx, .geojson, .gpkg; an instance
        /// file's study: .csv only).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct Territory {
    /// The territories whose communes are demand and candidates (`dep:59,dep:62`, `per:aml`).
    #[arg(long, value_delimiter = ',')]
    within: Vec<String>,
    /// Candidates: the N most populous communes only (all of them by default).
    #[arg(long)]
    candidates_top: Option<usize>,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModelArg {
    Pmedian,
    Mclp,
    Lscp,
    Pcenter,
}

/// An instance with the ids its candidates' indices stand for.
struct Study {
    candidate_ids: Vec<String>,
    instance: Instance,
}

pub fn run(store: &Path, args: Args) -> Result<()> {
    match args.command {
        Command::Instance { territory, out } => {
            let (demand, candidates) = communes(store, &territory)?;
            write_instance(&out, &demand, &candidates)?;
            eprintln!(
                "instance : {} points de demande, {} candidats -> {}",
                demand.len(),
                candidates.len(),
                out.display()
            );
            Ok(())
        }
        Command::Solve {
            territory,
            instance,
            model,
            p,
            distance_km,
            fixed,
            exclude,
            time_limit,
            heuristic,
            radius_km,
            demand: demand_arg,
            candidates: candidates_arg,
            existing,
            detour,
            network,
            service_minutes,
            limit_minutes,
            threads,
            capacity,
            out,
        } => {
            if capacity.is_some_and(|c| !(c.is_finite() && c > 0.0)) {
                return Err(UserError("--capacity : une demande positive par site est requise".into()).into());
            }
            if demand_arg.is_some() || candidates_arg.is_some() || existing.is_some() || network.is_some() {
                if !(time_limit.is_finite() && time_limit > 0.0) {
                    return Err(UserError("--time-limit : un nombre de secondes positif est requis".into()).into());
                }
                let limits = Limits { time: Some(Duration::from_secs_f64(time_limit)), exact: !heuristic, threads };
                let format = out
                    .as_deref()
                    .map(|o| echelle_mobility::sites::SitesFormat::parse(&o.to_string_lossy()))
                    .transpose()
                    .map_err(|e| UserError(format!("--out : {e}")))?;
                use echelle_mobility::third_places::{DistanceKind, Road, Unit};
                let distance = match network {
                    Some(network) => DistanceKind::Road(Road { store: store.to_path_buf(), network, limit_minutes }),
                    None => DistanceKind::Straight { detour },
                };
                let name = match model {
                    ModelArg::Pmedian => "pmedian",
                    ModelArg::Mclp => "mclp",
                    ModelArg::Lscp => "lscp",
                    ModelArg::Pcenter => "pcenter",
                };
                let model = match distance.unit() {
                    Unit::Metres => echelle_mobility::third_places::model_of(name, distance_km, Unit::Metres),
                    Unit::Minutes => echelle_mobility::third_places::model_of(name, service_minutes, Unit::Minutes),
                }
                .map_err(|e| UserError(e.to_string()))?;
                let spec = spec(
                    &territory,
                    model,
                    p,
                    demand_arg.as_deref().unwrap_or("population"),
                    candidates_arg.as_deref().unwrap_or("communes"),
                    existing,
                    fixed,
                    exclude,
                    capacity,
                    distance,
                )?;
                return observatory(store, &spec, limits, out.as_deref().zip(format));
            }
            if out.as_ref().is_some_and(|o| o.extension().is_none_or(|e| !e.eq_ignore_ascii_case("csv"))) {
                return Err(UserError("--out : une étude sur fichier d'instance s'écrit en .csv".into()).into());
            }
            let (demand, candidates) = match &instance {
                Some(path) => read_instance(path)?,
                None => communes(store, &territory)?,
            };
            if radius_km.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
                return Err(UserError("--radius-km : une distance positive est requise".into()).into());
            }
            let study = study(demand, candidates, &fixed, &exclude, radius_km.map(|r| r * 1000.0), capacity)?;
            let model = model_of(model, distance_km)?;
            if !(time_limit.is_finite() && time_limit > 0.0) {
                return Err(UserError("--time-limit : un nombre de secondes positif est requis".into()).into());
            }
            let limits = Limits { time: Some(Duration::from_secs_f64(time_limit)), exact: !heuristic, threads };
            let bar = indicatif::ProgressBar::new_spinner();
            let outcome = solve_model(&study.instance, model, p, limits, &mut |pr| {
                bar.set_message(format!("tours {} · meilleure {:.6e} · borne {:.6e}", pr.rounds, pr.upper, pr.lower));
                bar.tick();
            })
            .map_err(|e| UserError(e.to_string()))?;
            bar.finish_and_clear();
            print_outcome(&study, model, &outcome);
            if let Some(path) = out {
                write_sites(&path, &study, model, &outcome)?;
            }
            Ok(())
        }
    }
}

fn model_of(model: ModelArg, distance_km: Option<f64>) -> Result<Model> {
    let metres = || {
        distance_km
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|d| d * 1000.0)
            .ok_or_else(|| UserError("--distance-km : une distance de service positive est requise".into()))
    };
    Ok(match model {
        ModelArg::Pmedian => Model::PMedian,
        ModelArg::Mclp => Model::Covering { distance: metres()? },
        ModelArg::Lscp => Model::SetCovering { distance: metres()? },
        ModelArg::Pcenter => Model::PCenter,
    })
}

/// The study asked on the observatory's demand and candidates.
#[allow(clippy::too_many_arguments)]
fn spec(
    t: &Territory,
    model: Model,
    p: usize,
    demand: &str,
    candidates: &str,
    existing: Option<PathBuf>,
    fixed: Vec<String>,
    exclude: Vec<String>,
    capacity: Option<f64>,
    distance: echelle_mobility::third_places::DistanceKind,
) -> Result<echelle_mobility::third_places::Spec> {
    use echelle_mobility::third_places::{CandidateKind, DemandKind, Spec};
    if t.within.is_empty() {
        return Err(UserError("--within : au moins un territoire (dep:59,dep:62, per:aml…)".into()).into());
    }
    let file = |spec: &str, prefix: &str| spec.strip_prefix(prefix).map(PathBuf::from);
    let demand = match demand {
        "population" => DemandKind::Population,
        "commuters" => DemandKind::Commuters { teleworkable: false },
        "commuters-teleworkable" => DemandKind::Commuters { teleworkable: true },
        "working-age" => DemandKind::WorkingAge,
        s => DemandKind::Points(file(s, "points:").ok_or_else(|| {
            UserError(format!(
                "--demand « {s:.40} » : population, commuters, commuters-teleworkable, working-age ou points:FICHIER"
            ))
        })?),
    };
    let candidates = match candidates {
        "communes" => CandidateKind::Communes,
        s => {
            if let Some(f) = file(s, "tiers-lieux:") {
                CandidateKind::ThirdPlaces(f)
            } else if let Some(f) = file(s, "france-services:") {
                CandidateKind::FranceServices(f)
            } else if let Some(f) = file(s, "points:") {
                CandidateKind::Points(f)
            } else {
                return Err(UserError(format!(
                    "--candidates « {s:.40} » : communes, tiers-lieux:FICHIER, france-services:FICHIER ou points:FICHIER"
                ))
                .into());
            }
        }
    };
    Ok(Spec { within: t.within.clone(), model, p, demand, candidates, existing, fixed, exclude, capacity, distance })
}

fn observatory(
    store: &Path,
    spec: &echelle_mobility::third_places::Spec,
    limits: Limits,
    out: Option<(&Path, echelle_mobility::sites::SitesFormat)>,
) -> Result<()> {
    use echelle_mobility::third_places as tp;
    let user = |e: echelle_mobility::MobilityError| -> anyhow::Error {
        if e.is_user_error() { UserError(e.to_string()).into() } else { e.into() }
    };
    let st = super::open_store(store)?;
    let r = st.referential()?;
    let locator = tp::Locator::from_store(&st).map_err(user)?;
    let bar = indicatif::ProgressBar::new_spinner();
    let a = tp::run_spec(&st, &r, &locator, spec, limits, &mut |pr| {
        bar.set_message(format!("tours {} · meilleure {:.6e} · borne {:.6e}", pr.rounds, pr.upper, pr.lower));
        bar.tick();
    })
    .map_err(user)?;
    bar.finish_and_clear();
    let study = &a.study;
    println!("modèle : {}", a.model);
    println!("demande : {} ({} points, total {:.1})", a.demand_label, a.demand_points.len(), study.demand);
    if let Some(source) = &a.source {
        println!("{source}");
    }
    println!("candidats : {} ({}), dont {} existants ouverts", a.candidates_label, a.candidates, a.existing);
    println!("distances : {}", study.distance_kind);
    if let Some(c) = study.capacity {
        println!("capacité : {c} par site (la demande peut être partagée entre sites)");
    }
    if !a.mismatches.is_empty() {
        println!(
            "sites dont la commune déclarée (INSEECOM) est vide ou diffère du contour, dans ce territoire : {}",
            a.mismatches.len()
        );
        for m in &a.mismatches {
            println!("  {} {} : {}", m.id, m.name.as_deref().unwrap_or(""), m.reason);
        }
    }
    println!("objectif : {:.6}", study.objective);
    println!("borne inférieure prouvée : {:.6}", study.bound);
    println!(
        "écart : {:.4} % ({}) ; {:.2} s",
        100.0 * study.gap,
        if study.proven { "optimum prouvé" } else { "limite atteinte" },
        study.seconds
    );
    if let Some(c) = study.covered {
        println!("demande couverte : {c:.1} ({:.2} %)", 100.0 * c / study.demand.max(1e-12));
    }
    if let Some(alone) = study.existing_alone {
        let obj = alone.objective;
        match alone.covered {
            Some(c) => println!(
                "sites existants seuls : demande couverte {c:.1} ({:.2} %)",
                100.0 * c / study.demand.max(1e-12)
            ),
            None => println!("sites existants seuls : objectif {obj:.6}"),
        }
    }
    println!("sites (id, commune, existant, demande servie) :");
    for s in &study.sites {
        println!(
            "  {} {} {} {}{:.1}",
            s.place.id,
            s.place.name.as_deref().unwrap_or(""),
            s.place.commune.as_deref().unwrap_or("?"),
            if s.existing { "existant " } else { "" },
            s.served
        );
    }
    if let Some((path, format)) = out {
        let bytes = echelle_mobility::sites::export(&a, format).map_err(user)?;
        std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        eprintln!("sites écrits dans {}", path.display());
    }
    Ok(())
}

type Weighted = Vec<(String, Point, f64)>;

/// The communes of the territory with a contour: centroid in the projection of the
/// first one, population as weight; candidates the same communes (the N most populous).
fn communes(store: &Path, t: &Territory) -> Result<(Weighted, Weighted)> {
    if t.within.is_empty() {
        return Err(UserError("--within : au moins un territoire (dep:59,dep:62, per:aml…)".into()).into());
    }
    let store = super::open_store(store)?;
    let r = store.referential()?;
    let territories = super::resolve_all(&r, &t.within)?;
    let mut members: std::collections::BTreeSet<String> = Default::default();
    for x in &territories {
        members.extend(r.members(x)?.iter().map(|&c| r.communes()[c as usize].code.clone()));
    }
    let (points, _) = echelle_access::origins::commune_centroids(&store, &r)?;
    let mut crs = echelle_referential::crs::ToWgs84::new();
    let mut epsg = None;
    let mut demand = Vec::new();
    for pt in points.into_iter().filter(|p| members.contains(&p.id)) {
        let e = *epsg.get_or_insert(echelle_referential::crs::epsg_for_commune(&pt.id));
        if e != echelle_referential::crs::epsg_for_commune(&pt.id) {
            return Err(UserError(format!(
                "{} n'est pas dans le même système de coordonnées que les autres communes (EPSG:{e}) : une étude à la fois par territoire d'outre-mer",
                pt.id
            ))
            .into());
        }
        let (x, y) = crs.from_wgs84(e, pt.lon, pt.lat).map_err(anyhow::Error::msg)?;
        demand.push((pt.id, Point { x, y }, pt.weight.unwrap_or(0.0)));
    }
    if demand.is_empty() {
        return Err(UserError("aucune commune de ces territoires n'a de contour dans le pack".into()).into());
    }
    let mut candidates = demand.clone();
    if let Some(n) = t.candidates_top {
        candidates.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        candidates.truncate(n);
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
    }
    Ok((demand, candidates))
}

fn study(
    demand: Weighted,
    candidates: Weighted,
    fixed: &[String],
    exclude: &[String],
    radius: Option<f64>,
    capacity: Option<f64>,
) -> Result<Study> {
    let index = |id: &String| {
        candidates
            .iter()
            .position(|c| &c.0 == id)
            .map(|k| k as u32)
            .ok_or_else(|| UserError(format!("« {id} » n'est pas parmi les candidats")))
    };
    let fixed = fixed.iter().map(index).collect::<Result<Vec<_>, _>>()?;
    let exclude = exclude.iter().map(index).collect::<Result<Vec<_>, _>>()?;
    let points: Vec<(Point, f64)> = demand.iter().map(|d| (d.1, d.2)).collect();
    let sites: Vec<Point> = candidates.iter().map(|c| c.1).collect();
    let n = sites.len();
    let instance = Instance::from_points(&points, &sites, radius)
        .and_then(|i| i.with_sites(fixed, exclude))
        .and_then(|i| match capacity {
            Some(c) => i.with_capacities(vec![c; n]),
            None => Ok(i),
        })
        .map_err(|e| UserError(e.to_string()))?;
    Ok(Study { candidate_ids: candidates.into_iter().map(|c| c.0).collect(), instance })
}

fn write_instance(path: &Path, demand: &Weighted, candidates: &Weighted) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = Writer::new(std::io::BufWriter::new(file), Dialect::Plain)?;
    w.texts(["role", "id", "x", "y", "weight"])?;
    for (role, list) in [("demand", demand), ("candidate", candidates)] {
        for (id, p, weight) in list {
            w.texts([role, id, &format!("{:.3}", p.x), &format!("{:.3}", p.y), &weight.to_string()])?;
        }
    }
    w.finish()?;
    Ok(())
}

fn read_instance(path: &Path) -> Result<(Weighted, Weighted)> {
    let mut reader =
        csv::Reader::from_path(path).with_context(|| format!("cannot read the instance {}", path.display()))?;
    let (mut demand, mut candidates) = (Vec::new(), Vec::new());
    for (k, record) in reader.records().enumerate() {
        let line = k + 2;
        let record = record.map_err(|e| UserError(format!("{}, ligne {line} : {e}", path.display())))?;
        let field = |n: usize| record.get(n).unwrap_or("");
        let number = |n: usize, name: &str| {
            field(n).trim().parse::<f64>().map_err(|_| {
                UserError(format!(
                    "{}, ligne {line} : {name} n'est pas un nombre : « {:.40} »",
                    path.display(),
                    field(n)
                ))
            })
        };
        let entry = (field(1).to_string(), Point { x: number(2, "x")?, y: number(3, "y")? }, number(4, "weight")?);
        match field(0) {
            "demand" => demand.push(entry),
            "candidate" => candidates.push(entry),
            other => {
                return Err(UserError(format!(
                    "{}, ligne {line} : rôle « {other:.40} » inconnu (demand ou candidate)",
                    path.display()
                ))
                .into());
            }
        }
    }
    Ok((demand, candidates))
}

fn describe(model: Model) -> String {
    match model {
        Model::PMedian => "p-médiane (distance pondérée par la demande, m)".into(),
        Model::Covering { distance } => {
            format!("couverture maximale à {:.1} km (demande non couverte)", distance / 1000.0)
        }
        Model::SetCovering { distance } => format!("couverture totale à {:.1} km (nombre de sites)", distance / 1000.0),
        Model::PCenter => "p-centre (distance maximale, m)".into(),
    }
}

fn print_outcome(study: &Study, model: Model, o: &Outcome) {
    let s = &o.solution;
    println!("modèle : {}", describe(model));
    let radius = match &study.instance.truncated {
        Some(t) => format!(
            ", paires retenues jusqu'à {:.0} km, prolongées pour les points dont une bonne solution a ses sites plus loin (au-delà, comptées au moins au rayon dans la borne, mesurées exactement dans l'objectif)",
            t.radius / 1000.0
        ),
        None => String::new(),
    };
    println!(
        "instance : {} points de demande (demande totale {:.0}), {} candidats, distances en ligne droite (Lambert-93){radius}",
        study.instance.demand.len(),
        o.demand,
        study.instance.candidates
    );
    println!("sites ouverts : {}", o.p);
    println!("objectif : {:.6}", s.objective);
    println!("borne inférieure prouvée : {:.6}", s.bound);
    println!(
        "écart : {:.4} % ({}) ; {} tours du problème maître, {:.2} s",
        100.0 * s.gap(),
        if s.proven { "optimum prouvé" } else { "limite atteinte" },
        s.rounds,
        s.seconds
    );
    if let Some(c) = o.covered {
        println!("demande couverte : {c:.0} ({:.2} %)", 100.0 * c / o.demand.max(1e-12));
    }
    if let (Model::PMedian, Some(r)) = (model, o.distance) {
        println!(
            "rayon : {:.1} km (au-delà, la borne compte le rayon ; l'objectif est en distances vraies)",
            r / 1000.0
        );
    }
    if let Some(d) = o.distance.filter(|_| model == Model::PCenter) {
        println!("distance maximale : {:.0} m", d);
    }
    println!(
        "sites : {}",
        s.open.iter().map(|&j| study.candidate_ids[j as usize].as_str()).collect::<Vec<_>>().join(",")
    );
}

fn write_sites(path: &Path, study: &Study, model: Model, o: &Outcome) -> Result<()> {
    let file = std::fs::File::create(path).with_context(|| format!("cannot write {}", path.display()))?;
    let mut w = Writer::new(std::io::BufWriter::new(file), Dialect::Plain)?;
    w.texts(["site", "fixed", "model", "objective", "bound", "gap", "proven"])?;
    for &j in &o.solution.open {
        w.texts([
            study.candidate_ids[j as usize].clone(),
            study.instance.fixed.contains(&j).to_string(),
            describe(model),
            o.solution.objective.to_string(),
            o.solution.bound.to_string(),
            o.solution.gap().to_string(),
            o.solution.proven.to_string(),
        ])?;
    }
    w.finish()?;
    Ok(())
}
