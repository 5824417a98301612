//! The GeoJSON types the server answers with (RFC 7946, WGS84), and the response that
//! sends them as `application/geo+json`.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::mvt::Ring;

pub const CONTENT_TYPE: &str = "application/geo+json";

/// The `type` of a GeoJSON feature collection.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum FeatureCollectionType {
    FeatureCollection,
}

/// The `type` of a GeoJSON feature.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum FeatureType {
    Feature,
}

/// The `type` of a GeoJSON multipolygon.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub enum MultiPolygonType {
    MultiPolygon,
}

/// A GeoJSON MultiPolygon in WGS84.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MultiPolygon {
    #[serde(rename = "type")]
    pub kind: MultiPolygonType,
    /// Polygons, each its exterior ring then its holes; points are [longitude, latitude].
    #[schema(value_type = Vec<Vec<Vec<[f64; 2]>>>)]
    pub coordinates: Vec<Vec<Ring>>,
}

impl MultiPolygon {
    pub fn new(polygons: &[Vec<Ring>]) -> MultiPolygon {
        MultiPolygon { kind: MultiPolygonType::MultiPolygon, coordinates: polygons.to_vec() }
    }
}

/// A body sent as `application/geo+json`.
pub struct GeoJson<T>(pub T);

impl<T: Serialize> IntoResponse for GeoJson<T> {
    fn into_response(self) -> Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => ([(header::CONTENT_TYPE, CONTENT_TYPE)], body).into_response(),
            Err(e) => crate::ApiError::Internal(format!("writing GeoJSON: {e}")).into_response(),
        }
    }
}
