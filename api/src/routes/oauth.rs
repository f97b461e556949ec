//! The OAuth callback: always a redirect back to a page with a message, never a 500.

use adsync_common::connect::CallbackParams;
use adsync_common::storage::sync_runs::{NewRun, RunKind};
use axum::Router;
use axum::extract::{Query, RawQuery, State};
use axum::http::request::Parts;
use axum::response::Redirect;
use axum::routing::get;

use crate::AppState;
use crate::auth::authenticate;

pub fn router() -> Router<AppState> {
    Router::new().route("/oauth/facebook/callback", get(oauth_callback))
}

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
            let backfill = NewRun {
                team_id: team,
                kind: RunKind::Backfill,
                ad_account_id: None,
                since: None,
                until: None,
                requested_by: user,
            };
            match adsync_common::syncs::request(&state.db, &state.queue, &backfill).await {
                Ok(_) => "ok",
                Err(e) => {
                    // The run row may exist; the worker's refill will queue it.
                    tracing::warn!(error = %e, "could not queue the initial backfill");
                    "ok"
                }
            }
        }
        Err(e) => e.kind(),
    };
    Redirect::to(&format!("{}?connect={kind}", outcome.return_to))
}
