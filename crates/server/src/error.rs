use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use echelle_indicators::IndicatorError;
use echelle_store::StoreError;

use crate::work::RETRY_AFTER_SECONDS;

/// An API error: 4xx when the request is at fault, 5xx otherwise; always JSON.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is at fault (a bad parameter, an unknown indicator…).
    #[error("{0}")]
    BadRequest(String),
    /// 404: no such territory, layer or dataset.
    #[error("{0}")]
    NotFound(String),
    /// Refused because of what the store holds (a shipped perimeter cannot be removed).
    #[error("{0}")]
    Conflict(String),
    /// A failure of the server: its cause is logged with an id, the client gets the id.
    #[error("{0}")]
    Internal(String),
    /// Another refusal: payload too large, URI too long, a foreign `Host`…
    #[error("{1}")]
    Refused(StatusCode, String),
    /// The pool of CPU work is full ([`crate::work`]): 503 with `Retry-After`.
    #[error("serveur occupé : trop de calculs en cours, réessayez dans {RETRY_AFTER_SECONDS} s")]
    Busy,
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Refused(status, _) => *status,
            ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// The body of every error: what is wrong, in a sentence, and for a failure of the
/// server the id under which its cause is logged.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// The message, in one sentence.
    pub error: String,
    /// The id of a server failure in the server's log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// What a client is told of a failure of the server.
pub const INTERNAL_MESSAGE: &str =
    "erreur interne du serveur ; la cause est consignée dans son journal sous l'identifiant donné";

/// A short id, unique in the server's life, tying an error answer to its log line.
fn error_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!("{:x}-{n:x}", started & 0xff_ffff)
}

/// A message fit for a client: absolute filesystem paths and Rust type names
/// (`struct NewPerimeter`, `echelle_store::Dataset`) replaced by "…".
pub fn public_message(message: &str) -> String {
    const SERVED: [&str; 5] = ["/api", "/tiles", "/ogc", "/health", "/ready"];
    let mut out = String::with_capacity(message.len());
    let mut words = message.split_inclusive(char::is_whitespace).peekable();
    while let Some(word) = words.next() {
        let body = word.trim_end();
        let start = body.trim_start_matches(['\'', '"', '`', '(', '«', '[']);
        let core = start.trim_end_matches(['\'', '"', '`', ')', '»', ']', ':', ',', ';', '.']);
        let type_word = matches!(core, "struct" | "enum");
        let path = core.starts_with('/')
            && core[1..].contains('/')
            && !SERVED.iter().any(|p| core.starts_with(p) && core[p.len()..].starts_with(['/', '?']))
            || core.contains("::")
            || core.contains(":\\")
            || core.starts_with("~/");
        if type_word && words.peek().is_some() {
            // "struct Name": the keyword goes, the name is replaced below.
            out.push_str(if core == "struct" { "an object" } else { "a value" });
            let next = words.next().unwrap_or_default();
            out.push_str(&next[next.trim_end().len()..]);
            continue;
        }
        if path {
            out.push_str(&body[..body.len() - start.len()]);
            out.push('…');
            out.push_str(&start[core.len()..]);
            out.push_str(&word[body.len()..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Internal(cause) => {
                let id = error_id();
                tracing::error!(%id, error = %cause, "request failed");
                ErrorBody { error: INTERNAL_MESSAGE.into(), id: Some(id) }
            }
            e => ErrorBody { error: public_message(&e.to_string()), id: None },
        };
        let mut response = (status, Json(body)).into_response();
        if matches!(self, ApiError::Busy) {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

/// What a framework's error (a method not allowed, a timeout, a body too large…)
/// says, in French.
fn framework_message(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "requête invalide",
        404 => "ressource introuvable",
        405 => "méthode non autorisée à cette adresse",
        408 => "délai de traitement de la requête dépassé",
        413 => "corps de la requête trop volumineux",
        414 => "adresse de la requête trop longue",
        415 => "type de contenu non pris en charge",
        416 => "plage demandée hors du fichier",
        421 => "hôte non autorisé",
        431 => "en-têtes de la requête trop volumineux",
        503 => "service momentanément indisponible",
        _ if status.is_client_error() => "requête refusée",
        _ => "erreur interne du serveur",
    }
}

/// Makes every 4xx and 5xx a JSON error: those of the framework (405, the timeout's
/// 408, an extractor's rejection, a panic's 500) come as text or empty; their headers
/// (`Allow`, `Retry-After`) are kept.
pub async fn json_errors(response: Response) -> Response {
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || json {
        return response;
    }
    let error = if status == StatusCode::INTERNAL_SERVER_ERROR {
        ApiError::Internal(format!("{status} from the framework (a panic or a failed service)"))
    } else {
        ApiError::Refused(status, framework_message(status).into())
    };
    let (parts, _) = response.into_parts();
    let mut out = error.into_response();
    *out.status_mut() = status;
    for (name, value) in &parts.headers {
        if ![header::CONTENT_TYPE, header::CONTENT_LENGTH, header::CONTENT_ENCODING, header::TRANSFER_ENCODING]
            .contains(name)
        {
            out.headers_mut().append(name.clone(), value.clone());
        }
    }
    out
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
            StoreError::Protected(_) | StoreError::Differencing(_) => return ApiError::Conflict(e.to_string()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_keep_no_path_nor_type() {
        for (raw, public) in [
            ("no file /home/x/store/catalog.sqlite here", "no file … here"),
            ("cannot read '/tmp/a/b.parquet': gone", "cannot read '…': gone"),
            (
                "invalid type: string, expected struct NewPerimeter at line 1",
                "invalid type: string, expected an object at line 1",
            ),
            ("bad echelle_store::Dataset", "bad …"),
            (
                "see /api/openapi.json and /tiles/{layer}/{z}/{x}/{y}.mvt",
                "see /api/openapi.json and /tiles/{layer}/{z}/{x}/{y}.mvt",
            ),
            ("a/b and /ogc stay", "a/b and /ogc stay"),
        ] {
            assert_eq!(public_message(raw), public, "{raw}");
        }
    }
}
