//! Connecting a team to an ad platform over OAuth 2, written once for every provider.
//! A provider is a [`ProviderSpec`] (data: scopes, lifetimes, names) plus a small adapter
//! (the calls that differ: code exchange, identity, accounts, revoke). Facebook Ads is the
//! first; another platform is a new spec and adapter, not a copy of the flow.

mod deauthorize;
mod error;
mod facebook;
mod flow;
pub mod signed_request;

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::Secret;
use crate::storage::connections::AdAccount;

pub use deauthorize::DeletionReceipt;
pub use error::ConnectError;
pub use facebook::FacebookAdapter;
pub use flow::{CallbackOutcome, CallbackParams, Connector, DisconnectOutcome, TokenCheck};

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
    /// Tokens expiring within this window are refreshed (or the owner warned).
    pub refresh_window: Duration,
}

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
}
