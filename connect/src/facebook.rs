//! The Facebook Ads adapter: what differs from the generic OAuth flow.

use std::time::Duration;

use chrono::{DateTime, Utc};
use url::Url;

use super::{ConnectError, Grant, ProviderSpec, TokenCheck, TokenRules};
use adsync_common::Secret;
use adsync_common::graph::{GraphClient, GraphError};
use adsync_storage::connections::AdAccount;

pub static SPEC: ProviderSpec = ProviderSpec {
    platform: "facebook",
    display_name: "Facebook",
    scopes: &["ads_read", "business_management"],
    required_scopes: &["ads_read"],
    state_ttl: Duration::from_secs(600),
    tokens: TokenRules {
        refresh_window: Duration::from_secs(7 * 24 * 3600),
        renewable_while_valid: true,
    },
};

#[derive(Clone)]
pub struct FacebookAdapter {
    graph: GraphClient,
}

impl FacebookAdapter {
    pub fn new(graph: GraphClient) -> Self {
        Self { graph }
    }

    pub fn graph(&self) -> &GraphClient {
        &self.graph
    }

    pub(super) fn authorize_url(&self, redirect_uri: &Url, state: &str, scopes: &[&str]) -> Url {
        self.graph.authorize_url(redirect_uri, state, scopes)
    }

    fn fail(e: GraphError) -> ConnectError {
        ConnectError::from_graph(SPEC.display_name, e)
    }

    /// Code → short-lived token → long-lived token → debug_token (expiry, scopes, user) →
    /// required permissions → ad accounts.
    pub(super) async fn complete(&self, code: &str, redirect_uri: &Url) -> Result<Grant, ConnectError> {
        let short = self.graph.exchange_code(code, redirect_uri).await.map_err(Self::fail)?;
        let long = self.graph.exchange_long_lived(&short.token).await.map_err(Self::fail)?;
        let info = self.graph.debug_token(&long.token).await.map_err(Self::fail)?;
        if !info.is_valid {
            return Err(ConnectError::CodeRejected {
                provider: SPEC.display_name,
                detail: "Facebook reports the new token as invalid".into(),
            });
        }
        // A token issued to another app must not be stored as ours (Facebook's login
        // security checklist: compare debug_token's app_id with the app's own).
        if info.app_id.as_deref().is_some_and(|id| id != self.graph.app_id()) {
            return Err(ConnectError::CodeRejected {
                provider: SPEC.display_name,
                detail: "the token was issued to another app".into(),
            });
        }
        if let Some(missing) = SPEC.required_scopes.iter().find(|s| !info.has_scope(s)) {
            return Err(ConnectError::PermissionDeclined {
                permission: (*missing).to_string(),
            });
        }
        let me = self.graph.me(&long.token).await.map_err(Self::fail)?;
        let accounts: Vec<AdAccount> = self
            .graph
            .ad_accounts(&long.token)
            .await
            .map_err(Self::fail)?
            .into_iter()
            .map(|a| AdAccount {
                id: a.id,
                account_id: a.account_id,
                name: a.name,
                currency: a.currency,
                timezone_name: a.timezone_name,
                // The saved choice of an account seen before is kept (see `connections::save`).
                synced: true,
            })
            .collect();
        if accounts.is_empty() {
            return Err(ConnectError::NoAdAccounts {
                provider: SPEC.display_name,
            });
        }
        Ok(Grant {
            external_user_id: info.user_id.clone().unwrap_or(me.id),
            external_user_name: Some(me.name),
            token: long.token,
            expires_at: info.expires_at.or(long.expires_at),
            scopes: info.scopes,
            accounts,
        })
    }

    pub(super) async fn revoke(&self, token: &Secret<String>) -> Result<(), GraphError> {
        self.graph.revoke(token).await
    }

    pub(super) async fn check(&self, token: &Secret<String>) -> Result<TokenCheck, ConnectError> {
        match self.graph.debug_token(token).await {
            Ok(info) if info.is_valid => Ok(TokenCheck::Valid {
                expires_at: info.expires_at,
            }),
            Ok(info) => Ok(TokenCheck::Invalid {
                reason: info
                    .error
                    .unwrap_or_else(|| "Facebook reports the token as invalid".into()),
            }),
            Err(GraphError::TokenInvalid { message, .. }) => Ok(TokenCheck::Invalid { reason: message }),
            Err(e) => Err(Self::fail(e)),
        }
    }

    pub(super) async fn refresh(
        &self,
        token: &Secret<String>,
    ) -> Result<(Secret<String>, Option<DateTime<Utc>>), ConnectError> {
        let fresh = self.graph.exchange_long_lived(token).await.map_err(Self::fail)?;
        let expires_at = match self.graph.debug_token(&fresh.token).await {
            Ok(info) => info.expires_at.or(fresh.expires_at),
            Err(_) => fresh.expires_at,
        };
        Ok((fresh.token, expires_at))
    }
}
