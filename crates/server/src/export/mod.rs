//! Downloads: tables (CSV, CSV for spreadsheets, XLSX, Parquet), layers with their
//! values (GeoJSON, GeoPackage) and portraits (PDF). One module per format.
//!
//! ```text
//!  POST /api/export/table?format=csv|csv-excel|xlsx|parquet   body {title, source, columns, rows}
//!  GET  /api/export/layer?layer=&within=&indicators=&format=geojson|gpkg
//!  GET  /api/portrait/{key}/pdf?against=
//! ```

pub mod gpkg;
pub mod layer;
pub mod parquet;
pub mod pdf;
pub mod portrait;
pub mod xlsx;

pub use echelle_report::{csv, table};

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::api::PortraitQuery;
use crate::extract::{Json, Query};
use crate::{ApiError, AppState};
use table::{Table, TableBody, file_name};

/// A file download: content type and `Content-Disposition: attachment` with the name
/// in ASCII and, for accents, RFC 5987.
pub fn attachment(bytes: Vec<u8>, content_type: &str, name: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from(bytes),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct FormatQuery {
    format: String,
}

const TABLE_FORMATS: &str = "csv, csv-excel, xlsx, parquet";

/// The table export accepts bodies up to [`table::MAX_BODY`]; larger ones are a 400.
pub fn table_route() -> axum::routing::MethodRouter<AppState> {
    axum::routing::post(table).layer(axum::extract::DefaultBodyLimit::max(table::MAX_BODY))
}

/// `POST /api/export/table?format=…`: the posted table as a file.
pub async fn table(Query(q): Query<FormatQuery>, Json(body): Json<TableBody>) -> Result<Response, ApiError> {
    if !TABLE_FORMATS.split(", ").any(|f| f == q.format) {
        return Err(ApiError::BadRequest(format!("unknown table format '{}': one of {TABLE_FORMATS}", q.format)));
    }
    let t = Table::from_body(body)?;
    let format = q.format;
    tokio::task::spawn_blocking(move || -> Result<Response, ApiError> {
        Ok(match format.as_str() {
            "csv" => {
                attachment(csv::write(&t, csv::Dialect::Plain), "text/csv; charset=utf-8", &file_name(&t.title, "csv"))
            }
            "csv-excel" => {
                attachment(csv::write(&t, csv::Dialect::Excel), "text/csv; charset=utf-8", &file_name(&t.title, "csv"))
            }
            "xlsx" => attachment(
                xlsx::write(&t).map_err(|e| ApiError::Internal(format!("writing XLSX: {e}")))?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                &file_name(&t.title, "xlsx"),
            ),
            _ => attachment(parquet::write(&t)?, "application/vnd.apache.parquet", &file_name(&t.title, "parquet")),
        })
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// `GET /api/portrait/{key}/pdf`: the portrait as a printable PDF.
pub async fn portrait_pdf(
    State(state): State<AppState>,
    Path(key): Path<String>,
    Query(q): Query<PortraitQuery>,
) -> Result<Response, ApiError> {
    let body = crate::api::portrait_body(&state, &key, &q).await?;
    let name = file_name(&format!("portrait {key}"), "pdf");
    Ok(attachment(portrait::render(&body), "application/pdf", &name))
}
