//! `echelle network`: road networks from OpenStreetMap kept in the store.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use echelle_access::network::{self, NetworkInfo};
use echelle_access::osm::read_pbf_with;
use echelle_access::phast::{Hierarchy, Params};
use echelle_access::{Graph, Profile};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::UserError;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(clap::Subcommand)]
enum Cmd {
    /// Build a road network from an OpenStreetMap extract (.osm.pbf) into the store.
    Build {
        /// The extract (.osm.pbf).
        file: PathBuf,
        /// `drive`, `walk`, or a profile file (TOML: mode, maxspeed_factor, [speeds]).
        #[arg(long, default_value = "drive")]
        profile: String,
        /// Name in the store [default: the file's name and the profile].
        #[arg(long)]
        name: Option<String>,
        /// Keep the shape points as nodes (finer snapping, more nodes).
        #[arg(long)]
        keep_shape_points: bool,
        /// Do not build the contraction hierarchy (build it later with `network contract`).
        #[arg(long)]
        no_hierarchy: bool,
    },
    /// Build (or rebuild) the contraction hierarchy of a stored network: the
    /// preprocessing that makes `access nearest` faster, kept with the network.
    Contract {
        name: String,
        /// Stop contracting when this share of the nodes is left (the core).
        #[arg(long, default_value_t = Params::default().core_share)]
        core_share: f64,
        /// Worker threads (default: one per core).
        #[arg(long)]
        threads: Option<usize>,
        /// Print the timings as JSON on standard output.
        #[arg(long)]
        timings: bool,
    },
    /// List the networks of the store.
    List,
    /// Write a network as nodes.csv and edges.csv (exactly the graph the engine searches).
    Export {
        name: String,
        #[arg(long)]
        dir: PathBuf,
    },
    /// Import a graph given as nodes.csv (lon,lat[,node_id]) and edges.csv
    /// (from,to,time_ms,length_dm); keeps its largest strongly connected component.
    Import {
        #[arg(long)]
        nodes: PathBuf,
        #[arg(long)]
        edges: PathBuf,
        #[arg(long)]
        name: String,
        /// Mark it as generated data: every output using it says SYNTHETIC.
        #[arg(long)]
        synthetic: bool,
        /// Print the timings as JSON on standard output.
        #[arg(long)]
        timings: bool,
        /// Do not build the contraction hierarchy (build it later with `network contract`).
        #[arg(long)]
        no_hierarchy: bool,
    },
}

pub fn run(store: &Path, a: Args) -> Result<()> {
    match a.command {
        Cmd::Build { file, profile, name, keep_shape_points, no_hierarchy } => {
            build(store, &file, &profile, name, keep_shape_points, no_hierarchy)
        }
        Cmd::Contract { name, core_share, threads, timings } => {
            if let Some(t) = threads {
                rayon::ThreadPoolBuilder::new().num_threads(t.max(1)).build_global().ok();
            }
            let (g, _) = network::load(store, &name)?;
            let p = Params { core_share, ..Params::default() };
            if !(0.0..=1.0).contains(&core_share) {
                return Err(UserError(format!("--core-share {core_share}: give a share between 0 and 1")).into());
            }
            let (h, s) = contract(store, &name, &g, p)?;
            if timings {
                println!(
                    "{}",
                    serde_json::json!({"contract_s": s, "threads": rayon::current_num_threads(), "nodes": h.node_count(), "core": h.core, "up_arcs": h.up.len(), "down_arcs": h.down.len()})
                );
            } else {
                println!("network '{name}': contraction hierarchy built in {s:.2} s: {}", h.summary());
            }
            Ok(())
        }
        Cmd::List => list(store),
        Cmd::Export { name, dir } => {
            let (g, _) = network::load(store, &name)?;
            g.export_csv(&dir)?;
            println!("{}: {} nodes, {} edges written to {}", name, g.node_count(), g.edge_count(), dir.display());
            Ok(())
        }
        Cmd::Import { nodes, edges, name, synthetic, timings, no_hierarchy } => {
            import(store, &nodes, &edges, &name, synthetic, timings, no_hierarchy)
        }
    }
}

/// Reads a profile: a built-in name or a TOML file.
pub fn profile(spec: &str) -> Result<Profile> {
    if let Some(p) = Profile::named(spec) {
        return Ok(p);
    }
    let path = Path::new(spec);
    if !path.exists() {
        return Err(UserError(format!("profile '{spec}': neither 'drive', 'walk' nor an existing file")).into());
    }
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {spec}"))?;
    Ok(Profile::parse(spec, &text)?)
}

/// Builds and stores the hierarchy of a stored network; returns it with its time.
fn contract(store: &Path, name: &str, g: &Graph, p: Params) -> Result<(Hierarchy, f64)> {
    let t = Instant::now();
    let h = Hierarchy::build(g, p)?;
    let s = t.elapsed().as_secs_f64();
    network::save_hierarchy(store, name, &h)?;
    Ok((h, s))
}

fn build(store: &Path, file: &Path, profile_spec: &str, name: Option<String>, keep: bool, no_h: bool) -> Result<()> {
    let p = profile(profile_spec)?;
    let name = name.unwrap_or_else(|| {
        let stem = file.file_name().and_then(|s| s.to_str()).unwrap_or("network");
        let stem = stem.trim_end_matches(".pbf").trim_end_matches(".osm");
        let clean: String = stem.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect();
        format!("{clean}-{}", p.name)
    });
    network::check_name(&name)?;
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    bar.set_style(ProgressStyle::with_template("{msg} [{bar:30}] {bytes}/{total_bytes}").expect("valid template"));
    let t = Instant::now();
    let (g, report) = read_pbf_with(file, &p, !keep, &bar)?;
    let info = NetworkInfo {
        name: name.clone(),
        source: file.display().to_string(),
        kind: "osm-pbf".into(),
        synthetic: false,
        profile: p.name.clone(),
        nodes: g.node_count() as u64,
        edges: g.edge_count() as u64,
        report: Some(report.clone()),
        credit: Some("© OpenStreetMap contributors, ODbL".into()),
    };
    let dir = network::save(store, &g, &info)?;
    println!(
        "network '{name}' ({} profile) built from {} in {:.2} s",
        p.name,
        file.display(),
        t.elapsed().as_secs_f64()
    );
    println!(
        "  ways read {}, usable by the profile {}; nodes referenced but outside the extract {}",
        report.ways_read, report.road_ways, report.missing_nodes
    );
    println!(
        "  graph {} nodes, {} edges; largest strongly connected component kept: {} nodes, {} edges ({} one-way), {:.1} km of road",
        report.graph_nodes_before_scc,
        report.graph_edges_before_scc,
        report.nodes,
        report.edges,
        report.one_way_edges,
        report.total_length_km
    );
    println!("  stored in {}  (© OpenStreetMap contributors, ODbL)", dir.display());
    if !no_h {
        let (h, s) = contract(store, &name, &g, Params::default())?;
        println!("  contraction hierarchy built in {s:.2} s: {}", h.summary());
    }
    Ok(())
}

fn list(store: &Path) -> Result<()> {
    let nets = network::list(store)?;
    if nets.is_empty() {
        println!("no network in the store (build one with `echelle network build FILE.osm.pbf`)");
    }
    for n in nets {
        let tag = if n.synthetic { "  SYNTHETIC" } else { "" };
        println!(
            "{}  {} profile, {} nodes, {} edges, from {} ({}){tag}",
            n.name, n.profile, n.nodes, n.edges, n.source, n.kind
        );
    }
    Ok(())
}

fn import(
    store: &Path,
    nodes: &Path,
    edges: &Path,
    name: &str,
    synthetic: bool,
    timings: bool,
    no_h: bool,
) -> Result<()> {
    network::check_name(name)?;
    let t0 = Instant::now();
    let g = Graph::import_csv(nodes, edges)?;
    let read_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let keep = echelle_access::scc::largest_component(&g);
    let g2 = g.subgraph(&keep)?.hilbert_ordered()?;
    let preprocess_s = t1.elapsed().as_secs_f64();
    let info = NetworkInfo {
        name: name.into(),
        source: format!("{} + {}", nodes.display(), edges.display()),
        kind: "imported-csv".into(),
        synthetic,
        profile: "as given".into(),
        nodes: g2.node_count() as u64,
        edges: g2.edge_count() as u64,
        report: None,
        credit: None,
    };
    network::save(store, &g2, &info)?;
    let hierarchy = if no_h { None } else { Some(contract(store, name, &g2, Params::default())?) };
    let contract_s = hierarchy.as_ref().map(|h| h.1);
    if timings {
        println!(
            "{}",
            serde_json::json!({"read_s": read_s, "preprocess_s": preprocess_s, "contract_s": contract_s, "nodes_in": g.node_count(), "nodes": g2.node_count(), "edges": g2.edge_count()})
        );
    } else {
        let tag = if synthetic { " (SYNTHETIC)" } else { "" };
        println!(
            "network '{name}'{tag}: {} of {} nodes kept (largest strongly connected component), {} edges; read {read_s:.2} s, SCC and Hilbert order {preprocess_s:.2} s",
            g2.node_count(),
            g.node_count(),
            g2.edge_count()
        );
        if let Some((h, s)) = &hierarchy {
            println!("  contraction hierarchy built in {s:.2} s: {}", h.summary());
        }
    }
    Ok(())
}
