use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use echelle_indicators::IndicatorError;
use echelle_store::StoreError;

/// An API error: 4xx when the request is at fault, 5xx otherwise; always JSON.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    /// Refused because of what the store holds (a shipped perimeter cannot be removed).
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

/// The body of every error: what is wrong, in a sentence.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if matches!(self, ApiError::Internal(_)) {
            tracing::error!(error = %self, "request failed");
        }
        (self.status(), Json(ErrorBody { error: self.to_string() })).into_response()
    }
}

impl From<echelle_referential::Error> for ApiError {
    fn from(e: echelle_referential::Error) -> Self {
        match e {
            echelle_referential::Error::UnknownTerritory { .. } | echelle_referential::Error::FormerCode { .. } => {
                ApiError::NotFound(e.to_string())
            }
            _ => ApiError::BadRequest(e.to_string()),
        }
    }
}

impl From<IndicatorError> for ApiError {
    fn from(e: IndicatorError) -> Self {
        match &e {
            IndicatorError::Unknown { .. } => ApiError::NotFound(e.to_string()),
            _ if e.is_user_error() => ApiError::BadRequest(e.to_string()),
            _ => ApiError::Internal(e.to_string()),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownPerimeter(_) => return ApiError::NotFound(e.to_string()),
            StoreError::Protected(_) => return ApiError::Conflict(e.to_string()),
            _ => {}
        }
        if e.is_user_error() { ApiError::BadRequest(e.to_string()) } else { ApiError::Internal(e.to_string()) }
    }
}

impl From<echelle_report::ReportError> for ApiError {
    fn from(e: echelle_report::ReportError) -> Self {
        if e.is_user_error() { ApiError::BadRequest(e.to_string()) } else { ApiError::Internal(e.to_string()) }
    }
}
