//! The census counts at IRIS level, moved onto the current communes.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Int64Type};

use super::cog::Cog;
use crate::{StoreError, read_parquet};

/// The count columns kept from `iris_2021.parquet`.
pub(crate) const COUNTS: [&str; 11] = [
    "pop",
    "pop_0_19",
    "pop_20_64",
    "pop_65p",
    "logements",
    "res_principales",
    "res_secondaires",
    "logements_vacants",
    "maisons",
    "appartements",
    "rp_en_appartement",
];

pub(crate) struct IrisTable {
    pub batch: RecordBatch,
    pub unmapped: Vec<(String, String)>,
}

/// Reads the IRIS file and attaches each IRIS to its commune actuelle: directly, via
/// its arrondissement municipal, or via the former code of a merged commune.
pub(crate) fn read(path: &Path, cog: &Cog, index: &HashMap<&str, usize>) -> Result<IrisTable, StoreError> {
    let batch = read_parquet(path)?;
    let text = |name: &str| -> Result<StringArray, StoreError> {
        let col = batch.column_by_name(name).ok_or_else(|| StoreError::source(path, format!("no column '{name}'")))?;
        let col = arrow::compute::cast(col, &DataType::Utf8).map_err(|e| StoreError::source(path, e.to_string()))?;
        Ok(col.as_string::<i32>().clone())
    };
    let (codes, coms, types, labels) = (text("iris")?, text("com")?, text("typ_iris")?, text("lab_iris")?);
    let mut parent: HashMap<&str, &str> = HashMap::new();
    for c in &cog.communes {
        if c.kind == "arrondissement-municipal"
            && let Some(p) = &c.commune
        {
            parent.insert(&c.code, p);
        }
    }
    let former = cog.former_codes();
    let mut successor: HashMap<&str, Vec<&str>> = HashMap::new();
    for (old, new) in &former {
        successor.entry(old.as_str()).or_default().push(new.as_str());
    }
    let names: HashMap<&str, &str> = cog
        .communes
        .iter()
        .filter(|c| c.kind == "commune-actuelle")
        .map(|c| (c.code.as_str(), c.nom.as_str()))
        .collect();

    let mut keep = Vec::with_capacity(batch.num_rows());
    let mut commune = Vec::with_capacity(batch.num_rows());
    let mut name = Vec::with_capacity(batch.num_rows());
    let mut unmapped = Vec::new();
    for row in 0..batch.num_rows() {
        let com = coms.value(row);
        let current = if index.contains_key(com) {
            Some(com)
        } else if let Some(p) = parent.get(com) {
            Some(*p)
        } else {
            match successor.get(com).map(Vec::as_slice) {
                Some([one]) => Some(*one),
                _ => None,
            }
        };
        let Some(current) = current.filter(|c| index.contains_key(c)) else {
            unmapped.push((codes.value(row).to_string(), com.to_string()));
            continue;
        };
        keep.push(row as u32);
        commune.push(current.to_string());
        let base = names.get(current).copied().unwrap_or(current);
        name.push(if types.value(row) == "Z" {
            base.to_string()
        } else {
            format!("{base} – IRIS {} ({})", codes.value(row).get(5..).unwrap_or_default(), labels.value(row))
        });
    }
    let take = arrow::array::UInt32Array::from(keep);
    let pick =
        |a: &dyn Array| arrow::compute::take(a, &take, None).map_err(|e| StoreError::source(path, e.to_string()));
    let mut columns: Vec<(&str, ArrayRef)> = vec![
        ("iris", pick(&codes)?),
        ("name", Arc::new(StringArray::from(name))),
        ("commune", Arc::new(StringArray::from(commune))),
        ("com_published", pick(&coms)?),
        ("typ_iris", pick(&types)?),
    ];
    for c in COUNTS {
        let col = batch.column_by_name(c).ok_or_else(|| StoreError::source(path, format!("no column '{c}'")))?;
        let col = arrow::compute::cast(col, &DataType::Int64).map_err(|e| StoreError::source(path, e.to_string()))?;
        debug_assert!(col.as_primitive_opt::<Int64Type>().is_some());
        columns.push((c, pick(&col)?));
    }
    let batch = RecordBatch::try_from_iter(columns).map_err(|e| StoreError::source(path, e.to_string()))?;
    Ok(IrisTable { batch, unmapped })
}
