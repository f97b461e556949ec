//! One error type for every handler, mapped once to `application/problem+json` (RFC 9457).
//! Internal causes are logged with their chain and never sent to the client.

use adsync_storage::StorageError;
use adsync_storage::queue::QueueError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// 410: a single-use link that was used, or expired.
    #[error("{0}")]
    Gone(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    RequestTimeout(String),
    /// 503 that says why (a query stopped for running too long), unlike `Unavailable`.
    #[error("{0}")]
    TooHeavy(String),
    /// 429 with `Retry-After`.
    #[error("{detail}")]
    TooManyRequests { detail: String, retry_after_secs: u64 },
    #[error("internal error: {0}")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// An RFC 9457 problem document: the body of every error response.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem<'a> {
    /// A problem type URI (`about:blank` style).
    #[serde(rename = "type")]
    kind: &'a str,
    title: &'a str,
    status: u16,
    /// What went wrong; for bad input it names the parameter.
    detail: String,
}

impl ApiError {
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ApiError::Internal(Box::new(e))
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, "urn:adsync:problem:bad-request", "Bad request"),
            ApiError::Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "urn:adsync:problem:unauthorized",
                "Not signed in",
            ),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, "urn:adsync:problem:forbidden", "Not allowed"),
            ApiError::NotFound(_) => (StatusCode::NOT_FOUND, "urn:adsync:problem:not-found", "Not found"),
            ApiError::Conflict(_) => (StatusCode::CONFLICT, "urn:adsync:problem:conflict", "Conflict"),
            ApiError::Gone(_) => (StatusCode::GONE, "urn:adsync:problem:gone", "Link no longer valid"),
            ApiError::MethodNotAllowed(_) => (
                StatusCode::METHOD_NOT_ALLOWED,
                "urn:adsync:problem:method-not-allowed",
                "Method not allowed",
            ),
            ApiError::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "urn:adsync:problem:payload-too-large",
                "Request body too large",
            ),
            ApiError::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "urn:adsync:problem:unavailable",
                "Temporarily unavailable",
            ),
            ApiError::TooHeavy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "urn:adsync:problem:query-too-heavy",
                "Query too heavy",
            ),
            ApiError::RequestTimeout(_) => (
                StatusCode::REQUEST_TIMEOUT,
                "urn:adsync:problem:request-timeout",
                "Request timeout",
            ),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "urn:adsync:problem:too-many-requests",
                "Too many requests",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "urn:adsync:problem:internal",
                "Internal error",
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, kind, title) = self.parts();
        let detail = match &self {
            ApiError::Internal(source) => {
                tracing::error!(error = %source, chain = ?source, "request failed");
                "Something went wrong on our side; it has been logged.".to_string()
            }
            ApiError::Unavailable(cause) => {
                tracing::warn!(%cause, "dependency unavailable");
                "A service adsync depends on is unavailable; try again shortly.".to_string()
            }
            other => other.to_string(),
        };
        let body = serde_json::to_vec(&Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
        })
        .unwrap_or_default();
        let mut res = (status, body).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after_secs, .. } = &self {
            res.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(&1).to_owned()),
            );
        }
        res
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound("Not found.".into()),
            StorageError::Conflict => ApiError::Conflict("That already exists.".into()),
            StorageError::LastOwner => {
                ApiError::Conflict("A team keeps at least one owner: make someone else the owner first.".into())
            }
            StorageError::MissingReference => {
                ApiError::BadRequest("That refers to something that does not exist.".into())
            }
            StorageError::Unavailable(cause) => ApiError::Unavailable(cause),
            StorageError::TimedOut => ApiError::Unavailable("a query ran longer than allowed".into()),
            other => ApiError::internal(other),
        }
    }
}

impl From<adsync_storage::syncs::Refusal> for ApiError {
    fn from(r: adsync_storage::syncs::Refusal) -> Self {
        if r.is_conflict() {
            ApiError::Conflict(r.to_string())
        } else {
            ApiError::BadRequest(r.to_string())
        }
    }
}

impl From<QueueError> for ApiError {
    fn from(e: QueueError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

/// The largest request body accepted (bigger ones get 413).
pub const BODY_LIMIT: usize = 64 * 1024;

/// Turns the bare-text 405 (axum's router), 413 (tower-http's body limit) and 408 (its timeout) into
/// problem+json like every other error. For a 405, axum's method router adds `Allow`
/// after this runs, so the detail points at that header.
pub async fn bare_errors_as_problems(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (method, path) = (req.method().clone(), req.uri().path().to_string());
    let res = next.run(req).await;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    match res.status() {
        _ if is_problem => res,
        StatusCode::METHOD_NOT_ALLOWED => ApiError::MethodNotAllowed(format!(
            "{method} is not allowed on {path}; the Allow header lists the methods it takes."
        ))
        .into_response(),
        StatusCode::PAYLOAD_TOO_LARGE => too_large().into_response(),
        StatusCode::REQUEST_TIMEOUT => ApiError::RequestTimeout(
            "The request was not received and answered in time; send it again, and whole.".into(),
        )
        .into_response(),
        _ => res,
    }
}

pub fn too_large() -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "The request body is larger than the limit of {} KiB.",
        BODY_LIMIT / 1024
    ))
}
