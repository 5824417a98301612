//! A layer of territories with their shapes and indicator values: what the GeoJSON
//! and GeoPackage writers take.

use crate::ReportError;

/// A ring of WGS84 points (longitude, latitude).
pub type Ring = Vec<[f64; 2]>;
/// A polygon: its exterior ring first, then its holes.
pub type Polygon = Vec<Ring>;

/// One territory with its shape and values.
#[derive(Debug, Clone)]
pub struct Feature {
    /// The territory's code in its layer.
    pub code: String,
    /// The territory key, `epci:200093201`.
    pub key: String,
    /// Its name, written as a property.
    pub name: String,
    /// Its shape, WGS84 longitude and latitude.
    pub polygons: Vec<Polygon>,
    /// West, south, east, north.
    pub bbox: [f64; 4],
    /// One per indicator of the layer, `None` when not available.
    pub values: Vec<Option<f64>>,
    /// Member communes without a shape, left out of the union.
    pub missing: usize,
    /// The organisations that may read it (its owner and those it is shared with);
    /// `None` when public. Only the PostGIS tables hold non-public features, behind
    /// row-level security.
    pub readers: Option<Vec<String>>,
}

/// An indicator written as a column, with what a reader needs to use it (the OGC
/// API's `Property` of a commune).
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Property)]
pub struct IndicatorColumn {
    /// The indicator id, also the column's name.
    pub id: String,
    /// Its French label.
    pub label: String,
    /// Its unit.
    pub unit: String,
    /// Where its figures come from.
    pub source: String,
    /// Their millésime.
    pub vintage: String,
    /// Generated data: the column says SYNTHÉTIQUE.
    pub synthetic: bool,
    /// Decimals shown on screen.
    pub decimals: u8,
    /// The statistical secrecy its figures obey, in French (`null`: none): a withheld
    /// figure is empty.
    pub secrecy: Option<String>,
}

/// The features of one layer with their indicators.
#[derive(Debug, Clone)]
pub struct FeatureLayer {
    /// Short name: the GeoJSON collection's name and the GeoPackage table (`epci`).
    pub name: String,
    /// What the territories are (`EPCI à fiscalité propre`).
    pub label: String,
    /// Which territories have shapes in this pack.
    pub coverage: String,
    /// The indicator columns, in order.
    pub indicators: Vec<IndicatorColumn>,
    /// The territories, with one value per indicator column.
    pub features: Vec<Feature>,
}

/// An indicator id as a column name: ASCII letters, digits and `_`, at most 64 (the
/// catalog's ids are), so that it needs no quoting in any reader.
pub fn column_name(id: &str) -> Result<&str, ReportError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Err(ReportError::Invalid(format!("indicator '{id}' cannot be a column name")));
    }
    Ok(id)
}

impl FeatureLayer {
    /// Checks the names of the columns and that every feature has one value per indicator.
    pub fn check(&self) -> Result<(), ReportError> {
        column_name(&self.name)?;
        for i in &self.indicators {
            column_name(&i.id)?;
            if ["fid", "geom", "code", "name", "key", "missing"].contains(&i.id.as_str()) {
                return Err(ReportError::Invalid(format!("indicator '{}' has the name of a fixed column", i.id)));
            }
        }
        if let Some(f) = self.features.iter().find(|f| f.values.len() != self.indicators.len()) {
            return Err(ReportError::Invalid(format!(
                "{}: {} values for {} indicators",
                f.key,
                f.values.len(),
                self.indicators.len()
            )));
        }
        Ok(())
    }

    /// West, south, east, north of every feature.
    pub fn bbox(&self) -> [f64; 4] {
        self.features.iter().fold([180.0f64, 90.0, -180.0, -90.0], |b, f| {
            [b[0].min(f.bbox[0]), b[1].min(f.bbox[1]), b[2].max(f.bbox[2]), b[3].max(f.bbox[3])]
        })
    }

    /// One paragraph saying what the layer holds: each indicator with its unit, source
    /// and vintage, then the coverage.
    pub fn description(&self) -> String {
        let indicators: Vec<String> = self
            .indicators
            .iter()
            .map(|i| {
                let synthetic = if i.synthetic { ", données synthétiques" } else { "" };
                let secrecy = i.secrecy.as_ref().map(|s| format!(" ; secret statistique : {s}")).unwrap_or_default();
                format!("{} = {} ({} ; {}, {}{synthetic}{secrecy})", i.id, i.label, i.unit, i.source, i.vintage)
            })
            .collect();
        format!(
            "{} avec les valeurs d'indicateurs calculées par echelle. Indicateurs : {}. {}",
            self.label,
            indicators.join(" ; "),
            self.coverage
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Two squares, one value each, one missing.
    pub fn layer() -> FeatureLayer {
        let square = |x: f64| vec![vec![[x, 50.0], [x + 1.0, 50.0], [x + 1.0, 51.0], [x, 51.0]]];
        let feature = |code: &str, name: &str, x: f64, value: Option<f64>| Feature {
            code: code.into(),
            key: format!("epci:{code}"),
            name: name.into(),
            polygons: vec![square(x)],
            bbox: [x, 50.0, x + 1.0, 51.0],
            values: vec![value],
            missing: 0,
            readers: None,
        };
        FeatureLayer {
            name: "epci".into(),
            label: "EPCI".into(),
            coverage: "Contours des Hauts-de-France.".into(),
            indicators: vec![IndicatorColumn {
                id: "population".into(),
                label: "Population".into(),
                unit: "habitants".into(),
                source: "Insee".into(),
                vintage: "2021".into(),
                synthetic: false,
                decimals: 0,
                secrecy: Some("moins de 11 ménages non diffusé".into()),
            }],
            features: vec![
                feature("1", "=HYPERLINK(\"x\"), \"quoted\"", 2.0, Some(1200.0)),
                feature("2", "Œuvre ≥ 2", 3.0, None),
            ],
        }
    }

    #[test]
    fn checks_and_bbox() {
        let mut l = layer();
        assert!(l.check().is_ok());
        assert_eq!(l.bbox(), [2.0, 50.0, 4.0, 51.0]);
        assert!(l.description().contains(
            "population = Population (habitants ; Insee, 2021 ; secret statistique : moins de 11 ménages non diffusé)"
        ));
        l.indicators[0].id = "geom".into();
        assert!(l.check().is_err());
        l.indicators[0].id = "a b".into();
        assert!(l.check().is_err());
        assert!(column_name(&"x".repeat(65)).is_err());
    }
}
