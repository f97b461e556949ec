//! The OAuth callback: always a redirect back to a page with a message, never a 500.

use adsync_connect::CallbackParams;
use axum::extract::{Query, RawQuery, State};
use axum::http::request::Parts;
use axum::response::Redirect;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::AppState;
use crate::auth::authenticate;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(oauth_callback))
}

/// Where Facebook's dialog returns (`code`, `state`, or `error`). Always a redirect to the
/// connectors page with `?connect=ok` or the failure kind; never an error page.
#[utoipa::path(get, path = "/oauth/facebook/callback", tag = "connectors", params(
    ("code" = Option<String>, Query, description = "Authorization code"),
    ("state" = Option<String>, Query, description = "The state adsync created"),
    ("error" = Option<String>, Query, description = "Set when the person declined"),
), responses((status = 303, description = "Redirect to the connectors page with the outcome")))]
async fn oauth_callback(State(state): State<AppState>, parts: Parts, RawQuery(raw): RawQuery) -> Redirect {
    // Parse leniently: a malformed query is a failed connection, not a 400 page.
    let params: CallbackParams = Query::try_from_uri(&parts.uri).map(|q| q.0).unwrap_or_else(|_| {
        tracing::info!(
            query_len = raw.as_deref().map(str::len).unwrap_or(0),
            "unparseable OAuth callback query"
        );
        CallbackParams::default()
    });
    let Some(connector) = state.connector.as_ref() else {
        return Redirect::to("/teams?connect=not_configured");
    };
    let user = authenticate(&parts, &state).await.ok().flatten();
    let outcome = connector.callback(params, user).await;
    let Some(team) = outcome.team else {
        let kind = outcome.result.err().map(|e| e.kind()).unwrap_or("state_unknown");
        return Redirect::to(&format!("/teams?connect={kind}"));
    };
    let kind = match outcome.result {
        Ok(_) => {
            let queued = async {
                let run = adsync_storage::syncs::after_connect(&state.db, team, user, state.config.lookback_days)
                    .await
                    // Not knowing what is stored, fetch everything rather than nothing.
                    .unwrap_or_else(|_| adsync_storage::sync_runs::NewRun::backfill(team, user));
                adsync_storage::syncs::request(&state.db, &state.queue, &run).await
            };
            if let Err(e) = queued.await {
                // The run row may exist; the worker's refill will queue it.
                tracing::warn!(error = %e, "could not queue the sync after connecting");
            }
            "ok"
        }
        Err(e) => e.kind(),
    };
    Redirect::to(&format!("{}?connect={kind}", outcome.return_to))
}
