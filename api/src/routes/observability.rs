//! `GET /metrics` (Prometheus text) and the middleware that counts HTTP requests by matched
//! route. Labels use the route template (`/api/v1/teams/{team}`), never the raw path, so
//! ids, codes and states never become label values.

use std::time::Instant;

use adsync_storage::sync_runs;
use axum::extract::{MatchedPath, Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;

/// The label of requests no route matched (404s of unknown paths): one bounded value.
const UNMATCHED: &str = "unmatched";

pub fn router() -> OpenApiRouter<AppState> {
    // Install the recorder when the API is built, so the worker's counters in the same
    // process are recorded from the start, not from the first scrape.
    adsync_common::telemetry::prometheus();
    OpenApiRouter::new().routes(routes!(metrics))
}

/// How long a scrape waits for the run counts before answering without fresh ones.
const COUNTS_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

/// Prometheus text exposition of this process's metrics (see docs/operations.md).
#[utoipa::path(get, path = "/metrics", operation_id = "prometheus_metrics", tag = "health", responses(
    (status = 200, description = "Prometheus text format 0.0.4", body = String, content_type = "text/plain")
))]
async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // The queue's depth is the database's truth, the same from every process; a database
    // that does not answer at once leaves the last figures rather than holding the scrape.
    match tokio::time::timeout(COUNTS_WITHIN, sync_runs::active_counts(&state.db)).await {
        Ok(Ok((queued, running))) => {
            metrics::gauge!("adsync_sync_runs", "status" => "queued").set(queued as f64);
            metrics::gauge!("adsync_sync_runs", "status" => "running").set(running as f64);
        }
        Ok(Err(e)) => tracing::debug!(error = %e, "run counts unavailable for /metrics"),
        Err(_) => tracing::debug!("run counts took too long for /metrics"),
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        adsync_common::telemetry::render_metrics(),
    )
}

/// Counts every request (`adsync_http_requests_total{method,route,status}`) and records its
/// latency (`adsync_http_request_duration_seconds{method,route}`).
pub async fn track(request: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| UNMATCHED.to_owned());
    let method = method_label(request.method());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("adsync_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("adsync_http_request_duration_seconds", "method" => method, "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

/// Standard methods by name; anything else as `OTHER` (a client picks the method string).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}
