//! What the provider tells us on its own: a person removed the app (deauthorize) or asked
//! for their data to be deleted. Both arrive as verified `signed_request`s (see
//! [`super::signed_request`]); here they change connections, tokens and synced data.

use super::signed_request::SignedRequest;
use super::{ConnectError, Connector};
use adsync_common::ids::TeamId;
use adsync_storage::connections::{self, ConnectionStatus};
use adsync_storage::events::{self, EventKind};
use adsync_storage::{StorageError, deletion};

/// The answer to a data-deletion request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletionReceipt {
    pub confirmation_code: String,
    /// Teams whose connection and synced data were removed.
    pub teams: Vec<TeamId>,
}

impl Connector {
    /// The provider user removed adsync: every connection made through them becomes
    /// `revoked` and its token is forgotten. Returns the teams affected (empty when the
    /// user is unknown, which is not an error: Facebook may call for any app user).
    pub async fn deauthorize(&self, external_user_id: &str) -> Result<Vec<TeamId>, ConnectError> {
        let platform = self.provider().spec().platform;
        let name = self.provider().spec().display_name;
        let mut teams = Vec::new();
        for conn in connections::of_external_user(self.db(), platform, external_user_id).await? {
            connections::forget_token(self.db(), conn.id).await?;
            let detail = format!("{name} access was removed by the {name} user; reconnect to resume syncing.");
            if connections::set_status(self.db(), conn.id, ConnectionStatus::Revoked, Some(&detail)).await? {
                events::record(
                    self.db(),
                    conn.team_id,
                    platform,
                    EventKind::ConnectionRevoked,
                    None,
                    &detail,
                )
                .await?;
            }
            tracing::info!(team_id = %conn.team_id, connection_id = conn.id, "connection revoked by the provider");
            teams.push(conn.team_id);
        }
        Ok(teams)
    }

    /// The provider user asked for their data to be deleted: their connections are revoked
    /// and then removed (token, their id and name), the synced data of those teams is
    /// deleted, and a receipt is stored under a fresh confirmation code. The event log keeps
    /// what happened, without personal data. The same request sent again (Facebook retries,
    /// or a replay) gets the first receipt's code and changes nothing.
    pub async fn delete_user_data(&self, request: &SignedRequest) -> Result<DeletionReceipt, ConnectError> {
        if let Some(code) = deletion::code_for_request(self.db(), &request.digest).await? {
            return Ok(DeletionReceipt {
                confirmation_code: code,
                teams: Vec::new(),
            });
        }
        let external_user_id = request.user_id.as_str();
        let platform = self.provider().spec().platform;
        let name = self.provider().spec().display_name;
        let teams = self.deauthorize(external_user_id).await?;
        for team in &teams {
            let rows = deletion::delete_synced_data(self.db(), *team).await?;
            match connections::delete(self.db(), *team, platform).await {
                Ok(()) | Err(StorageError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
            let detail = format!(
                "At the {name} user's request, adsync deleted the connection and the team's synced {name} data."
            );
            events::record(self.db(), *team, platform, EventKind::DataDeleted, None, &detail).await?;
            tracing::info!(team_id = %team, rows, "synced data deleted on the provider's request");
        }
        let confirmation_code =
            match deletion::record_request(self.db(), platform, external_user_id, &request.digest).await {
                // The same request handled at the same moment by another replica: one receipt.
                Err(StorageError::Conflict) => deletion::code_for_request(self.db(), &request.digest)
                    .await?
                    .ok_or(StorageError::NotFound)?,
                other => other?,
            };
        Ok(DeletionReceipt {
            confirmation_code,
            teams,
        })
    }
}
