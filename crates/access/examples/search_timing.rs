//! Times the multi-source search on a stored network, one facility type at a time
//! (for tuning; the benchmark proper is bench/access/run.py).
//!
//! `cargo run --release -p echelle-access --example search_timing -- STORE NETWORK [FACILITIES] [RUNS] [THREADS]`
//!
//! With THREADS, the RUNS facility sets are searched as RUNS types at once by
//! `nearest_per_type` on that many threads (as `access nearest --engine plain` does).

use std::time::Instant;

use echelle_access::network;
use echelle_access::search::{Source, nearest, nearest_per_type};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (g, info) = network::load(std::path::Path::new(&args[1]), &args[2]).expect("network");
    let n = g.node_count();
    let k: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let runs: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let rev = g.reversed();
    let mut seed = 12345u64;
    let mut draw = || -> Vec<Source> {
        (0..k)
            .map(|i| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                Source::at((seed % n as u64) as u32, i as u32)
            })
            .collect()
    };
    if let Some(threads) = args.get(5).and_then(|s| s.parse::<usize>().ok()) {
        let types: Vec<Vec<Source>> = (0..runs).map(|_| draw()).collect();
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
        for r in 0..3 {
            let t = Instant::now();
            let res = pool.install(|| nearest_per_type((&rev).into(), &types));
            let s = t.elapsed().as_secs_f64();
            println!("all {runs} types, {threads} thread(s), run {r}: {s:.4} s ({} results)", res.len());
        }
        return;
    }
    let mut total = 0.0;
    for r in 0..runs {
        let sources = draw();
        let t = Instant::now();
        let res = nearest((&rev).into(), &sources);
        let s = t.elapsed().as_secs_f64();
        total += s;
        println!("run {r}: {s:.4} s (max time {} ms)", res.time_ms.iter().max().unwrap_or(&0));
    }
    println!("{} ({} nodes): {:.4} s per search on average", info.name, n, total / runs as f64);
}
