//! Benchmark: evaluate indicators for every territory of every layer and perimeter,
//! time it, and export what DuckDB needs to run the same aggregation
//! (`bench/indicators.py` drives both and prints the ratio).
//!
//! Usage: bench_territories <store> <out-dir> <indicator,indicator,...> [repeats]

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::{RecordBatch, StringArray};
use echelle_indicators::{Aggregate, Engine, Target};
use echelle_referential::{Layer, Referential};
use echelle_store::{Store, write_parquet_atomic};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, store, out, ids, rest @ ..] = args.as_slice() else {
        return Err("usage: bench_territories <store> <out-dir> <indicators> [repeats]".into());
    };
    let repeats: usize = rest.first().map_or(Ok(5), |r| r.parse())?;
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let ids: Vec<&str> = ids.split(',').collect();
    let store = Store::open(store)?;

    // Cold: open the store (Parquet read into memory, referential, perimeters), build
    // the targets of every layer, evaluate.
    let start = Instant::now();
    let engine = Engine::open(&store).await?;
    let r = engine.referential().clone();
    let targets = all_targets(&r)?;
    let evaluation = engine.evaluate(&targets, &ids).await?;
    let cold = start.elapsed().as_secs_f64();

    let mut warm = Vec::new();
    for _ in 0..repeats {
        let t = Instant::now();
        let targets = all_targets(&r)?;
        let e = engine.evaluate(&targets, &ids).await?;
        warm.push(t.elapsed().as_secs_f64());
        assert_eq!(e.values, evaluation.values, "evaluation is deterministic");
    }
    warm.sort_by(f64::total_cmp);

    let mut csv = String::from("territory,indicator,value\n");
    for (i, d) in evaluation.indicators.iter().enumerate() {
        for (t, (key, _)) in evaluation.targets.iter().enumerate() {
            let v = evaluation.values[i][t].value.map(|v| format!("{v:.17e}")).unwrap_or_default();
            let _ = writeln!(csv, "{key},{},{v}", d.id);
        }
    }
    std::fs::write(out.join("echelle.csv"), csv)?;
    export_membership(&r, &targets, out)?;
    export_spec(&engine, &store, &ids, out)?;

    // Portraits: key indicators of one territory against its references, warm.
    let keys: Vec<&str> = engine.indicators().iter().filter(|d| d.key).map(|d| d.id.as_str()).collect();
    let sample: Vec<_> =
        [Layer::Commune, Layer::Epci, Layer::Arrondissement, Layer::Departement, Layer::Region, Layer::Perimeter]
            .iter()
            .flat_map(|&l| {
                let all = r.territories(l);
                let step = (all.len() / 40).max(1);
                all.into_iter().step_by(step).take(40).collect::<Vec<_>>()
            })
            .collect();
    let mut portrait = Vec::new();
    for t in &sample {
        let begin = Instant::now();
        let mut ts = vec![Target::territory(&r, t)?];
        for x in r.references(t)? {
            ts.push(Target::territory(&r, &x)?);
        }
        if t.layer == Layer::Perimeter {
            ts.push(Target::outside(&r, t)?);
        }
        engine.evaluate(&ts, &keys).await?;
        portrait.push(begin.elapsed().as_secs_f64() * 1e3);
    }
    portrait.sort_by(f64::total_cmp);
    let pct = |p: f64| portrait[((portrait.len() - 1) as f64 * p).round() as usize];
    println!(
        "{{\"territories\": {}, \"indicators\": {}, \"cold_s\": {cold:.4}, \"warm_min_s\": {:.4}, \"warm_median_s\": {:.4}, \
         \"portraits\": {}, \"portrait_p50_ms\": {:.2}, \"portrait_p99_ms\": {:.2}, \"portrait_max_ms\": {:.2}}}",
        targets.len(),
        ids.len(),
        warm[0],
        warm[warm.len() / 2],
        portrait.len(),
        pct(0.5),
        pct(0.99),
        portrait[portrait.len() - 1]
    );
    Ok(())
}

fn all_targets(r: &Referential) -> Result<Vec<Target>, Box<dyn std::error::Error>> {
    let mut targets = Vec::new();
    for layer in Layer::ALL {
        targets.extend(Target::layer(r, layer)?);
    }
    Ok(targets)
}

/// (territory key, unit code) for communes and for IRIS, as Parquet for DuckDB.
fn export_membership(
    r: &Referential,
    targets: &[Target],
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let (mut tc, mut uc, mut ti, mut ui) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for t in targets {
        match &t.iris {
            Some(iris) => {
                for &i in iris {
                    ti.push(t.key.as_str());
                    ui.push(r.iris()[i as usize].code.as_str());
                }
            }
            None => {
                for &c in &t.communes {
                    tc.push(t.key.as_str());
                    uc.push(r.communes()[c as usize].code.as_str());
                }
                for i in r.iris_of(&t.communes) {
                    ti.push(t.key.as_str());
                    ui.push(r.iris()[i as usize].code.as_str());
                }
            }
        }
    }
    for (name, t, u) in [("membership_commune", tc, uc), ("membership_iris", ti, ui)] {
        let batch = RecordBatch::try_from_iter([
            ("territory", Arc::new(StringArray::from(t)) as _),
            ("unit", Arc::new(StringArray::from(u)) as _),
        ])?;
        write_parquet_atomic(&out.join(format!("{name}.parquet")), &batch)?;
    }
    Ok(())
}

/// The datasets' files and the indicators' aggregation, for the DuckDB side.
fn export_spec(
    engine: &Engine,
    store: &Store,
    ids: &[&str],
    out: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut datasets = serde_json::Map::new();
    let mut indicators = Vec::new();
    for id in ids {
        let d = engine.indicator(id)?;
        let meta = engine.dataset(&d.dataset).ok_or("dataset")?;
        let level = meta.level.as_str();
        datasets.insert(
            meta.id.clone(),
            serde_json::json!({"path": store.root().join(&meta.path), "key": meta.key_column, "level": level}),
        );
        let (kind, cols, scale) = match &d.aggregate {
            Aggregate::Sum { value } => ("sum", vec![value.clone()], 1.0),
            Aggregate::Ratio { numerator, denominator, scale } => {
                ("ratio", vec![numerator.clone(), denominator.clone()], *scale)
            }
            Aggregate::WeightedMean { value, weight } => ("weighted-mean", vec![value.clone(), weight.clone()], 1.0),
            Aggregate::Count => ("count", vec![], 1.0),
            Aggregate::None { value, .. } => ("none", vec![value.clone()], 1.0),
        };
        indicators.push(
            serde_json::json!({"id": d.id, "dataset": d.dataset, "aggregate": kind, "columns": cols, "scale": scale,
                "counted_elsewhere": d.counted_elsewhere}),
        );
    }
    let spec = serde_json::json!({"datasets": datasets, "indicators": indicators});
    std::fs::write(out.join("spec.json"), serde_json::to_string_pretty(&spec)?)?;
    Ok(())
}
