//! Rendering evaluations as a text table (French number style), CSV, JSON or XLSX.
//! Files are written by `echelle-report` (CSV quoting and formula guard, XLSX).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Result;
use clap::ValueEnum;
use echelle_indicators::{Evaluation, Value};
use echelle_report::csv::{Dialect, Writer as CsvWriter};
pub use echelle_report::french;
use echelle_report::{Cell, ColumnInfo, Date, SECRET_MARK, Table, xlsx};
use serde_json::json;

use crate::commands::UserError;

/// Output of the commands printing streams of rows.
#[derive(Clone, Copy, Debug, Default, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
}

/// Output of the evaluation commands (`eval`, `compare`, `portrait`): a stream, or an
/// XLSX workbook written to `--out`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    #[default]
    Table,
    Csv,
    Json,
    Xlsx,
}

/// Where and how an evaluation is written: `--format` and `--out`.
#[derive(clap::Args, Debug, Clone)]
pub struct Destination {
    #[arg(long, value_enum, default_value_t)]
    pub format: EvalFormat,
    /// Write to this file instead of the standard output (required for xlsx).
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// A value as shown in a table: the number, or why there is none.
pub fn cell(v: &Value, decimals: u8) -> String {
    match v.value {
        Some(x) => french(x, decimals),
        None if v.secret => "secret (secret statistique du jeu)".into(),
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

/// Long CSV: one line per territory and indicator, with unit and provenance, written
/// through `echelle_report::csv` (quoting, CR/LF, formula guard).
pub fn csv(e: &Evaluation, out: impl std::io::Write) -> std::io::Result<()> {
    let mut w = CsvWriter::new(out, Dialect::Plain)?;
    w.texts([
        "territory",
        "name",
        "indicator",
        "value",
        "secret",
        "unit",
        "units",
        "covered",
        "source",
        "vintage",
        "synthetic",
    ])?;
    for (i, d) in e.indicators.iter().enumerate() {
        let (source, vintage, synthetic) = &e.provenance[i];
        for (t, (key, label)) in e.targets.iter().enumerate() {
            let v = &e.values[i][t];
            w.cells(&[
                Cell::Text(key.clone()),
                Cell::Text(label.clone()),
                Cell::Text(d.id.clone()),
                v.value.map_or(Cell::Empty, Cell::Number),
                Cell::Text(v.secret.to_string()),
                Cell::Text(d.unit.clone()),
                Cell::Number(v.units as f64),
                Cell::Number(v.covered as f64),
                Cell::Text(source.clone()),
                Cell::Text(vintage.clone()),
                Cell::Text(synthetic.to_string()),
            ])?;
        }
    }
    w.finish()?.flush()
}

/// Wide table for spreadsheets: one row per territory, one column per indicator with
/// its unit, decimals, source and vintage (the XLSX "Sources" sheet).
pub fn evaluation_table(e: &Evaluation, title: &str) -> Table {
    let mut columns = vec!["Territoire".to_string(), "Nom".to_string()];
    let mut info = vec![ColumnInfo::default(), ColumnInfo::default()];
    let mut sources: Vec<String> = Vec::new();
    for (d, (source, vintage, synthetic)) in e.indicators.iter().zip(&e.provenance) {
        columns.push(format!("{} ({})", d.label, d.unit));
        let source = if *synthetic { format!("{source} (données synthétiques)") } else { source.clone() };
        let line = format!("{source}, {vintage}");
        if !sources.contains(&line) {
            sources.push(line);
        }
        info.push(ColumnInfo {
            unit: Some(d.unit.clone()),
            decimals: Some(d.decimals),
            source: Some(source),
            vintage: Some(vintage.clone()),
        });
    }
    let rows = e
        .targets
        .iter()
        .enumerate()
        .map(|(t, (key, label))| {
            let mut row = vec![Cell::Text(key.clone()), Cell::Text(label.clone())];
            row.extend(e.values.iter().map(|v| match &v[t] {
                Value { value: Some(x), .. } => Cell::Number(*x),
                Value { secret: true, .. } => Cell::Text(SECRET_MARK.into()),
                _ => Cell::Empty,
            }));
            row
        })
        .collect();
    Table { title: title.to_string(), source: sources.join(" ; "), columns, info, rows }
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
                    "value": v.value, "secret": v.secret, "unit": d.unit, "units": v.units, "covered": v.covered,
                    "source": source, "vintage": vintage, "synthetic": synthetic,
                })
            })
        })
        .collect();
    json!({ "values": values })
}

/// Bytes to the file named by `--out`, or to the standard output.
pub fn emit(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| UserError(format!("{}: {e}", path.display())))?;
            eprintln!("{} written ({} bytes)", path.display(), bytes.len());
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
                // The reader went away (`| head`): end quietly, as `cat` does.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                r => r?,
            }
        }
    }
    Ok(())
}

/// Writes an evaluation as asked; `text` is its text-table layout.
pub fn write(e: &Evaluation, to: &Destination, title: &str, text: impl FnOnce() -> String) -> Result<()> {
    let bytes = match to.format {
        EvalFormat::Table => text().into_bytes(),
        EvalFormat::Csv => {
            let mut bytes = Vec::new();
            csv(e, &mut bytes)?;
            bytes
        }
        EvalFormat::Json => {
            let mut s = serde_json::to_string_pretty(&json(e)).expect("serialisable");
            s.push('\n');
            s.into_bytes()
        }
        EvalFormat::Xlsx => {
            if to.out.is_none() {
                return Err(UserError("--format xlsx writes a file: name it with --out FILE.xlsx".into()).into());
            }
            xlsx::write(&evaluation_table(e, title), Date::today()).map_err(|e| UserError(e.to_string()))?
        }
    };
    emit(to.out.as_deref(), &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use echelle_indicators::parse_catalog;
    use echelle_report::number;

    fn evaluation() -> Evaluation {
        let catalog = "[[indicator]]\nid = \"population\"\nlabel = \"Population\"\nunit = \"habitants\"\n\
                       dataset = \"communes\"\naggregate = \"sum\"\nvalue = \"population\"\n";
        Evaluation {
            targets: vec![
                ("per:x".into(), "=HYPERLINK(\"http://x\")".into()),
                ("per:y".into(), "Lens, \"centre\"".into()),
            ],
            indicators: parse_catalog("test", catalog).unwrap(),
            values: vec![vec![
                Value { value: Some(1200.0), units: 2, covered: 2, secret: false },
                Value { value: None, units: 3, covered: 1, secret: false },
            ]],
            provenance: vec![("Insee, RP".into(), "2021".into(), false)],
        }
    }

    #[test]
    fn numbers_are_written_the_french_way() {
        assert_eq!(french(1_194_040.0, 0), "1\u{202f}194\u{202f}040");
    }

    #[test]
    fn csv_cells_are_quoted_and_guarded() {
        let mut bytes = Vec::new();
        csv(&evaluation(), &mut bytes).unwrap();
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            "territory,name,indicator,value,secret,unit,units,covered,source,vintage,synthetic\r\n\
             per:x,\"'=HYPERLINK(\"\"http://x\"\")\",population,1200,false,habitants,2,2,\"Insee, RP\",2021,false\r\n\
             per:y,\"Lens, \"\"centre\"\"\",population,,false,habitants,3,1,\"Insee, RP\",2021,false\r\n"
        );
    }

    #[test]
    fn spreadsheet_table_has_one_column_per_indicator() {
        let t = evaluation_table(&evaluation(), "Indicateurs");
        assert_eq!(t.columns, ["Territoire", "Nom", "Population (habitants)"]);
        assert_eq!(t.rows[0][1], Cell::Text("=HYPERLINK(\"http://x\")".into()));
        assert_eq!(t.rows[1][2], Cell::Empty);
        assert_eq!(t.info[2].decimals, Some(0));
        assert_eq!(t.source, "Insee, RP, 2021");
        assert_eq!(number(1200.0), "1200");
    }
}
