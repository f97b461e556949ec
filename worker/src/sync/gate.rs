//! The rate gate every Graph API call passes. Inside a process, governor paces calls per ad
//! account; across processes, a pause decided by any worker (from Facebook's usage headers
//! or a throttle error) is written to Redis, so every replica waits it out before its next
//! call. Pausing starts before Meta blocks: above `SLOW_DOWN_PCT` utilisation, a worker waits
//! for the budget to recover instead of spending the last percent.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use adsync_common::graph::{GraphError, Usage};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

/// Utilisation (percent of Meta's budget) above which calls pause.
pub const SLOW_DOWN_PCT: f64 = 75.0;
/// Pause used when a throttle carries no regain time.
const DEFAULT_THROTTLE_PAUSE: Duration = Duration::from_secs(60);
const MAX_PAUSE: Duration = Duration::from_secs(3600);

pub struct RateGate {
    local: DefaultKeyedRateLimiter<String>,
    paused_until: Mutex<HashMap<String, Instant>>,
    redis: Option<(ConnectionManager, String)>,
    /// Also record utilisation per ad account (`ADSYNC_METRICS_ID_LABELS`).
    label_accounts: bool,
}

impl RateGate {
    /// `per_second` calls per ad account in this process; `redis` shares pauses.
    pub fn new(per_second: u32, redis: Option<(ConnectionManager, String)>) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_second / 2).max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            local: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            paused_until: Mutex::new(HashMap::new()),
            redis,
            label_accounts: false,
        }
    }

    /// Records `adsync_graph_usage_percent{ad_account}` besides the unlabelled histogram.
    pub fn with_account_labels(mut self, on: bool) -> Self {
        self.label_accounts = on;
        self
    }

    fn redis_key(ns: &str, account: &str) -> String {
        format!("{ns}:rate:pause:{account}")
    }

    fn local_pause(&self, account: &str) -> Option<Duration> {
        let now = Instant::now();
        let map = self.paused_until.lock().ok()?;
        map.get(account)
            .and_then(|until| until.checked_duration_since(now))
            .filter(|d| !d.is_zero())
    }

    async fn shared_pause(&self, account: &str) -> Option<Duration> {
        let (conn, ns) = self.redis.as_ref()?;
        let mut conn = conn.clone();
        // PTTL: -2 no key, -1 no expiry; a Redis hiccup must not stop syncing, so errors pass.
        let ms: i64 = conn.pttl(Self::redis_key(ns, account)).await.unwrap_or(-2);
        (ms > 0).then(|| Duration::from_millis(ms as u64))
    }

    /// Waits until a call for `account` may be made. Returns how long it waited.
    pub async fn acquire(&self, account: &str) -> Duration {
        let start = Instant::now();
        loop {
            let pause = match self.local_pause(account) {
                Some(p) => Some(p),
                None => self.shared_pause(account).await,
            };
            match pause {
                Some(p) => tokio::time::sleep(p.min(MAX_PAUSE)).await,
                None => break,
            }
        }
        self.local.until_key_ready(&account.to_string()).await;
        start.elapsed()
    }

    /// Learns from a response (successful or not): throttles and high utilisation pause
    /// the account for every worker.
    pub async fn observe(&self, account: &str, usage: &Usage, error: Option<&GraphError>) {
        if let Some(pct) = usage.max_utilisation() {
            metrics::histogram!("adsync_graph_usage_ratio").record(pct / 100.0);
            if self.label_accounts {
                metrics::gauge!("adsync_graph_usage_percent", "ad_account" => account.to_string()).set(pct);
            }
        }
        let pause = match error {
            Some(GraphError::Throttled { retry_after, .. }) => Some(
                retry_after
                    .or_else(|| usage.suggested_wait())
                    .unwrap_or(DEFAULT_THROTTLE_PAUSE),
            ),
            _ if usage.is_throttled() => Some(usage.suggested_wait().unwrap_or(DEFAULT_THROTTLE_PAUSE)),
            _ => match usage.max_utilisation() {
                Some(pct) if pct >= SLOW_DOWN_PCT => Some(slow_down_pause(pct, usage.reset_time())),
                _ => None,
            },
        };
        if let Some(p) = pause {
            self.pause(account, p.clamp(Duration::from_millis(50), MAX_PAUSE)).await;
        }
    }

    async fn pause(&self, account: &str, pause: Duration) {
        tracing::info!(
            ad_account = account,
            pause_ms = pause.as_millis() as u64,
            "pausing calls for the rate budget"
        );
        metrics::counter!("adsync_rate_pauses_total").increment(1);
        if let Ok(mut map) = self.paused_until.lock() {
            let until = Instant::now() + pause;
            let e = map.entry(account.to_string()).or_insert(until);
            *e = (*e).max(until);
        }
        if let Some((conn, ns)) = &self.redis {
            let mut conn = conn.clone();
            let key = Self::redis_key(ns, account);
            // Only lengthen a pause another worker set: SET with GT semantics via a script.
            let script = redis::Script::new(
                "local cur = redis.call('PTTL', KEYS[1]) if cur < tonumber(ARGV[1]) then \
                 redis.call('SET', KEYS[1], '1', 'PX', ARGV[1]) end return 1",
            );
            let ms = pause.as_millis().max(1) as u64;
            if let Err(e) = script.key(key).arg(ms).invoke_async::<i64>(&mut conn).await {
                tracing::warn!(error = %e, "could not share a rate pause through Redis");
            }
        }
    }
}

/// Above the threshold, wait until Meta reports the budget resetting (its rolling window
/// freeing capacity), so every replica resumes below the threshold instead of creeping up to
/// the block. Shorter, proportional pauses were tried and overshot with several replicas.
fn slow_down_pause(_pct: f64, reset: Option<Duration>) -> Duration {
    reset.unwrap_or(Duration::from_secs(60)).max(Duration::from_millis(200))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn high_utilisation_waits_for_the_reset() {
        assert_eq!(
            slow_down_pause(76.0, Some(Duration::from_secs(100))),
            Duration::from_secs(100)
        );
        assert_eq!(slow_down_pause(90.0, None), Duration::from_secs(60));
        assert_eq!(slow_down_pause(80.0, Some(Duration::ZERO)), Duration::from_millis(200));
    }

    #[tokio::test]
    async fn a_local_pause_delays_the_next_call() {
        let gate = RateGate::new(1000, None);
        gate.pause("act_1", Duration::from_millis(80)).await;
        let waited = gate.acquire("act_1").await;
        assert!(waited >= Duration::from_millis(60), "{waited:?}");
        assert!(
            gate.acquire("act_2").await < Duration::from_millis(60),
            "other accounts are not paused"
        );
    }
}
