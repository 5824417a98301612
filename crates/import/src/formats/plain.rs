//! A user's own commune-level table: the code column is found by its name (or
//! given), and each other column's type is inferred from its values, shown to the
//! user before anything is written.

use crate::codes::CodeRole;
use crate::decimal::{parse_f64, parse_i64};
use crate::error::{ImportError, Position};
use crate::plan::{ColumnPlan, Kind, Plan, is_missing_mark};
use crate::source::Row;

/// Header names taken for the commune code, in order of preference.
pub const CODE_NAMES: [&str; 9] =
    ["CODGEO", "CODE_INSEE", "INSEE_COM", "INSEE", "DEPCOM", "COM", "CODE_COMMUNE", "COG", "CODE"];

/// Finds the code column: the user's `key`, else the first known name.
pub fn code_column(file: &std::path::Path, header: &[String], key: Option<&str>) -> Result<usize, ImportError> {
    let up: Vec<String> = header.iter().map(|h| h.to_ascii_uppercase()).collect();
    if let Some(k) = key {
        return up.iter().position(|h| h.eq_ignore_ascii_case(k)).ok_or_else(|| {
            ImportError::data(
                Position::new(file, 1, 1, None),
                format!("no column '{k}' in the header ({})", header.join(", ")),
            )
        });
    }
    CODE_NAMES.iter().find_map(|n| up.iter().position(|h| h == n)).ok_or_else(|| {
        ImportError::data(
            Position::new(file, 1, 1, None),
            format!(
                "no commune code column: name it one of {} or pass --key (header: {})",
                CODE_NAMES.join(", "),
                header.join(", ")
            ),
        )
    })
}

/// Infers each column's type from sample rows: whole numbers, numbers (decimal
/// point or comma), else text. A value with a leading zero (`01001`) keeps its
/// column as text.
pub fn infer(header: &[String], sample: &[Row], code: usize) -> Plan {
    let columns = header
        .iter()
        .enumerate()
        .map(|(index, h)| {
            let name = h.to_ascii_uppercase();
            if index == code {
                return ColumnPlan { name, index, kind: Kind::Code(CodeRole::Commune), required: true };
            }
            let values = sample.iter().map(|r| r.get(index).trim()).filter(|v| !is_missing_mark(v));
            let (mut int, mut float, mut any) = (true, true, false);
            for v in values {
                any = true;
                let leading_zero = v.len() > 1 && v.starts_with('0') && !v.starts_with("0.") && !v.starts_with("0,");
                int &= !leading_zero && parse_i64(v).is_ok();
                float &= !leading_zero && parse_f64(v).is_ok();
            }
            let kind = match (any, int, float) {
                (true, true, _) => Kind::Int,
                (true, false, true) => Kind::Float,
                _ => Kind::Text,
            };
            ColumnPlan { name, index, kind, required: false }
        })
        .collect();
    Plan { columns, derived: Vec::new() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_inferred() {
        let header: Vec<String> = ["code", "n", "rate", "label", "zip"].iter().map(|s| s.to_string()).collect();
        let rows = vec![
            Row::from_fields(2, ["01001", "12", "1,5", "a", "01400"].iter().map(|s| s.to_string()).collect()),
            Row::from_fields(3, ["2A004", "", "s", "b", "20000"].iter().map(|s| s.to_string()).collect()),
        ];
        let code = code_column(std::path::Path::new("f"), &header, None).unwrap();
        let plan = infer(&header, &rows, code);
        let kinds: Vec<Kind> = plan.columns.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, vec![Kind::Code(CodeRole::Commune), Kind::Int, Kind::Float, Kind::Text, Kind::Text]);
        assert!(code_column(std::path::Path::new("f"), &header[1..], None).is_err());
    }
}
