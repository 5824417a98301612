//! Loading the territories of a pack into memory.

use std::path::{Path, PathBuf};

use arrow::array::{Array, AsArray, RecordBatch};
use arrow::datatypes::Int64Type;
use echelle_referential::referential::UnitInfo;
use echelle_referential::{Commune, Layer, Referential, SubCommune, SubCommuneKind};

use crate::{StoreError, read_parquet};

pub(crate) fn referential(pack: &Path) -> Result<Referential, StoreError> {
    Ok(referential_with(pack, &[])?.0)
}

/// A file decoded by [`referential_with`] besides the pack's own.
pub(crate) type Decoded = Result<RecordBatch, StoreError>;

/// The territories of a pack, and the Parquet files `files` decoded at the same
/// time; a file of the pack among them (its communes and IRIS are datasets too) is
/// decoded once for both.
pub(crate) fn referential_with(pack: &Path, files: &[PathBuf]) -> Result<(Referential, Vec<Decoded>), StoreError> {
    const PACK: [&str; 5] = ["communes", "units", "sub_communes", "former_codes", "iris"];
    let pack_files = PACK.map(|name| pack.join(format!("{name}.parquet")));
    // The five files (and the others) at once: opening a store is the first thing
    // every command and the server's start do, and each file's decoding is independent.
    let (pack_batches, others) = std::thread::scope(|scope| {
        let pack_batches = pack_files.each_ref().map(|path| scope.spawn(move || read_parquet(path)));
        let others: Vec<_> = files
            .iter()
            .map(|path| (!pack_files.contains(path)).then(|| scope.spawn(move || read_parquet(path))))
            .collect();
        let join = |h: std::thread::ScopedJoinHandle<'_, Decoded>| h.join().expect("reading a file does not panic");
        (pack_batches.map(join), others.into_iter().map(|h| h.map(join)).collect::<Vec<_>>())
    });
    let shared = |path: &PathBuf| -> Decoded {
        let i = pack_files.iter().position(|p| p == path).expect("not read apart: a pack file");
        pack_batches[i]
            .as_ref()
            .cloned()
            .map_err(|e| StoreError::Parquet { path: path.clone(), message: e.to_string() })
    };
    let decoded: Vec<Decoded> =
        files.iter().zip(others).map(|(path, other)| other.unwrap_or_else(|| shared(path))).collect();
    let [communes, units, subs, former, iris] = pack_batches;
    let communes = communes?;
    let c = Columns(&communes, pack.join("communes.parquet"));
    let (mut code, mut name, mut dep, mut reg, mut arr, mut epci) = (
        c.text("code")?,
        c.text("name")?,
        c.text("departement")?,
        c.text("region")?,
        c.text("arrondissement")?,
        c.text("epci")?,
    );
    let zone = c.text("zone")?;
    let population = c.int("population")?;
    let population_dgcl = c.int("population_dgcl")?;
    let communes: Vec<Commune> = (0..communes.num_rows())
        .map(|i| Commune {
            code: code[i].take().unwrap_or_default(),
            name: name[i].take().unwrap_or_default(),
            departement: dep[i].take().unwrap_or_default(),
            region: reg[i].take().unwrap_or_default(),
            arrondissement: arr[i].take(),
            in_france: zone[i].as_deref() != Some("com"),
            epci: epci[i].take(),
            population: population[i].map(|p| p as u64),
            population_dgcl: population_dgcl[i].map(|p| p as u64),
        })
        .collect();

    let units = units?;
    let u = Columns(&units, pack.join("units.parquet"));
    let (layer, code, name, kind) = (u.text("layer")?, u.text("code")?, u.text("name")?, u.text("kind")?);
    let units = (0..units.num_rows())
        .map(|i| {
            Ok(UnitInfo {
                layer: layer[i].as_deref().unwrap_or_default().parse::<Layer>()?,
                code: code[i].clone().unwrap_or_default(),
                name: name[i].clone().unwrap_or_default(),
                kind: kind[i].clone(),
            })
        })
        .collect::<Result<Vec<_>, echelle_referential::Error>>()?;

    let subs = subs?;
    let s = Columns(&subs, pack.join("sub_communes.parquet"));
    let (code, name, kind, commune) = (s.text("code")?, s.text("name")?, s.text("kind")?, s.text("commune")?);
    let subs = (0..subs.num_rows())
        .map(|i| SubCommune {
            code: code[i].clone().unwrap_or_default(),
            name: name[i].clone().unwrap_or_default(),
            kind: match kind[i].as_deref() {
                Some("deleguee") => SubCommuneKind::Deleguee,
                Some("associee") => SubCommuneKind::Associee,
                _ => SubCommuneKind::ArrondissementMunicipal,
            },
            commune: commune[i].clone().unwrap_or_default(),
        })
        .collect();

    let former = former?;
    let f = Columns(&former, pack.join("former_codes.parquet"));
    let former = f.text("former")?.into_iter().zip(f.text("current")?).filter_map(|(a, b)| Some((a?, b?))).collect();

    let iris = iris?;
    let i = Columns(&iris, pack.join("iris.parquet"));
    let iris = i
        .text("iris")?
        .into_iter()
        .zip(i.text("name")?)
        .zip(i.text("commune")?)
        .filter_map(|((a, b), c)| Some((a?, b?, c?)))
        .collect();
    Ok((Referential::new(communes, units, subs, former, iris)?, decoded))
}

struct Columns<'a>(&'a RecordBatch, std::path::PathBuf);

impl Columns<'_> {
    fn column(&self, name: &str) -> Result<&dyn Array, StoreError> {
        self.0
            .column_by_name(name)
            .map(|c| c.as_ref())
            .ok_or_else(|| StoreError::Parquet { path: self.1.clone(), message: format!("no column '{name}'") })
    }

    fn text(&self, name: &str) -> Result<Vec<Option<String>>, StoreError> {
        let col = self.column(name)?;
        let col = col.as_string_opt::<i32>().ok_or_else(|| StoreError::Parquet {
            path: self.1.clone(),
            message: format!("column '{name}' is not text"),
        })?;
        Ok(col.iter().map(|v| v.map(str::to_string)).collect())
    }

    fn int(&self, name: &str) -> Result<Vec<Option<i64>>, StoreError> {
        let col = self.column(name)?;
        let col = col.as_primitive_opt::<Int64Type>().ok_or_else(|| StoreError::Parquet {
            path: self.1.clone(),
            message: format!("column '{name}' is not a 64-bit integer"),
        })?;
        Ok(col.iter().collect())
    }
}
