//! Synthetic BPE and Filosofi files, in the published layouts, for the demo: any
//! set of communes, deterministic for a seed, and labelled synthetic by a sidecar.
//!
//! - BPE (old upper-case layout, `;`): about one equipment per 250 inhabitants,
//!   types drawn from a fixed list; communes with a position (all France but a handful) get
//!   Lambert-93 coordinates scattered around their centroid, the others are written
//!   "Non géolocalisé" with empty coordinates, as INSEE does for such equipments.
//! - Filosofi (commune level): households = population / 2.2; median standard of
//!   living and poverty rate drawn around national-like values; `s` (secret) for
//!   communes under 11 households, INSEE's rule for tax data (METHODS.md §3).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use echelle_referential::Referential;

use crate::error::ImportError;
use crate::formats::bpe::ToWgs84;
use crate::synth::Sidecar;
use crate::synth::rng::Rng;

const TYPES: [&str; 12] =
    ["A203", "A504", "B101", "B201", "C107", "C108", "C201", "C301", "D201", "D502", "E107", "F303"];

/// Writes a synthetic `bpe{yy}_ensemble_xy.csv`; returns the number of rows.
pub fn bpe(
    r: &Referential,
    communes: &[u32],
    centroids: &HashMap<String, (f64, f64)>,
    year: u16,
    seed: u64,
    out: &Path,
) -> Result<u64, ImportError> {
    let mut rng = Rng::new(seed);
    let mut proj = ToWgs84::new();
    let mut text = String::from("AN;DEPCOM;DCIRIS;DEP;TYPEQU;LAMBERT_X;LAMBERT_Y;QUALITE_XY\r\n");
    let mut rows = 0u64;
    for &i in communes {
        let c = &r.communes()[i as usize];
        let n = 1 + c.population.unwrap_or(0) / 250;
        for _ in 0..n {
            let t = TYPES[rng.below(TYPES.len() as u64) as usize];
            let (x, y, q) = match centroids.get(&c.code) {
                Some(&(lon, lat)) => {
                    let (lon, lat) = (lon + (rng.f64() - 0.5) * 0.02, lat + (rng.f64() - 0.5) * 0.015);
                    let (x, y) = proj.from_wgs84(2154, lon, lat).map_err(ImportError::Usage)?;
                    (format!("{x:.2}"), format!("{y:.2}"), "Bonne")
                }
                None => (String::new(), String::new(), "Non géolocalisé"),
            };
            let _ = write!(text, "{year};{};{}0000;{};{t};{x};{y};{q}\r\n", c.code, c.code, c.departement);
            rows += 1;
        }
    }
    // Latin-1, as the older vintages are published.
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    std::fs::write(out, &bytes).map_err(|e| ImportError::io(out, e))?;
    Sidecar {
        generator: "bpe".into(),
        seed,
        rows,
        method:
            "environ un équipement pour 250 habitants, types tirés au hasard, points autour du centroïde de la commune"
                .into(),
    }
    .write(out)?;
    Ok(rows)
}

/// Writes a synthetic commune-level Filosofi file; returns the number of rows.
pub fn filosofi(r: &Referential, communes: &[u32], year: u16, seed: u64, out: &Path) -> Result<u64, ImportError> {
    let yy = year % 100;
    let mut rng = Rng::new(seed);
    let mut text = format!("CODGEO;NBMENFISC{yy:02};NBPERSMENFISC{yy:02};MED{yy:02};TP60{yy:02}\n");
    for &i in communes {
        let c = &r.communes()[i as usize];
        let pop = c.population.unwrap_or(0);
        let men = (pop as f64 / 2.2).round() as u64;
        if men < 11 {
            let _ = writeln!(text, "{};s;s;s;s", c.code);
            continue;
        }
        let med = 18_000.0 + rng.f64() * 8_000.0;
        let tp60 = 6.0 + rng.f64() * 22.0;
        let _ = writeln!(text, "{};{men};{pop};{med:.1};{tp60:.1}", c.code);
    }
    std::fs::write(out, text).map_err(|e| ImportError::io(out, e))?;
    Sidecar {
        generator: "filosofi".into(),
        seed,
        rows: communes.len() as u64,
        method: "ménages = population / 2,2, médiane et taux de pauvreté tirés au hasard, « s » sous 11 ménages".into(),
    }
    .write(out)?;
    Ok(communes.len() as u64)
}
