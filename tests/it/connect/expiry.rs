//! The expiry watch against the sandbox with short-lived long-lived tokens.

use std::sync::Arc;
use std::time::Duration;

use adsync_common::config::Config;
use adsync_sandbox::{BudgetConfig, SandboxConfig};

use adsync_storage::queue::Queue;
use adsync_storage::sync_runs::{self, RunStatus};
use adsync_worker::WorkerState;
use adsync_worker::expiry::{self, ExpiryReport};
use adsync_worker::schedule;
use chrono::{DateTime, Utc};
use tokio_util::sync::CancellationToken;

use super::{auto_approve, fixture};
use crate::helpers::Backend;

fn one_hour_tokens() -> SandboxConfig {
    SandboxConfig {
        long_token_ttl: Duration::from_secs(3600),
        ..auto_approve()
    }
}

async fn expires_at(f: &super::Fixture) -> DateTime<Utc> {
    f.card().await["expires_at"]
        .as_str()
        .expect("expires_at")
        .parse()
        .expect("date")
}

async fn expiring_tokens_are_renewed_or_the_owner_is_warned(backend: Backend) {
    let f = fixture(backend, one_hour_tokens()).await;
    f.connect().await;
    let connector = f.app.connector.as_ref().expect("connector");
    let (cipher, token) = f.stored_token().await;
    let first_expiry = expires_at(&f).await;
    assert!(first_expiry < Utc::now() + chrono::Duration::hours(2));

    // Facebook refuses the renewal (its app budget is spent after the check).
    f.control()
        .set_budget(BudgetConfig::with_millis(1_000, 1, 60_000, 60_000));
    let report = expiry::check_all(connector).await.expect("check");
    assert_eq!(
        report,
        ExpiryReport {
            checked: 1,
            expiring_soon: 1,
            ..ExpiryReport::default()
        }
    );
    assert_eq!(f.stored_token().await.0, cipher, "token unchanged");
    let evs = adsync_storage::events::list(&f.app.db, f.team, 1)
        .await
        .expect("events");
    assert_eq!(evs[0].kind, "token_expiring_soon");
    assert!(evs[0].detail.contains("Reconnect before"), "{}", evs[0].detail);
    let page = f.app.page_text(&f.c, &format!("/teams/{}/connectors", f.team)).await;
    assert!(page.contains("Reconnect before"), "the owner is warned on the page");
    let card = f.card().await;
    assert_eq!(card["status"], "connected", "{card}");
    assert!(
        card["status_detail"]
            .as_str()
            .is_some_and(|d| d.contains("Reconnect before")),
        "the card carries the warning: {card}"
    );
    // The next daily check warns again on the card, not again in the history.
    let before = f.event_kinds().await.len();
    f.control()
        .set_budget(BudgetConfig::with_millis(1_000, 1, 60_000, 60_000));
    assert_eq!(expiry::check_all(connector).await.expect("check").expiring_soon, 1);
    assert_eq!(f.event_kinds().await.len(), before, "one warning event, not one a day");

    // Facebook allows it: a fresh token replaces the old one.
    f.control().set_budget(BudgetConfig::unlimited());
    tokio::time::sleep(Duration::from_millis(1100)).await; // expiry has second precision
    let report = expiry::check_all(connector).await.expect("check");
    assert_eq!(report.refreshed, 1, "{report:?}");
    let (new_cipher, new_token) = f.stored_token().await;
    assert_ne!(new_cipher, cipher);
    assert_ne!(new_token.expose(), token.expose());
    assert_eq!(f.graph_me(&new_token).await.0, 200);
    assert!(expires_at(&f).await > first_expiry);
    assert!(
        f.card().await["status_detail"].is_null(),
        "the warning is gone once renewed"
    );
    assert_eq!(
        f.event_kinds().await.last().map(String::as_str),
        Some("token_refreshed")
    );
    assert!(f.connection().await.expect("conn").last_checked_at.is_some());

    // Revoked at Facebook: needs reconnect at once, and no more checks until then.
    f.control().revoke_token(new_token.expose());
    let report = expiry::check_all(connector).await.expect("check");
    assert_eq!(report.needs_reconnect, 1, "{report:?}");
    let card = f.card().await;
    assert_eq!(card["status"], "needs_reconnect");
    assert!(
        card["status_detail"].as_str().is_some_and(|d| d.contains("Reconnect")),
        "{card}"
    );
    assert!(connector.team_token(f.team).await.is_err(), "syncs stop");
    assert_eq!(expiry::check_all(connector).await.expect("check").checked, 0);

    // Reconnected, then the token expires: the same.
    assert_eq!(f.connect().await, f.connected_location());
    let (_, token) = f.stored_token().await;
    f.control().expire_token(token.expose());
    let report = expiry::check_all(connector).await.expect("check");
    assert_eq!(report.needs_reconnect, 1, "{report:?}");
    assert_eq!(f.card().await["status"], "needs_reconnect");
    let kinds = f.event_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "connection_needs_reconnect").count(),
        2,
        "{kinds:?}"
    );
    f.app.stop().await;
}

/// A worker's state over the fixture's database and its own queue namespace, with `config`.
async fn worker_state(
    f: &super::Fixture,
    backend: Backend,
    config: Arc<Config>,
    shutdown: CancellationToken,
) -> WorkerState {
    let redis = (backend == Backend::Postgres).then(crate::helpers::redis_url);
    let namespace = format!("adsync-test-expiry-{}", uuid::Uuid::new_v4().simple());
    let queue = Queue::connect(&f.app.db, redis.as_deref(), &namespace)
        .await
        .expect("queue");
    WorkerState::new(f.app.db.clone(), queue, config, f.app.connector.clone(), shutdown).await
}

/// Ends every open run of the team, as a worker would have.
async fn finish_open_runs(f: &super::Fixture) {
    for run in sync_runs::list(&f.app.db, f.team, 100).await.expect("runs") {
        if run.status == RunStatus::Queued {
            sync_runs::claim(&f.app.db, run.id, "test", chrono::Duration::seconds(60))
                .await
                .expect("claim")
                .expect("claimed");
            sync_runs::finish(&f.app.db, run.id, "test", RunStatus::Succeeded, None)
                .await
                .expect("finish");
        }
    }
}

async fn scheduled_syncs_stop_until_reconnected(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    let config = Arc::new(Config {
        sync_interval: Duration::ZERO,
        ..(*f.app.config).clone()
    });
    let state = worker_state(&f, backend, config, CancellationToken::new()).await;
    assert_eq!(
        schedule::enqueue_due(&state).await.expect("schedule"),
        0,
        "the backfill is open"
    );
    finish_open_runs(&f).await;
    assert_eq!(schedule::enqueue_due(&state).await.expect("schedule"), 1, "due: queued");
    finish_open_runs(&f).await;

    // The token expires: the watch moves the connection to needs_reconnect, and the
    // schedule leaves it alone however overdue it is.
    let (_, token) = f.stored_token().await;
    f.control().expire_token(token.expose());
    let connector = f.app.connector.as_ref().expect("connector");
    assert_eq!(expiry::check_all(connector).await.expect("check").needs_reconnect, 1);
    assert_eq!(schedule::enqueue_due(&state).await.expect("schedule"), 0, "stopped");

    // Reconnected: the backfill of the reconnect, then the schedule again.
    assert_eq!(f.connect().await, f.connected_location());
    finish_open_runs(&f).await;
    assert_eq!(schedule::enqueue_due(&state).await.expect("schedule"), 1, "resumed");
    finish_open_runs(&f).await;

    // Disconnected: no connection, nothing scheduled.
    let res =
        f.c.delete(f.app.url(&format!("/api/v1/teams/{}/connectors/facebook", f.team)))
            .send()
            .await
            .expect("disconnect");
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        schedule::enqueue_due(&state).await.expect("schedule"),
        0,
        "disconnected"
    );
    f.app.stop().await;
}

async fn the_daily_loop_checks_at_start_and_stops_on_shutdown(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    let connector = f.app.connector.clone().expect("connector");
    let shutdown = CancellationToken::new();
    let state = worker_state(&f, backend, f.app.config.clone(), shutdown.clone()).await;
    let task = tokio::spawn(expiry::run(state, connector));

    // A 60-day token is valid and far from expiry: checked, nothing else.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let conn = f.connection().await.expect("conn");
        if conn.last_checked_at.is_some() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the first check runs at start");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("stops on shutdown")
        .expect("no panic");
    assert_eq!(f.event_kinds().await, ["connection_created"]);
    f.app.stop().await;
}

/// A team's own interval (set through the settings API, as the owner) replaces the server's:
/// with the server's interval at zero (always due), a team synced just now on a 31-day
/// interval is not due, and back on the default it is. Members cannot change it, and a
/// value outside 15 minutes to 31 days is refused, naming the field.
async fn a_team_interval_replaces_the_server_default(backend: Backend) {
    let f = fixture(backend, auto_approve()).await;
    f.connect().await;
    finish_open_runs(&f).await;
    let config = Arc::new(Config {
        sync_interval: Duration::ZERO,
        ..(*f.app.config).clone()
    });
    let state = worker_state(&f, backend, config, CancellationToken::new()).await;
    let settings = format!("/api/v1/teams/{}/settings", f.team);
    let patch = |c: &reqwest::Client, value: &str| {
        c.patch(f.app.url(&settings))
            .json(&serde_json::json!({ "sync_interval": value }))
            .send()
    };
    let (_, before) = f.app.get_json(&f.c, &settings).await;
    assert_eq!(before["sync_interval_is_default"], true, "{before}");

    let res = patch(&f.c, "31days").await.expect("patch");
    assert_eq!(res.status(), 200);
    let after: serde_json::Value = res.json().await.expect("json");
    assert_eq!(
        (
            after["sync_interval"].as_str(),
            after["sync_interval_is_default"].as_bool()
        ),
        (Some("31days"), Some(false)),
        "{after}"
    );
    assert_eq!(
        schedule::enqueue_due(&state).await.expect("schedule"),
        0,
        "synced just now, due in a month"
    );

    let res = patch(&f.c, "6h").await.expect("patch");
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["sync_interval"],
        "6h"
    );
    for bad in ["5m", "forever"] {
        let detail = crate::helpers::assert_problem(patch(&f.c, bad).await.expect("patch"), 400).await;
        assert!(detail.contains("sync_interval"), "{detail}");
    }
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, adsync_common::ids::Role::Member)
        .await
        .expect("member");
    let mc = f.app.signed_in("member@example.com").await;
    assert_eq!(patch(&mc, "default").await.expect("patch").status(), 403);
    assert_eq!(
        f.app.get_json(&mc, &settings).await.1["sync_interval"],
        "6h",
        "members read it"
    );

    let res = patch(&f.c, "default").await.expect("patch");
    assert_eq!(
        res.json::<serde_json::Value>().await.expect("json")["sync_interval_is_default"],
        true
    );
    assert_eq!(
        schedule::enqueue_due(&state).await.expect("schedule"),
        1,
        "the server's interval again"
    );
    f.app.stop().await;
}

crate::on_both_backends!(
    expiring_tokens_are_renewed_or_the_owner_is_warned,
    the_daily_loop_checks_at_start_and_stops_on_shutdown,
    scheduled_syncs_stop_until_reconnected,
    a_team_interval_replaces_the_server_default,
);
