//! Liveness and readiness.

use axum::extract::State;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{ApiError, AppState};

/// How long `/readyz` waits for the database and the queue.
const READY_WITHIN: std::time::Duration = std::time::Duration::from_secs(1);

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(healthz)).routes(routes!(readyz))
}

/// `{"status": "ok"}`.
#[derive(Serialize, utoipa::ToSchema)]
struct Alive {
    #[schema(example = "ok")]
    status: &'static str,
}

/// What answered a readiness probe.
#[derive(Serialize, utoipa::ToSchema)]
struct Ready {
    #[schema(example = "ready")]
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: &'static str,
    #[schema(example = "ok")]
    queue: &'static str,
    /// `taking_jobs` in a process with a worker; `null` in an API-only process.
    worker: Option<&'static str>,
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "health", responses((status = 200, description = "Alive", body = Alive)))]
async fn healthz() -> axum::Json<Alive> {
    axum::Json(Alive { status: "ok" })
}

/// Ready when the database and the queue answer and, in a process with a worker, the
/// worker is taking jobs (it stops at shutdown, before the process exits).
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Database and queue answer; a worker in this process is taking jobs", body = Ready),
    (status = 503, description = "A dependency is unavailable (or did not answer within a second) or the worker stopped taking jobs", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn readyz(State(state): State<AppState>) -> Result<axum::Json<Ready>, ApiError> {
    // A load balancer's probe must hear "not ready" promptly: an unreachable database would
    // otherwise hold the answer for the pool's whole acquire timeout.
    // Any failure of a check means "not ready" (503), whatever kind of error it is: a
    // connection cut mid-ping is not a server bug.
    let checks = async {
        state
            .db
            .ping()
            .await
            .map_err(|e| ApiError::Unavailable(format!("database: {e}")))?;
        state
            .queue
            .ping()
            .await
            .map_err(|e| ApiError::Unavailable(format!("queue: {e}")))?;
        Ok::<_, ApiError>(())
    };
    tokio::time::timeout(READY_WITHIN, checks).await.map_err(|_| {
        ApiError::Unavailable(format!(
            "the database or the queue did not answer within {READY_WITHIN:?}"
        ))
    })??;
    let worker = match &state.worker {
        None => None,
        Some(w) if w.is_taking_jobs() => Some("taking_jobs"),
        Some(_) => return Err(ApiError::Unavailable("The worker is not taking jobs.".into())),
    };
    Ok(axum::Json(Ready {
        status: "ready",
        database: state.db.dialect(),
        queue: "ok",
        worker,
    }))
}
