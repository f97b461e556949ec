//! The HTTP face of adsync: JSON API, browser pages, health and metrics. Thin by design:
//! handlers parse input, check access and call `adsync_common`.

mod auth;
mod error;
mod extract;
mod heavy;
mod mail;
mod openapi;
mod pages;
mod paging;
mod routes;
mod security;
mod server;

use std::sync::Arc;

use adsync_common::Config;
use adsync_common::telemetry::WorkerReadiness;
use adsync_connect::Connector;
use adsync_connect::gate::RateGate;
use adsync_connect::sign_in::{SignIn, SignInError};
use adsync_storage::Db;
use adsync_storage::queue::Queue;
use axum::Router;
use tower_http::trace::TraceLayer;

pub use error::ApiError;
pub use heavy::TeamQueries;
pub use mail::{MailError, Mailer};
pub use pages::{ADMIN_RESET_HOURS, reset_link};
pub use routes::openapi_document;
pub use server::serve;

/// Everything a handler may need. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub queue: Queue,
    pub config: Arc<Config>,
    /// `None` when no Facebook app is configured: the connector shows "not configured".
    pub connector: Option<Connector>,
    /// The worker of this process, if it runs one: `/readyz` then also requires that it
    /// is taking jobs.
    pub worker: Option<WorkerReadiness>,
    /// Metrics queries running per team (see [`heavy`]).
    pub metrics_queries: Arc<TeamQueries>,
    /// `None` when no SMTP server is configured: invitation links are shown to the owner
    /// instead, and reset links come from an admin.
    pub mailer: Option<Mailer>,
    /// The process's Graph rate gate (the worker's, when the process runs one), which
    /// proxied calls pass like the syncs' calls.
    pub gate: Arc<RateGate>,
    /// The identity providers users may sign in with (none configured: the login page offers
    /// e-mail and password only).
    pub sign_in: SignIn,
}

/// Why the API's state could not be set up: unusable mail or sign-in settings.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Mail(#[from] MailError),
    #[error(transparent)]
    SignIn(#[from] SignInError),
}

impl AppState {
    /// The state of an API over `db` and `queue`; fails when the mail or sign-in settings are
    /// unusable.
    pub fn new(
        db: Db,
        queue: Queue,
        config: Arc<Config>,
        connector: Option<Connector>,
        worker: Option<WorkerReadiness>,
        gate: Arc<RateGate>,
    ) -> Result<Self, SetupError> {
        let mailer = config.mail.as_ref().map(Mailer::new).transpose()?;
        let sign_in = SignIn::new(db.clone(), &config.sign_in, &config.public_url)?;
        Ok(AppState {
            metrics_queries: TeamQueries::new(config.http.metrics_queries_per_team),
            db,
            queue,
            config,
            connector,
            worker,
            mailer,
            gate,
            sign_in,
        })
    }
}

pub fn router(state: AppState) -> Router {
    with_layers(Router::new().merge(routes::router()).merge(pages::router()), state)
}

/// What a worker-only process serves (`ADSYNC_WORKER_LISTEN`): health, readiness, metrics.
pub fn ops_router(state: AppState) -> Router {
    with_layers(routes::ops_router(), state)
}

fn with_layers(routes: Router<AppState>, state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    routes
        .layer(from_fn_with_state(state.clone(), security::refuse_cross_site))
        .layer(from_fn(routes::observability::track))
        // Spans name the path only (query strings carry OAuth codes and states), without a
        // single-use link's secret.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::debug_span!("request", method = %req.method(), path = %security::loggable_path(req.uri().path()))
        }))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(error::BODY_LIMIT))
        // A client that trickles its body (or a request that takes too long) is answered 408.
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            state.config.http.request_timeout,
        ))
        // Outside the body limit and the timeout, which answer 413 and 408 bare.
        .layer(from_fn(error::bare_errors_as_problems))
        // Outside the above, so their problems become pages for a browser too.
        .layer(from_fn(pages::problems_as_pages))
        .layer(from_fn_with_state(state.clone(), security::security_headers))
        .with_state(state)
}
