//! Contraction hierarchies (the `fast_paths` crate) against the multi-source search,
//! for the question echelle asks: every origin's time to the nearest of many
//! facilities of a type.
//!
//! A CH answers one query at a time: per origin, one many-to-many query from the
//! origin to the type's facilities. The multi-source search answers all origins in
//! one pass. This measures both on a stored network (contraction timed apart), checks
//! that they agree, and extrapolates the CH time from a sample of origins to all.
//!
//! `cargo run --release -p echelle-access --example ch_vs_multisource -- STORE NETWORK [FACILITIES] [SAMPLE]`

use std::time::Instant;

use echelle_access::network;
use echelle_access::search::{Source, nearest};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: ch_vs_multisource STORE NETWORK [FACILITIES] [SAMPLE]");
        std::process::exit(2);
    }
    let (g, info) = network::load(std::path::Path::new(&args[1]), &args[2]).expect("network");
    let n = g.node_count();
    let facilities: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1000).min(n / 5);
    let sample: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(2000).min(n);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let fac: Vec<u32> = (0..facilities).map(|_| (next() % n as u64) as u32).collect();
    let origins: Vec<u32> = (0..sample).map(|_| (next() % n as u64) as u32).collect();
    let synth = if info.synthetic { " (SYNTHETIC)" } else { "" };
    println!(
        "network {}{synth}: {n} nodes, {} edges; {facilities} facilities, {sample} sampled origins",
        info.name,
        g.edge_count()
    );

    let t = Instant::now();
    let rev = g.reversed();
    let sources: Vec<Source> = fac.iter().enumerate().map(|(i, &v)| Source::at(v, i as u32)).collect();
    let ms = nearest((&rev).into(), &sources);
    let multi_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut input = fast_paths::InputGraph::new();
    for e in g.edges() {
        input.add_edge(e.from as usize, e.to as usize, e.time_ms as usize);
    }
    input.freeze();
    let fast = fast_paths::prepare(&input);
    let prep_s = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let mut calc = fast_paths::create_calculator(&fast);
    let targets: Vec<(usize, usize)> = fac.iter().map(|&v| (v as usize, 0)).collect();
    let mut mismatches = 0;
    for &o in &origins {
        let w = calc
            .calc_path_multiple_sources_and_targets(&fast, vec![(o as usize, 0)], targets.clone())
            .map(|p| p.get_weight());
        let expect = ms.time_ms[o as usize];
        if w.map(|w| w as u32) != Some(expect).filter(|&x| x != u32::MAX) {
            mismatches += 1;
        }
    }
    let ch_sample_s = t.elapsed().as_secs_f64();
    let ch_all_s = ch_sample_s * n as f64 / sample as f64;
    println!("multi-source search, all {n} nodes, one type: {multi_s:.4} s");
    println!("CH (fast_paths) contraction: {prep_s:.2} s (apart)");
    println!(
        "CH queries: {ch_sample_s:.3} s for {sample} origins -> {ch_all_s:.2} s for all nodes, one type (extrapolated): {:.0}x the multi-source search; {mismatches} mismatches",
        ch_all_s / multi_s
    );
}
