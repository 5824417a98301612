//! Indicator declarations.
//!
//! ```toml
//! [[indicator]]
//! id = "vacancy_rate"
//! label = "Taux de logements vacants"
//! unit = "%"
//! dataset = "iris_2021"
//! aggregate = "ratio"              # sum | ratio | weighted-mean | count | none
//! numerator = "logements_vacants"
//! denominator = "logements"
//! scale = 100
//! ```

use serde::Deserialize;
use toml::Spanned;

use crate::IndicatorError;

/// How values add up from the dataset's units to a territory.
#[derive(Debug, Clone, PartialEq)]
pub enum Aggregate {
    /// A count or a quantity: sums.
    Sum { value: String },
    /// Rates, shares, densities: `scale × Σ numerator / Σ denominator`.
    Ratio { numerator: String, denominator: String, scale: f64 },
    /// `Σ value × weight / Σ weight`.
    WeightedMean { value: String, weight: String },
    /// The number of units (communes or IRIS) with a row in the dataset.
    Count,
    /// Not summable (a median, a rank): only shown for the dataset's own units.
    None { value: String, why: String },
}

impl Aggregate {
    /// The dataset columns it reads.
    pub fn columns(&self) -> Vec<&str> {
        match self {
            Aggregate::Sum { value } | Aggregate::None { value, .. } => vec![value],
            Aggregate::Ratio { numerator, denominator, .. } => vec![numerator, denominator],
            Aggregate::WeightedMean { value, weight } => vec![value, weight],
            Aggregate::Count => vec![],
        }
    }
}

/// One declared indicator.
#[derive(Debug, Clone, PartialEq)]
pub struct IndicatorDef {
    pub id: String,
    pub label: String,
    pub unit: String,
    pub theme: String,
    pub dataset: String,
    pub aggregate: Aggregate,
    /// Overrides the dataset's source when the indicator reads only part of it.
    pub source: Option<String>,
    pub vintage: Option<String>,
    pub decimals: u8,
    /// Shown in portraits.
    pub key: bool,
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct RawCatalog {
    indicator: Vec<Spanned<RawIndicator>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    id: String,
    label: String,
    unit: String,
    #[serde(default)]
    theme: Option<String>,
    dataset: String,
    aggregate: String,
    value: Option<String>,
    numerator: Option<String>,
    denominator: Option<String>,
    scale: Option<f64>,
    weight: Option<String>,
    why: Option<String>,
    source: Option<String>,
    vintage: Option<String>,
    #[serde(default)]
    decimals: u8,
    #[serde(default)]
    key: bool,
    description: Option<String>,
}

/// Parses a catalog file of `[[indicator]]` tables; `origin` names it in errors.
pub fn parse_catalog(origin: &str, text: &str) -> Result<Vec<IndicatorDef>, IndicatorError> {
    let at = |offset: usize, message: String| {
        let before = &text[..offset.min(text.len())];
        IndicatorError::Declaration {
            origin: origin.into(),
            line: before.matches('\n').count() + 1,
            column: before.chars().rev().take_while(|&c| c != '\n').count() + 1,
            message,
        }
    };
    let raw: RawCatalog =
        toml::from_str(text).map_err(|e| at(e.span().map_or(0, |s| s.start), e.message().trim().to_string()))?;
    let mut out: Vec<IndicatorDef> = Vec::new();
    for spanned in raw.indicator {
        let start = spanned.span().start;
        let r = spanned.into_inner();
        let need = |field: &Option<String>, name: &str| {
            field
                .clone()
                .ok_or_else(|| at(start, format!("indicator '{}': aggregate '{}' needs '{name}'", r.id, r.aggregate)))
        };
        let aggregate = match r.aggregate.as_str() {
            "sum" => Aggregate::Sum { value: need(&r.value, "value")? },
            "ratio" => Aggregate::Ratio {
                numerator: need(&r.numerator, "numerator")?,
                denominator: need(&r.denominator, "denominator")?,
                scale: r.scale.unwrap_or(1.0),
            },
            "weighted-mean" => {
                Aggregate::WeightedMean { value: need(&r.value, "value")?, weight: need(&r.weight, "weight")? }
            }
            "count" => Aggregate::Count,
            "none" => Aggregate::None {
                value: need(&r.value, "value")?,
                why: r.why.clone().unwrap_or_else(|| "this value is not summable".into()),
            },
            other => {
                return Err(at(
                    start,
                    format!(
                        "indicator '{}': unknown aggregate '{other}' (sum, ratio, weighted-mean, count, none)",
                        r.id
                    ),
                ));
            }
        };
        if out.iter().any(|d| d.id == r.id) {
            return Err(at(start, format!("indicator '{}' is declared twice", r.id)));
        }
        out.push(IndicatorDef {
            theme: r.theme.unwrap_or_else(|| "général".into()),
            id: r.id,
            label: r.label,
            unit: r.unit,
            dataset: r.dataset,
            aggregate,
            source: r.source,
            vintage: r.vintage,
            decimals: r.decimals,
            key: r.key,
            description: r.description,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_syntax_error_points_at_its_line() {
        let err = parse_catalog("x.toml", "[[indicator]]\nid = \"a\"\nlabel = \n").unwrap_err().to_string();
        assert!(err.starts_with("x.toml:3:"), "{err}");
    }

    #[test]
    fn a_ratio_without_denominator_is_refused() {
        let text = "[[indicator]]\nid='r'\nlabel='R'\nunit='%'\ndataset='d'\naggregate='ratio'\nnumerator='a'\n";
        let err = parse_catalog("c.toml", text).unwrap_err().to_string();
        assert!(err.contains("needs 'denominator'"), "{err}");
    }

    #[test]
    fn the_shipped_catalog_parses() {
        let defs = parse_catalog(crate::SHIPPED_INDICATORS.0, crate::SHIPPED_INDICATORS.1).unwrap();
        assert!(defs.len() >= 20, "{} indicators", defs.len());
    }
}
