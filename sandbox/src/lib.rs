//! adsync-sandbox: a faithful local stand-in for Facebook's OAuth dialog and the
//! Marketing (Graph) API, for the demo and all tests, and an SMTP server that keeps what it
//! is sent ([`MailSink`]).
//!
//! Everything is deterministic from the seed: the dataset, the ground truth
//! ([`Dataset::row`], [`Dataset::totals`], [`truth`]) and the injected faults.

mod action_json;
mod ad_platform;
mod ads;
mod async_reports;
mod batch;
mod breakdowns;
mod budget;
mod config;
mod control;
mod dataset;
mod dialog;
mod errors;
mod faults;
mod figures;
mod format;
mod generate;
mod graph;
mod hash;
mod http;
mod identity;
mod mail;
mod me;
mod oauth;
mod oidc;
mod paging;
mod platform_records;
mod query;
mod report_runs;
mod request;
mod row_json;
mod rows;
mod state;
mod stats;
mod tokens;
mod truth;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

pub use breakdowns::Breakdown;
pub use config::{AccountThrottle, BudgetConfig, DatasetName, FaultConfig, SandboxConfig};
pub use control::Control;
pub use dataset::{Account, Ad, AdSet, Campaign, Dataset, Level, Reporting};
pub use figures::WINDOWS as ATTRIBUTION_WINDOWS;
pub use format::currency_decimals;
pub use identity::Identity;
pub use mail::{Mail, MailSink, Mailbox};
pub use stats::Stats;
pub use truth::{ByWindow, Conversion, MetricsRow, Reported, Totals, truth};

use state::Shared;

/// Largest batch the batch endpoint accepts.
pub const MAX_BATCH: usize = batch::MAX_BATCH;

/// A sandbox instance (not yet serving).
pub struct Sandbox {
    sh: Arc<Shared>,
    mailbox: Option<Mailbox>,
}

impl Sandbox {
    pub fn new(config: SandboxConfig) -> Self {
        Self {
            sh: Shared::new(config),
            mailbox: None,
        }
    }

    /// Shows what a [`MailSink`] received at `/__sandbox/mail`.
    pub fn with_mailbox(mut self, mailbox: Mailbox) -> Self {
        self.mailbox = Some(mailbox);
        self
    }

    /// All routes: Graph paths under any `/{version}/`, the dialog, `/__sandbox/stats`, and
    /// `/__sandbox/mail` with a mailbox.
    pub fn router(&self) -> axum::Router {
        let router = http::router(self.sh.clone());
        match &self.mailbox {
            Some(mailbox) => router.merge(mail::page(mailbox.clone())),
            None => router,
        }
    }

    pub fn control(&self) -> Control {
        Control { sh: self.sh.clone() }
    }

    pub fn dataset(&self) -> &Dataset {
        &self.sh.dataset
    }

    /// Serves on `listener` in a background task.
    pub async fn spawn(self, listener: tokio::net::TcpListener) -> SandboxHandle {
        let addr = listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = self.router();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = rx.await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(shutdown).await {
                tracing::warn!(error = %e, "sandbox server stopped");
            }
        });
        SandboxHandle {
            sh: self.sh,
            addr,
            shutdown: Some(tx),
            task,
        }
    }
}

/// A running sandbox.
pub struct SandboxHandle {
    sh: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SandboxHandle {
    /// `http://127.0.0.1:PORT`: both `FACEBOOK_GRAPH_URL` and `FACEBOOK_DIALOG_URL`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn app_id(&self) -> &str {
        // The app credentials never change after start.
        &self.creds().0
    }
    pub fn app_secret(&self) -> &str {
        &self.creds().1
    }
    fn creds(&self) -> &(String, String) {
        &self.sh.creds
    }
    pub fn stats(&self) -> Stats {
        self.sh.stats().clone()
    }
    pub fn dataset(&self) -> &Dataset {
        &self.sh.dataset
    }
    pub fn control(&self) -> Control {
        Control { sh: self.sh.clone() }
    }
    /// Stops serving and waits for the server task.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SandboxHandle {
    fn drop(&mut self) {
        if self.shutdown.is_some() {
            self.task.abort();
        }
    }
}

/// Serves a sandbox until `shutdown` completes (for `adsync sandbox --port N`).
pub async fn serve(
    config: SandboxConfig,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Sandbox::new(config).router();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
