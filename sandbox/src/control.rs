//! Runtime knobs for tests and the demo: tokens, approvals, restatement, faults, budgets.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::{BudgetConfig, FaultConfig};
use crate::request::lock;
use crate::state::Shared;
use crate::stats::Stats;

/// A cheap clonable handle on a running sandbox's knobs.
#[derive(Clone)]
pub struct Control {
    pub(crate) sh: Arc<Shared>,
}

impl Control {
    /// Who signs in at the identity provider (`/o/oauth2/v2/auth`) when its consent page is
    /// skipped (auto-approve) or left as it is.
    pub fn set_identity(&self, identity: crate::identity::Identity) {
        lock(&self.sh.idp).identity = identity;
    }

    /// The generic OAuth 2 ad platform's client: `(client id, client secret)`.
    pub fn platform_client(&self) -> (String, String) {
        crate::ad_platform::client(&self.sh)
    }

    /// Revokes every grant at the generic ad platform, as when the person removes the app
    /// there: its refresh and access tokens stop working.
    pub fn revoke_platform_grants(&self) {
        lock(&self.sh.platform).revoke_all();
    }

    /// The identity provider's OAuth client: `(client id, client secret)`.
    pub fn idp_client(&self) -> (String, String) {
        crate::oidc::client(&self.sh)
    }

    /// The id of the user the dialog logs in as.
    pub fn user_id(&self) -> String {
        lock(&self.sh.oauth).user.id.clone()
    }
    /// Makes one token expired (later calls → 190 / 463).
    pub fn expire_token(&self, token: &str) {
        if let Some(t) = lock(&self.sh.oauth).tokens.get_mut(token) {
            t.expires_at = SystemTime::now() - Duration::from_secs(1);
        }
    }
    /// Expires every token of a user.
    pub fn expire_user_tokens(&self, user_id: &str) {
        lock(&self.sh.oauth).expire_user(user_id);
    }
    /// Revokes one token (later calls → 190 / 458).
    pub fn revoke_token(&self, token: &str) {
        self.revoke_token_with(token, 458);
    }
    /// Revokes one token with a chosen 190 subcode (458, 460 or 467).
    pub fn revoke_token_with(&self, token: &str, subcode: u32) {
        if let Some(t) = lock(&self.sh.oauth).tokens.get_mut(token) {
            t.revoked = Some(subcode);
        }
    }
    /// Revokes every token of a user (as if they removed the app: 190 / 458).
    pub fn revoke_user(&self, user_id: &str) {
        let mut store = lock(&self.sh.oauth);
        store.grants.remove(user_id);
        store.revoke_user(user_id, 458);
    }
    /// While set, approvals decline `ads_read`.
    pub fn decline_ads_read(&self, decline: bool) {
        lock(&self.sh.oauth).decline_ads_read = decline;
    }
    /// Approve in the dialog without showing it.
    pub fn set_auto_approve(&self, on: bool) {
        self.sh.with_cfg(|c| c.auto_approve = on);
    }
    /// Changes conversions of the last 28 days (0 restores them).
    pub fn set_restatement(&self, generation: u32) {
        self.sh.dataset.set_restatement(generation);
        self.sh.with_cfg(|c| c.restatement = generation);
    }
    /// Replaces the fault configuration (and forgets attempt counts).
    pub fn set_faults(&self, faults: FaultConfig) {
        lock(&self.sh.faults).set_config(faults.clone());
        self.sh.with_cfg(|c| c.faults = faults);
    }
    /// Replaces the budgets (and clears usage and blocks).
    pub fn set_budget(&self, budget: BudgetConfig) {
        lock(&self.sh.budget).set_config(budget.clone());
        self.sh.with_cfg(|c| c.budget = budget);
    }
    /// Lists only the first `n` accounts at `/me/adaccounts` (`None`: all of them).
    pub fn set_visible_accounts(&self, n: Option<usize>) {
        self.sh.with_cfg(|c| c.visible_accounts = n);
    }
    pub fn set_latency(&self, latency: Duration) {
        self.sh.with_cfg(|c| c.latency = latency);
    }
    pub fn set_max_page_size(&self, n: u32) {
        self.sh.with_cfg(|c| c.max_page_size = n);
    }
    /// See [`crate::SandboxConfig::max_days_x_fields`].
    pub fn set_max_days_x_fields(&self, n: Option<u64>) {
        self.sh.with_cfg(|c| c.max_days_x_fields = n);
    }
    /// See [`crate::SandboxConfig::max_request_rows`].
    pub fn set_max_request_rows(&self, n: Option<u64>) {
        self.sh.with_cfg(|c| c.max_request_rows = n);
    }
    pub fn set_async_steps(&self, n: u32) {
        self.sh.with_cfg(|c| c.async_steps = n);
    }
    pub fn stats(&self) -> Stats {
        self.sh.stats().clone()
    }
    pub fn reset_stats(&self) {
        *self.sh.stats() = Stats::default();
    }
}
