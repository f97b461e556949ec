//! Connect, reconnect (replace and recover) and disconnect, through the dialog and back.

use adsync_storage::{connections, events};
use chrono::{DateTime, Utc};

use super::{auto_approve, connected, fixture, seed_synced_rows, synced_rows};
use crate::helpers::Backend;

async fn connect_lists_accounts_and_queues_a_backfill(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    let before = f.card().await;
    assert_eq!(before["status"], "not_connected");
    assert_eq!(before["configured"], true);

    assert_eq!(f.connect().await, f.connected_location());

    let card = f.card().await;
    assert_eq!(card["status"], "connected", "{card}");
    assert_eq!(card["external_user"]["id"], f.control().user_id());
    let accounts = card["ad_accounts"].as_array().expect("accounts");
    assert!(!accounts.is_empty(), "{card}");
    for a in accounts {
        assert!(a["id"].as_str().is_some_and(|id| id.starts_with("act_")), "{a}");
        assert!(a["currency"].as_str().is_some_and(|c| c.len() == 3), "{a}");
        assert!(a["timezone_name"].as_str().is_some_and(|t| !t.is_empty()), "{a}");
    }
    let expires: DateTime<Utc> = card["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("rfc3339");
    let days = (expires - Utc::now()).num_days();
    assert!((58..=60).contains(&days), "a long-lived token (60 days), got {days}");
    assert!(card["connected_at"].is_string());

    let (ciphertext, token) = f.stored_token().await;
    assert!(!ciphertext.contains(token.expose().as_str()));
    assert!(
        !card.to_string().contains(token.expose().as_str()),
        "no token in the API"
    );
    assert_eq!(f.graph_me(&token).await.0, 200, "the stored token works at Facebook");

    let (_, syncs) = f.app.get_json(&f.c, &format!("/api/v1/teams/{}/syncs", f.team)).await;
    let runs = syncs["syncs"].as_array().expect("syncs");
    assert!(
        runs.iter().any(|r| r["kind"] == "backfill" && r["status"] == "queued"),
        "{syncs}"
    );
    assert_eq!(f.event_kinds().await, ["connection_created"]);

    let page = f.app.page_text(&f.c, &f.connected_location()).await;
    assert!(page.contains("Facebook is connected"), "{page}");
    let first = accounts[0]["name"].as_str().expect("name");
    assert!(page.contains(first), "the page lists the ad accounts");
    assert!(!page.contains(token.expose().as_str()));
    f.app.stop().await;
}

async fn reconnect_replaces_the_token_and_recovers(backend: Backend) {
    let f = connected(backend, auto_approve()).await;
    let (old_cipher, old_token) = f.stored_token().await;

    assert_eq!(f.connect().await, f.connected_location());
    let (new_cipher, new_token) = f.stored_token().await;
    assert_ne!(old_cipher, new_cipher, "the ciphertext changed");
    assert_ne!(
        old_token.expose(),
        new_token.expose(),
        "a new token replaced the old one"
    );
    assert_eq!(f.event_kinds().await, ["connection_created", "connection_replaced"]);

    // A token that stopped working: the connection needs a reconnect, then recovers.
    let conn = f.connection().await.expect("conn");
    let connector = f.app.connector.as_ref().expect("connector");
    connector
        .mark_needs_reconnect(&conn, "Facebook says the token expired.")
        .await
        .expect("mark");
    assert_eq!(f.card().await["status"], "needs_reconnect");
    assert!(
        connector.team_token(f.team).await.is_err(),
        "no syncs until reconnected"
    );

    assert_eq!(f.connect().await, f.connected_location());
    let card = f.card().await;
    assert_eq!(card["status"], "connected");
    assert!(card["status_detail"].is_null());
    assert_eq!(
        f.event_kinds().await,
        [
            "connection_created",
            "connection_replaced",
            "connection_needs_reconnect",
            "connection_recovered"
        ]
    );
    assert!(connector.team_token(f.team).await.is_ok());
    f.app.stop().await;
}

async fn disconnect_revokes_at_facebook_and_keeps_data(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    seed_synced_rows(&f.app, f.team).await;
    let (_, token) = f.stored_token().await;

    let path = format!("/api/v1/teams/{}/connectors/facebook", f.team);
    let (status, body) = f.app.delete_json(&f.c, &path).await;
    assert_eq!(status, 200);
    assert_eq!(body["revoked_at_provider"], true, "{body}");
    assert_eq!(body["data_kept"], true);

    let (status, err) = f.graph_me(&token).await;
    assert_eq!(status, 400);
    assert_eq!(err["error"]["code"], 190, "the token is dead at Facebook: {err}");
    assert_eq!(f.card().await["status"], "not_connected");
    assert_eq!(synced_rows(&f.app, f.team).await, 2, "synced data is kept");
    assert_eq!(
        f.event_kinds().await.last().map(String::as_str),
        Some("connection_removed")
    );

    let res = f.c.delete(f.app.url(&path)).send().await.expect("delete again");
    crate::helpers::assert_problem(res, 404).await;
    f.app.stop().await;
}

/// Facebook revokes a grant per user and app, for every team that user connected: a
/// disconnect leaves the grant alone while another team still uses it, and says so.
async fn disconnect_keeps_a_grant_another_team_uses(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    let (_, token) = f.stored_token().await;
    let (team2, c2) = f.second_team_of_the_same_facebook_user().await;
    assert_eq!(f.card().await["grant_shared_with_teams"], 1);
    let page = f.app.page_text(&f.c, &format!("/teams/{}/connectors", f.team)).await;
    assert!(
        page.contains("also connects 1 other team(s)"),
        "the card says so: {page}"
    );

    let path = format!("/api/v1/teams/{}/connectors/facebook", f.team);
    let (_, body) = f.app.delete_json(&f.c, &path).await;
    assert_eq!(body["revoked_at_provider"], false, "{body}");
    assert_eq!(body["grant_kept_for_other_teams"], 1, "{body}");
    assert_eq!(f.graph_me(&token).await.0, 200, "the grant still works at Facebook");
    let conn = f.connection_of(team2).await.expect("conn");
    let connector = f.app.connector.as_ref().expect("connector");
    let token2 = connector.token_of(&conn).expect("token").expect("some");
    assert_eq!(f.graph_me(&token2).await.0, 200, "the other team keeps syncing");
    let last = events::list(&f.app.db, f.team, 1).await.expect("events");
    assert!(last[0].detail.contains("not revoked"), "{}", last[0].detail);

    // The last team using it disconnects: now it is revoked.
    let (_, body) = f
        .app
        .delete_json(&c2, &format!("/api/v1/teams/{team2}/connectors/facebook"))
        .await;
    assert_eq!(body["revoked_at_provider"], true, "{body}");
    assert_eq!(body["grant_kept_for_other_teams"], 0, "{body}");
    assert_eq!(f.graph_me(&token2).await.0, 400, "revoked at Facebook");
    f.app.stop().await;
}

async fn disconnect_deletes_locally_when_facebook_is_down(backend: Backend) {
    let mut f = fixture(backend, auto_approve()).await;
    f.connect().await;
    f.app.sandbox.take().expect("sandbox").shutdown().await;

    let res =
        f.c.post(f.app.url(&format!("/teams/{}/connectors/facebook/disconnect", f.team)))
            .send()
            .await
            .expect("page disconnect");
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        format!("/teams/{}/connectors?disconnected=local_only", f.team).as_str()
    );
    assert!(f.connection().await.is_none(), "the token is deleted here anyway");
    let evs = adsync_storage::events::list(&f.app.db, f.team, 1)
        .await
        .expect("events");
    assert_eq!(evs[0].kind, "connection_removed");
    assert!(evs[0].detail.contains("failed"), "{}", evs[0].detail);
    let path = format!("/teams/{}/connectors?disconnected=local_only", f.team);
    let page = f.app.page_text(&f.c, &path).await;
    assert!(page.contains("revoking access at Facebook failed"), "{page}");
    f.app.stop().await;
}

async fn several_ad_accounts_are_stored_and_reconciled_on_reconnect(backend: Backend) {
    // The medium dataset: two accounts in different currencies and time zones.
    let f = fixture(
        backend,
        adsync_sandbox::SandboxConfig {
            dataset: adsync_sandbox::DatasetName::Medium,
            ..auto_approve()
        },
    )
    .await;
    let listed = |card: &serde_json::Value| -> Vec<(String, String, String)> {
        let mut out: Vec<_> = card["ad_accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| {
                let field = |k: &str| a[k].as_str().expect("text").to_string();
                (field("id"), field("currency"), field("timezone_name"))
            })
            .collect();
        out.sort();
        out
    };
    assert_eq!(f.connect().await, f.connected_location());
    let both = listed(&f.card().await);
    assert_eq!(both.len(), 2, "{both:?}");
    assert_ne!(both[0].1, both[1].1, "two currencies: {both:?}");
    assert_ne!(both[0].2, both[1].2, "two time zones: {both:?}");

    // The Facebook user lost access to one account: a reconnect keeps only what it reaches.
    f.control().set_visible_accounts(Some(1));
    assert_eq!(f.connect().await, f.connected_location());
    let one = listed(&f.card().await);
    assert_eq!(one.len(), 1, "{one:?}");
    assert!(both.contains(&one[0]));
    let stored = connections::all_ad_accounts(&f.app.db, f.team).await.expect("db");
    assert_eq!(stored.len(), 2, "the other account is kept (its data too), inactive");

    // Access back: both are active again.
    f.control().set_visible_accounts(None);
    assert_eq!(f.connect().await, f.connected_location());
    assert_eq!(listed(&f.card().await), both);
    f.app.stop().await;
}

/// After a finished backfill, a reconnect fetches only what is missing (the days from the
/// newest stored one, less the lookback Facebook may restate), and the page says so; until a
/// backfill has finished, a reconnect runs the full one.
async fn a_reconnect_after_a_backfill_fetches_only_what_is_missing(backend: Backend) {
    let (f, _) = super::synced(backend, auto_approve()).await;
    let latest = adsync_storage::metrics::latest_day(&f.app.db, f.team)
        .await
        .expect("db")
        .expect("synced days");
    assert_eq!(f.connect().await, f.connected_location());
    let since = latest - chrono::Duration::days(i64::from(f.app.config.lookback_days));
    let runs = adsync_storage::sync_runs::list(&f.app.db, f.team, 5)
        .await
        .expect("runs");
    let queued = runs
        .iter()
        .find(|r| r.since == Some(since))
        .expect("the reconnect's run");
    assert_eq!(
        queued.kind,
        adsync_storage::sync_runs::RunKind::Incremental,
        "{queued:?}"
    );
    assert!(
        runs.iter()
            .filter(|r| r.kind == adsync_storage::sync_runs::RunKind::Backfill)
            .count()
            == 1,
        "no second backfill: {runs:?}"
    );
    let page = f.app.page_text(&f.c, &f.connected_location()).await;
    assert!(
        page.contains(&format!(
            "adsync fetches only what is missing: the days from {since} on"
        )),
        "{page}"
    );

    // An account new to the team has nothing stored: its history needs the full backfill.
    let conn = f.connection().await.expect("connection");
    let mut accounts = connections::active_ad_accounts(&f.app.db, f.team)
        .await
        .expect("accounts");
    accounts.push(connections::AdAccount {
        id: "act_424242".into(),
        account_id: "424242".into(),
        name: "New to the team".into(),
        ..accounts[0].clone()
    });
    let again = connections::NewConnection {
        team_id: f.team,
        platform: conn.platform.clone(),
        external_user_id: conn.external_user_id.clone(),
        external_user_name: conn.external_user_name.clone(),
        token_ciphertext: conn.token_ciphertext.clone().expect("token"),
        scopes: conn.scopes.clone(),
        token_expires_at: conn.token_expires_at,
        connected_by: f.owner,
    };
    connections::save(&f.app.db, &again, &accounts).await.expect("save");
    let run = adsync_storage::syncs::after_connect(&f.app.db, f.team, Some(f.owner), f.app.config.lookback_days)
        .await
        .expect("db");
    assert_eq!(run.kind, adsync_storage::sync_runs::RunKind::Backfill, "{run:?}");
}

crate::on_both_backends!(
    a_reconnect_after_a_backfill_fetches_only_what_is_missing,
    several_ad_accounts_are_stored_and_reconciled_on_reconnect,
    connect_lists_accounts_and_queues_a_backfill,
    reconnect_replaces_the_token_and_recovers,
    disconnect_revokes_at_facebook_and_keeps_data,
    disconnect_keeps_a_grant_another_team_uses,
    disconnect_deletes_locally_when_facebook_is_down,
);
