//! `echelle access`: travel times to the nearest facilities, diagnostics per
//! territory, isochrones; on a stored road network or, without one, in straight line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use echelle_access::access::{AccessRun, Query};
use echelle_access::compute::{self, Mode};
use echelle_access::defaults;
use echelle_access::diagnostics::{self, Basket};
use echelle_access::engine::{Engine, EngineChoice};
use echelle_access::facilities;
use echelle_access::method::Method;
use echelle_access::origin_kind::{OriginKind, Unit};
use echelle_access::points::Point;
use echelle_access::search::{self, Source, UNREACHED};
use echelle_access::snap::Snapper;
use echelle_access::straight::StraightLine;
use echelle_access::territory::{self, Members};
use echelle_access::{iris, isochrone, network, npy, tables};
use echelle_report::csv::{Dialect, Writer};

use super::{UserError, open_store};
use crate::output::{align, french};

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

/// Where the times come from.
#[derive(clap::Args, Clone)]
struct ModeArgs {
    /// A network of the store (see `echelle network list`).
    #[arg(long, conflicts_with = "straight_line")]
    network: Option<String>,
    /// No road network: straight-line distance × detour at an average speed.
    #[arg(long)]
    straight_line: bool,
    /// Detour factor of the straight-line mode.
    #[arg(long, default_value_t = defaults::DETOUR)]
    detour: f64,
    /// Average speed of the straight-line mode, km/h.
    #[arg(long, default_value_t = defaults::SPEED_KMH)]
    speed: f64,
    /// Points farther than this from any road are excluded (metres).
    #[arg(long, default_value_t = defaults::MAX_SNAP_M)]
    max_snap: f64,
    /// How to search the network for the nearest facility: `hierarchy` (the network's
    /// contraction hierarchy, see `echelle network contract`), `plain` (multi-source
    /// Dijkstra), or `auto` (the hierarchy when the network has one). Same results.
    #[arg(long, default_value_t = EngineChoice::Auto)]
    engine: EngineChoice,
}

impl ModeArgs {
    fn mode(&self) -> Result<Mode> {
        match (&self.network, self.straight_line) {
            (Some(name), _) => Ok(Mode::Network { name: name.clone(), engine: self.engine }),
            (None, true) => Ok(Mode::StraightLine(StraightLine::new(self.detour, self.speed)?)),
            (None, false) => {
                Err(UserError("give --network NAME (see `echelle network list`) or --straight-line".into()).into())
            }
        }
    }
}

/// The facilities.
#[derive(clap::Args, Clone)]
struct FacilityArgs {
    /// A point file: GeoJSON, or CSV with longitude/latitude columns.
    #[arg(long)]
    facilities: PathBuf,
    /// The column (or GeoJSON property) holding the facility type [default: one type, the file's name].
    #[arg(long)]
    type_field: Option<String>,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Time and distance from every origin to its nearest facilities of each type.
    Nearest {
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        fac: FacilityArgs,
        /// `nodes` (every node of the network), `communes` (contour centroids of the
        /// store), `iris:FILE` (IRIS contours, IGN CONTOURS-IRIS as GeoPackage or
        /// shapefile, or a GeoJSON with a `CODE_IRIS`/`code_iris`/`iris_code` field: a
        /// point inside each contour, weighted by the IRIS census population of the
        /// store),
        /// `grid:FILE.csv` (INSEE 200 m cells, Filosofi "carreaux": centre of each cell,
        /// weighted by its inhabitants), `communes-grid:FILE.csv` (each commune's
        /// population-weighted centre from such a file with its `Depcom` or `lcog_geo`
        /// column) or a point file.
        #[arg(long, default_value_t = OriginKind::Communes)]
        origins: OriginKind,
        /// Output format: `csv` (one row per origin, type and rank) or `geojson` (one
        /// point per origin, the nearest facility of each type in its properties: a
        /// map layer).
        #[arg(long, default_value = "csv", value_parser = ["csv", "geojson"])]
        format: String,
        /// How many nearest facilities to list.
        #[arg(long, default_value_t = defaults::K)]
        k: usize,
        /// Also count the facilities within this many minutes.
        #[arg(long)]
        within: Option<f64>,
        /// Write the results as CSV here (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
        /// With `--origins nodes`: write NumPy arrays (node_id.npy, time_ms.npy
        /// [types × nodes], length_dm.npy, types.txt) into this folder instead.
        #[arg(long)]
        npy: Option<PathBuf>,
        /// Threads for the searches (one search per facility type) [default: all cores].
        #[arg(long)]
        threads: Option<usize>,
        /// Print the timings as JSON on standard output.
        #[arg(long)]
        timings: bool,
    },
    /// Access diagnostics per territory: population-weighted mean and median time,
    /// share of the population beyond thresholds, per type and per basket.
    Diagnose {
        #[command(flatten)]
        mode: ModeArgs,
        #[command(flatten)]
        fac: FacilityArgs,
        /// Territories (`dep:62`, `epci:200093201`, `per:bassin-minier`…).
        #[arg(required = true)]
        territories: Vec<String>,
        /// The origins, each counted in the territories of its commune: `communes`
        /// (contour centroids of the store, weighted by the municipal population),
        /// `communes-grid:FILE.csv` (commune centres from INSEE 200 m cells), or
        /// `iris:FILE` (IRIS contours, IGN CONTOURS-IRIS GeoPackage or shapefile, or
        /// GeoJSON: a point inside each IRIS, weighted by its census population; an IRIS
        /// counts in the territories of its commune).
        #[arg(long, default_value_t = OriginKind::Communes)]
        origins: OriginKind,
        /// Thresholds in minutes.
        #[arg(long, value_delimiter = ',', default_value = defaults::THRESHOLDS_ARG)]
        thresholds: Vec<f64>,
        /// Baskets of types (TOML: [[basket]] name, types).
        #[arg(long)]
        basket: Option<PathBuf>,
        /// Output format.
        #[arg(long, default_value = "table", value_parser = ["table", "csv", "json"])]
        format: String,
    },
    /// Isochrones from a point (GeoJSON polygons of the area reachable in N minutes).
    Isochrone {
        #[arg(long)]
        network: String,
        /// The starting point, `lon,lat`.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        from: Vec<f64>,
        /// Limits in minutes.
        #[arg(long, value_delimiter = ',', default_value = defaults::ISOCHRONE_MINUTES_ARG)]
        minutes: Vec<f64>,
        #[arg(long, default_value_t = defaults::MAX_SNAP_M)]
        max_snap: f64,
        /// GeoJSON output file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command {
        Cmd::Nearest { mode, fac, origins, format, k, within, out, npy, threads, timings } => {
            if let Some(t) = threads {
                rayon::ThreadPoolBuilder::new().num_threads(t.max(1)).build_global().ok();
            }
            if let Some(dir) = npy {
                return nodes_npy(store, &mode, &fac, &dir, timings);
            }
            let run = run_access(
                store,
                &mode,
                &fac,
                &origins,
                Query { k, within_s: within.map(|m| m * 60.0), max_snap_m: mode.max_snap },
            )?;
            if format == "geojson" {
                write_geojson(&run, within, out.as_deref())
            } else {
                write_nearest(&run, within, out.as_deref())
            }
        }
        Cmd::Diagnose { mode, fac, territories, origins, thresholds, basket, format } => {
            diagnose(store, &mode, &fac, &territories, &origins, &thresholds, basket.as_deref(), &format)
        }
        Cmd::Isochrone { network: name, from, minutes, max_snap, out } => {
            iso(store, &name, &from, &minutes, max_snap, out.as_deref())
        }
    }
}

fn read_facilities(fac: &FacilityArgs) -> Result<std::collections::BTreeMap<String, Vec<Point>>> {
    let (by_type, rejected) = facilities::read_by_type(&fac.facilities, fac.type_field.as_deref())?;
    for r in &rejected {
        eprintln!("facility {} left out: {}", r.id, r.reason);
    }
    Ok(by_type)
}

fn run_access(store: &Path, mode: &ModeArgs, fac: &FacilityArgs, origins: &OriginKind, q: Query) -> Result<AccessRun> {
    let by_type = read_facilities(fac)?;
    let computed = compute::compute(store, &mode.mode()?, origins, by_type, q)?;
    for note in &computed.notes {
        eprintln!("{note}");
    }
    Ok(computed.run)
}

fn write_nearest(run: &AccessRun, within: Option<f64>, out: Option<&Path>) -> Result<()> {
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    // The method first, as a comment line; then the table, quoted and guarded.
    write!(w, "# times: {}\r\n", run.mode)?;
    let mut csv = Writer::new(w, Dialect::Plain)?;
    csv.texts(tables::nearest_header(within))?;
    for row in tables::nearest_rows(run) {
        csv.cells(&row)?;
    }
    let mut w = csv.finish()?;
    w.flush()?;
    let excluded_o = run.origins.iter().filter(|o| o.excluded.is_some()).count();
    eprintln!("times: {}", run.mode);
    eprintln!("{} origins ({} excluded, too far from any road or without coordinates)", run.origins.len(), excluded_o);
    for t in &run.types {
        eprintln!(
            "  {}: {} facilities used, {} excluded{}",
            t.kind,
            t.facilities.len(),
            t.excluded.len(),
            if t.excluded.is_empty() { String::new() } else { format!(" ({})", summary_of(&t.excluded)) }
        );
    }
    Ok(())
}

/// One GeoJSON point per origin, with for each type `<type>_time_min`,
/// `<type>_distance_km`, `<type>_facility` (its id), `<type>_facility_snap_m` (and
/// `<type>_within` when counted): null where unreachable or excluded. The origin's
/// own `id`, `name`, `weight`, `snap_m` and `excluded` (the reason) come first.
fn write_geojson(run: &AccessRun, within: Option<f64>, out: Option<&Path>) -> Result<()> {
    use serde_json::{Map, Value, json};
    let r2 = |x: f64, d: i32| {
        let m = 10f64.powi(d);
        (x * m).round() / m
    };
    let mut features = Vec::with_capacity(run.origins.len());
    for (o, origin) in run.origins.iter().enumerate() {
        let mut props = Map::new();
        props.insert("id".into(), json!(origin.point.id));
        props.insert("name".into(), json!(origin.point.name));
        props.insert("weight".into(), json!(origin.point.weight));
        props.insert("snap_m".into(), json!(origin.snap_m.map(|x| r2(x, 1))));
        props.insert("excluded".into(), json!(origin.excluded));
        for t in &run.types {
            let first = if origin.excluded.is_some() { None } else { t.nearest[o].first() };
            let k = &t.kind;
            props.insert(format!("{k}_time_min"), json!(first.map(|r| r2(r.time_s / 60.0, 2))));
            props.insert(format!("{k}_distance_km"), json!(first.map(|r| r2(r.distance_m / 1000.0, 3))));
            props.insert(format!("{k}_facility"), json!(first.map(|r| t.facilities[r.facility as usize].0.id.clone())));
            props.insert(
                format!("{k}_facility_snap_m"),
                json!(first.map(|r| r2(t.facilities[r.facility as usize].1, 1))),
            );
            if let Some(c) = &t.within {
                props.insert(format!("{k}_within"), json!(c[o]));
            }
        }
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [r2(origin.point.lon, 6), r2(origin.point.lat, 6)]},
            "properties": Value::Object(props),
        }));
    }
    let gj = json!({
        "type": "FeatureCollection",
        "mode": run.mode,
        "straight_line": run.straight_line,
        "within_min": within,
        "features": features,
    });
    let text = serde_json::to_string(&gj)?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    eprintln!("times: {}; {} origins", run.mode, run.origins.len());
    Ok(())
}

fn summary_of(ex: &[echelle_access::points::Rejected]) -> String {
    let mut s: Vec<String> = ex.iter().take(3).map(|r| format!("{}: {}", r.id, r.reason)).collect();
    if ex.len() > 3 {
        s.push(format!("… {} more", ex.len() - 3));
    }
    s.join("; ")
}

/// Every node of the network to the nearest facility of each type, as NumPy arrays:
/// the bulk path used by the benchmark.
fn nodes_npy(store: &Path, mode: &ModeArgs, fac: &FacilityArgs, dir: &Path, timings: bool) -> Result<()> {
    let Some(name) = &mode.network else { return Err(UserError("--npy needs --network".into()).into()) };
    let t0 = Instant::now();
    let (g, info) = network::load(store, name)?;
    let engine = Engine::load(store, name, &g, mode.engine)?;
    let by_type = read_facilities(fac)?;
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    // The plain search's reversed graph is built before the clock starts, as the
    // hierarchy is.
    let rev = engine.hierarchy().is_none().then(|| g.reversed());
    let snapper = Snapper::new(&g);
    let mut kinds = Vec::new();
    let mut sources: Vec<Vec<Source>> = Vec::new();
    let (mut excluded, mut max_snap) = (0usize, 0.0f64);
    for (kind, pts) in &by_type {
        let mut s = Vec::new();
        for (i, p) in pts.iter().enumerate() {
            match snapper.snap(p.lon, p.lat, mode.max_snap) {
                Ok(sn) => {
                    max_snap = max_snap.max(sn.distance_m);
                    s.push(Source::at(sn.node, i as u32));
                }
                Err(_) => excluded += 1,
            }
        }
        kinds.push(kind.clone());
        sources.push(s);
    }
    let prep_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let results = match (engine.hierarchy(), &rev) {
        (Some(h), _) => h.nearest_per_type(&sources),
        (None, Some(rev)) => search::nearest_per_type(rev.into(), &sources),
        (None, None) => unreachable!("the reversed graph is built when there is no hierarchy"),
    };
    let query_s = t2.elapsed().as_secs_f64();
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let n = g.node_count();
    let mut time = Vec::with_capacity(n * kinds.len());
    let mut len = Vec::with_capacity(n * kinds.len());
    for r in &results {
        time.extend_from_slice(&r.time_ms);
        len.extend_from_slice(&r.length_dm);
    }
    npy::write(&dir.join("node_id.npy"), &[n], &g.node_id)?;
    npy::write(&dir.join("time_ms.npy"), &[kinds.len(), n], &time)?;
    npy::write(&dir.join("length_dm.npy"), &[kinds.len(), n], &len)?;
    std::fs::write(dir.join("types.txt"), kinds.join("\n") + "\n")?;
    let unreached = time.iter().filter(|&&t| t == UNREACHED).count();
    if timings {
        println!(
            "{}",
            serde_json::json!({"load_s": load_s, "snap_s": prep_s, "query_s": query_s, "types": kinds.len(), "nodes": n,
                "threads": rayon::current_num_threads(), "engine": engine.name(), "facilities_excluded": excluded, "max_snap_m": max_snap, "unreached": unreached,
                "synthetic": info.synthetic})
        );
    } else {
        eprintln!("times: {}", Method::road(&info, mode.max_snap).mode());
        eprintln!(
            "{} nodes × {} types in {:.3} s; {excluded} facilities excluded; arrays in {}",
            n,
            kinds.len(),
            query_s,
            dir.display()
        );
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn diagnose(
    store: &Path,
    mode: &ModeArgs,
    fac: &FacilityArgs,
    territories: &[String],
    origins: &OriginKind,
    thresholds: &[f64],
    basket: Option<&Path>,
    format: &str,
) -> Result<()> {
    let st = open_store(store)?;
    let r = st.referential()?;
    let refs = super::resolve_all(&r, territories)?;
    let unit = origins.diagnostic_unit()?;
    // IRIS origins count in the territories of their commune, as communes do.
    let iris_pop = match unit {
        Unit::Iris => Some(iris::store_population(&st)?),
        Unit::Communes => None,
    };
    let run = run_access(store, mode, fac, origins, Query { k: 1, within_s: None, max_snap_m: mode.max_snap })?;
    let kinds: Vec<String> = run.types.iter().map(|t| t.kind.clone()).collect();
    let baskets: Vec<Basket> = match basket {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            diagnostics::read_baskets(&p.display().to_string(), &text, &kinds)?
        }
        None => Vec::new(),
    };
    let members = match &iris_pop {
        Some(p) => Members::Iris(p),
        None => Members::Communes,
    };
    let rows = territory::diagnose(&run, &r, &refs, members, &baskets, thresholds)?;
    let (weights, left_out) = origins.weights_note(iris_pop.as_ref().map(|p| p.vintage.as_str()));
    let header = tables::diagnose_header(unit, thresholds);
    match format {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"mode": run.mode, "method_label": run.method.label_fr(),
                "straight_line": run.straight_line, "origins": origins.to_string(), "weights": weights, "rows": rows}))?
        ),
        "csv" => {
            let mut out = std::io::stdout().lock();
            write!(out, "# times: {}\r\n", run.mode)?;
            let mut csv = Writer::new(out, Dialect::Plain)?;
            csv.texts(&header)?;
            for row in &rows {
                csv.cells(&tables::diagnose_row(row))?;
            }
            csv.finish()?.flush()?;
        }
        _ => {
            println!("times: {}", run.mode);
            let opt = |x: Option<f64>| x.map(|v| french(v, 1)).unwrap_or_else(|| "n/d".into());
            let mut all = vec![header];
            for row in &rows {
                let mut cells = vec![
                    row.described.clone(),
                    row.what.clone(),
                    row.used().to_string(),
                    french(row.population, 0),
                    opt(row.mean_min),
                    opt(row.median_min),
                ];
                cells.extend(row.beyond.iter().map(|b| format!("{} %", french(b.share * 100.0, 1))));
                cells.push(french(row.unreached_population, 0));
                cells.push(row.left_out().to_string());
                cells.push(french(row.population_left_out as f64, 0));
                all.push(cells);
            }
            print!("{}", align(&all));
            println!("({weights}; {left_out})");
        }
    }
    Ok(())
}

fn iso(store: &Path, name: &str, from: &[f64], minutes: &[f64], max_snap: f64, out: Option<&Path>) -> Result<()> {
    let &[lon, lat] = from else { return Err(UserError("--from: give lon,lat".into()).into()) };
    let (g, info) = network::load(store, name)?;
    let snap =
        Snapper::new(&g).snap(lon, lat, max_snap).map_err(|e| UserError(format!("starting point {lon},{lat}: {e}")))?;
    if minutes.iter().any(|m| !(m.is_finite() && *m > 0.0)) {
        return Err(UserError("--minutes: positive numbers only".into()).into());
    }
    let isos = isochrone::isochrones(&g, snap.node, minutes);
    let mode = Method::road(&info, max_snap).mode();
    let gj = isochrone::to_geojson(&isos, (lon, lat), &mode, info.credit.as_deref());
    let text = serde_json::to_string(&gj)?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    eprintln!("times: {mode}; start snapped {:.0} m to node {}", snap.distance_m, g.node_id[snap.node as usize]);
    for i in &isos {
        eprintln!("  {} min: {} nodes reached", i.minutes, i.nodes);
    }
    Ok(())
}
