//! A synthetic `FD_MOBPRO`-format file: one row per (sampled) employed person, in
//! INSEE's exact layout (`;`, the same column names and modalities), for any set of
//! communes and any size, streamed to disk (a national-size file of 20 million
//! rows takes a few seconds and constant memory).
//!
//! Flows follow a gravity model on the pack's real populations and distances:
//! a worker of commune i works in j with probability ∝ pop_j · exp(−d_ij / 10 km)
//! over the communes within 50 km (beyond, the weight is under 0.7 % of a
//! neighbour's: cut, so that all of France's 35,000 communes fit in memory), the
//! commune itself counting twice at 1 km; and, for 2 % of workers, anywhere in their
//! part of France (métropole, or their own DROM) in proportion to population — the
//! long commutes of the real file. Modes depend on distance (walking and cycling
//! short, car long, some public transport). Weights
//! `IPONDI` are chosen so that they sum to about 42 % of the population (the
//! employment rate of the 15+), like the real file's sum. None of this is
//! observed: the file's sidecar and the catalog say so.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use echelle_referential::Referential;

use crate::error::ImportError;
use crate::synth::Sidecar;
use crate::synth::positions::distance_km;
use crate::synth::rng::Rng;

/// The published header, in INSEE's order for the columns echelle generates.
pub const HEADER: &str = "COMMUNE;ARM;DCLT;AGEREVQ;CS1;EMPL;ILT;INATC;IPONDI;NA5;SEXE;TP;TRANS;TYPL;VOIT";

/// The communes a generator may use: those with a population and a position.
#[derive(Debug, Clone)]
pub struct Zone {
    /// (commune index, population, (lon, lat), radius km).
    pub communes: Vec<(u32, f64, (f64, f64), f64)>,
    /// Asked communes left out because they have no position (or no population).
    pub left_out: Vec<String>,
}

impl Zone {
    /// Keeps the communes of `asked` that have a position in `centroids` and a
    /// population.
    pub fn new(r: &Referential, asked: &[u32], centroids: &std::collections::HashMap<String, (f64, f64)>) -> Zone {
        let mut communes = Vec::new();
        let mut left_out = Vec::new();
        for &i in asked {
            let c = &r.communes()[i as usize];
            match (centroids.get(&c.code), c.population) {
                (Some(&pos), Some(p)) if p > 0 => communes.push((i, p as f64, pos, 1.0)),
                _ => left_out.push(c.code.clone()),
            }
        }
        Zone { communes, left_out }
    }
}

/// What was generated.
#[derive(Debug, Clone)]
pub struct Generated {
    /// Rows written (one per employed person).
    pub rows: u64,
    /// Communes of residence and work drawn from.
    pub communes: usize,
    /// Codes of asked communes without a position or a population, left out.
    pub left_out: Vec<String>,
    /// Time taken, for the benchmark.
    pub seconds: f64,
    /// Size of the file written.
    pub bytes: u64,
}

/// Writes `rows` rows to `out` (and its sidecar), deterministic for `seed`.
pub fn generate(
    r: &Referential,
    zone: &Zone,
    rows: u64,
    seed: u64,
    out: &Path,
    progress: &dyn Fn(u64),
) -> Result<Generated, ImportError> {
    let n = zone.communes.len();
    if n == 0 {
        return Err(ImportError::Usage(
            "none of the asked communes has a position in the reference pack (no commune shape: the overseas collectivities and a few communes re-established since 2018)".into(),
        ));
    }
    let start = std::time::Instant::now();
    // Cumulative weights of origins (population) and, per origin, of destinations.
    let mut origin_cum = Vec::with_capacity(n);
    let mut acc = 0.0;
    for c in &zone.communes {
        acc += c.1;
        origin_cum.push(acc);
    }
    let total_pop = acc;
    let near = Near::new(zone);
    let far = Far::new(r, zone);
    let codes: Vec<&str> = zone.communes.iter().map(|c| r.communes()[c.0 as usize].code.as_str()).collect();
    let deps: Vec<&str> = zone.communes.iter().map(|c| r.communes()[c.0 as usize].departement.as_str()).collect();
    let regs: Vec<&str> = zone.communes.iter().map(|c| r.communes()[c.0 as usize].region.as_str()).collect();
    let mut arms_of: std::collections::HashMap<&str, Vec<&str>> = std::collections::HashMap::new();
    for s in r.sub_communes().iter().filter(|s| s.kind == echelle_referential::SubCommuneKind::ArrondissementMunicipal)
    {
        arms_of.entry(s.commune.as_str()).or_default().push(s.code.as_str());
    }
    let arms: Vec<Vec<&str>> = codes.iter().map(|c| arms_of.get(c).cloned().unwrap_or_default()).collect();
    // Mean weight so that weights sum to ~42 % of the population.
    let mean_weight = 0.42 * total_pop / rows.max(1) as f64;

    let file = File::create(out).map_err(|e| ImportError::io(out, e))?;
    let mut w = BufWriter::with_capacity(1 << 22, file);
    let io = |e| ImportError::io(out, e);
    w.write_all(HEADER.as_bytes()).map_err(io)?;
    w.write_all(b"\r\n").map_err(io)?;
    let ctx = Ctx {
        zone,
        origin_cum: &origin_cum,
        near: &near,
        far: &far,
        codes: &codes,
        deps: &deps,
        regs: &regs,
        arms: &arms,
        mean_weight,
    };
    // Rows are made in chunks, each with its own random stream derived from the seed
    // and the chunk number: two threads make them, this one writes them in order, and
    // the file is the same whatever the number of threads.
    const CHUNK: u64 = 1 << 18;
    let chunks = rows.div_ceil(CHUNK);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4) as u64;
    let mut bytes = HEADER.len() as u64 + 2;
    let written: Result<(), ImportError> = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(u64, Vec<u8>)>(2 * threads as usize);
        for t in 0..threads {
            let tx = tx.clone();
            let ctx = &ctx;
            scope.spawn(move || {
                let mut k = t;
                while k < chunks {
                    let count = CHUNK.min(rows - k * CHUNK);
                    let mut buf = Vec::with_capacity(count as usize * 72);
                    let mut rng = Rng::new(seed ^ (k + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
                    ctx.rows(&mut rng, count, &mut buf);
                    if tx.send((k, buf)).is_err() {
                        return;
                    }
                    k += threads;
                }
            });
        }
        drop(tx);
        let mut pending = std::collections::BTreeMap::new();
        let mut next = 0u64;
        for (k, buf) in rx.iter() {
            pending.insert(k, buf);
            while let Some(buf) = pending.remove(&next) {
                w.write_all(&buf).map_err(io)?;
                bytes += buf.len() as u64;
                next += 1;
                progress(next * CHUNK);
            }
        }
        Ok(())
    });
    written?;
    w.flush().map_err(io)?;
    let g =
        Generated { rows, communes: n, left_out: zone.left_out.clone(), seconds: start.elapsed().as_secs_f64(), bytes };
    Sidecar {
        generator: "mobpro".into(),
        seed,
        rows,
        method: format!(
            "modèle gravitaire sur les populations du paquet de référence et les distances entre centroïdes de {n} communes (pop_j·exp(−d/10 km) jusqu'à {NEAR_KM} km ; {:.0} % des actifs n'importe où dans leur partie de la France, selon la population) ; {} communes demandées sans position écartées",
            FAR_SHARE * 100.0,
            g.left_out.len()
        ),
    }
    .write(out)?;
    Ok(g)
}

/// Radius of the gravity model's neighbourhood, km.
const NEAR_KM: f64 = 50.0;
/// Share of workers drawn anywhere in their part of France.
const FAR_SHARE: f64 = 0.02;

/// Each origin's destinations within [`NEAR_KM`], with cumulative gravity weights.
struct Near {
    /// Origin `i`'s destinations are `dest[starts[i]..starts[i + 1]]`.
    starts: Vec<usize>,
    dest: Vec<u32>,
    cum: Vec<f32>,
    /// Distance to each destination, km.
    dist: Vec<f32>,
}

impl Near {
    fn new(zone: &Zone) -> Near {
        // A grid of cells about NEAR_KM wide: the neighbours of a commune are in its
        // cell's row and the rows beside, within two cells east and west; a local flat
        // projection discards most of them before the geodesic distance is computed.
        let cell = NEAR_KM / 111.0;
        let key = |(lon, lat): (f64, f64)| {
            ((lat / cell).floor() as i64, (lon * lat.to_radians().cos() / cell).floor() as i64)
        };
        let mut grid: std::collections::HashMap<(i64, i64), Vec<u32>> = std::collections::HashMap::new();
        for (j, c) in zone.communes.iter().enumerate() {
            grid.entry(key(c.2)).or_default().push(j as u32);
        }
        let n = zone.communes.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(8);
        let per = n.div_ceil(threads).max(1);
        // Each thread: (destinations, cumulative weights, distances, count per origin)
        // for a range of origins.
        type Part = (Vec<u32>, Vec<f32>, Vec<f32>, Vec<usize>);
        let parts: Vec<Part> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..n)
                .step_by(per)
                .map(|from| {
                    let grid = &grid;
                    scope.spawn(move || {
                        let (mut dest, mut cum, mut dist, mut counts) =
                            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
                        let mut found = Vec::new();
                        for i in from..(from + per).min(n) {
                            let a = &zone.communes[i];
                            let (row, col) = key(a.2);
                            found.clear();
                            for dr in -1..=1 {
                                for dc in -2..=2 {
                                    if let Some(v) = grid.get(&(row + dr, col + dc)) {
                                        found.extend(v.iter().copied());
                                    }
                                }
                            }
                            let cos = a.2.1.to_radians().cos();
                            let mut acc = 0.0f64;
                            let before = dest.len();
                            for &j in &found {
                                let b = &zone.communes[j as usize];
                                let (dx, dy) = ((b.2.0 - a.2.0) * cos * 111.3, (b.2.1 - a.2.1) * 111.1);
                                if dx * dx + dy * dy > 1.05 * NEAR_KM * NEAR_KM {
                                    continue;
                                }
                                let d = if j as usize == i { 1.0 } else { distance_km(a.2, b.2) };
                                if d > NEAR_KM {
                                    continue;
                                }
                                acc += b.1 * (-d / 10.0).exp() * if j as usize == i { 2.0 } else { 1.0 };
                                dest.push(j);
                                cum.push(acc as f32);
                                dist.push(d as f32);
                            }
                            counts.push(dest.len() - before);
                        }
                        (dest, cum, dist, counts)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("neighbour thread")).collect()
        });
        let mut near = Near { starts: vec![0], dest: Vec::new(), cum: Vec::new(), dist: Vec::new() };
        for (dest, cum, dist, counts) in parts {
            for c in counts {
                near.starts.push(near.starts[near.starts.len() - 1] + c);
            }
            near.dest.extend(dest);
            near.cum.extend(cum);
            near.dist.extend(dist);
        }
        near
    }
}

/// Destinations drawn anywhere in a part of France (métropole, or one DROM: a région
/// coded under 10), in proportion to population.
struct Far {
    /// Part of each commune of the zone.
    part: Vec<u32>,
    /// Per part: its communes and their cumulative populations.
    pools: Vec<(Vec<u32>, Vec<f64>)>,
}

impl Far {
    fn new(r: &Referential, zone: &Zone) -> Far {
        let mut parts: Vec<&str> = Vec::new();
        let mut far = Far { part: Vec::with_capacity(zone.communes.len()), pools: Vec::new() };
        for (j, c) in zone.communes.iter().enumerate() {
            let region = r.communes()[c.0 as usize].region.as_str();
            let part = if region.parse::<u32>().is_ok_and(|n| n < 10) { region } else { "metro" };
            let p = match parts.iter().position(|x| *x == part) {
                Some(p) => p,
                None => {
                    parts.push(part);
                    far.pools.push((Vec::new(), Vec::new()));
                    parts.len() - 1
                }
            };
            far.part.push(p as u32);
            let pool = &mut far.pools[p];
            let acc = pool.1.last().copied().unwrap_or(0.0) + c.1;
            pool.0.push(j as u32);
            pool.1.push(acc);
        }
        far
    }
}

/// Appends a positive decimal with 14 decimals, as INSEE writes IPONDI.
fn push_decimal(out: &mut Vec<u8>, v: f64) {
    let scaled = (v * 1e14).round() as u128;
    let (int, frac) = (scaled / 100_000_000_000_000, scaled % 100_000_000_000_000);
    let mut digits = [0u8; 40];
    let mut k = digits.len();
    let mut i = int;
    loop {
        k -= 1;
        digits[k] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[k..]);
    out.push(b'.');
    let mut f = frac;
    let mut frac_digits = [b'0'; 14];
    for d in frac_digits.iter_mut().rev() {
        *d = b'0' + (f % 10) as u8;
        f /= 10;
    }
    out.extend_from_slice(&frac_digits);
}

/// What each row is drawn from.
struct Ctx<'a> {
    zone: &'a Zone,
    near: &'a Near,
    far: &'a Far,
    origin_cum: &'a [f64],
    codes: &'a [&'a str],
    deps: &'a [&'a str],
    regs: &'a [&'a str],
    arms: &'a [Vec<&'a str>],
    mean_weight: f64,
}

impl Ctx<'_> {
    /// Appends `count` rows to `out`.
    fn rows(&self, rng: &mut Rng, count: u64, out: &mut Vec<u8>) {
        const AGES: [&[u8]; 8] = [b"15", b"20", b"25", b"30", b"40", b"50", b"55", b"65"];
        const EMPL: [&[u8]; 9] = [b"11", b"12", b"13", b"14", b"15", b"16", b"21", b"22", b"23"];
        const NA5: [&[u8]; 5] = [b"AZ", b"BE", b"FZ", b"GU", b"OQ"];
        for _ in 0..count {
            let i = rng.pick(self.origin_cum);
            let (j, d) = if rng.f64() < FAR_SHARE {
                let (communes, cum) = &self.far.pools[self.far.part[i] as usize];
                let j = communes[rng.pick(cum)] as usize;
                (j, if i == j { 1.0 } else { distance_km(self.zone.communes[i].2, self.zone.communes[j].2) })
            } else {
                let (from, to) = (self.near.starts[i], self.near.starts[i + 1]);
                let cum = &self.near.cum[from..to];
                let x = rng.f64() as f32 * cum[cum.len() - 1];
                let k = from + cum.partition_point(|&c| c <= x).min(cum.len() - 1);
                (self.near.dest[k] as usize, f64::from(self.near.dist[k]))
            };
            let trans: u8 = {
                let u = rng.f64();
                let (walk, bike, two, car) = if d < 2.0 {
                    (0.35, 0.08, 0.02, 0.40)
                } else if d < 10.0 {
                    (0.03, 0.04, 0.03, 0.75)
                } else {
                    (0.0, 0.01, 0.02, 0.80)
                };
                if u < 0.03 {
                    b'1'
                } else if u < 0.03 + walk {
                    b'2'
                } else if u < 0.03 + walk + bike {
                    b'3'
                } else if u < 0.03 + walk + bike + two {
                    b'4'
                } else if u < 0.03 + walk + bike + two + car {
                    b'5'
                } else {
                    b'6'
                }
            };
            let ilt = if i == j {
                b'1'
            } else if self.deps[i] == self.deps[j] {
                b'2'
            } else if self.regs[i] == self.regs[j] {
                b'3'
            } else {
                b'4'
            };
            let weight = self.mean_weight * (0.8 + 0.4 * rng.f64());
            out.extend_from_slice(self.codes[i].as_bytes());
            out.push(b';');
            if self.arms[i].is_empty() {
                out.extend_from_slice(b"ZZZZZ");
            } else {
                out.extend_from_slice(self.arms[i][rng.below(self.arms[i].len() as u64) as usize].as_bytes());
            }
            out.push(b';');
            let dclt = if i == j && !self.arms[j].is_empty() {
                self.arms[j][rng.below(self.arms[j].len() as u64) as usize]
            } else {
                self.codes[j]
            };
            out.extend_from_slice(dclt.as_bytes());
            out.push(b';');
            out.extend_from_slice(AGES[rng.below(8) as usize]);
            out.push(b';');
            out.push(b'1' + rng.below(6) as u8);
            out.push(b';');
            out.extend_from_slice(EMPL[rng.below(9) as usize]);
            out.push(b';');
            out.push(ilt);
            out.push(b';');
            out.push(if rng.f64() < 0.9 { b'1' } else { b'2' });
            out.push(b';');
            push_decimal(out, weight);
            out.push(b';');
            out.extend_from_slice(NA5[rng.below(5) as usize]);
            out.push(b';');
            out.push(b'1' + rng.below(2) as u8);
            out.push(b';');
            out.push(if rng.f64() < 0.82 { b'1' } else { b'2' });
            out.push(b';');
            out.push(trans);
            out.push(b';');
            out.push(b'1' + rng.below(3) as u8);
            out.push(b';');
            out.push(b'0' + rng.below(4) as u8);
            out.extend_from_slice(b"\r\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_as_insee_does() {
        let mut v = Vec::new();
        push_decimal(&mut v, 2.5);
        assert_eq!(v, b"2.50000000000000");
        v.clear();
        push_decimal(&mut v, 0.000_000_000_000_01);
        assert_eq!(v, b"0.00000000000001");
    }
}
