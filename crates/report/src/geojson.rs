//! GeoJSON (RFC 7946): one MultiPolygon feature per territory with its code, name, key,
//! missing communes and one property per indicator; the indicators' metadata and the
//! coverage as foreign members of the collection.

use serde_json::{Map, Value, json};

use crate::ReportError;
use crate::layer::FeatureLayer;

/// The layer as GeoJSON bytes.
pub fn write(layer: &FeatureLayer) -> Result<Vec<u8>, ReportError> {
    layer.check()?;
    let features: Vec<Value> = layer
        .features
        .iter()
        .map(|f| {
            let mut props = Map::new();
            props.insert("code".into(), json!(f.code));
            props.insert("name".into(), json!(f.name));
            props.insert("key".into(), json!(f.key));
            props.insert("missing".into(), json!(f.missing));
            for (i, v) in layer.indicators.iter().zip(&f.values) {
                props.insert(i.id.clone(), json!(v));
            }
            json!({ "type": "Feature", "id": f.key, "geometry": { "type": "MultiPolygon", "coordinates": f.polygons },
                "properties": props })
        })
        .collect();
    let indicators: Vec<Value> = layer
        .indicators
        .iter()
        .map(|i| {
            json!({ "id": i.id, "label": i.label, "unit": i.unit, "source": i.source, "vintage": i.vintage,
                "synthetic": i.synthetic })
        })
        .collect();
    let body = json!({ "type": "FeatureCollection", "name": layer.name, "features": features,
        "indicators": indicators, "coverage": layer.coverage });
    serde_json::to_vec(&body).map_err(|e| ReportError::Write { format: "GeoJSON", message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_with_their_values() {
        let bytes = write(&crate::layer::tests::layer()).unwrap();
        let fc: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(fc["features"][0]["properties"]["name"], "=HYPERLINK(\"x\"), \"quoted\"");
        assert_eq!(fc["features"][0]["properties"]["population"], 1200.0);
        assert_eq!(fc["features"][1]["properties"]["population"], Value::Null);
        assert_eq!(fc["features"][1]["geometry"]["coordinates"][0][0][2], json!([4.0, 51.0]));
        assert_eq!(fc["indicators"][0]["source"], "Insee");
    }
}
