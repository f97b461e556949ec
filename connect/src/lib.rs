//! Connecting a team to an ad platform over OAuth 2, written once for every provider.
//!
//! The flow ([`Connector`]: state, callback checks, encrypted storage, events, reconnect,
//! disconnect, token checks) knows no platform. A platform is:
//! - a [`ProviderSpec`]: its id, names, scopes and required scopes, how long a `state`
//!   lives, and its [`TokenRules`];
//! - its endpoints and app credentials from configuration (for Facebook `FACEBOOK_APP_ID`,
//!   `FACEBOOK_APP_SECRET`, `FACEBOOK_DIALOG_URL`, `FACEBOOK_GRAPH_URL`,
//!   `FACEBOOK_API_VERSION`);
//! - a small adapter for the calls that differ: finishing a grant (code exchange, identity,
//!   ad accounts), revoke, token check and renewal.
//!
//! Facebook Ads is the first; Google Ads would be a spec, its configuration and an adapter
//! variant of [`Provider`], not a copy of the flow.

mod deauthorize;
pub mod described;
mod error;
mod facebook;
mod flow;
pub mod gate;
mod proxy;
pub mod sign_in;
pub mod signed_request;

use std::time::Duration;

use chrono::{DateTime, Utc};

use adsync_common::Secret;
use adsync_storage::connections::AdAccount;

pub use deauthorize::DeletionReceipt;
pub use error::ConnectError;
pub use facebook::FacebookAdapter;
pub use flow::{CallbackOutcome, CallbackParams, Connector, DisconnectOutcome, TokenCheck};
pub use proxy::ProxyError;

/// The data that describes a provider.
#[derive(Debug, Clone)]
pub struct ProviderSpec {
    /// Stable id used in URLs and tables (`facebook`).
    pub platform: &'static str,
    pub display_name: &'static str,
    pub scopes: &'static [&'static str],
    /// Scopes without which a connection is useless; a decline is reported by name.
    pub required_scopes: &'static [&'static str],
    /// How long an OAuth `state` stays valid.
    pub state_ttl: Duration,
    /// How its tokens live: what the expiry watch does about them.
    pub tokens: TokenRules,
}

/// A provider's token lifetime rules.
#[derive(Debug, Clone)]
pub struct TokenRules {
    /// Tokens expiring within this window are renewed, or the owner is warned.
    pub refresh_window: Duration,
    /// Whether a still-valid token can be exchanged for a fresh one. Facebook: yes, a
    /// long-lived token can be re-exchanged until it expires (there are no refresh tokens);
    /// where it cannot, the owner is warned to reconnect in time.
    pub renewable_while_valid: bool,
}

/// Facebook Ads' description; the routes named `/facebook/...` and its cards use its id.
pub static FACEBOOK: &ProviderSpec = &facebook::SPEC;

/// Every provider adsync knows, for what runs over all of them (the schedule, admin lists).
pub static PROVIDERS: &[&ProviderSpec] = &[&facebook::SPEC];

/// What a provider granted on a successful callback.
#[derive(Debug, Clone)]
pub struct Grant {
    pub external_user_id: String,
    pub external_user_name: Option<String>,
    pub token: Secret<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
    pub accounts: Vec<AdAccount>,
}

/// The adapters adsync knows. An enum rather than a trait object: the set is closed and
/// known at compile time, and async methods stay simple.
#[derive(Clone)]
pub enum Provider {
    Facebook(FacebookAdapter),
}

impl Provider {
    pub fn spec(&self) -> &ProviderSpec {
        match self {
            Provider::Facebook(_) => &facebook::SPEC,
        }
    }

    /// The API client that syncs this provider's ad accounts.
    pub fn graph(&self) -> &adsync_common::graph::GraphClient {
        match self {
            Provider::Facebook(fb) => fb.graph(),
        }
    }
}
