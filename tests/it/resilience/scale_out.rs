//! Scale-out proof: PostgreSQL + Redis, the API in this process and three worker processes.

use std::time::Duration;

use adsync_sandbox::SandboxConfig;
use adsync_storage::sync_runs::{self, RunKind, RunStatus};

use super::{Worker, sample, spawn_worker};
use crate::connect::{auto_approve, fixture};
use crate::helpers::Backend;
use crate::truth::assert_matches_truth;

/// Scale-out proof: PostgreSQL + Redis, the API in this process and three `adsync work`
/// processes; three teams connect; runs spread over the workers, every team's data is exact,
/// and under a tight shared budget the sandbox counts no call made while blocked.
#[tokio::test]
async fn three_worker_processes_share_the_queue_and_the_rate_budget() {
    use adsync_common::ids::Role;
    use adsync_sandbox::BudgetConfig;

    // All three teams reach the same sandbox ad account, so they share its budget.
    let budget = BudgetConfig::with_millis(60, 100_000, 2_000, 60_000);
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(10),
        budget,
        ..auto_approve()
    };
    let f = fixture(Backend::Postgres, sandbox).await;
    assert_eq!(f.connect().await, f.connected_location());
    let mut teams = vec![f.team];
    for n in 2..=3 {
        let email = format!("owner{n}@example.com");
        let owner = f.app.user(&email).await;
        let team = f.app.team(&format!("Team {n}"), &[(owner, Role::Owner)]).await;
        let c = f.app.signed_in(&email).await;
        let authorize = f.start(&c, team).await;
        let callback = f.dialog(&authorize).await;
        assert_eq!(
            f.callback(&c, callback.as_str()).await,
            format!("/teams/{team}/connectors?connect=ok")
        );
        teams.push(team);
    }

    let mut workers: Vec<Worker> = (0..3).map(|_| spawn_worker(&f)).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut runs = Vec::new();
    for team in &teams {
        let run = loop {
            let r = sync_runs::list(&f.app.db, *team, 10).await.expect("runs");
            let b = r.into_iter().find(|r| r.kind == RunKind::Backfill).expect("backfill");
            if matches!(b.status, RunStatus::Succeeded | RunStatus::Failed) {
                break b;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "backfill of team {team} did not finish: {b:?}; sandbox {:?}",
                f.app.sandbox.as_ref().map(|s| s.stats())
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        };
        assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
        runs.push(run.id);
    }
    // Each worker process reports itself: ready and taking jobs, and its own job counters.
    let http = crate::helpers::client();
    let mut started_per_worker = Vec::new();
    for w in &workers {
        let ready: serde_json::Value = http
            .get(format!("{}/readyz", w.ops))
            .send()
            .await
            .expect("readyz")
            .json()
            .await
            .expect("json");
        assert_eq!(ready["worker"], "taking_jobs", "{ready}");
        let text = w.metrics().await;
        assert!(
            sample(&text, "adsync_sync_lag_days_max", "").is_some(),
            "the sync lag gauge:\n{text}"
        );
        started_per_worker.push(sample(&text, "adsync_jobs_started_total", r#"kind="backfill""#).unwrap_or(0.0));
    }
    assert!(
        started_per_worker.iter().sum::<f64>() >= 3.0,
        "three backfills started: {started_per_worker:?}"
    );
    assert!(
        started_per_worker.iter().filter(|n| **n > 0.0).count() >= 2,
        "the workers' own /metrics show the runs spread: {started_per_worker:?}"
    );
    for w in &mut workers {
        let _ = w.child.kill();
        let _ = w.child.wait();
    }
    let adsync_storage::Db::Postgres(pool) = &f.app.db else {
        panic!("postgres")
    };
    let claimants: Vec<Option<String>> =
        sqlx::query_scalar("SELECT DISTINCT claimed_by FROM sync_runs WHERE kind = 'backfill'")
            .fetch_all(pool)
            .await
            .expect("claimants");
    assert!(
        claimants.len() >= 2,
        "runs were spread over the worker processes: {claimants:?}"
    );

    let stats = f.app.sandbox.as_ref().expect("sandbox").stats();
    assert!(
        stats.requests > 60,
        "the backfills needed more than one window's budget: {stats:?}"
    );
    assert_eq!(stats.calls_while_blocked, 0, "{stats:?}");
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    for team in teams {
        assert_matches_truth(&f.app, team, ds.today() - chrono::Duration::days(89), ds.today()).await;
    }
}

/// The failed sign-in limit holds across API replicas: failures counted by this process and by
/// an `adsync serve` process on the same database add up, and both refuse the account after.
#[tokio::test]
async fn failed_sign_ins_add_up_across_api_replicas() {
    let f = fixture(Backend::Postgres, auto_approve()).await;
    f.app.user("replicas@example.com").await;
    let other = super::spawn_process(&f, "serve", f.app.config.database_url.expose());
    other.until_answering("/healthz").await;
    let http = crate::helpers::client();
    let sign_in = |base: String, password: &'static str| {
        let http = http.clone();
        async move {
            http.post(format!("{base}/api/v1/session"))
                .json(&serde_json::json!({"email": "replicas@example.com", "password": password}))
                .send()
                .await
                .expect("sign in")
                .status()
                .as_u16()
        }
    };
    let (here, there) = (f.app.base.clone(), other.ops.clone());
    // Five failures, three here and two there: each replica alone has seen fewer than five.
    for base in [&here, &there, &here, &there, &here] {
        assert_eq!(sign_in(base.clone(), "wrong-password").await, 401);
    }
    for base in [&here, &there] {
        assert_eq!(
            sign_in(base.clone(), crate::helpers::PASSWORD).await,
            429,
            "{base} refuses the account after five failures on both replicas"
        );
    }
}
