//! Real processes, real signals: a worker killed with SIGKILL in the middle of a backfill is
//! replaced by another, which resumes the run from its checkpoints; the data ends exact.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use adsync_common::storage::sync_runs::{self, RunKind, RunStatus};
use adsync_sandbox::SandboxConfig;

use crate::connect::{Fixture, auto_approve, fixture};
use crate::helpers::Backend;
use crate::sync::assert_matches_truth;

/// `adsync work` as its own process, configured like the test app; it serves /readyz and
/// /metrics on `ops`.
struct Worker {
    child: Child,
    ops: String,
}

fn spawn_worker(f: &Fixture) -> Worker {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let cfg = &f.app.config;
    let sandbox = f.app.sandbox.as_ref().expect("sandbox");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
    cmd.arg("work")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", cfg.database_url.expose())
        .env(
            "ADSYNC_ENCRYPTION_KEY",
            cfg.encryption_key.as_ref().expect("key").expose(),
        )
        .env("ADSYNC_PUBLIC_URL", cfg.public_url.as_str())
        .env("FACEBOOK_APP_ID", sandbox.app_id())
        .env("FACEBOOK_APP_SECRET", sandbox.app_secret())
        .env("FACEBOOK_GRAPH_URL", sandbox.base_url())
        .env("FACEBOOK_DIALOG_URL", sandbox.base_url())
        .env("ADSYNC_QUEUE_NAMESPACE", &cfg.queue_namespace)
        .env("ADSYNC_RUN_LEASE", "3s")
        .env("ADSYNC_WORKER_CONCURRENCY", "1")
        .env("ADSYNC_WORKER_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(redis) = &cfg.redis_url {
        cmd.env("REDIS_URL", redis.expose());
    }
    let dir = tempfile::tempdir().expect("dir");
    Worker {
        child: cmd.current_dir(dir.path()).spawn().expect("start adsync work"),
        ops: format!("http://127.0.0.1:{port}"),
    }
}

/// The value of the first sample of `metric` whose labels contain `labels`, if any.
fn sample(text: &str, metric: &str, labels: &str) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']) && l.contains(labels))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

async fn run_state(f: &Fixture, run: adsync_common::ids::RunId) -> sync_runs::SyncRun {
    sync_runs::get(&f.app.db, f.team, run).await.expect("db").expect("run")
}

#[tokio::test]
async fn a_worker_killed_mid_backfill_is_resumed_by_another_with_exact_data() {
    // Slow answers keep the backfill running long enough to kill it in the middle.
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(60),
        ..auto_approve()
    };
    let f = fixture(Backend::Postgres, sandbox).await;
    assert_eq!(f.connect().await, f.connected_location());
    let runs = sync_runs::list(&f.app.db, f.team, 10).await.expect("runs");
    let run = runs
        .iter()
        .find(|r| r.kind == RunKind::Backfill)
        .expect("backfill queued")
        .id;

    let Worker { child: mut first, .. } = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run_state(&f, run).await;
        if r.status == RunStatus::Running && r.progress.done >= 8 {
            break;
        }
        assert!(
            r.status != RunStatus::Succeeded,
            "the run finished before the kill; slow the sandbox down"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "the first worker never got going: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let killed_at = run_state(&f, run).await;
    assert_eq!(
        killed_at.status,
        RunStatus::Running,
        "the dead worker still holds its lease"
    );
    assert!(killed_at.progress.done < killed_at.progress.total);

    let Worker { child: mut second, .. } = spawn_worker(&f);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    let done = loop {
        let r = run_state(&f, run).await;
        if matches!(r.status, RunStatus::Succeeded | RunStatus::Failed) {
            break r;
        }
        assert!(tokio::time::Instant::now() < deadline, "the run was not resumed: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let _ = second.kill();
    let _ = second.wait();
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.progress.done, done.progress.total);
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;
}

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
                "backfill of team {team} did not finish: {b:?}"
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
        let text = http
            .get(format!("{}/metrics", w.ops))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
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
    let adsync_common::storage::Db::Postgres(pool) = &f.app.db else {
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
