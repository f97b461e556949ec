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

/// Ready when the database and the queue answer.
async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Value>, ApiError> {
    state.db.ping().await?;
    state.queue.ping().await?;
    Ok(axum::Json(
        json!({"status": "ready", "database": state.db.dialect(), "queue": "ok"}),
    ))
}
