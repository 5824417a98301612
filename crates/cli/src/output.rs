//! Rendering evaluations as a text table (French number style), CSV or JSON.

use std::fmt::Write as _;

use clap::ValueEnum;
use echelle_indicators::{Evaluation, Value};
use serde_json::json;

#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// `1 194 040`, `12,3`: the way French reports write numbers.
pub fn french(value: f64, decimals: u8) -> String {
    let s = format!("{:.*}", decimals as usize, value.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), None), |(i, f)| (i, Some(f)));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push('\u{202f}');
        }
        grouped.push(c);
    }
    let sign = if value < 0.0 && s.chars().any(|c| c != '0' && c != '.') { "-" } else { "" };
    match frac {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A value as shown in a table: the number, or why there is none.
pub fn cell(v: &Value, decimals: u8) -> String {
    match v.value {
        Some(x) => french(x, decimals),
        None if v.units == 0 => "n/d (pas de donnée à ce niveau)".into(),
        None if v.covered < v.units => format!("n/d ({}/{} couverts)", v.covered, v.units),
        None => "n/d (dénominateur nul)".into(),
    }
}

/// Wide table: one row per territory, one column per indicator.
pub fn table(e: &Evaluation) -> String {
    let mut header = vec!["territoire".to_string(), "nom".to_string()];
    header.extend(e.indicators.iter().map(|d| format!("{} ({})", d.id, d.unit)));
    let mut rows = vec![header];
    for (t, (key, label)) in e.targets.iter().enumerate() {
        let mut row = vec![key.clone(), label.clone()];
        row.extend(e.indicators.iter().enumerate().map(|(i, d)| cell(&e.values[i][t], d.decimals)));
        rows.push(row);
    }
    let mut out = align(&rows);
    out.push_str(&sources(e));
    out
}

/// Columns padded to their widest cell; numbers right-aligned.
pub fn align(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let width: Vec<usize> =
        (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (n, row) in rows.iter().enumerate() {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = width[c].saturating_sub(s.chars().count());
                let numeric = n > 0 && s.starts_with(|ch: char| ch.is_ascii_digit() || ch == '-') && c >= 2;
                if numeric { format!("{}{s}", " ".repeat(pad)) } else { format!("{s}{}", " ".repeat(pad)) }
            })
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    out
}

/// The provenance lines printed under every table.
pub fn sources(e: &Evaluation) -> String {
    let mut out = String::from("\nSources:\n");
    for (d, (source, vintage, synthetic)) in e.indicators.iter().zip(&e.provenance) {
        let flag = if *synthetic { " [SYNTHETIC DATA]" } else { "" };
        let _ = writeln!(out, "  {} — {} ({}): {source}; millésime {vintage}{flag}", d.id, d.label, d.unit);
    }
    out
}

/// Long CSV: one line per territory and indicator, with unit and provenance.
pub fn csv(e: &Evaluation) -> String {
    let mut out = String::from("territory,name,indicator,value,unit,units,covered,source,vintage,synthetic\n");
    for (i, d) in e.indicators.iter().enumerate() {
        let (source, vintage, synthetic) = &e.provenance[i];
        for (t, (key, label)) in e.targets.iter().enumerate() {
            let v = &e.values[i][t];
            let value = v.value.map(|x| format!("{x}")).unwrap_or_default();
            let _ = writeln!(
                out,
                "{},{},{},{value},{},{},{},{},{},{synthetic}",
                quote(key),
                quote(label),
                d.id,
                quote(&d.unit),
                v.units,
                v.covered,
                quote(source),
                quote(vintage)
            );
        }
    }
    out
}

fn quote(s: &str) -> String {
    if s.contains([',', '"', '\n']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

pub fn json(e: &Evaluation) -> serde_json::Value {
    let values: Vec<serde_json::Value> = e
        .indicators
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            let (source, vintage, synthetic) = &e.provenance[i];
            e.targets.iter().enumerate().map(move |(t, (key, label))| {
                let v = &e.values[i][t];
                json!({
                    "territory": key, "name": label, "indicator": d.id, "label": d.label,
                    "value": v.value, "unit": d.unit, "units": v.units, "covered": v.covered,
                    "source": source, "vintage": vintage, "synthetic": synthetic,
                })
            })
        })
        .collect();
    json!({ "values": values })
}

pub fn print(e: &Evaluation, format: Format) {
    match format {
        Format::Table => print!("{}", table(e)),
        Format::Csv => print!("{}", csv(e)),
        Format::Json => println!("{}", serde_json::to_string_pretty(&json(e)).expect("serialisable")),
    }
}

#[cfg(test)]
mod tests {
    use super::french;

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(french(1_194_040.0, 0), "1\u{202f}194\u{202f}040");
        assert_eq!(french(12.345, 1), "12,3");
        assert_eq!(french(-0.04, 1), "0,0");
        assert_eq!(french(-1234.5, 1), "-1\u{202f}234,5");
    }
}
