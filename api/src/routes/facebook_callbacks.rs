//! Facebook's own callbacks: deauthorize (a person removed the app), data deletion (a
//! person asked for their data to go) and the public status page of a deletion request.
//! Both POSTs carry a `signed_request` verified with the app secret before anything else.

use adsync_connect::Connector;
use adsync_connect::signed_request::{self, SignedRequest};
use adsync_storage::deletion;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, html};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::routes::connectors::connect_error;
use crate::{ApiError, AppState};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(deauthorize))
        .routes(routes!(data_deletion))
        .routes(routes!(deletion_status))
}

/// The form body Facebook posts to both callbacks.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // documents the body; handlers parse it from bytes before anything else.
struct SignedRequestForm {
    /// `<base64url HMAC-SHA256 signature>.<base64url JSON payload>`, signed with the app secret.
    signed_request: String,
}

/// What Facebook expects from a deauthorize callback.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct Deauthorized {
    success: bool,
}

/// What Facebook expects from a data-deletion callback: where the person can follow it.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct DeletionReceipt {
    url: String,
    confirmation_code: String,
}

/// A deletion request's state, for `Accept: application/json`.
#[derive(serde::Serialize, utoipa::ToSchema)]
struct DeletionStatus {
    confirmation_code: String,
    status: String,
    requested_at: chrono::DateTime<chrono::Utc>,
}

/// The connector and the verified request, or a problem: 404 when no Facebook app is
/// configured (there is nothing to verify against), 400 for any bad `signed_request`.
fn verify<'a>(state: &'a AppState, body: &[u8]) -> Result<(&'a Connector, SignedRequest), ApiError> {
    let not_configured = || ApiError::NotFound("Facebook is not configured on this server.".into());
    let connector = state.connector.as_ref().ok_or_else(not_configured)?;
    let app = state.config.facebook.as_ref().ok_or_else(not_configured)?;
    let raw = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "signed_request")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let request = signed_request::parse(&raw, app.app_secret.expose()).map_err(|e| {
        tracing::warn!(error = %e, "refused a Facebook signed_request");
        ApiError::BadRequest(format!("Invalid signed_request: {e}."))
    })?;
    Ok((connector, request))
}

/// A person removed the app: their teams' connections become `revoked` (data kept).
#[utoipa::path(post, path = "/facebook/deauthorize", tag = "facebook",
    request_body(content = SignedRequestForm, content_type = "application/x-www-form-urlencoded"), responses(
    (status = 200, description = "Handled", body = Deauthorized),
    (status = 400, description = "Missing or invalid signed_request", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No Facebook app configured", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn deauthorize(State(state): State<AppState>, body: Bytes) -> Result<axum::Json<Deauthorized>, ApiError> {
    let (connector, request) = verify(&state, &body)?;
    let teams = connector.deauthorize(&request.user_id).await.map_err(connect_error)?;
    tracing::info!(teams = teams.len(), "Facebook deauthorize callback handled");
    Ok(axum::Json(Deauthorized { success: true }))
}

/// A person asked for their data to be deleted: tokens and their teams' synced data go.
#[utoipa::path(post, path = "/facebook/data-deletion", tag = "facebook",
    request_body(content = SignedRequestForm, content_type = "application/x-www-form-urlencoded"), responses(
    (status = 200, description = "Where to follow the deletion, as Facebook expects", body = DeletionReceipt),
    (status = 400, description = "Missing or invalid signed_request", body = crate::error::Problem, content_type = "application/problem+json"), (status = 404, description = "No Facebook app configured", body = crate::error::Problem, content_type = "application/problem+json"),
))]
async fn data_deletion(State(state): State<AppState>, body: Bytes) -> Result<axum::Json<DeletionReceipt>, ApiError> {
    let (connector, request) = verify(&state, &body)?;
    let receipt = connector.delete_user_data(&request).await.map_err(connect_error)?;
    tracing::info!(teams = receipt.teams.len(), "Facebook data-deletion callback handled");
    let base = state.config.public_url.as_str().trim_end_matches('/');
    let url = format!("{base}/facebook/deletion-status/{}", receipt.confirmation_code);
    Ok(axum::Json(DeletionReceipt {
        url,
        confirmation_code: receipt.confirmation_code,
    }))
}

/// Public (Facebook links people here): says what was deleted and when. JSON on request.
#[utoipa::path(get, path = "/facebook/deletion-status/{code}", tag = "facebook",
    params(("code" = String, Path, description = "Confirmation code")), responses(
    (status = 200, description = "An HTML page, or with `Accept: application/json` the request's state", content(
        (DeletionStatus = "application/json"),
        (String = "text/html"),
    )),
    (status = 404, description = "Unknown confirmation code: an HTML page, or a problem with `Accept: application/json`", content(
        (crate::error::Problem = "application/problem+json"),
        (String = "text/html"),
    )),
))]
async fn deletion_status(State(state): State<AppState>, headers: HeaderMap, Path(code): Path<String>) -> Response {
    let well_formed = !code.is_empty() && code.len() <= 64 && code.bytes().all(|b| b.is_ascii_alphanumeric());
    let found = if well_formed {
        match deletion::get_request(&state.db, &code).await {
            Ok(found) => found,
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else {
        None
    };
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    match (found, wants_json) {
        (None, true) => ApiError::NotFound("No deletion request has this confirmation code.".into()).into_response(),
        (Some(r), true) => axum::Json(DeletionStatus {
            confirmation_code: r.confirmation_code,
            status: r.status,
            requested_at: r.created_at,
        })
        .into_response(),
        (found, false) => {
            let status = if found.is_some() {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            };
            let body = html! {
                (DOCTYPE)
                html lang="en" {
                    head {
                        meta charset="utf-8";
                        title { "Data deletion status · adsync" }
                        link rel="stylesheet" href="/assets/app.css";
                    }
                    body { main {
                        h1 { "Data deletion status" }
                        @match &found {
                            Some(r) => {
                                p { "Confirmation code: " code.confirmation { (r.confirmation_code) } }
                                p { "Status: " strong.status { (r.status) } }
                                p { "Requested on " (r.created_at.format("%Y-%m-%d %H:%M UTC")) ". adsync deleted the Facebook connections made by this person (access tokens, Facebook user id and name) and the ad data synced through them." }
                            }
                            None => p { "No deletion request has this confirmation code." }
                        }
                    } }
                }
            };
            (status, Html(body.into_string())).into_response()
        }
    }
}
