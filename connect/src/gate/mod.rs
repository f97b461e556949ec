//! The rate gate every Graph API call passes. Waits follow what Facebook says:
//!
//! - **A block** (a throttle with `estimated_time_to_regain_access`, or a bucket the headers
//!   show at 100 % with its reset time) is waited out with no call, and written to Redis so
//!   every replica waits it out too.
//! - **A throttle while the headers show capacity**, or without any estimate, is a hint about
//!   that call, not a block: the call backs off exponentially with jitter from about a
//!   second (longer while throttles follow each other on the account), capped, and the
//!   backoff resets on the account's next success. The account's other calls go on.
//! - **Pacing.** The budget is used up to [`CEILING_PCT`] and then spent as it frees, instead
//!   of stopping for a whole window at a lower threshold. The gate predicts the utilisation a
//!   call would land at: the last reading, plus what this process's calls since then add,
//!   less what its calls counted in it have left the window by now (a call leaves the
//!   rolling window one window after it was made). A call that would land above the ceiling
//!   waits until one of this process's calls leaves the window; with none in it (the
//!   budget spent by others), it waits one call's share of the window and then probes. What
//!   a call costs (the rise in utilisation per call) and the window (the longest
//!   `reset_time_duration` seen: the time the usage takes to drain to 0) come from the
//!   headers.
//!
//! Inside a process, governor also caps each account's calls per second.

use std::collections::{HashMap, VecDeque};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use adsync_common::graph::{GraphError, Usage};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use rand::Rng;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;

mod shared;
pub use shared::{PauseReason, shared_redis};

/// Utilisation (percent of Meta's budget) no call is made to go beyond. The rest is room for
/// the calls other replicas have in flight, which no reading shows yet.
pub const CEILING_PCT: f64 = 90.0;
/// Calls' worth of room kept below 100 % on top: twice the four a process has in flight.
/// Where a call is a large share of the budget, that lowers the ceiling (a budget of 40 calls:
/// 80 %); with other replicas calling, a call looks dearer still (each reading's rise holds
/// their calls too), so the room grows with them.
const HEADROOM_CALLS: f64 = 8.0;
/// A block whose length nothing says (a bucket at 100 % without a reset time).
const DEFAULT_BLOCK: Duration = Duration::from_secs(60);
const MAX_PAUSE: Duration = Duration::from_secs(3600);
/// Backoff after a throttle that carries no wait: from this, doubling, up to the cap.
const BACKOFF_BASE: Duration = Duration::from_secs(1);
const BACKOFF_CAP: Duration = Duration::from_secs(60);
/// The cost of a call assumed until utilisation is seen rising (percent): cautious, as a
/// budget of 100 calls.
const UNKNOWN_COST: f64 = 1.0;
/// The window assumed until a `reset_time_duration` is seen (Meta's is an hour at most).
const DEFAULT_WINDOW: Duration = Duration::from_secs(300);

/// What the gate knows of one ad account.
#[derive(Debug, Default)]
struct Account {
    /// No call before this (a block or a backoff), and why.
    hold: Option<(Instant, PauseReason)>,
    /// The last utilisation read, and when.
    reading: Option<(f64, Instant)>,
    /// Responses since the reading before the last one (for the cost of a call).
    responses: u32,
    /// This process's calls still in the window, oldest first.
    sent: VecDeque<Instant>,
    /// Calls counted in the last reading that have left the window since.
    left_since_reading: u32,
    /// The utilisation one call adds, in percent.
    cost: Option<f64>,
    /// The longest `reset_time_duration` seen.
    window: Option<Duration>,
    /// Throttles without a wait in a row.
    throttles: u32,
}

/// When the next call may go, as the pacing sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Slot {
    Now,
    /// At this instant, with the utilisation predicted now.
    At(Instant, f64),
}

impl Account {
    fn window(&self) -> Duration {
        self.window.unwrap_or(DEFAULT_WINDOW)
    }

    fn cost(&self) -> f64 {
        self.cost.unwrap_or(UNKNOWN_COST)
    }

    /// Drops the calls that have left the window, counting those the last reading held.
    fn prune(&mut self, now: Instant) {
        let window = self.window();
        let read_at = self.reading.map(|(_, at)| at);
        while let Some(&s) = self.sent.front() {
            if now.saturating_duration_since(s) < window {
                break;
            }
            self.sent.pop_front();
            if read_at.is_some_and(|at| s < at && at.saturating_duration_since(s) < window) {
                self.left_since_reading += 1;
            }
        }
    }

    /// The utilisation a call made now would find, as far as this process can tell.
    fn predicted(&self) -> Option<f64> {
        let (pct, at) = self.reading?;
        let unreflected = self.sent.iter().filter(|s| **s >= at).count() as f64;
        Some(pct + self.cost() * (unreflected - f64::from(self.left_since_reading)))
    }

    /// When the next call may go without landing above the ceiling.
    fn slot(&mut self, now: Instant) -> Slot {
        self.prune(now);
        let Some((_, read_at)) = self.reading else {
            return Slot::Now;
        };
        let window = self.window();
        // A reading a whole window old tells nothing any more: its calls have all left.
        if now.saturating_duration_since(read_at) >= window {
            return Slot::Now;
        }
        let Some(predicted) = self.predicted() else {
            return Slot::Now;
        };
        let ceiling = (100.0 - HEADROOM_CALLS * self.cost()).clamp(50.0, CEILING_PCT);
        if predicted + self.cost() <= ceiling {
            return Slot::Now;
        }
        let at = match self.sent.front() {
            // The next of this process's calls to leave the window.
            Some(s) => *s + window,
            // None of its own is in it: the budget went to others. Wait one call's share of
            // the window after the reading, then let one call through: its answer is a fresh
            // reading (without it, the gate would wait on the old one for ever).
            None => read_at + window.mul_f64((self.cost() / 100.0).clamp(0.0, 1.0)),
        };
        if at <= now {
            return Slot::Now;
        }
        Slot::At(at, predicted)
    }
}

pub struct RateGate {
    local: DefaultKeyedRateLimiter<String>,
    accounts: Mutex<HashMap<String, Account>>,
    redis: Option<(ConnectionManager, String)>,
    /// Also record utilisation per ad account (`ADSYNC_METRICS_ID_LABELS`).
    label_accounts: bool,
}

impl RateGate {
    /// `per_second` calls per ad account in this process; `redis` shares blocks.
    pub fn new(per_second: u32, redis: Option<(ConnectionManager, String)>) -> Self {
        let rate = NonZeroU32::new(per_second.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new((per_second / 2).max(1)).unwrap_or(NonZeroU32::MIN);
        Self {
            local: RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            accounts: Mutex::new(HashMap::new()),
            redis,
            label_accounts: false,
        }
    }

    /// The gate of a process as configured: its pace (`ADSYNC_GRAPH_CALLS_PER_SECOND`), its
    /// labels, and blocks shared through `shared` (see [`shared_redis`]).
    pub fn for_config(config: &adsync_common::Config, shared: Option<(ConnectionManager, String)>) -> Self {
        Self::new(config.graph_calls_per_second, shared).with_account_labels(config.metrics_id_labels)
    }

    /// Records `adsync_graph_usage_percent{ad_account}` besides the unlabelled histogram.
    pub fn with_account_labels(mut self, on: bool) -> Self {
        self.label_accounts = on;
        self
    }

    fn redis_key(ns: &str, account: &str) -> String {
        format!("{ns}:rate:pause:{account}")
    }

    fn with_account<T>(&self, account: &str, f: impl FnOnce(&mut Account) -> T) -> T {
        let mut map = self.accounts.lock().unwrap_or_else(|e| e.into_inner());
        f(map.entry(account.to_string()).or_default())
    }

    /// A hold of this process on the account: how long it still lasts, and why.
    fn local_hold(&self, account: &str) -> Option<(Duration, PauseReason)> {
        let now = Instant::now();
        self.with_account(account, |a| {
            a.hold
                .as_ref()
                .and_then(|(until, why)| until.checked_duration_since(now).map(|d| (d, why.clone())))
                .filter(|(d, _)| !d.is_zero())
        })
    }

    /// A block another replica (or this one) shared through Redis.
    async fn shared_block(&self, account: &str) -> Option<Duration> {
        let (conn, ns) = self.redis.as_ref()?;
        let mut conn = conn.clone();
        // PTTL: -2 no key, -1 no expiry; a Redis hiccup must not stop syncing, so errors pass.
        let ms: i64 = conn.pttl(Self::redis_key(ns, account)).await.unwrap_or(-2);
        (ms > 0).then(|| Duration::from_millis(ms as u64))
    }

    /// What the next call on `account` will wait for, when it waits: the longest of a block,
    /// a backoff and its pacing slot, and why.
    pub async fn pending_pause(&self, account: &str) -> Option<(Duration, PauseReason)> {
        let hold = self.local_hold(account);
        let shared = self.shared_block(account).await.map(|d| (d, PauseReason::Blocked));
        let now = Instant::now();
        let paced = self.with_account(account, |a| match a.slot(now) {
            Slot::Now => None,
            Slot::At(at, pct) => Some((at - now, PauseReason::Pacing { pct })),
        });
        [hold, shared, paced].into_iter().flatten().max_by(|a, b| a.0.cmp(&b.0))
    }

    /// Waits until a call for `account` may be made. Returns how long it waited.
    pub async fn acquire(&self, account: &str) -> Duration {
        let start = Instant::now();
        loop {
            let hold = match self.local_hold(account) {
                Some((d, _)) => Some(d),
                None => self.shared_block(account).await,
            };
            match hold {
                Some(d) => tokio::time::sleep(d.min(MAX_PAUSE)).await,
                None => break,
            }
        }
        // Wait for room under the ceiling, then count the call as sent.
        loop {
            let now = Instant::now();
            let slot = self.with_account(account, |a| {
                let slot = a.slot(now);
                if slot == Slot::Now {
                    a.sent.push_back(now);
                }
                slot
            });
            match slot {
                Slot::Now => break,
                Slot::At(at, _) => tokio::time::sleep_until(at.into()).await,
            }
        }
        self.local.until_key_ready(&account.to_string()).await;
        start.elapsed()
    }

    /// Learns from a response (successful or not): blocks pause the account for every
    /// worker, throttles without a wait back off, high utilisation paces.
    /// `sent` is when the call went out: Facebook counted it (and what came before) no
    /// earlier, so a reading only ever covers the calls sent before its own.
    ///
    /// Returns how long the call should wait before it is repeated, for a throttle that came
    /// with budget left: that call backs off, the account's other calls go on (a block, by
    /// contrast, holds them all).
    pub async fn observe(
        &self,
        account: &str,
        usage: &Usage,
        error: Option<&GraphError>,
        sent: Instant,
    ) -> Option<Duration> {
        let pct = usage.max_utilisation();
        if let Some(pct) = pct {
            metrics::histogram!("adsync_graph_usage_ratio").record(pct / 100.0);
            if self.label_accounts {
                metrics::gauge!("adsync_graph_usage_percent", "ad_account" => account.to_string()).set(pct);
            }
        }
        let block = match error {
            Some(GraphError::Throttled {
                retry_after: Some(wait),
                ..
            }) => Some(*wait),
            Some(GraphError::Throttled { .. }) => None,
            _ if usage.is_throttled() => Some(usage.suggested_wait().unwrap_or(DEFAULT_BLOCK)),
            _ => None,
        };
        if let Some(wait) = block {
            self.block(account, wait.clamp(Duration::from_millis(50), MAX_PAUSE))
                .await;
            return None;
        }
        if let Some(GraphError::Throttled { code, .. }) = error {
            let n = self.with_account(account, |a| {
                a.throttles += 1;
                a.throttles
            });
            let wait = backoff(n);
            tracing::info!(
                ad_account = account,
                code,
                wait_ms = wait.as_millis() as u64,
                "throttled with budget left; backing off"
            );
            metrics::counter!("adsync_rate_backoffs_total").increment(1);
            return Some(wait);
        }
        self.with_account(account, |a| {
            if error.is_none() {
                a.throttles = 0;
            }
            a.responses += 1;
            if let Some(reset) = usage.reset_time() {
                a.window = Some(a.window.map_or(reset, |w| w.max(reset)).min(MAX_PAUSE));
            }
            let Some(pct) = usage.account_pct().or(pct) else { return };
            // Answers can come back out of order: an older reading tells nothing new.
            if a.reading.is_some_and(|(_, at)| at > sent) {
                return;
            }
            match a.reading {
                // Utilisation rose over the responses since the last reading: what a call costs.
                // (The first reading tells nothing: other calls may have filled the window.)
                Some((last, _)) if pct > last => {
                    let sample = (pct - last) / f64::from(a.responses.max(1));
                    a.cost = Some(a.cost.map_or(sample, |c| 0.7 * c + 0.3 * sample));
                }
                _ => {}
            }
            a.reading = Some((pct, sent));
            a.responses = 0;
            a.left_since_reading = 0;
        });
        None
    }

    fn hold(&self, account: &str, wait: Duration, why: PauseReason) {
        let until = Instant::now() + wait;
        self.with_account(account, |a| {
            let longer = a.hold.as_ref().is_none_or(|(u, _)| *u < until);
            if longer {
                a.hold = Some((until, why));
            }
        });
    }

    /// Blocks the account for `pause` here and, through Redis, for every replica.
    async fn block(&self, account: &str, pause: Duration) {
        tracing::info!(
            ad_account = account,
            pause_ms = pause.as_millis() as u64,
            "blocked by Facebook's rate limit; waiting it out"
        );
        metrics::counter!("adsync_rate_pauses_total").increment(1);
        self.hold(account, pause, PauseReason::Blocked);
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

/// The wait after the `n`-th throttle in a row that carried no wait: full jitter over
/// [base·2^(n−1) / 2, base·2^(n−1)], capped.
fn backoff(n: u32) -> Duration {
    let ceiling = BACKOFF_BASE
        .saturating_mul(1 << n.saturating_sub(1).min(10))
        .min(BACKOFF_CAP);
    let floor = ceiling / 2;
    let ms = rand::rng().random_range(floor.as_millis() as u64..=ceiling.as_millis() as u64);
    Duration::from_millis(ms)
}

#[cfg(test)]
mod tests;
