//! Redis restarted empty in the middle of a backfill: the running run goes on (its truth is
//! in PostgreSQL), the queued one that only lived in Redis is pushed again from the runs
//! table, a resync asked for while Redis was down is accepted and runs, the worker process
//! survives, and both teams end with exact data.

use std::time::Duration;

use adsync_sandbox::SandboxConfig;
use adsync_storage::sync_runs::RunStatus;

use super::{PrivateRedis, free_port, spawn_worker, wait_for_end};
use crate::connect::{Fixture, auto_approve};
use crate::helpers::{Backend, spawn_app_with_sandbox_and};
use crate::truth::assert_matches_truth;

#[tokio::test]
async fn redis_restarted_empty_mid_run_loses_no_sync() {
    let mut redis = PrivateRedis::start(free_port()).await;
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(60),
        ..auto_approve()
    };
    let app = spawn_app_with_sandbox_and(Backend::Postgres, sandbox, &[("REDIS_URL", &redis.url())]).await;
    let (owner, team, c) = app.owner("owner@example.com", "Acme").await;
    let f = Fixture { app, owner, team, c };
    assert_eq!(f.connect().await, f.connected_location());
    let (_, other, c2) = f.app.owner("owner2@example.com", "Team 2").await;
    let authorize = f.start(&c2, other).await;
    let callback = f.dialog(&authorize).await;
    assert_eq!(
        f.callback(&c2, callback.as_str()).await,
        format!("/teams/{other}/connectors?connect=ok")
    );

    // One worker taking one job at a time: one backfill runs, the other waits in Redis.
    let mut worker = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let (running, waiting) = loop {
        let (a, b) = (f.backfill_of(f.team).await, f.backfill_of(other).await);
        let pair = match (a.status, b.status) {
            (RunStatus::Running, RunStatus::Queued) => Some((a.clone(), b.clone())),
            (RunStatus::Queued, RunStatus::Running) => Some((b.clone(), a.clone())),
            _ => None,
        };
        if let Some((r, w)) = pair
            && r.progress.done >= 4
        {
            break (r, w);
        }
        assert!(
            a.status != RunStatus::Succeeded && b.status != RunStatus::Succeeded,
            "a backfill finished before the restart; slow the sandbox down"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "no backfill got going: {a:?} {b:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };

    redis.kill();
    // Redis stays away until the worker has noticed (its readiness fails): the outage is
    // real, not a blip between two polls.
    let http = crate::helpers::client();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let ready = http
            .get(format!("{}/readyz", worker.ops))
            .send()
            .await
            .map(|r| r.status().as_u16());
        if ready.is_ok_and(|s| s == 503) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never noticed Redis was gone"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A resync asked for while Redis is down is accepted and runs once it is back: its row
    // is written, and the refill queues it (never "503" for a run that then happens anyway).
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = (ds.today() - chrono::Duration::days(2), ds.today());
    let (status, body) = f
        .app
        .post_json(
            &f.c,
            &format!("/api/v1/teams/{}/syncs", f.team),
            serde_json::json!({"since": since, "until": until}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let during_outage = adsync_common::ids::RunId(body["id"].as_i64().expect("run id"));
    let _restarted = PrivateRedis::start(redis.port).await;

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let runs = [
        (running.id, running.team_id),
        (waiting.id, waiting.team_id),
        (during_outage, f.team),
    ];
    for (id, team) in runs {
        let done = wait_for_end(&f, team, id, deadline, Some((&mut worker, "Redis went away"))).await;
        assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    }
    let _ = worker.child.kill();
    let _ = worker.child.wait();
    for team in [f.team, other] {
        assert_matches_truth(&f.app, team, ds.today() - chrono::Duration::days(89), ds.today()).await;
    }
}
