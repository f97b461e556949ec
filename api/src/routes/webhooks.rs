//! A team's webhooks (owners only): endpoints that receive its alerts (a failed sync, a
//! connection that needs reconnecting or was revoked, a token about to expire), signed with
//! a secret shown once at registration, and the deliveries made to each, which can be sent
//! again. See `common::alerts` for the payload and the signature.

use adsync_common::alerts;
use adsync_storage::webhooks::{self, Delivery, Webhook};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::auth::TeamOwner;
use crate::extract::ApiJson;
use crate::{ApiError, AppState};

/// Endpoints per team.
const MAX_WEBHOOKS: usize = 10;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_webhooks, add_webhook))
        .routes(routes!(remove_webhook))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay_delivery))
}

/// The team's endpoints.
#[derive(Serialize, utoipa::ToSchema)]
struct WebhookList {
    webhooks: Vec<Webhook>,
}

/// An endpoint to register.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewWebhook {
    /// Where alerts are POSTed: `https://…` (plain `http://` only to this machine).
    url: String,
}

/// The registered endpoint and its signing secret, shown this once.
#[derive(Serialize, utoipa::ToSchema)]
struct RegisteredWebhook {
    webhook: Webhook,
    /// Verifies `Adsync-Signature` (`t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`).
    secret: String,
}

/// Deliveries to one endpoint, newest first.
#[derive(Serialize, utoipa::ToSchema)]
struct DeliveryList {
    deliveries: Vec<Delivery>,
}

/// A webhook URL an owner may register: absolute, http(s), https unless it is this machine.
pub fn check_url(raw: &str) -> Result<String, ApiError> {
    let bad = |why: &str| ApiError::BadRequest(format!("url: {why}"));
    let raw = raw.trim();
    if raw.len() > 2000 {
        return Err(bad("at most 2000 characters"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&format!("not an absolute URL ({e})")))?;
    let local = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if local => {}
        "http" => return Err(bad("use https (plain http only to this machine)")),
        other => return Err(bad(&format!("{other}: is not https"))),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("no user or password in the URL"));
    }
    Ok(url.to_string())
}

/// Registers an endpoint and creates its secret, encrypted at rest like tokens.
pub async fn add(state: &AppState, team: adsync_common::ids::TeamId, url: &str) -> Result<(Webhook, String), ApiError> {
    let url = check_url(url)?;
    if webhooks::list(&state.db, team).await?.len() >= MAX_WEBHOOKS {
        return Err(ApiError::Conflict(format!(
            "This team already has {MAX_WEBHOOKS} webhooks; remove one first."
        )));
    }
    let keyring = state.config.keyring().map_err(ApiError::internal)?;
    let secret = alerts::new_secret();
    let ciphertext = keyring.encrypt(&secret.clone().into());
    let webhook = webhooks::create(&state.db, team, &url, &ciphertext).await?;
    Ok((webhook, secret))
}

fn id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("No {what} {raw:?} in this team.")))
}

/// The team's webhook endpoints.
#[utoipa::path(get, path = "/api/v1/teams/{team}/webhooks", tag = "alerts", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), responses(
    (status = 200, description = "The endpoints (never their secrets)", body = WebhookList), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_webhooks(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
) -> Result<axum::Json<WebhookList>, ApiError> {
    Ok(axum::Json(WebhookList {
        webhooks: webhooks::list(&state.db, owner.team).await?,
    }))
}

/// Registers an endpoint; its signing secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/teams/{team}/webhooks", tag = "alerts", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id")), request_body = NewWebhook, responses(
    (status = 201, description = "Registered", body = RegisteredWebhook),
    (status = 400, description = "Not a URL alerts can be sent to; `detail` says why", body = crate::error::Problem, content_type = "application/problem+json"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such team, or the caller is not a member of it (the same answer, so team ids reveal nothing)", body = crate::error::Problem, content_type = "application/problem+json"),
    (status = 409, description = "The team has as many webhooks as allowed", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn add_webhook(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, axum::Json<RegisteredWebhook>), ApiError> {
    let (webhook, secret) = add(&state, owner.team, &body.url).await?;
    Ok((StatusCode::CREATED, axum::Json(RegisteredWebhook { webhook, secret })))
}

/// Removes an endpoint and its deliveries.
#[utoipa::path(delete, path = "/api/v1/teams/{team}/webhooks/{id}", tag = "alerts", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id"), ("id" = i64, Path, description = "Webhook id")), responses(
    (status = 204, description = "Removed"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such webhook in this team, or no such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn remove_webhook(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    Path(path): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let raw = path.1;
    let webhook = id(&raw, "webhook")?;
    webhooks::delete(&state.db, owner.team, webhook)
        .await
        .map_err(|e| not_found(e, "webhook", &raw))?;
    Ok(StatusCode::NO_CONTENT)
}

/// The latest 100 deliveries to one endpoint, newest first, with their outcome.
#[utoipa::path(get, path = "/api/v1/teams/{team}/webhooks/{id}/deliveries", tag = "alerts", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id"), ("id" = i64, Path, description = "Webhook id")), responses(
    (status = 200, description = "Deliveries", body = DeliveryList), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such webhook in this team, or no such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn list_deliveries(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    Path(path): Path<(String, String)>,
) -> Result<axum::Json<DeliveryList>, ApiError> {
    let raw = path.1;
    let webhook = id(&raw, "webhook")?;
    if !webhooks::list(&state.db, owner.team)
        .await?
        .iter()
        .any(|w| w.id == webhook)
    {
        return Err(ApiError::NotFound(format!("No webhook {raw:?} in this team.")));
    }
    Ok(axum::Json(DeliveryList {
        deliveries: webhooks::deliveries(&state.db, owner.team, webhook, 100).await?,
    }))
}

/// Sends a delivery again now (whatever its outcome was), with a fresh signature.
#[utoipa::path(post, path = "/api/v1/teams/{team}/webhooks/{id}/deliveries/{delivery}/replay", tag = "alerts", security(("session" = []), ("api_token" = [])), params(("team" = i64, Path, description = "Team id"), ("id" = i64, Path, description = "Webhook id"), ("delivery" = i64, Path, description = "Delivery id")), responses(
    (status = 202, description = "Queued: a worker sends it within seconds"), (status = 401, description = "Not signed in", body = crate::error::Problem, content_type = "application/problem+json"), (status = 403, description = "Not an owner of this team", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No such delivery of this webhook in this team, or no such team for the caller", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn replay_delivery(
    State(state): State<AppState>,
    TeamOwner(owner): TeamOwner,
    Path(path): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let (_, raw_webhook, raw_delivery) = path;
    let (webhook, delivery) = (id(&raw_webhook, "webhook")?, id(&raw_delivery, "delivery")?);
    webhooks::replay(&state.db, owner.team, webhook, delivery)
        .await
        .map_err(|e| not_found(e, "delivery", &raw_delivery))?;
    Ok(StatusCode::ACCEPTED)
}

fn not_found(e: adsync_storage::StorageError, what: &str, raw: &str) -> ApiError {
    match e {
        adsync_storage::StorageError::NotFound => ApiError::NotFound(format!("No {what} {raw:?} in this team.")),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_this_machine() {
        assert!(check_url("https://hooks.example.com/adsync?x=1").is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook").is_ok());
        for bad in [
            "http://hooks.example.com/",
            "ftp://example.com/",
            "/relative",
            "https://user:pw@example.com/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }
}
