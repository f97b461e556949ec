//! Calling the provider's API as a team, for what adsync does not model itself: the API's
//! proxy route and code in the worker call [`Connector::get_as_team`]. The call goes through
//! the same rate gate as the syncs (Facebook's usage headers steer it, a block is shared
//! through Redis), an invalid token marks the connection for reconnecting as a sync would,
//! and the token never leaves: it is sent in a header and taken out of the answer.

use std::time::{Duration, Instant};

use adsync_common::graph::GraphError;
use adsync_common::ids::TeamId;

use crate::gate::RateGate;
use crate::{ConnectError, Connector};

/// Longest a caller waits for the rate gate; a longer wait is answered "try again later".
const LONGEST_WAIT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The path or query cannot be sent (adsync's own check, or Facebook's 400).
    #[error("{0}")]
    BadRequest(String),
    /// The stored token no longer works; the connection now needs its owner to reconnect.
    #[error("The {provider} connection needs its owner to connect again: {reason}")]
    NeedsReconnect { provider: &'static str, reason: String },
    /// The token lacks a permission the call needs.
    #[error("{provider} refused the call: {reason}")]
    Refused { provider: &'static str, reason: String },
    #[error("{provider}'s rate limit for this call is used up; try again in {} s", retry_after.as_secs().max(1))]
    RateLimited {
        provider: &'static str,
        retry_after: Duration,
    },
    #[error("{provider} did not answer usefully ({detail}); try again later")]
    Unavailable { provider: &'static str, detail: String },
}

/// The gate's key for a path: its ad account (`act_<n>/…`), whose budget Facebook counts the
/// call against; anything else shares the app's key.
fn gate_key(path: &str) -> &str {
    match path.split('/').next() {
        Some(first) if first.starts_with("act_") => first,
        _ => "app",
    }
}

impl Connector {
    /// `GET path?query` of the provider's API (for Facebook relative to the Graph API
    /// version, e.g. `act_1/campaigns`) with the team's stored token: the JSON answer as
    /// the provider wrote it, the token and its proof replaced by `[redacted]`.
    pub async fn get_as_team(
        &self,
        gate: &RateGate,
        team: TeamId,
        path: &str,
        query: &[(String, String)],
    ) -> Result<String, ProxyError> {
        let provider = self.name();
        adsync_common::graph::check_request(path, query).map_err(|e| ProxyError::BadRequest(e.to_string()))?;
        let (conn, token) = self.team_token(team).await?;
        let key = gate_key(path);
        if let Some((wait, why)) = gate.pending_pause(key).await
            && wait > LONGEST_WAIT
        {
            tracing::info!(%why, "proxy call refused: the rate gate holds calls");
            return Err(ProxyError::RateLimited {
                provider,
                retry_after: wait,
            });
        }
        if tokio::time::timeout(LONGEST_WAIT, gate.acquire(key)).await.is_err() {
            return Err(ProxyError::RateLimited {
                provider,
                retry_after: LONGEST_WAIT,
            });
        }
        let sent = Instant::now();
        let graph = self.provider().graph();
        let result = graph.get_as(path, query, &token).await;
        let (usage, error) = match &result {
            Ok((_, usage)) => (usage.clone(), None),
            Err(e) => (Default::default(), Some(e)),
        };
        gate.observe(key, &usage, error, sent).await;
        match result {
            Ok((body, _)) => Ok(body),
            Err(GraphError::TokenInvalid { message, .. }) => {
                self.mark_needs_reconnect(&conn, &message).await?;
                Err(ProxyError::NeedsReconnect {
                    provider,
                    reason: message,
                })
            }
            Err(e @ GraphError::PermissionMissing { .. }) => Err(ProxyError::Refused {
                provider,
                reason: e.to_string(),
            }),
            Err(e @ (GraphError::InvalidRequest { .. } | GraphError::ReduceData { .. })) => {
                Err(ProxyError::BadRequest(e.to_string()))
            }
            Err(e) if e.retry_after().is_some() || matches!(e, GraphError::Throttled { .. }) => {
                Err(ProxyError::RateLimited {
                    provider,
                    retry_after: e.retry_after().unwrap_or(Duration::from_secs(60)),
                })
            }
            Err(e) => Err(ProxyError::Unavailable {
                provider,
                detail: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn calls_are_gated_by_the_ad_account_they_read() {
        assert_eq!(super::gate_key("act_12/campaigns"), "act_12");
        assert_eq!(super::gate_key("act_12"), "act_12");
        assert_eq!(super::gate_key("me/adaccounts"), "app");
    }
}
