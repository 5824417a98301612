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
        /// instances of tens of thousands of points fit in memory; a demand point with
        /// no candidate within it is an error.
        #[arg(long)]
        radius_km: Option<f64>,
        /// Threads of the HiGHS solver (its default: half the cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Write the sites chosen as CSV.
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
            threads,
            out,
        } => {
            let (demand, candidates) = match &instance {
                Some(path) => read_instance(path)?,
                None => communes(store, &territory)?,
            };
            if radius_km.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
                return Err(UserError("--radius-km : une distance positive est requise".into()).into());
            }
            let study = study(demand, candidates, &fixed, &exclude, radius_km.map(|r| r * 1000.0))?;
            let metres = || {
                distance_km
                    .filter(|d| d.is_finite() && *d > 0.0)
                    .map(|d| d * 1000.0)
                    .ok_or_else(|| UserError("--distance-km : une distance de service positive est requise".into()))
            };
            let model = match model {
                ModelArg::Pmedian => Model::PMedian,
                ModelArg::Mclp => Model::Covering { distance: metres()? },
                ModelArg::Lscp => Model::SetCovering { distance: metres()? },
                ModelArg::Pcenter => Model::PCenter,
            };
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
    let instance = Instance::from_points(&points, &sites, radius)
        .and_then(|i| i.with_sites(fixed, exclude))
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
            ", paires retenues jusqu'à {:.0} km (au-delà comptées au rayon dans la borne, mesurées exactement dans l'objectif)",
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
