//! Injected faults: each kind hits then clears, slow and dropped connections, and faults
//! that repeat with the seed under concurrency.

use std::time::{Duration, Instant};

use adsync_sandbox::{FaultConfig, SandboxConfig};

use crate::{auto, spawn};

#[tokio::test]
async fn every_fault_kind_hits_then_retry_succeeds() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let base = FaultConfig::default();
    let cases: Vec<(&str, FaultConfig, u16, i64, Option<i64>)> = vec![
        (
            "unknown_error",
            FaultConfig {
                unknown_error: 1.0,
                ..base.clone()
            },
            500,
            1,
            Some(99),
        ),
        (
            "transient",
            FaultConfig {
                transient: 1.0,
                ..base.clone()
            },
            503,
            2,
            Some(1_504_038),
        ),
        (
            "throttle_17",
            FaultConfig {
                throttle_17: 1.0,
                ..base.clone()
            },
            400,
            17,
            Some(2_446_079),
        ),
        (
            "throttle_613",
            FaultConfig {
                throttle_613: 1.0,
                ..base.clone()
            },
            400,
            613,
            Some(1_487_742),
        ),
        (
            "throttle_80000",
            FaultConfig {
                throttle_80000: 1.0,
                ..base.clone()
            },
            400,
            80000,
            Some(2_446_079),
        ),
        (
            "reduce_data",
            FaultConfig {
                reduce_data: 1.0,
                ..base.clone()
            },
            500,
            1,
            None,
        ),
        (
            "expired_token",
            FaultConfig {
                expired_token: 1.0,
                ..base.clone()
            },
            400,
            190,
            Some(463),
        ),
        (
            "revoked_token",
            FaultConfig {
                revoked_token: 1.0,
                ..base.clone()
            },
            400,
            190,
            Some(458),
        ),
    ];
    for (name, cfg, status, code, sub) in cases {
        app.sb.control().set_faults(FaultConfig {
            failures_per_request: 2,
            ..cfg
        });
        let path = format!("{acc}/insights");
        for _ in 0..2 {
            let a = app.get(&path, &[("access_token", &t), ("level", "campaign")]).await;
            assert_eq!(
                (a.status, a.error_code(), a.subcode()),
                (status, Some(code), sub),
                "{name}: {}",
                a.body
            );
            assert!(a.headers.contains_key("x-fb-ads-insights-throttle"), "{name}");
            assert_eq!(
                a.body["error"].get("is_transient").and_then(|v| v.as_bool()),
                is_transient(name),
                "{name}: {}",
                a.body
            );
        }
        let ok = app.get(&path, &[("access_token", &t), ("level", "campaign")]).await;
        assert_eq!(ok.status, 200, "{name} third attempt");
        assert_eq!(app.sb.stats().injected(name), 2, "{name}");
    }
    // Non-account calls are never faulted.
    app.sb.control().set_faults(FaultConfig {
        unknown_error: 1.0,
        ..base
    });
    assert_eq!(app.get("me", &[("access_token", &t)]).await.status, 200);
}

/// `is_transient` as each fault's error carries it: true for the temporary error and the
/// throttles, false for unknown errors and "reduce the amount of data", absent on token
/// errors (a syncer must not retry those).
fn is_transient(fault: &str) -> Option<bool> {
    match fault {
        "transient" | "throttle_17" | "throttle_613" | "throttle_80000" => Some(true),
        "unknown_error" | "reduce_data" => Some(false),
        _ => None,
    }
}

#[tokio::test]
async fn slow_and_dropped_connections() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    app.sb.control().set_faults(FaultConfig {
        slow: 1.0,
        slow_delay: Duration::from_millis(150),
        ..FaultConfig::default()
    });
    let start = Instant::now();
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.status, 200);
    // A lower bound only: the delay was applied (nothing can make it shorter).
    assert!(start.elapsed() >= Duration::from_millis(150));
    assert_eq!(app.sb.stats().injected("slow"), 1);
    // The retry of the same request is not slowed again: counted, not timed.
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.status, 200);
    assert_eq!(app.sb.stats().injected("slow"), 1);

    app.sb.control().set_faults(FaultConfig {
        drop_connection: 1.0,
        ..FaultConfig::default()
    });
    let err = app.http.get(app.url(&acc)).query(&[("access_token", &t)]).send().await;
    assert!(err.is_err(), "connection must drop");
    assert_eq!(app.get(&acc, &[("access_token", &t)]).await.status, 200);
    assert_eq!(app.sb.stats().injected("drop_connection"), 1);
}

/// Half the calls fail once (transient or unknown errors), decided by the seed.
fn often_failing() -> SandboxConfig {
    SandboxConfig {
        faults: FaultConfig {
            transient: 0.3,
            unknown_error: 0.2,
            ..FaultConfig::default()
        },
        ..auto()
    }
}

#[tokio::test]
async fn faults_are_deterministic_per_request_under_concurrency() {
    let cfg = often_failing();
    let outcome = |seed: u64| {
        let cfg = SandboxConfig { seed, ..cfg.clone() };
        async move {
            let app = spawn(cfg).await;
            let t = app.login().await;
            let acc = app.sb.dataset().accounts()[0].id.clone();
            let futs = (1..=20).map(|i| {
                let app = &app;
                let (t, acc) = (t.clone(), acc.clone());
                async move {
                    app.get(
                        &format!("{acc}/insights"),
                        &[("access_token", t.as_str()), ("limit", &i.to_string())],
                    )
                    .await
                    .status
                }
            });
            futures::future::join_all(futs).await
        }
    };
    let a = outcome(5).await;
    let b = outcome(5).await;
    assert_eq!(a, b);
    assert!(a.iter().any(|s| *s != 200) && a.contains(&200), "{a:?}");
}

/// Report run ids come from the seed, so faults keyed on their paths (`GET /{run}`,
/// `GET /{run}/insights`) repeat with the seed like every other fault.
#[tokio::test]
async fn async_report_faults_repeat_with_the_seed() {
    let cfg = often_failing();
    let trace = |seed: u64| {
        let cfg = SandboxConfig { seed, ..cfg.clone() };
        async move {
            let app = spawn(cfg).await;
            let t = app.login().await;
            let acc = app.sb.dataset().accounts()[0].id.clone();
            let create = format!("{acc}/insights");
            let auth = [("access_token", t.as_str())];
            let mut log = Vec::new();
            for limit in 1..=6 {
                let limit = limit.to_string();
                let form = [("access_token", t.as_str()), ("level", "campaign"), ("limit", &limit)];
                // Each request identity fails at most once (failures_per_request = 1).
                let run = retry(&mut log, "POST", || app.post(&create, &form)).await;
                let run = run.body["report_run_id"].as_str().expect("run id").to_string();
                log.push(format!("run {run}"));
                loop {
                    let s = retry(&mut log, "status", || app.get(&run, &auth)).await;
                    if s.body["async_status"] == "Job Completed" {
                        break;
                    }
                    assert!(log.len() < 200, "{log:?}");
                }
                let path = format!("{run}/insights");
                retry(&mut log, "results", || app.get(&path, &auth)).await;
            }
            (log, app.sb.stats().errors_injected)
        }
    };
    let (a, injected_a) = trace(11).await;
    let (b, injected_b) = trace(11).await;
    assert_eq!(a, b);
    assert_eq!(injected_a, injected_b);
    assert!(
        a.iter().any(|l| l.starts_with("status 5")) && a.iter().any(|l| l.starts_with("results 5")),
        "faults met the run paths: {a:?}"
    );
    let runs = |log: &[String]| -> Vec<String> { log.iter().filter(|l| l.starts_with("run ")).cloned().collect() };
    let (other, _) = trace(12).await;
    assert_ne!(runs(&a), runs(&other), "another seed, other run ids");
}

/// Sends until the answer is 200, logging each status under `what`.
async fn retry<F, Fut>(log: &mut Vec<String>, what: &str, send: F) -> crate::Answer
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = crate::Answer>,
{
    for _ in 0..3 {
        let a = send().await;
        log.push(format!("{what} {}", a.status));
        if a.status == 200 {
            return a;
        }
    }
    panic!("{what} kept failing: {log:?}");
}
