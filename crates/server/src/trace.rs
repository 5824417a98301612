//! What the request log calls a failure. tower-http logs every 5xx as an ERROR; a 503
//! from `/ready` while the indicator values are materialised is the probe saying
//! "not yet", not a failure, so it is logged as an ordinary response.

use axum::http::{Request, Response, StatusCode};
use tower_http::classify::{
    ClassifiedResponse, ClassifyResponse, MakeClassifier, NeverClassifyEos, ServerErrorsAsFailures,
    ServerErrorsFailureClass,
};

/// Makes a [`Classifier`] per request, knowing whether it is the readiness probe.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failures;

/// 5xx responses are failures, except the readiness probe's 503.
#[derive(Debug, Clone, Copy)]
pub struct Classifier {
    readiness: bool,
}

impl MakeClassifier for Failures {
    type Classifier = Classifier;
    type FailureClass = ServerErrorsFailureClass;
    type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;

    fn make_classifier<B>(&self, req: &Request<B>) -> Classifier {
        Classifier { readiness: req.uri().path() == "/ready" }
    }
}

impl ClassifyResponse for Classifier {
    type FailureClass = ServerErrorsFailureClass;
    type ClassifyEos = NeverClassifyEos<ServerErrorsFailureClass>;

    fn classify_response<B>(self, res: &Response<B>) -> ClassifiedResponse<Self::FailureClass, Self::ClassifyEos> {
        if self.readiness && res.status() == StatusCode::SERVICE_UNAVAILABLE {
            return ClassifiedResponse::Ready(Ok(()));
        }
        ServerErrorsAsFailures::new().classify_response(res)
    }

    fn classify_error<E: std::fmt::Display + 'static>(self, error: &E) -> Self::FailureClass {
        ServerErrorsFailureClass::Error(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(path: &str, status: StatusCode) -> bool {
        let request = Request::get(path).body(()).unwrap();
        let response = Response::builder().status(status).body(()).unwrap();
        match Failures.make_classifier(&request).classify_response(&response) {
            ClassifiedResponse::Ready(r) => r.is_err(),
            ClassifiedResponse::RequiresEos(_) => unreachable!("never waits for the end of the stream"),
        }
    }

    #[test]
    fn only_real_failures_are_failures() {
        assert!(!failed("/ready", StatusCode::SERVICE_UNAVAILABLE), "warming up");
        assert!(failed("/ready", StatusCode::INTERNAL_SERVER_ERROR));
        assert!(failed("/api/values", StatusCode::SERVICE_UNAVAILABLE));
        assert!(failed("/api/values", StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!failed("/api/values", StatusCode::OK));
        assert!(!failed("/api/values", StatusCode::NOT_FOUND));
    }
}
