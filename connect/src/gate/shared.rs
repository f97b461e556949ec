//! What the gate tells others: why calls wait (for the run's pages) and the Redis that shares
//! blocks between processes.

use std::fmt;

use redis::aio::ConnectionManager;

/// Why calls on an account wait.
#[derive(Clone, Debug, PartialEq)]
pub enum PauseReason {
    /// Facebook blocked the account (or the app) until the time it gave.
    Blocked,
    /// Utilisation at this percentage: calls spread over the budget's window.
    Pacing { pct: f64 },
}

impl fmt::Display for PauseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Blocked => f.write_str("Facebook's rate limit is reached; waiting until it lets calls through again"),
            Self::Pacing { pct } => write!(f, "{pct:.0} % of Facebook's rate budget used; spreading calls"),
        }
    }
}

/// The Redis that shares blocks between processes (`REDIS_URL`, keys under
/// `ADSYNC_QUEUE_NAMESPACE`); `None` without one, or when it cannot be reached (each process
/// then paces itself and honours throttles on its own).
pub async fn shared_redis(config: &adsync_common::Config) -> Option<(ConnectionManager, String)> {
    let url = config.redis_url.as_ref()?;
    let connected = match redis::Client::open(url.expose().as_str()) {
        Ok(client) => client.get_connection_manager().await,
        Err(e) => Err(e),
    };
    match connected {
        Ok(conn) => Some((conn, config.queue_namespace.clone())),
        Err(e) => {
            tracing::warn!(error = %e, "rate budget not shared: Redis unreachable");
            None
        }
    }
}
