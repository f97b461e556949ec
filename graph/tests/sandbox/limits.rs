//! Throttles with their waits and usage, and injected faults, as typed errors.

use std::time::Duration;

use adsync_graph::{GraphError, InsightsRequest, Level, Secret, ThrottleScope};
use adsync_sandbox::{AccountThrottle, BudgetConfig, FaultConfig, SandboxConfig};

use crate::{Env, assert_no_secret, connect, spawn};

type Check = fn(&GraphError) -> bool;

/// Spends a budget of two calls, then returns the third call's refusal.
async fn over_budget(env: &Env, token: &Secret<String>, req: &InsightsRequest) -> GraphError {
    for _ in 0..2 {
        env.graph.insights_page(token, req, None).await.expect("within budget");
    }
    env.graph
        .insights_page(token, req, None)
        .await
        .expect_err("over budget")
}

#[tokio::test]
async fn throttles_carry_retry_after_and_usage() {
    let env = spawn(SandboxConfig::default()).await;
    let token = connect(&env).await.token;
    let ds = env.sb.dataset();
    let acc = ds.accounts()[0].account_id.clone();
    let req = InsightsRequest::daily(acc.clone(), Level::Account, ds.today(), ds.today());

    // Business-use-case throttle (80000): wait the regain time (minutes, rounded up).
    env.sb
        .control()
        .set_budget(BudgetConfig::with_millis(2, 10_000, 60_000, 1_500));
    let e = over_budget(&env, &token, &req).await;
    match &e {
        GraphError::Throttled {
            scope: ThrottleScope::Account,
            code: 80_000,
            retry_after: Some(d),
            ..
        } => {
            assert_eq!(*d, Duration::from_secs(60))
        }
        other => panic!("expected an 80000 throttle, got {other:?}"),
    }
    assert!(e.is_retryable());

    // Ad-account throttle (17): wait the account's reset time (seconds).
    let budget = BudgetConfig::with_millis(2, 10_000, 60_000, 1_500);
    env.sb.control().set_budget(BudgetConfig {
        account_error: AccountThrottle::UserRequestLimit,
        ..budget
    });
    let e = over_budget(&env, &token, &req).await;
    let wait = e.retry_after().expect("retry_after");
    assert!(
        matches!(e, GraphError::Throttled { code: 17, .. }) && wait <= Duration::from_secs(2),
        "{e:?}"
    );
    tokio::time::sleep(wait).await;
    let (_, usage) = env
        .graph
        .insights_page(&token, &req, None)
        .await
        .expect("after the block");
    assert!(usage.max_utilisation().is_some_and(|p| p < 100.0), "{usage:?}");
    assert_eq!(env.sb.stats().calls_while_blocked, 0);

    // App-wide throttle (4).
    env.sb
        .control()
        .set_budget(BudgetConfig::with_millis(1_000, 1, 60_000, 60_000));
    let _ = env.graph.me(&token).await;
    let e = env.graph.me(&token).await.expect_err("app budget");
    assert!(
        matches!(
            e,
            GraphError::Throttled {
                scope: ThrottleScope::App,
                code: 4,
                ..
            }
        ),
        "{e:?}"
    );
}

#[tokio::test]
async fn injected_faults_are_classified() {
    let env = spawn(SandboxConfig::default()).await;
    let token = connect(&env).await.token;
    let ds = env.sb.dataset();
    let req = InsightsRequest::daily(ds.accounts()[0].account_id.clone(), Level::Ad, ds.today(), ds.today());
    let cases: [(FaultConfig, Check); 5] = [
        (
            FaultConfig {
                transient: 1.0,
                ..FaultConfig::none()
            },
            |e| matches!(e, GraphError::Transient { code: Some(2), .. }),
        ),
        (
            FaultConfig {
                unknown_error: 1.0,
                ..FaultConfig::none()
            },
            |e| matches!(e, GraphError::Transient { code: Some(1), .. }),
        ),
        (
            FaultConfig {
                reduce_data: 1.0,
                ..FaultConfig::none()
            },
            |e| matches!(e, GraphError::ReduceData { .. }),
        ),
        (
            FaultConfig {
                drop_connection: 1.0,
                ..FaultConfig::none()
            },
            |e| matches!(e, GraphError::Transient { status: None, .. }),
        ),
        (
            FaultConfig {
                throttle_613: 1.0,
                ..FaultConfig::none()
            },
            |e| matches!(e, GraphError::Throttled { code: 613, .. }),
        ),
    ];
    for (faults, check) in cases {
        env.sb.control().set_faults(faults);
        let e = env.graph.insights_page(&token, &req, None).await.expect_err("fault");
        assert!(check(&e), "{e:?}");
        assert_no_secret(&e, &token);
        // Each faulty request identity fails once, then succeeds.
        env.graph
            .insights_page(&token, &req, None)
            .await
            .expect("retry succeeds");
    }
    // A page larger than the server accepts is "reduce the amount of data".
    env.sb.control().set_faults(FaultConfig::none());
    env.sb.control().set_max_page_size(100);
    let e = env
        .graph
        .insights_page(&token, &req, None)
        .await
        .expect_err("limit 500 > 100");
    assert!(matches!(e, GraphError::ReduceData { .. }), "{e:?}");
}
