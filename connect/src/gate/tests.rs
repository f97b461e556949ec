//! The gate's waits: backoff, blocks, pacing.

use super::*;

#[test]
fn backoff_doubles_from_a_second_and_is_capped() {
    for _ in 0..50 {
        let first = backoff(1);
        assert!((500..=1000).contains(&first.as_millis()), "{first:?}");
        let fourth = backoff(4);
        assert!((4000..=8000).contains(&fourth.as_millis()), "{fourth:?}");
        assert!(backoff(30) <= BACKOFF_CAP);
    }
}

fn usage(pct: f64, reset_secs: u64) -> Usage {
    usage_with(pct, Duration::from_secs(reset_secs))
}

fn usage_with(pct: f64, reset: Duration) -> Usage {
    Usage {
        ad_account: Some(adsync_common::graph::AdAccountUsage {
            acc_id_util_pct: pct,
            reset_time: (!reset.is_zero()).then_some(reset),
        }),
        ..Usage::default()
    }
}

fn throttle(code: i64, retry_after: Option<Duration>) -> GraphError {
    GraphError::Throttled {
        scope: adsync_common::graph::ThrottleScope::Account,
        code,
        retry_after,
        message: "limit".into(),
    }
}

#[tokio::test]
async fn a_throttle_with_budget_left_backs_off_and_success_resets_it() {
    let gate = RateGate::new(1000, None);
    let first = gate
        .observe("act_1", &usage(3.0, 300), Some(&throttle(17, None)), Instant::now())
        .await
        .expect("a backoff");
    assert!(
        first <= Duration::from_secs(1),
        "about a second, not the 300 s reset: {first:?}"
    );
    assert!(
        gate.pending_pause("act_1").await.is_none(),
        "the account's other calls go on"
    );
    let second = gate
        .observe("act_1", &usage(3.0, 300), Some(&throttle(613, None)), Instant::now())
        .await
        .expect("a longer backoff");
    assert!(
        second > Duration::from_millis(900),
        "the next throttle in a row doubles it: {second:?}"
    );
    assert_eq!(
        gate.observe("act_1", &usage(4.0, 300), None, Instant::now()).await,
        None
    );
    assert_eq!(gate.with_account("act_1", |a| a.throttles), 0, "reset on success");
}

#[tokio::test]
async fn a_block_holds_for_the_time_facebook_gave() {
    let gate = RateGate::new(1000, None);
    gate.observe(
        "act_1",
        &usage(100.0, 120),
        Some(&throttle(80_000, Some(Duration::from_secs(180)))),
        Instant::now(),
    )
    .await;
    let (wait, why) = gate.pending_pause("act_1").await.expect("blocked");
    assert!(wait > Duration::from_secs(170), "{wait:?}");
    assert_eq!(why, PauseReason::Blocked);
    assert!(
        gate.pending_pause("act_2").await.is_none(),
        "other accounts are not paused"
    );
    // Headers alone can say it: a bucket at 100 % waits its reset.
    gate.observe("act_3", &usage(100.0, 40), None, Instant::now()).await;
    let (wait, _) = gate.pending_pause("act_3").await.expect("blocked by the headers");
    assert!(wait > Duration::from_secs(35), "{wait:?}");
}

#[tokio::test]
async fn calls_go_up_to_the_ceiling_then_as_the_window_frees() {
    let gate = RateGate::new(100_000, None);
    // A budget of 20 calls (5 % each) over a 300 ms window, empty at first.
    gate.observe("act_1", &usage(0.0, 0), None, Instant::now()).await;
    let started = Instant::now();
    let mut made = 0;
    while made < 12 {
        gate.acquire("act_1").await;
        made += 1;
        gate.observe(
            "act_1",
            &usage_with(5.0 * f64::from(made), Duration::from_millis(300)),
            None,
            Instant::now(),
        )
        .await;
    }
    assert!(
        started.elapsed() < Duration::from_millis(250),
        "12 calls (60 %: a call is a twentieth of the budget) at once: {:?}",
        started.elapsed()
    );
    let (wait, why) = gate.pending_pause("act_1").await.expect("the ceiling is reached");
    assert!(matches!(why, PauseReason::Pacing { pct } if pct >= 55.0), "{why:?}");
    assert!(
        wait <= Duration::from_millis(300),
        "until the first call leaves the window: {wait:?}"
    );
    // The 13th call waits for the first to leave the window, not for the whole window.
    gate.acquire("act_1").await;
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(290), "{waited:?}");
    assert!(waited < Duration::from_millis(600), "{waited:?}");
}

#[tokio::test]
async fn a_budget_spent_by_others_is_probed_not_waited_on_for_ever() {
    let gate = RateGate::new(100_000, None);
    // Others' calls: 2 % each (learnt from two readings), a 500 ms window, now at 94 %.
    for pct in [90.0, 92.0, 94.0] {
        let usage = usage_with(pct, Duration::from_millis(500));
        gate.observe("act_1", &usage, None, Instant::now()).await;
    }
    let (wait, why) = gate.pending_pause("act_1").await.expect("above the ceiling");
    assert!(matches!(why, PauseReason::Pacing { .. }));
    assert!(
        wait <= Duration::from_millis(10),
        "one call's share of the window: {wait:?}"
    );
    // Then one call goes, to read the budget again.
    let waited = gate.acquire("act_1").await;
    assert!(waited < Duration::from_millis(100), "{waited:?}");
}
