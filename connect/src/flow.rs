//! The OAuth connection lifecycle for any provider: start, callback, disconnect, and the
//! token checks the worker's expiry watch runs.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use url::Url;

use super::{ConnectError, Grant, Provider};
use adsync_common::Secret;
use adsync_common::crypto::Keyring;
use adsync_common::ids::{Role, TeamId, UserId};
use adsync_storage::connections::{self, Connection, ConnectionStatus, NewConnection, Saved};
use adsync_storage::events::{self, EventKind};
use adsync_storage::oauth_states::Taken;
use adsync_storage::{Db, oauth_states, teams};

/// How long the callback may spend talking to the provider (code exchange, long-lived
/// exchange, token check, identity, ad accounts) before telling the owner to try again.
const CALLBACK_DEADLINE: std::time::Duration = std::time::Duration::from_secs(45);

/// The query string Facebook (or any OAuth 2 provider) sends back to the callback.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct CallbackParams {
    pub code: Option<String>,
    pub state: Option<String>,
    pub error: Option<String>,
    pub error_reason: Option<String>,
    pub error_description: Option<String>,
}

/// Where to send the browser after the callback, and what to tell the owner there.
#[derive(Debug)]
pub struct CallbackOutcome {
    pub team: Option<TeamId>,
    pub return_to: String,
    pub result: Result<Saved, ConnectError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DisconnectOutcome {
    /// False when the provider could not be told, or was not (see `grant_kept_for`); the
    /// token was deleted locally anyway.
    pub revoked_at_provider: bool,
    /// Other teams whose connections use the same provider user's grant. The provider revokes
    /// per user and app, so the grant is revoked only when this is 0.
    pub grant_kept_for: usize,
}

/// The result of checking a stored token with the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenCheck {
    Valid { expires_at: Option<DateTime<Utc>> },
    Invalid { reason: String },
}

#[derive(Clone)]
pub struct Connector {
    db: Db,
    keyring: Arc<Keyring>,
    provider: Provider,
    redirect_uri: Url,
}

impl Connector {
    pub fn new(db: Db, keyring: Arc<Keyring>, provider: Provider, public_url: &Url) -> Self {
        let base = public_url.as_str().trim_end_matches('/');
        let redirect = format!("{base}/oauth/{}/callback", provider.spec().platform);
        // The public URL was validated at start; appending a path keeps it a valid URL.
        let redirect_uri = Url::parse(&redirect).unwrap_or_else(|_| public_url.clone());
        Self {
            db,
            keyring,
            provider,
            redirect_uri,
        }
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub(crate) fn name(&self) -> &'static str {
        self.provider.spec().display_name
    }

    fn platform(&self) -> &'static str {
        self.provider.spec().platform
    }

    /// The redirect URI registered with the provider; byte-identical in dialog and exchange.
    pub fn redirect_uri(&self) -> &Url {
        &self.redirect_uri
    }

    /// Creates a single-use state bound to this user, team and return page, and returns
    /// the provider's dialog URL.
    pub async fn start(&self, team: TeamId, user: UserId, return_to: &str) -> Result<Url, ConnectError> {
        let spec = self.provider.spec();
        let ttl = chrono::Duration::from_std(spec.state_ttl).unwrap_or(chrono::Duration::minutes(10));
        let state = oauth_states::create(&self.db, team, user, spec.platform, return_to, ttl).await?;
        Ok(match &self.provider {
            Provider::Facebook(fb) => fb.authorize_url(&self.redirect_uri, state.expose(), spec.scopes),
        })
    }

    /// Finishes the flow. Every failure is an owner-readable [`ConnectError`]; nothing is
    /// stored unless everything succeeded.
    pub async fn callback(&self, params: CallbackParams, session_user: Option<UserId>) -> CallbackOutcome {
        let Some(state) = params.state.as_deref().filter(|s| !s.is_empty()) else {
            return CallbackOutcome {
                team: None,
                return_to: "/teams".into(),
                result: Err(ConnectError::StateMissing),
            };
        };
        let (pending, refused) = match oauth_states::take(&self.db, state, session_user).await {
            Ok(Taken::Fresh(p)) if p.platform == self.platform() => (p, None),
            Ok(Taken::Reused(p)) if p.platform == self.platform() => (p, Some(ConnectError::StateReused)),
            Ok(Taken::OtherSession(p)) if p.platform == self.platform() => (p, Some(ConnectError::StateMismatch)),
            Ok(_) => {
                return CallbackOutcome {
                    team: None,
                    return_to: "/teams".into(),
                    result: Err(ConnectError::StateUnknown),
                };
            }
            Err(e) => {
                return CallbackOutcome {
                    team: None,
                    return_to: "/teams".into(),
                    result: Err(e.into()),
                };
            }
        };
        let team = pending.team_id;
        let result = match refused {
            Some(e) => Err(e),
            None => self.finish(&params, &pending).await,
        };
        let (kind, detail) = match &result {
            Ok(Saved::Created) => (EventKind::ConnectionCreated, format!("Connected {}.", self.name())),
            Ok(Saved::Replaced {
                was: ConnectionStatus::Connected,
            }) => (
                EventKind::ConnectionReplaced,
                "Reconnected; the new token replaced the old one.".into(),
            ),
            Ok(Saved::Replaced { .. }) => (EventKind::ConnectionRecovered, "Reconnected; syncing resumes.".into()),
            Err(e) => (EventKind::ConnectionFailed, e.to_string()),
        };
        let actor = session_user.filter(|u| *u == pending.user_id);
        if let Err(e) = events::record(&self.db, team, self.platform(), kind, actor, &detail).await {
            tracing::warn!(error = %e, "could not record connection event");
        }
        if let Err(e) = &result {
            tracing::info!(team_id = %team, kind = e.kind(), "connection attempt failed");
        }
        CallbackOutcome {
            team: Some(team),
            return_to: pending.return_to,
            result,
        }
    }

    async fn finish(
        &self,
        params: &CallbackParams,
        pending: &oauth_states::PendingState,
    ) -> Result<Saved, ConnectError> {
        if pending.expires_at < Utc::now() {
            return Err(ConnectError::StateExpired);
        }
        if teams::role_of(&self.db, pending.team_id, pending.user_id).await? != Some(Role::Owner) {
            return Err(ConnectError::NotOwner);
        }
        if params.error.is_some() {
            return Err(ConnectError::Denied { provider: self.name() });
        }
        let code = params
            .code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| ConnectError::CodeRejected {
                provider: self.name(),
                detail: "no authorization code in the callback".into(),
            })?;
        // Each Graph call has its own timeout; the owner's browser waits for all of them, so
        // the whole exchange has a deadline too.
        let provider = self.name();
        let grant: Grant = tokio::time::timeout(CALLBACK_DEADLINE, async {
            match &self.provider {
                Provider::Facebook(fb) => fb.complete(code, &self.redirect_uri).await,
            }
        })
        .await
        .map_err(|_| ConnectError::ProviderUnavailable {
            provider,
            detail: format!("no answer within {} seconds", CALLBACK_DEADLINE.as_secs()),
        })??;
        let saved = connections::save(
            &self.db,
            &NewConnection {
                team_id: pending.team_id,
                platform: self.platform().into(),
                external_user_id: grant.external_user_id.clone(),
                external_user_name: grant.external_user_name.clone(),
                token_ciphertext: self.keyring.encrypt(&grant.token),
                scopes: grant.scopes.clone(),
                token_expires_at: grant.expires_at,
                connected_by: pending.user_id,
            },
            &grant.accounts,
        )
        .await?;
        Ok(saved)
    }

    /// Revokes at the provider (best effort), deletes the token, keeps the synced data.
    pub async fn disconnect(&self, team: TeamId, actor: UserId) -> Result<DisconnectOutcome, ConnectError> {
        let conn = connections::get(&self.db, team, self.platform())
            .await?
            .ok_or(ConnectError::NotConnected { provider: self.name() })?;
        // The provider's revoke ends the user's grant for this app, and so every team that
        // user connected: it is left alone while another team still uses it.
        let grant_kept_for = match conn.token_ciphertext {
            Some(_) => self.teams_sharing_grant(&conn).await?,
            None => 0,
        };
        // No token left means the provider already removed the access (deauthorized, or
        // its data deleted): nothing to revoke, and nothing for the owner to clean up there.
        let (revoked_at_provider, already_gone) = match self.token_of(&conn) {
            Ok(Some(_)) if grant_kept_for > 0 => (false, false),
            Ok(Some(token)) => match &self.provider {
                Provider::Facebook(fb) => match fb.revoke(&token).await {
                    Ok(()) => (true, false),
                    Err(e) => {
                        tracing::warn!(team_id = %team, error = %e, "revoke at provider failed; deleting locally anyway");
                        (false, false)
                    }
                },
            },
            Ok(None) => (true, true),
            Err(_) => (false, false),
        };
        connections::delete(&self.db, team, self.platform()).await?;
        let detail = if grant_kept_for > 0 {
            format!(
                "Disconnected {name} for this team. The {name} user's access was not revoked there: it still connects {grant_kept_for} other team(s) in adsync. Synced data is kept.",
                name = self.name()
            )
        } else if already_gone {
            format!(
                "Disconnected {}; its access had already been removed there. Synced data is kept.",
                self.name()
            )
        } else if revoked_at_provider {
            format!(
                "Disconnected {}; access was revoked there. Synced data is kept.",
                self.name()
            )
        } else {
            format!(
                "Disconnected {}; revoking access there failed, so remove adsync in your {} settings. Synced data is kept.",
                self.name(),
                self.name()
            )
        };
        events::record(
            &self.db,
            team,
            self.platform(),
            EventKind::ConnectionRemoved,
            Some(actor),
            &detail,
        )
        .await?;
        Ok(DisconnectOutcome {
            revoked_at_provider,
            grant_kept_for,
        })
    }

    /// How many other teams have a connection, with a token, of the same provider user.
    pub async fn teams_sharing_grant(&self, conn: &Connection) -> Result<usize, ConnectError> {
        Ok(connections::all(&self.db, self.platform())
            .await?
            .iter()
            .filter(|c| {
                c.team_id != conn.team_id && c.external_user_id == conn.external_user_id && c.token_ciphertext.is_some()
            })
            .count())
    }

    /// The decrypted token of a connection, if it still has one.
    pub fn token_of(&self, conn: &Connection) -> Result<Option<Secret<String>>, ConnectError> {
        conn.token_ciphertext
            .as_deref()
            .map(|c| self.keyring.decrypt(c))
            .transpose()
            .map_err(Into::into)
    }

    /// A usable token for the team, or why there is none.
    pub async fn team_token(&self, team: TeamId) -> Result<(Connection, Secret<String>), ConnectError> {
        let not_connected = || ConnectError::NotConnected { provider: self.name() };
        let conn = connections::get(&self.db, team, self.platform())
            .await?
            .ok_or_else(not_connected)?;
        if conn.status != ConnectionStatus::Connected {
            return Err(not_connected());
        }
        let token = self.token_of(&conn)?.ok_or_else(not_connected)?;
        Ok((conn, token))
    }

    /// Moves a connection to `needs_reconnect` (token expired or revoked). Records the event
    /// once, on the transition.
    pub async fn mark_needs_reconnect(&self, conn: &Connection, reason: &str) -> Result<(), ConnectError> {
        if connections::set_status(&self.db, conn.id, ConnectionStatus::NeedsReconnect, Some(reason)).await? {
            events::record(
                &self.db,
                conn.team_id,
                self.platform(),
                EventKind::ConnectionNeedsReconnect,
                None,
                reason,
            )
            .await?;
        }
        Ok(())
    }

    /// Asks the provider about a token.
    pub async fn check_token(&self, token: &Secret<String>) -> Result<TokenCheck, ConnectError> {
        match &self.provider {
            Provider::Facebook(fb) => fb.check(token).await,
        }
    }

    /// Exchanges a still-valid token for a fresh long-lived one, where the provider allows it.
    pub async fn refresh_token(
        &self,
        token: &Secret<String>,
    ) -> Result<(Secret<String>, Option<DateTime<Utc>>), ConnectError> {
        match &self.provider {
            Provider::Facebook(fb) => fb.refresh(token).await,
        }
    }

    pub fn keyring(&self) -> &Keyring {
        &self.keyring
    }

    pub fn db(&self) -> &Db {
        &self.db
    }
}
