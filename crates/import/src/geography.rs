//! Moving a commune-level table of an older geography onto the reference pack's.
//!
//! Rows whose code is a former, delegated or associated commune are merged into
//! their commune actuelle; a former commune since split between several communes is
//! shared among them in proportion to their population (the pack's populations;
//! INSEE's correspondence table gives the codes, not the shares). Counts (columns
//! declared additive) are summed; medians, rates and other non-additive values
//! cannot be recomputed from parts, so a commune made of several source rows gets
//! none, and the report says which.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Builder, Float64Builder, Int64Builder, RecordBatch, StringBuilder,
};
use arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type};

use crate::codes::{CodeRole, Codes, Resolved};
use crate::error::ImportError;
use crate::plan::cur_name;

/// What moving did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Relocation {
    /// Communes actuelles made of several rows: (commune, source codes).
    pub merged: Vec<(String, Vec<String>)>,
    /// Former codes shared among several communes: (code, communes).
    pub split: Vec<(String, Vec<String>)>,
    /// Values that could not be moved: "column X of commune Y (from a+b)".
    pub not_movable: Vec<String>,
}

impl Relocation {
    /// Whether the file was already on the current geography.
    pub fn is_empty(&self) -> bool {
        self.merged.is_empty() && self.split.is_empty() && self.not_movable.is_empty()
    }
}

/// Moves `batch` (keyed by code column `key`, with its `_CUR` column) onto the
/// current geography: one row per commune actuelle.
pub fn relocate(
    batch: &RecordBatch,
    key: &str,
    additive: &HashSet<String>,
    codes: &mut Codes<'_>,
) -> Result<(RecordBatch, Relocation), ImportError> {
    let internal = |m: String| ImportError::Usage(format!("internal: {m}"));
    let keys =
        batch.column_by_name(key).ok_or_else(|| internal(format!("no column {key}")))?.as_string::<i32>().clone();
    let r = codes.referential();
    let mut groups: BTreeMap<u32, Vec<(usize, f64)>> = BTreeMap::new();
    let mut report = Relocation::default();
    for row in 0..batch.num_rows() {
        if keys.is_null(row) {
            continue;
        }
        let code = keys.value(row);
        match codes.resolve(code, CodeRole::Commune).map_err(internal)? {
            Resolved::Current(i) | Resolved::Moved(i) => groups.entry(i).or_default().push((row, 1.0)),
            Resolved::Split(targets) => {
                let pops: Vec<f64> =
                    targets.iter().map(|&t| r.communes()[t as usize].population.unwrap_or(0) as f64).collect();
                let total: f64 = pops.iter().sum();
                for (&t, p) in targets.iter().zip(&pops) {
                    let w = if total > 0.0 { p / total } else { 1.0 / targets.len() as f64 };
                    groups.entry(t).or_default().push((row, w));
                }
                report.split.push((code.to_string(), targets.iter().map(|&t| codes.code_of(t).to_string()).collect()));
            }
            Resolved::Outside => {}
        }
    }
    let cur = cur_name(key);
    let schema = batch.schema();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let label = |g: &[(usize, f64)]| g.iter().map(|(row, _)| keys.value(*row)).collect::<Vec<_>>().join("+");
    for (ci, field) in schema.fields().iter().enumerate() {
        let name = field.name();
        let col = batch.column(ci);
        let single = |g: &[(usize, f64)]| g.len() == 1 && g[0].1 == 1.0;
        let refuse = |target: u32, g: &[(usize, f64)], report: &mut Relocation| {
            report.not_movable.push(format!("{name} of commune {} (from {})", codes.code_of(target), label(g)));
        };
        let array: ArrayRef = if name == key {
            let mut b = StringBuilder::new();
            for g in groups.values() {
                b.append_value(label(g));
            }
            Arc::new(b.finish())
        } else if *name == cur {
            let mut b = StringBuilder::new();
            for &t in groups.keys() {
                b.append_value(codes.code_of(t));
            }
            Arc::new(b.finish())
        } else {
            match field.data_type() {
                DataType::Utf8 => {
                    let a = col.as_string::<i32>();
                    let mut b = StringBuilder::new();
                    for g in groups.values() {
                        let first = a.is_valid(g[0].0).then(|| a.value(g[0].0));
                        let same = g.iter().all(|(row, _)| a.is_valid(*row).then(|| a.value(*row)) == first);
                        b.append_option(if same { first } else { None });
                    }
                    Arc::new(b.finish())
                }
                DataType::Float64 => {
                    let a = col.as_primitive::<Float64Type>();
                    let mut b = Float64Builder::new();
                    for (&t, g) in &groups {
                        let v = if single(g) {
                            a.is_valid(g[0].0).then(|| a.value(g[0].0))
                        } else if additive.contains(name) {
                            g.iter().map(|(row, w)| a.is_valid(*row).then(|| a.value(*row) * w)).sum::<Option<f64>>()
                        } else {
                            refuse(t, g, &mut report);
                            None
                        };
                        b.append_option(v);
                    }
                    Arc::new(b.finish())
                }
                DataType::Int64 => {
                    let a = col.as_primitive::<Int64Type>();
                    let mut b = Int64Builder::new();
                    for (&t, g) in &groups {
                        let v = if single(g) {
                            a.is_valid(g[0].0).then(|| a.value(g[0].0))
                        } else if additive.contains(name) {
                            g.iter()
                                .map(|(row, w)| a.is_valid(*row).then(|| (a.value(*row) as f64 * w).round() as i64))
                                .sum::<Option<i64>>()
                        } else {
                            refuse(t, g, &mut report);
                            None
                        };
                        b.append_option(v);
                    }
                    Arc::new(b.finish())
                }
                DataType::Decimal128(p, s) => {
                    let a = col.as_primitive::<Decimal128Type>();
                    let mut b = Decimal128Builder::new();
                    for (&t, g) in &groups {
                        let v = if single(g) {
                            a.is_valid(g[0].0).then(|| a.value(g[0].0))
                        } else if additive.contains(name) {
                            g.iter()
                                .map(|(row, w)| {
                                    a.is_valid(*row).then(|| {
                                        if *w == 1.0 {
                                            a.value(*row)
                                        } else {
                                            (a.value(*row) as f64 * w).round() as i128
                                        }
                                    })
                                })
                                .sum::<Option<i128>>()
                        } else {
                            refuse(t, g, &mut report);
                            None
                        };
                        b.append_option(v);
                    }
                    Arc::new(b.finish().with_precision_and_scale(*p, *s).map_err(|e| internal(e.to_string()))?)
                }
                other => {
                    return Err(internal(format!("column {name} of type {other} cannot be moved")));
                }
            }
        };
        arrays.push(array);
    }
    for (&t, g) in &groups {
        if g.len() > 1 {
            report
                .merged
                .push((codes.code_of(t).to_string(), g.iter().map(|(row, _)| keys.value(*row).to_string()).collect()));
        }
    }
    let out = RecordBatch::try_new(schema, arrays).map_err(|e| internal(e.to_string()))?;
    Ok((out, report))
}
