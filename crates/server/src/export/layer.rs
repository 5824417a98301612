//! `GET /api/export/layer`: the territories of a layer with their shapes and indicator
//! values, as GeoJSON or GeoPackage.

use axum::extract::State;
use axum::response::Response;
use echelle_indicators::Target;
use echelle_referential::TerritoryRef;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{attachment, gpkg};
use crate::extract::Query;
use crate::shapes::{self, COVERAGE};
use crate::values::evaluate;
use crate::{ApiError, AppState};

/// One territory with its shape and values, ready to be written.
pub struct Feature {
    pub code: String,
    pub key: String,
    pub name: String,
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// West, south, east, north.
    pub bbox: [f64; 4],
    pub values: Vec<Option<f64>>,
    /// Member communes without a shape, left out of the union.
    pub missing: usize,
}

#[derive(Deserialize)]
pub struct LayerQuery {
    layer: String,
    within: Option<String>,
    indicators: Option<String>,
    format: String,
}

/// Indicator ids as column names: letters, digits and '_' only (the catalog's ids are).
fn column_name(id: &str) -> Result<&str, ApiError> {
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || id.len() > 64 {
        return Err(ApiError::BadRequest(format!("indicator '{id}' cannot be a column name")));
    }
    Ok(id)
}

static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub async fn export(State(state): State<AppState>, Query(q): Query<LayerQuery>) -> Result<Response, ApiError> {
    if q.format != "geojson" && q.format != "gpkg" {
        return Err(ApiError::BadRequest(format!("unknown layer format '{}': geojson or gpkg", q.format)));
    }
    let layer = shapes::shaped_layer(&q.layer)?;
    let keys = shapes::within_keys(&state, layer, q.within.as_deref())?;
    let (engine, cache) = state.engine_and_values();
    let requested: Vec<String> = q
        .indicators
        .as_deref()
        .map(|l| l.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let ids: Vec<&str> =
        if requested.is_empty() { engine.key_indicators() } else { requested.iter().map(String::as_str).collect() };
    if ids.len() > 50 {
        return Err(ApiError::BadRequest("at most 50 indicators per export".into()));
    }
    let mut defs = Vec::new();
    for id in &ids {
        defs.push(engine.indicator(id)?.clone());
        column_name(id)?;
    }
    let shapes = shapes::layer_shapes_async(&state, layer).await?;
    let r = engine.referential().clone();
    let chosen: Vec<&shapes::Shape> =
        shapes.shapes.iter().filter(|s| keys.as_ref().is_none_or(|k| k.contains(&s.key))).collect();
    let targets = chosen
        .iter()
        .map(|s| Target::territory(&r, &TerritoryRef::new(layer, &s.code)))
        .collect::<Result<Vec<_>, _>>()?;
    let e = evaluate(&engine, cache.as_deref(), &targets, &ids).await?;
    let features: Vec<Feature> = chosen
        .iter()
        .enumerate()
        .map(|(t, s)| Feature {
            code: s.code.clone(),
            key: s.key.clone(),
            name: s.name.clone(),
            polygons: s.lonlat.clone(),
            bbox: s.bbox,
            values: e.values.iter().map(|v| v[t].value).collect(),
            missing: s.missing,
        })
        .collect();
    let meta: Vec<Value> = e
        .indicators
        .iter()
        .zip(&e.provenance)
        .map(|(d, (source, vintage, synthetic))| {
            json!({ "id": d.id, "label": d.label, "unit": d.unit, "source": source, "vintage": vintage, "synthetic": synthetic })
        })
        .collect();
    let stem = format!("{}{}", layer.prefix(), q.within.as_deref().map(|w| format!(" {w}")).unwrap_or_default());
    if q.format == "geojson" {
        let list: Vec<Value> = features
            .iter()
            .map(|f| {
                let mut props = serde_json::Map::new();
                props.insert("code".into(), json!(f.code));
                props.insert("name".into(), json!(f.name));
                props.insert("key".into(), json!(f.key));
                props.insert("missing".into(), json!(f.missing));
                for (d, v) in e.indicators.iter().zip(&f.values) {
                    props.insert(d.id.clone(), json!(v));
                }
                json!({ "type": "Feature", "id": f.key, "geometry": { "type": "MultiPolygon", "coordinates": f.polygons },
                    "properties": props })
            })
            .collect();
        let body = json!({ "type": "FeatureCollection", "name": layer.prefix(), "features": list,
            "indicators": meta, "coverage": COVERAGE });
        return Ok(attachment(
            body.to_string().into_bytes(),
            "application/geo+json",
            &super::table::file_name(&stem, "geojson"),
        ));
    }
    let description = format!(
        "{} with indicator values computed by echelle. Indicators: {}. {COVERAGE}",
        layer.label(),
        meta.iter()
            .map(|m| format!("{} = {} ({}; {}, {})", m["id"], m["label"], m["unit"], m["source"], m["vintage"]))
            .collect::<Vec<_>>()
            .join("; ")
            .replace('"', "")
    );
    let columns: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    let table = layer.prefix().to_string();
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, ApiError> {
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("echelle-export-{}-{n}.gpkg", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let written = gpkg::write(&path, &table, &description, &columns, &features);
        let bytes = written.and_then(|_| std::fs::read(&path).map_err(|e| ApiError::Internal(e.to_string())));
        let _ = std::fs::remove_file(&path);
        bytes
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(attachment(bytes, "application/geopackage+sqlite3", &super::table::file_name(&stem, "gpkg")))
}
