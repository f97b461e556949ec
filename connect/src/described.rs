//! The token calls of an OAuth 2 provider described by data (`ProviderDescription`): the
//! authorization URL, the code exchange, refreshing (keeping the refresh token when the
//! provider does not rotate it, replacing it when it does) and RFC 7009 revocation. The
//! provider's answers are classified so the connect flow can act: a refused grant means the
//! connection needs the owner to reconnect; a provider that is down means trying later.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use adsync_common::Secret;
use adsync_common::config::DescribedProvider;

/// What a token endpoint gave.
#[derive(Debug, Clone)]
pub struct TokenSet {
    pub access_token: Secret<String>,
    /// The refresh token to keep: the new one when the provider rotated it, else the one
    /// used (or none, when the provider issues none).
    pub refresh_token: Option<Secret<String>>,
    pub expires_at: Option<DateTime<Utc>>,
    pub scopes: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The grant is gone (revoked, expired, a rotated refresh token reused): reconnect.
    #[error("{provider} refused the grant ({detail}); the owner must reconnect")]
    Revoked { provider: String, detail: String },
    #[error("{provider} is not reachable right now ({detail})")]
    Unavailable { provider: String, detail: String },
    #[error("{provider} answered what OAuth 2 does not describe ({detail})")]
    Protocol { provider: String, detail: String },
    #[error("{0} issues no refresh tokens")]
    NoRefreshToken(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    expires_in: Option<u64>,
    refresh_token: Option<String>,
    scope: Option<String>,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    error_description: Option<String>,
}

#[derive(Clone)]
pub struct DescribedClient {
    provider: DescribedProvider,
    http: reqwest::Client,
}

impl DescribedClient {
    pub fn new(provider: DescribedProvider) -> Result<Self, reqwest::Error> {
        adsync_common::graph::install_crypto_provider();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(adsync_common::graph::CONNECT_TIMEOUT)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self { provider, http })
    }

    pub fn provider(&self) -> &DescribedProvider {
        &self.provider
    }

    fn name(&self) -> String {
        self.provider.description.display_name.clone()
    }

    /// The provider's consent page for this `state`.
    pub fn authorize_url(&self, redirect: &Url, state: &str) -> Url {
        let d = &self.provider.description;
        let mut url = d.authorize_url.clone();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &self.provider.client_id)
            .append_pair("redirect_uri", redirect.as_str())
            .append_pair("scope", &d.scopes.join(&d.scope_separator))
            .append_pair("state", state)
            .extend_pairs(&d.authorize_params);
        url
    }

    pub async fn exchange(&self, code: &str, redirect: &Url) -> Result<TokenSet, TokenError> {
        self.token_call(
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", redirect.as_str()),
            ],
            None,
        )
        .await
    }

    /// Renews the access token with `refresh`; the answer's refresh token replaces it when
    /// the provider rotated it.
    pub async fn refresh(&self, refresh: &Secret<String>) -> Result<TokenSet, TokenError> {
        if !self.provider.description.refresh_tokens {
            return Err(TokenError::NoRefreshToken(self.name()));
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.expose().as_str()),
        ];
        self.token_call(&form, Some(refresh)).await
    }

    /// Whether an access token expiring at `expires_at` is due for renewal at `now`.
    pub fn due(&self, expires_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let before = chrono::Duration::from_std(self.provider.refresh_before()).unwrap_or_default();
        expires_at.is_some_and(|at| at - before <= now)
    }

    /// Revokes a token at the provider (RFC 7009). `Ok(false)` when the provider has no
    /// revocation endpoint.
    pub async fn revoke(&self, token: &Secret<String>) -> Result<bool, TokenError> {
        let Some(url) = self.provider.description.revoke_url.clone() else {
            return Ok(false);
        };
        let form = [
            ("token", token.expose().as_str()),
            ("client_id", self.provider.client_id.as_str()),
            ("client_secret", self.provider.client_secret.expose().as_str()),
        ];
        let resp = self
            .http
            .post(url)
            .form(&form)
            .send()
            .await
            .map_err(|e| self.unavailable(e))?;
        let status = resp.status();
        if status.is_success() {
            Ok(true)
        } else if status.is_server_error() {
            Err(self.unavailable(format!("revocation answered {status}")))
        } else {
            Err(TokenError::Protocol {
                provider: self.name(),
                detail: format!("revocation answered {status}"),
            })
        }
    }

    fn unavailable(&self, e: impl std::fmt::Display) -> TokenError {
        TokenError::Unavailable {
            provider: self.name(),
            detail: e.to_string(),
        }
    }

    async fn token_call(
        &self,
        grant: &[(&str, &str)],
        used_refresh: Option<&Secret<String>>,
    ) -> Result<TokenSet, TokenError> {
        let mut form = grant.to_vec();
        form.push(("client_id", self.provider.client_id.as_str()));
        form.push(("client_secret", self.provider.client_secret.expose().as_str()));
        let resp = self
            .http
            .post(self.provider.description.token_url.clone())
            .form(&form)
            .send()
            .await
            .map_err(|e| self.unavailable(e))?;
        let status = resp.status();
        let body = resp.bytes().await.map_err(|e| self.unavailable(e))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(self.unavailable(format!("the token endpoint answered {status}")));
        }
        if !status.is_success() {
            let (error, detail) = match serde_json::from_slice::<ErrorAnswer>(&body) {
                Ok(e) => (
                    e.error.clone(),
                    format!("{}: {}", e.error, e.error_description.unwrap_or_default()),
                ),
                Err(_) => (String::new(), format!("the token endpoint answered {status}")),
            };
            return Err(if error == "invalid_grant" {
                TokenError::Revoked {
                    provider: self.name(),
                    detail,
                }
            } else {
                TokenError::Protocol {
                    provider: self.name(),
                    detail,
                }
            });
        }
        let answer: TokenAnswer = serde_json::from_slice(&body).map_err(|e| TokenError::Protocol {
            provider: self.name(),
            detail: format!("token answer: {e}"),
        })?;
        if answer
            .token_type
            .as_deref()
            .is_some_and(|t| !t.eq_ignore_ascii_case("bearer"))
        {
            return Err(TokenError::Protocol {
                provider: self.name(),
                detail: "token_type is not Bearer".into(),
            });
        }
        let lifetime = answer.expires_in.or(self.provider.description.access_token_seconds);
        let expires_at = lifetime
            .and_then(|s| chrono::Duration::try_seconds(i64::try_from(s).ok()?))
            .map(|d| Utc::now() + d);
        let scopes = match answer.scope {
            Some(s) => s
                .split([' ', ','])
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            None => self.provider.description.scopes.clone(),
        };
        Ok(TokenSet {
            access_token: Secret::new(answer.access_token),
            refresh_token: answer.refresh_token.map(Secret::new).or_else(|| used_refresh.cloned()),
            expires_at,
            scopes,
        })
    }
}
