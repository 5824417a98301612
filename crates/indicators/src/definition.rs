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
    Sum {
        /// The column summed.
        value: String,
    },
    /// Rates, shares, densities: `scale × Σ numerator / Σ denominator`.
    Ratio {
        /// The column summed above the line.
        numerator: String,
        /// The column summed below the line.
        denominator: String,
        /// 100 for a percentage, 1,000 for a rate per thousand, 1 for a plain ratio.
        scale: f64,
    },
    /// `Σ value × weight / Σ weight`.
    WeightedMean {
        /// The column averaged.
        value: String,
        /// The column weighting each unit (households, population…).
        weight: String,
    },
    /// The number of units (communes or IRIS) with a row in the dataset.
    Count,
    /// Not summable (a median, a rank): only shown for the dataset's own units.
    None {
        /// The column shown as it is.
        value: String,
        /// Why it does not add up, shown when a larger territory is asked.
        why: String,
    },
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
    /// The name users and URLs give it (`vacancy_rate`).
    pub id: String,
    /// The French label shown in tables and legends.
    pub label: String,
    /// The unit shown beside values (`%`, `€`, `hab.`).
    pub unit: String,
    /// The theme it is listed under (« général » when the declaration names none).
    pub theme: String,
    /// The id of the dataset it reads.
    pub dataset: String,
    /// How it adds up from the dataset's units to a territory.
    pub aggregate: Aggregate,
    /// Overrides the dataset's source when the indicator reads only part of it.
    pub source: Option<String>,
    /// Overrides the dataset's millésime, as `source` does its source.
    pub vintage: Option<String>,
    /// Decimals shown; values are computed and exported unrounded.
    pub decimals: u8,
    /// Shown in portraits.
    pub key: bool,
    /// What it measures and its caveats, for the indicator's help.
    pub description: Option<String>,
    /// For a sum or a ratio's denominator: a 0/1 column of the dataset, 1 for a unit
    /// whose quantity is counted in another unit's (a commune re-established since the
    /// contours' vintage, whose land is still in its former commune nouvelle's shape).
    /// Such a unit without a value does not make a territory's sum incomplete; alone,
    /// it still has none.
    pub counted_elsewhere: Option<String>,
    /// Who may see it, when declared (`visibility = { kind = "public" }`); otherwise
    /// that of its dataset ([`echelle_platform::indicator_visibility`]).
    pub visibility: Option<echelle_platform::Visibility>,
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
    counted_elsewhere: Option<String>,
    visibility: Option<echelle_platform::Visibility>,
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
        if r.counted_elsewhere.is_some() && !matches!(aggregate, Aggregate::Sum { .. } | Aggregate::Ratio { .. }) {
            return Err(at(start, format!("indicator '{}': 'counted_elsewhere' is for sums and ratios", r.id)));
        }
        if let Some(o) = r.visibility.as_ref().and_then(|v| v.owner()).filter(|o| !echelle_platform::is_org_slug(o)) {
            return Err(at(start, format!("indicator '{}': visibility owner '{o}' is not an organisation slug", r.id)));
        }
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
            counted_elsewhere: r.counted_elsewhere,
            visibility: r.visibility,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_visibility_is_read() {
        let text = "[[indicator]]\nid='n'\nlabel='N'\nunit='u'\ndataset='d'\naggregate='count'\n\
                    visibility = { kind = 'shared', owner = 'cci', with = ['dep62'] }\n";
        let defs = parse_catalog("c.toml", text).unwrap();
        let shared = echelle_platform::Visibility::Shared { owner: "cci".into(), with: vec!["dep62".into()] };
        assert_eq!(defs[0].visibility, Some(shared));
        let bad = text.replace("'cci'", "'CCI HDF'");
        assert!(parse_catalog("c.toml", &bad).unwrap_err().to_string().contains("not an organisation"));
    }

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
