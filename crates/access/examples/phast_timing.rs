//! Times the hierarchy (core-based PHAST) against the plain multi-source search on a
//! stored network: contraction time, one query per facility type, both checked equal
//! (for tuning; the benchmark proper is bench/access/run.py).
//!
//! `cargo run --release -p echelle-access --example phast_timing -- STORE NETWORK [CORE_SHARE] [MAX_ED] [SETTLE] [TYPES]`

use std::time::Instant;

use echelle_access::network;
use echelle_access::phast::{Hierarchy, Params};
use echelle_access::search::{Source, nearest};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (g, info) = network::load(std::path::Path::new(&args[1]), &args[2]).expect("network");
    let d = Params::default();
    let p = Params {
        core_share: args.get(3).and_then(|s| s.parse().ok()).unwrap_or(d.core_share),
        max_edge_difference: args.get(4).and_then(|s| s.parse().ok()).unwrap_or(d.max_edge_difference),
        witness_settle_limit: args.get(5).and_then(|s| s.parse().ok()).unwrap_or(d.witness_settle_limit),
    };
    let types: usize = args.get(6).and_then(|s| s.parse().ok()).unwrap_or(3);
    let n = g.node_count();
    let t = Instant::now();
    let h = Hierarchy::build(&g, p).expect("hierarchy");
    let build_s = t.elapsed().as_secs_f64();
    println!("{} ({n} nodes): {p:?}: contraction {build_s:.3} s; {}", info.name, h.summary());
    let rev = g.reversed();
    let mut seed = 12345u64;
    let (mut tp, mut td) = (0.0, 0.0);
    for r in 0..types {
        let sources: Vec<Source> = (0..1000)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                Source::at((seed % n as u64) as u32, i as u32)
            })
            .collect();
        let t = Instant::now();
        let a = h.nearest(&sources);
        let sp = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let b = nearest((&rev).into(), &sources);
        let sd = t.elapsed().as_secs_f64();
        assert!(a == b, "type {r}: hierarchy and plain search differ");
        tp += sp;
        td += sd;
        println!("type {r}: hierarchy {sp:.4} s, plain {sd:.4} s, equal");
    }
    let (tp, td) = (tp / types as f64, td / types as f64);
    println!(
        "per type: hierarchy {tp:.4} s, plain {td:.4} s ({:.1}x); 20 types: contraction + 20 queries {:.2} s vs 20 plain {:.2} s",
        td / tp,
        build_s + 20.0 * tp,
        20.0 * td
    );
}
