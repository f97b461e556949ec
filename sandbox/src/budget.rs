//! Per-app and per-ad-account call budgets over a rolling window, blocks when
//! exhausted, and the usage headers derived from them.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::config::{AccountThrottle, BudgetConfig};
use crate::errors::GraphError;

#[derive(Debug, Default)]
struct Bucket {
    calls: VecDeque<Instant>,
    blocked_until: Option<Instant>,
}

impl Bucket {
    fn prune(&mut self, now: Instant, window: Duration) {
        while self.calls.front().is_some_and(|t| now.duration_since(*t) >= window) {
            self.calls.pop_front();
        }
        if self.blocked_until.is_some_and(|b| b <= now) {
            self.blocked_until = None;
        }
    }
    fn blocked_for(&self, now: Instant) -> Option<Duration> {
        self.blocked_until.filter(|b| *b > now).map(|b| b - now)
    }
    fn pct(&self, limit: u32, now: Instant) -> f64 {
        if self.blocked_for(now).is_some() {
            return 100.0;
        }
        self.calls.len() as f64 * 100.0 / f64::from(limit.max(1))
    }
    fn reset_in(&self, now: Instant, window: Duration) -> Duration {
        if let Some(b) = self.blocked_for(now) {
            return b;
        }
        self.calls
            .front()
            .map(|t| window.saturating_sub(now.duration_since(*t)))
            .unwrap_or_default()
    }
}

/// Outcome of charging a call.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Verdict {
    Allowed,
    /// This call exhausted a budget; the block starts now.
    Exhausted(GraphError),
    /// A call during a block.
    WhileBlocked(GraphError),
}

#[derive(Debug)]
pub(crate) struct BudgetState {
    cfg: BudgetConfig,
    app: Bucket,
    accounts: HashMap<String, Bucket>,
}

fn account_error(kind: AccountThrottle, insights: bool) -> GraphError {
    match kind {
        AccountThrottle::UserRequestLimit => GraphError::user_limit(),
        AccountThrottle::TooManyCalls => GraphError::account_limit(),
        AccountThrottle::BusinessUseCase => GraphError::business_limit(insights),
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

impl BudgetState {
    pub fn new(cfg: BudgetConfig) -> Self {
        Self {
            cfg,
            app: Bucket::default(),
            accounts: HashMap::new(),
        }
    }
    pub fn set_config(&mut self, cfg: BudgetConfig) {
        self.cfg = cfg;
        self.app = Bucket::default();
        self.accounts.clear();
    }

    /// Charges one call to the app and, if given, to an account (`<n>`, no `act_`).
    pub fn charge(&mut self, account: Option<&str>, insights: bool) -> Verdict {
        let now = Instant::now();
        let (window, block) = (self.cfg.window, self.cfg.block);
        self.app.prune(now, window);
        if self.app.blocked_for(now).is_some() {
            return Verdict::WhileBlocked(GraphError::app_limit());
        }
        if let Some(acc) = account {
            let b = self.accounts.entry(acc.to_string()).or_default();
            b.prune(now, window);
            if b.blocked_for(now).is_some() {
                return Verdict::WhileBlocked(account_error(self.cfg.account_error, insights));
            }
        }
        self.app.calls.push_back(now);
        if self.app.calls.len() as u64 > u64::from(self.cfg.app_calls) {
            self.app.calls.clear();
            self.app.blocked_until = Some(now + block);
            return Verdict::Exhausted(GraphError::app_limit());
        }
        if let Some(acc) = account {
            let b = self.accounts.entry(acc.to_string()).or_default();
            b.calls.push_back(now);
            if b.calls.len() as u64 > u64::from(self.cfg.account_calls) {
                b.calls.clear();
                b.blocked_until = Some(now + block);
                return Verdict::Exhausted(account_error(self.cfg.account_error, insights));
            }
        }
        Verdict::Allowed
    }

    /// Usage headers: `X-App-Usage` always; the ad-account ones when `account` is set.
    pub fn headers(&mut self, account: Option<&str>, insights: bool) -> Vec<(String, String)> {
        let now = Instant::now();
        let window = self.cfg.window;
        self.app.prune(now, window);
        let app_pct = self.app.pct(self.cfg.app_calls, now).round() as u64;
        let mut out = vec![(
            "x-app-usage".to_string(),
            json!({"call_count": app_pct, "total_cputime": app_pct / 2, "total_time": app_pct / 2}).to_string(),
        )];
        let Some(acc) = account else { return out };
        let b = self.accounts.entry(acc.to_string()).or_default();
        b.prune(now, window);
        let pct = (b.pct(self.cfg.account_calls, now) * 100.0).round() / 100.0;
        let reset = ceil_secs(b.reset_in(now, window));
        let regain = b
            .blocked_for(now)
            .map(|d| d.as_millis().div_ceil(60_000) as u64)
            .unwrap_or(0);
        let tier = "standard_access";
        let pct_int = pct.round() as u64;
        out.push((
            "x-ad-account-usage".into(),
            json!({"acc_id_util_pct": pct, "reset_time_duration": reset, "ads_api_access_tier": tier}).to_string(),
        ));
        let kind = if insights { "ads_insights" } else { "ads_management" };
        let mut buc = serde_json::Map::new();
        buc.insert(
            acc.to_string(),
            json!([{"type": kind, "call_count": pct_int, "total_cputime": pct_int / 2, "total_time": pct_int / 2,
                     "estimated_time_to_regain_access": regain, "ads_api_access_tier": tier}]),
        );
        out.push((
            "x-business-use-case-usage".into(),
            serde_json::Value::Object(buc).to_string(),
        ));
        out.push((
            "x-fb-ads-insights-throttle".into(),
            json!({"app_id_util_pct": app_pct, "acc_id_util_pct": pct, "ads_api_access_tier": tier}).to_string(),
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhaust_then_block_then_recover() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(3, 100, 10_000, 50));
        for _ in 0..3 {
            assert_eq!(b.charge(Some("1"), true), Verdict::Allowed);
        }
        let h = b.headers(Some("1"), true);
        assert!(h[1].1.contains("\"acc_id_util_pct\":100.0"), "{h:?}");
        assert!(matches!(b.charge(Some("1"), true), Verdict::Exhausted(e) if e.code == 80_000));
        assert!(matches!(b.charge(Some("1"), false), Verdict::WhileBlocked(e) if e.code == 80_004));
        assert_eq!(b.charge(Some("2"), true), Verdict::Allowed);
        let h = b.headers(Some("1"), true);
        assert!(h[2].1.contains("\"estimated_time_to_regain_access\":1"), "{h:?}");
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(b.charge(Some("1"), true), Verdict::Allowed);
    }

    #[test]
    fn app_budget_blocks_everything() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(100, 2, 10_000, 10_000));
        assert_eq!(b.charge(None, false), Verdict::Allowed);
        assert_eq!(b.charge(Some("1"), true), Verdict::Allowed);
        assert!(matches!(b.charge(None, false), Verdict::Exhausted(e) if e.code == 4));
        assert!(matches!(b.charge(Some("1"), true), Verdict::WhileBlocked(e) if e.code == 4));
    }
}
