//! Downloads: tables (CSV, CSV for spreadsheets, XLSX, Parquet), layers with their
//! values (GeoJSON, GeoPackage) and portraits (PDF). The handlers gather the figures;
//! every file is written by `echelle-report`.
//!
//! ```text
//!  POST /api/export/table?format=csv|csv-excel|xlsx|parquet   body {title, source, columns, rows}
//!  GET  /api/export/layer?layer=&within=&indicators=&format=geojson|gpkg
//!  GET  /api/portrait/{key}/pdf?against=
//! ```

pub mod layer;
pub mod portrait;
pub mod postgis;

pub use echelle_report::{csv, table};
pub use portrait::portrait_pdf;

use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use echelle_report::{Date, parquet, xlsx};
use serde::Deserialize;

use crate::ApiError;
use crate::extract::{Json, Query};
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

/// Runs a writer off the async workers.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

/// The format of a table export.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// `csv`, `csv-excel` (French spreadsheets: BOM, ';', decimal comma), `xlsx` or `parquet`.
    #[param(pattern = "^(csv|csv-excel|xlsx|parquet)$")]
    format: String,
}

const TABLE_FORMATS: &str = "csv, csv-excel, xlsx, parquet";

/// The table export accepts bodies up to [`table::MAX_BODY`]; larger ones are a 400.
pub fn table_route() -> axum::routing::MethodRouter<crate::AppState> {
    axum::routing::post(table).layer(axum::extract::DefaultBodyLimit::max(table::MAX_BODY))
}

/// `POST /api/export/table?format=…`: the posted table as a file.
#[utoipa::path(post, path = "/api/export/table", tag = "exports", params(FormatQuery),
    summary = "A table as CSV, CSV for French spreadsheets, XLSX or Parquet",
    request_body(content = Object, description = "{title, source, columns (names or {name, unit, decimals, source, vintage}), rows of strings, numbers or nulls}"),
    responses(
        (status = 200, description = "The file, as an attachment", content_type = "application/octet-stream", body = String),
        (status = 400, description = "A bad table or format", body = crate::error::ErrorBody),
    ))]
pub async fn table(
    State(state): State<crate::AppState>,
    Query(q): Query<FormatQuery>,
    Json(body): Json<TableBody>,
) -> Result<Response, ApiError> {
    if !TABLE_FORMATS.split(", ").any(|f| f == q.format) {
        return Err(ApiError::BadRequest(format!("unknown table format '{}': one of {TABLE_FORMATS}", q.format)));
    }
    let format = q.format;
    state
        .work()
        .run_blocking(move |_| {
            let t = Table::from_body(body)?;
            let csv_type = "text/csv; charset=utf-8";
            Ok(match format.as_str() {
                "csv" => attachment(csv::write(&t, csv::Dialect::Plain), csv_type, &file_name(&t.title, "csv")),
                "csv-excel" => attachment(csv::write(&t, csv::Dialect::Excel), csv_type, &file_name(&t.title, "csv")),
                "xlsx" => attachment(
                    xlsx::write(&t, Date::today())?,
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    &file_name(&t.title, "xlsx"),
                ),
                _ => attachment(parquet::write(&t)?, "application/vnd.apache.parquet", &file_name(&t.title, "parquet")),
            })
        })
        .await
}
