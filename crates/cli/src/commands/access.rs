//! `echelle access`: travel times to the nearest facilities, diagnostics per
//! territory, isochrones; on a stored road network or, without one, in straight line.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use echelle_access::access::{self, AccessRun, Query};
use echelle_access::diagnostics::{self, Basket, Weighted};
use echelle_access::phast::Hierarchy;
use echelle_access::points::{Fields, Point, read_points};
use echelle_access::search::{self, Source, UNREACHED};
use echelle_access::snap::Snapper;
use echelle_access::straight::StraightLine;
use echelle_access::{Graph, iris, isochrone, network, npy, origins};

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
    #[arg(long, default_value_t = 1.3)]
    detour: f64,
    /// Average speed of the straight-line mode, km/h.
    #[arg(long, default_value_t = 40.0)]
    speed: f64,
    /// Points farther than this from any road are excluded (metres).
    #[arg(long, default_value_t = 1000.0)]
    max_snap: f64,
    /// How to search the network for the nearest facility: `hierarchy` (the network's
    /// contraction hierarchy, see `echelle network contract`), `plain` (multi-source
    /// Dijkstra), or `auto` (the hierarchy when the network has one). Same results.
    #[arg(long, default_value = "auto", value_parser = ["auto", "plain", "hierarchy"])]
    engine: String,
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
        #[arg(long, default_value = "communes")]
        origins: String,
        /// Output format: `csv` (one row per origin, type and rank) or `geojson` (one
        /// point per origin, the nearest facility of each type in its properties: a
        /// map layer).
        #[arg(long, default_value = "csv", value_parser = ["csv", "geojson"])]
        format: String,
        /// How many nearest facilities to list.
        #[arg(long, default_value_t = 1)]
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
        #[arg(long, default_value = "communes")]
        origins: String,
        /// Thresholds in minutes.
        #[arg(long, value_delimiter = ',', default_value = "7,20")]
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
        #[arg(long, value_delimiter = ',', default_value = "5,10,15")]
        minutes: Vec<f64>,
        #[arg(long, default_value_t = 1000.0)]
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
            let run = compute(
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

fn facilities(fac: &FacilityArgs) -> Result<(BTreeMap<String, Vec<Point>>, usize)> {
    let (points, rejected) =
        read_points(&fac.facilities, &Fields { kind: fac.type_field.clone(), ..Default::default() })?;
    for r in &rejected {
        eprintln!("facility {} left out: {}", r.id, r.reason);
    }
    if points.is_empty() {
        return Err(UserError(format!("{}: no facility with coordinates", fac.facilities.display())).into());
    }
    Ok((access::by_type(points), rejected.len()))
}

fn mode_label(info: &network::NetworkInfo) -> String {
    let synth = if info.synthetic { ", SYNTHETIC network" } else { "" };
    format!("road network '{}' ({} profile{synth})", info.name, info.profile)
}

/// The network's hierarchy, as `--engine` asks.
fn hierarchy_for(store: &Path, mode: &ModeArgs, name: &str, g: &Graph) -> Result<Option<Hierarchy>> {
    let h = match mode.engine.as_str() {
        "plain" => return Ok(None),
        _ => network::load_hierarchy(store, name, g)?,
    };
    if h.is_none() && mode.engine == "hierarchy" {
        return Err(UserError(format!(
            "network '{name}' has no contraction hierarchy: build it with `echelle network contract {name}`"
        ))
        .into());
    }
    Ok(h)
}

fn compute(store: &Path, mode: &ModeArgs, fac: &FacilityArgs, origins_spec: &str, q: Query) -> Result<AccessRun> {
    let (by_type, _) = facilities(fac)?;
    let graph = match (&mode.network, mode.straight_line) {
        (Some(n), _) => Some(network::load(store, n)?),
        (None, true) => None,
        (None, false) => {
            return Err(UserError("give --network NAME (see `echelle network list`) or --straight-line".into()).into());
        }
    };
    let origins: Vec<Point> = match origins_spec {
        "communes" => {
            let st = open_store(store)?;
            let r = st.referential()?;
            let (pts, without) = origins::commune_centroids(&st, &r)?;
            eprintln!(
                "origins: {} commune centroids (contours of the pack; {} communes have no contour and are left out)",
                pts.len(),
                without
            );
            pts
        }
        "iris" => {
            return Err(UserError(
                "IRIS have no geometry in the store (the pack's IRIS table has codes, names, communes and census \
                 counts only): give their contours with --origins iris:FILE, FILE being IGN's CONTOURS-IRIS \
                 (GeoPackage .gpkg or shapefile .shp) or a GeoJSON of IRIS contours"
                    .into(),
            )
            .into());
        }
        spec if spec.starts_with("iris:") => {
            let path = Path::new(&spec["iris:".len()..]);
            if !path.is_file() {
                return Err(UserError(format!("--origins {spec}: no such file")).into());
            }
            // The census population of the store's IRIS, when the store has a pack.
            let population = match open_store(store).ok().filter(|st| st.pack_dir().is_ok()) {
                Some(st) => Some(iris::store_population(&st)?),
                None => None,
            };
            let o = iris::iris_origins(path, population.as_ref())?;
            eprintln!(
                "origins: {} IRIS, a point inside each contour of {} ({} to WGS84)",
                o.points.len(),
                path.display(),
                o.srs
            );
            match &o.weighted_by {
                Some(v) => eprintln!("  weighted by the IRIS population of the census {v}"),
                None => eprintln!(
                    "warning: the store has no reference pack, hence no IRIS population: the IRIS origins are unweighted"
                ),
            }
            if !o.unknown.is_empty() {
                let first: Vec<&str> = o.unknown.iter().take(5).map(String::as_str).collect();
                eprintln!(
                    "warning: {} IRIS of the file are not in the store's IRIS table (census {}): kept, without \
                     population, in no territory: {}{}",
                    o.unknown.len(),
                    o.weighted_by.as_deref().unwrap_or_default(),
                    first.join(", "),
                    if o.unknown.len() > first.len() { ", …" } else { "" }
                );
            }
            if !o.duplicates.is_empty() {
                eprintln!(
                    "{} IRIS codes are given by several features: the largest part of each is kept ({})",
                    o.duplicates.len(),
                    o.duplicates.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
                );
            }
            o.points
        }
        spec if spec.starts_with("communes-grid:") => {
            let path = Path::new(&spec["communes-grid:".len()..]);
            if !path.exists() {
                return Err(UserError(format!("--origins {spec}: no such file")).into());
            }
            let (mut pts, rejected) =
                origins::commune_centres_from_grid(path).map_err(|e| UserError(format!("--origins {spec}: {e}")))?;
            // Names from the store's referential, when there is one.
            if let Some(r) = open_store(store).ok().and_then(|st| st.referential().ok()) {
                for p in &mut pts {
                    p.name = r.commune(&p.id).map(|c| c.name.clone());
                }
            }
            eprintln!(
                "origins: {} commune centres weighted by the inhabitants of their grid cells ({} rows left out)",
                pts.len(),
                rejected.len()
            );
            pts
        }
        grid if grid.starts_with("grid:") => {
            let path = Path::new(&grid["grid:".len()..]);
            if !path.exists() {
                return Err(UserError(format!("--origins {grid}: no such file")).into());
            }
            let (cells, rejected) = origins::grid_cells(path)?;
            for r in rejected.iter().take(5) {
                eprintln!("grid cell {} left out: {}", r.id, r.reason);
            }
            eprintln!("origins: {} grid cells ({} rows left out)", cells.len(), rejected.len());
            cells
        }
        "nodes" => {
            let Some((g, _)) = &graph else { return Err(UserError("--origins nodes needs --network".into()).into()) };
            (0..g.node_count())
                .map(|v| Point {
                    id: g.node_id[v].to_string(),
                    kind: "node".into(),
                    name: None,
                    lon: g.lon[v],
                    lat: g.lat[v],
                    weight: None,
                })
                .collect()
        }
        file => {
            let (pts, rejected) = read_points(Path::new(file), &Fields::default())?;
            for r in &rejected {
                eprintln!("origin {} left out: {}", r.id, r.reason);
            }
            pts
        }
    };
    Ok(match graph {
        Some((g, info)) => {
            let h = hierarchy_for(store, mode, &info.name, &g)?;
            access::on_network(&g, h.as_ref(), mode_label(&info), origins, by_type, q)
        }
        None => access::straight_line(StraightLine::new(mode.detour, mode.speed)?, origins, by_type, q),
    })
}

fn write_nearest(run: &AccessRun, within: Option<f64>, out: Option<&Path>) -> Result<()> {
    let mut w: Box<dyn Write> = match out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    writeln!(w, "# times: {}", run.mode)?;
    let within_col = within.map(|m| format!(",within_{m}_min")).unwrap_or_default();
    writeln!(
        w,
        "origin,origin_name,origin_lon,origin_lat,origin_weight,type,rank,facility,facility_name,time_min,distance_km,origin_snap_m,facility_snap_m,mode{within_col}"
    )?;
    let mode = if run.straight_line { "straight-line" } else { "network" };
    for t in &run.types {
        for (o, origin) in run.origins.iter().enumerate() {
            let name = origin.point.name.as_deref().unwrap_or("").replace(',', " ");
            let weight = origin.point.weight.map(|x| x.to_string()).unwrap_or_default();
            let name = format!("{name},{:.6},{:.6},{weight}", origin.point.lon, origin.point.lat);
            let count = t.within.as_ref().map(|c| format!(",{}", c[o])).unwrap_or_default();
            if let Some(why) = &origin.excluded {
                writeln!(w, "{},{name},{},,,,,,,,excluded: {why}{count}", origin.point.id, t.kind)?;
                continue;
            }
            if t.nearest[o].is_empty() {
                writeln!(
                    w,
                    "{},{name},{},,,,,,{:.0},,unreachable{count}",
                    origin.point.id,
                    t.kind,
                    origin.snap_m.unwrap_or(0.0)
                )?;
            }
            for (rank, r) in t.nearest[o].iter().enumerate() {
                let (f, fsnap) = &t.facilities[r.facility as usize];
                writeln!(
                    w,
                    "{},{name},{},{},{},{},{:.2},{:.3},{:.0},{:.0},{mode}{count}",
                    origin.point.id,
                    t.kind,
                    rank + 1,
                    f.id,
                    f.name.as_deref().unwrap_or("").replace(',', " "),
                    r.time_s / 60.0,
                    r.distance_m / 1000.0,
                    origin.snap_m.unwrap_or(0.0),
                    fsnap
                )?;
            }
        }
    }
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
    let hierarchy = hierarchy_for(store, mode, name, &g)?;
    let (by_type, _) = facilities(fac)?;
    let load_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    // The plain search's reversed graph is built before the clock starts, as the
    // hierarchy is.
    let rev = hierarchy.is_none().then(|| g.reversed());
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
    let results = match (&hierarchy, &rev) {
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
                "threads": rayon::current_num_threads(), "engine": if hierarchy.is_some() { "hierarchy" } else { "plain" }, "facilities_excluded": excluded, "max_snap_m": max_snap, "unreached": unreached,
                "synthetic": info.synthetic})
        );
    } else {
        eprintln!("times: {}", mode_label(&info));
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
    origins_spec: &str,
    thresholds: &[f64],
    basket: Option<&Path>,
    format: &str,
) -> Result<()> {
    let st = open_store(store)?;
    let r = st.referential()?;
    let refs = super::resolve_all(&r, territories)?;
    // IRIS origins count in the territories of their commune, as communes do.
    let iris_pop = if origins_spec.starts_with("iris:") {
        Some(iris::store_population(&st)?)
    } else if origins_spec == "communes" || origins_spec.starts_with("communes-grid:") {
        None
    } else {
        return Err(UserError(format!(
            "access diagnose sums up origins that belong to a commune: --origins communes, communes-grid:FILE or \
             iris:FILE, not '{origins_spec}'"
        ))
        .into());
    };
    let unit = if iris_pop.is_some() { "IRIS" } else { "communes" };
    let run = compute(store, mode, fac, origins_spec, Query { k: 1, within_s: None, max_snap_m: mode.max_snap })?;
    let kinds: Vec<String> = run.types.iter().map(|t| t.kind.clone()).collect();
    let baskets: Vec<Basket> = match basket {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
            diagnostics::read_baskets(&p.display().to_string(), &text, &kinds)?
        }
        None => Vec::new(),
    };
    // Per origin (commune or IRIS code): its time per type.
    let index: BTreeMap<&str, usize> = run.origins.iter().enumerate().map(|(i, o)| (o.point.id.as_str(), i)).collect();
    let time = |t: usize, o: usize| -> Option<f64> {
        if run.origins[o].excluded.is_some() { None } else { run.types[t].nearest[o].first().map(|x| x.time_s) }
    };
    let mut rows = Vec::new();
    let mut json_rows = Vec::new();
    for tref in &refs {
        let mut used = Vec::new();
        let (mut missing_pop, mut missing) = (0u64, 0usize);
        // The commune's or IRIS's code and population, for each member of the territory.
        let members: Vec<(&str, u64)> = match &iris_pop {
            Some(pop) => r
                .iris_members(tref)?
                .into_iter()
                .map(|i| {
                    let code = r.iris()[i as usize].code.as_str();
                    (code, pop.iris.get(code).map_or(0, |p| p.0 as u64))
                })
                .collect(),
            None => r
                .members(tref)?
                .iter()
                .map(|&m| {
                    let c = &r.communes()[m as usize];
                    (c.code.as_str(), c.population.unwrap_or(0))
                })
                .collect(),
        };
        for (code, population) in members {
            match index.get(code) {
                Some(&o) if run.origins[o].excluded.is_none() => used.push(o),
                _ => {
                    missing += 1;
                    missing_pop += population;
                }
            }
        }
        let weight = |o: usize| run.origins[o].point.weight.unwrap_or(0.0);
        let mut items: Vec<(String, Vec<Weighted>)> = (0..run.types.len())
            .map(|t| {
                (
                    run.types[t].kind.clone(),
                    used.iter().map(|&o| Weighted { weight: weight(o), time_s: time(t, o) }).collect(),
                )
            })
            .collect();
        for b in &baskets {
            let idx: Vec<usize> = b.types.iter().filter_map(|k| kinds.iter().position(|x| x == k)).collect();
            let w = used
                .iter()
                .map(|&o| Weighted {
                    weight: weight(o),
                    time_s: diagnostics::basket_time(&idx.iter().map(|&t| time(t, o)).collect::<Vec<_>>()),
                })
                .collect();
            items.push((format!("basket: {}", b.name), w));
        }
        for (what, values) in items {
            let s = diagnostics::summarize(&values, thresholds);
            let name = r.describe(tref);
            let opt = |x: Option<f64>| x.map(|v| french(v, 1)).unwrap_or_else(|| "n/d".into());
            let mut row = vec![
                name.clone(),
                what.clone(),
                used.len().to_string(),
                french(s.population, 0),
                opt(s.mean_min),
                opt(s.median_min),
            ];
            row.extend(s.beyond.iter().map(|(_, sh)| format!("{} %", french(sh * 100.0, 1))));
            row.push(french(s.unreached_population, 0));
            row.push(format!("{missing} ({} hab.)", french(missing_pop as f64, 0)));
            rows.push(row);
            let mut j = serde_json::json!({"territory": tref.key(), "name": name, "what": what, "summary": s, "population_left_out": missing_pop});
            j[unit.to_lowercase()] = used.len().into();
            j[format!("{}_left_out", unit.to_lowercase())] = missing.into();
            json_rows.push(j);
        }
    }
    let (weights, left_out) = match &iris_pop {
        Some(p) => (
            format!(
                "weighted by the IRIS population of the census {}, over a point inside each IRIS contour",
                p.vintage
            ),
            "IRIS écartés: no contour in the file, or too far from any road",
        ),
        None if origins_spec == "communes" => (
            "weighted by the municipal population, over commune contour centroids".to_string(),
            "communes écartées: no contour in the pack, or too far from any road",
        ),
        None => (
            "weighted by the inhabitants of the grid cells, over commune centres from the grid".to_string(),
            "communes écartées: no cell in the grid file, or too far from any road",
        ),
    };
    let mut header = vec![
        "territoire".to_string(),
        "équipement".into(),
        unit.into(),
        "population".into(),
        "moyenne (min)".into(),
        "médiane (min)".into(),
    ];
    header.extend(thresholds.iter().map(|t| format!("> {t} min")));
    header.push("sans accès".into());
    header.push(if iris_pop.is_some() { "IRIS écartés".into() } else { "communes écartées".into() });
    match format {
        "json" => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"mode": run.mode, "straight_line": run.straight_line,
                "origins": origins_spec, "weights": weights, "rows": json_rows}))?
        ),
        "csv" => {
            println!("# times: {}", run.mode);
            for r in std::iter::once(&header).chain(rows.iter()) {
                println!(
                    "{}",
                    r.iter()
                        .map(|c| if c.contains(',') { format!("\"{c}\"") } else { c.clone() })
                        .collect::<Vec<_>>()
                        .join(",")
                );
            }
        }
        _ => {
            println!("times: {}", run.mode);
            let mut all = vec![header];
            all.extend(rows);
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
    let gj = isochrone::to_geojson(&isos, (lon, lat), &mode_label(&info), info.credit.as_deref());
    let text = serde_json::to_string(&gj)?;
    match out {
        Some(p) => std::fs::write(p, text).with_context(|| format!("writing {}", p.display()))?,
        None => println!("{text}"),
    }
    eprintln!(
        "times: {}; start snapped {:.0} m to node {}",
        mode_label(&info),
        snap.distance_m,
        g.node_id[snap.node as usize]
    );
    for i in &isos {
        eprintln!("  {} min: {} nodes reached", i.minutes, i.nodes);
    }
    Ok(())
}
