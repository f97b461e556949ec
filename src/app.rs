//! Starting the processes: API, worker, or both, on the configured storage and queue.

use std::sync::Arc;

use adsync_api::AppState;
use adsync_common::Config;
use adsync_common::graph::GraphClient;
use adsync_connect::gate::{self, RateGate};
use adsync_connect::{Connector, FacebookAdapter, Provider};
use adsync_storage::Db;
use adsync_storage::queue::Queue;
use adsync_worker::WorkerState;
use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

mod keycheck;

/// Which parts of adsync this process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Api,
    Worker,
    All,
}

/// Connected storage and queue, shared by the API and the worker of one process.
#[derive(Clone)]
pub struct Services {
    pub db: Db,
    pub queue: Queue,
    pub config: Arc<Config>,
    /// Present when a Facebook app is configured.
    pub connector: Option<Connector>,
}

/// Connects to the database and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    Db::connect_and_migrate(config.database_url.expose())
        .await
        .context("cannot open the database (DATABASE_URL)")
}

/// Sets up the configured queue; PostgreSQL without Redis is refused as a configuration error.
pub async fn open_queue(db: &Db, config: &Config) -> anyhow::Result<Queue> {
    config.require_queue()?;
    Queue::connect(
        db,
        config.redis_url.as_ref().map(|u| u.expose().as_str()),
        &config.queue_namespace,
    )
    .await
    .context("cannot set up the job queue")
}

impl Services {
    /// Connects, applies migrations, sets up the queue and refuses to go on when a stored
    /// token cannot be decrypted with the configured keys.
    pub async fn connect(config: Config) -> anyhow::Result<Self> {
        config.require_queue()?;
        let db = open_database(&config).await?;
        keycheck::stored_tokens_decrypt(&db, &config).await?;
        let queue = open_queue(&db, &config).await?;
        let connector = match &config.facebook {
            None => None,
            Some(app) => {
                let keyring = Arc::new(config.keyring()?);
                let graph = GraphClient::new(app).context("cannot set up the Graph API client")?;
                let provider = Provider::Facebook(FacebookAdapter::new(graph));
                Some(Connector::new(db.clone(), keyring, provider, &config.public_url))
            }
        };
        Ok(Self {
            db,
            queue,
            config: Arc::new(config),
            connector,
        })
    }
}

/// Runs `role` until `shutdown` is cancelled. The API drains in-flight requests; the worker
/// lets running jobs commit their current page. `listener` is required for the API; a
/// worker-only process serves /healthz, /readyz and /metrics on it when given one.
pub async fn run(
    services: Services,
    role: Role,
    listener: Option<TcpListener>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mut tasks = tokio::task::JoinSet::new();
    let worker = match role {
        Role::Api => None,
        _ => Some(
            WorkerState::new(
                services.db.clone(),
                services.queue.clone(),
                services.config.clone(),
                services.connector.clone(),
                shutdown.clone(),
            )
            .await,
        ),
    };
    let gate = match &worker {
        Some(w) => w.gate.clone(),
        None => Arc::new(RateGate::for_config(
            &services.config,
            gate::shared_redis(&services.config).await,
        )),
    };
    let state = AppState::new(
        services.db.clone(),
        services.queue.clone(),
        services.config.clone(),
        services.connector.clone(),
        worker.as_ref().map(|w| w.readiness.clone()),
        gate,
    )?;
    // The API serves everything; a worker-only process serves health and metrics when
    // given a listener (`ADSYNC_WORKER_LISTEN`).
    let app = match role {
        Role::Worker => listener.as_ref().map(|_| adsync_api::ops_router(state)),
        _ => Some(adsync_api::router(state)),
    };
    match (app, listener) {
        (Some(app), Some(listener)) => {
            let stop = shutdown.clone();
            let limits = services.config.http;
            tasks.spawn(async move {
                adsync_api::serve(app, listener, limits, async move { stop.cancelled().await })
                    .await
                    .context("HTTP server failed")
            });
        }
        (Some(_), None) => anyhow::bail!("the API needs a listener"),
        (None, _) => {}
    }
    if let Some(state) = worker {
        tasks.spawn(async move {
            adsync_worker::run(state)
                .await
                .map_err(|e| anyhow::anyhow!("worker failed: {e}"))
        });
    }
    // The first part to stop (normally on shutdown) brings the others down with it.
    let mut result = Ok(());
    while let Some(joined) = tasks.join_next().await {
        shutdown.cancel();
        let outcome = joined.context("task panicked").and_then(|r| r);
        if result.is_ok() {
            result = outcome;
        }
    }
    services.db.close().await;
    result
}

/// Cancels `token` on Ctrl-C or SIGTERM.
pub fn cancel_on_signals(token: CancellationToken) {
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => {}
            _ = term => {}
        }
        tracing::info!("shutdown requested; finishing in-flight work");
        token.cancel();
    });
}
