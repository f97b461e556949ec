//! Why a connection attempt failed, in words an owner can act on. Never contains a token.

use adsync_common::graph::GraphError;
use adsync_storage::StorageError;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("{provider} is not configured on this adsync server (set FACEBOOK_APP_ID and FACEBOOK_APP_SECRET).")]
    NotConfigured { provider: &'static str },
    #[error("You cancelled the connection on {provider}; nothing was changed.")]
    Denied { provider: &'static str },
    #[error("The connection link is incomplete (no state). Start again from the connectors page.")]
    StateMissing,
    #[error("This connection link is not valid or has expired. Start again from the connectors page.")]
    StateUnknown,
    #[error("This connection link was already used; each works once. Start again from the connectors page.")]
    StateReused,
    #[error("This connection link expired (they last 10 minutes). Start again from the connectors page.")]
    StateExpired,
    #[error("This connection was started by another user or for another team. Start again from the connectors page.")]
    StateMismatch,
    #[error("Only the team's owner can connect or change a connector.")]
    NotOwner,
    #[error("{provider} did not accept the authorization ({detail}). Please try connecting again.")]
    CodeRejected { provider: &'static str, detail: String },
    #[error("{provider} is not reachable right now ({detail}). Please try again in a few minutes.")]
    ProviderUnavailable { provider: &'static str, detail: String },
    #[error(
        "The permission {permission} was not granted. adsync needs it to read your ad data: connect again and allow it."
    )]
    PermissionDeclined { permission: String },
    #[error("This {provider} user has no ad accounts. Connect with a user who can see the team's ad accounts.")]
    NoAdAccounts { provider: &'static str },
    #[error("The team has no {provider} connection.")]
    NotConnected { provider: &'static str },
    #[error("a stored token cannot be decrypted: {0}")]
    Crypto(#[from] adsync_common::crypto::CryptoError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ConnectError {
    /// Maps a Graph API failure during the callback to what the owner should hear.
    pub fn from_graph(provider: &'static str, e: GraphError) -> Self {
        if e.is_retryable() || matches!(e, GraphError::Http(_)) {
            ConnectError::ProviderUnavailable {
                provider,
                detail: e.to_string(),
            }
        } else {
            ConnectError::CodeRejected {
                provider,
                detail: e.to_string(),
            }
        }
    }

    /// Machine-readable kind, used in events and metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            ConnectError::NotConfigured { .. } => "not_configured",
            ConnectError::Denied { .. } => "denied",
            ConnectError::StateMissing => "state_missing",
            ConnectError::StateUnknown => "state_unknown",
            ConnectError::StateReused => "state_reused",
            ConnectError::StateExpired => "state_expired",
            ConnectError::StateMismatch => "state_mismatch",
            ConnectError::NotOwner => "not_owner",
            ConnectError::CodeRejected { .. } => "code_rejected",
            ConnectError::ProviderUnavailable { .. } => "provider_unavailable",
            ConnectError::PermissionDeclined { .. } => "permission_declined",
            ConnectError::NoAdAccounts { .. } => "no_ad_accounts",
            ConnectError::NotConnected { .. } => "not_connected",
            ConnectError::Crypto(_) => "crypto",
            ConnectError::Storage(_) => "storage",
        }
    }
}
