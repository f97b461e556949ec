//! Liveness and readiness.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

async fn healthz() -> axum::Json<Value> {
    axum::Json(json!({"status": "ok"}))
}

/// Ready when the database and the queue answer and, in a process with a worker, the
/// worker is taking jobs (it stops at shutdown, before the process exits).
async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Value>, ApiError> {
    state.db.ping().await?;
    state.queue.ping().await?;
    let worker = match &state.worker {
        None => Value::Null,
        Some(w) if w.is_taking_jobs() => json!("taking_jobs"),
        Some(_) => return Err(ApiError::Unavailable("The worker is not taking jobs.".into())),
    };
    Ok(axum::Json(
        json!({"status": "ready", "database": state.db.dialect(), "queue": "ok", "worker": worker}),
    ))
}
