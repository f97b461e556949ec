//! Per-app and per-ad-account call budgets over a rolling window, blocks when
//! exhausted, and the usage headers derived from them.
//!
//! An ad account has two business-use-case buckets, `ads_insights` and `ads_management`,
//! each with its own budget and block (the notes: "ads_insights and ads_management are
//! separate buckets"), so a sync that exhausts insights can still read the account node.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::config::{AccountThrottle, BudgetConfig};
use crate::errors::GraphError;

/// The business use case a call on an ad account is charged to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum UseCase {
    /// Insights, sync or async (report runs and their results).
    Insights,
    /// Everything else on an account: the node, campaign / ad set / ad lists.
    Management,
}

impl UseCase {
    fn name(self) -> &'static str {
        match self {
            Self::Insights => "ads_insights",
            Self::Management => "ads_management",
        }
    }
    fn other(self) -> Self {
        match self {
            Self::Insights => Self::Management,
            Self::Management => Self::Insights,
        }
    }
}

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
    /// Whether the bucket has anything to report (calls in the window or a block).
    fn in_use(&self, now: Instant) -> bool {
        !self.calls.is_empty() || self.blocked_for(now).is_some()
    }
    fn pct(&self, limit: u32, now: Instant) -> f64 {
        if self.blocked_for(now).is_some() {
            return 100.0;
        }
        self.calls.len() as f64 * 100.0 / f64::from(limit.max(1))
    }
    /// `reset_time_duration`: how long until the utilisation is back to 0 (Facebook: "Time
    /// duration (in seconds) it takes to reset the current rate limit to 0"), that is until
    /// the newest call in the window leaves it, or until a block ends.
    fn reset_in(&self, now: Instant, window: Duration) -> Duration {
        if let Some(b) = self.blocked_for(now) {
            return b;
        }
        self.calls
            .back()
            .map(|t| window.saturating_sub(now.duration_since(*t)))
            .unwrap_or_default()
    }
    /// Counts a call; true when it went over `limit` (the bucket is then blocked).
    fn push(&mut self, now: Instant, limit: u32, block: Duration) -> bool {
        self.calls.push_back(now);
        if self.calls.len() as u64 > u64::from(limit) {
            self.calls.clear();
            self.blocked_until = Some(now + block);
            return true;
        }
        false
    }
}

/// The two buckets of one ad account.
#[derive(Debug, Default)]
struct AccountBuckets {
    insights: Bucket,
    management: Bucket,
}

impl AccountBuckets {
    fn get(&mut self, use_case: UseCase) -> &mut Bucket {
        match use_case {
            UseCase::Insights => &mut self.insights,
            UseCase::Management => &mut self.management,
        }
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
    accounts: HashMap<String, AccountBuckets>,
}

fn account_error(kind: AccountThrottle, use_case: UseCase) -> GraphError {
    match kind {
        AccountThrottle::UserRequestLimit => GraphError::user_limit(),
        AccountThrottle::TooManyCalls => GraphError::account_limit(),
        AccountThrottle::BusinessUseCase => GraphError::business_limit(use_case == UseCase::Insights),
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000) as u64
}

/// Percentages are sent rounded to two decimals (`9.67`), as Facebook does.
fn two_decimals(pct: f64) -> f64 {
    (pct * 100.0).round() / 100.0
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

    /// Charges one call to the app and, if given, to an account's (`<n>`, no `act_`)
    /// bucket of a use case.
    pub fn charge(&mut self, account: Option<(&str, UseCase)>) -> Verdict {
        let now = Instant::now();
        let (window, block) = (self.cfg.window, self.cfg.block);
        self.app.prune(now, window);
        if self.app.blocked_for(now).is_some() {
            return Verdict::WhileBlocked(GraphError::app_limit());
        }
        if let Some((acc, use_case)) = account {
            let b = self.accounts.entry(acc.to_string()).or_default().get(use_case);
            b.prune(now, window);
            if b.blocked_for(now).is_some() {
                return Verdict::WhileBlocked(account_error(self.cfg.account_error, use_case));
            }
        }
        if self.app.push(now, self.cfg.app_calls, block) {
            return Verdict::Exhausted(GraphError::app_limit());
        }
        if let Some((acc, use_case)) = account {
            let b = self.accounts.entry(acc.to_string()).or_default().get(use_case);
            if b.push(now, self.cfg.account_calls, block) {
                return Verdict::Exhausted(account_error(self.cfg.account_error, use_case));
            }
        }
        Verdict::Allowed
    }

    /// Usage headers: `X-App-Usage` always; the ad-account ones when `account` is set.
    /// `X-Ad-Account-Usage` reports the bucket the call was charged to,
    /// `x-fb-ads-insights-throttle` the insights bucket, and `X-Business-Use-Case-Usage`
    /// the call's bucket first, then the account's other bucket if it is in use.
    pub fn headers(&mut self, account: Option<(&str, UseCase)>) -> Vec<(String, String)> {
        let now = Instant::now();
        let (window, limit) = (self.cfg.window, self.cfg.account_calls);
        self.app.prune(now, window);
        let app_pct = self.app.pct(self.cfg.app_calls, now).round() as u64;
        let mut out = vec![(
            "x-app-usage".to_string(),
            json!({"call_count": app_pct, "total_cputime": app_pct / 2, "total_time": app_pct / 2}).to_string(),
        )];
        let Some((acc, use_case)) = account else {
            return out;
        };
        let tier = "standard_access";
        let buckets = self.accounts.entry(acc.to_string()).or_default();
        buckets.insights.prune(now, window);
        buckets.management.prune(now, window);
        let own = buckets.get(use_case);
        out.push((
            "x-ad-account-usage".into(),
            json!({
                "acc_id_util_pct": two_decimals(own.pct(limit, now)),
                "reset_time_duration": ceil_secs(own.reset_in(now, window)),
                "ads_api_access_tier": tier,
            })
            .to_string(),
        ));
        let mut list = vec![buc_entry(buckets.get(use_case), use_case, limit, now)];
        let other = buckets.get(use_case.other());
        if other.in_use(now) {
            list.push(buc_entry(other, use_case.other(), limit, now));
        }
        out.push(("x-business-use-case-usage".into(), json!({ acc: list }).to_string()));
        out.push((
            "x-fb-ads-insights-throttle".into(),
            json!({
                "app_id_util_pct": app_pct,
                "acc_id_util_pct": two_decimals(buckets.insights.pct(limit, now)),
                "ads_api_access_tier": tier,
            })
            .to_string(),
        ));
        out
    }
}

/// One bucket of `X-Business-Use-Case-Usage`; the regain time is in minutes.
fn buc_entry(b: &Bucket, use_case: UseCase, limit: u32, now: Instant) -> Value {
    let pct = b.pct(limit, now).round() as u64;
    let regain = b
        .blocked_for(now)
        .map(|d| d.as_millis().div_ceil(60_000) as u64)
        .unwrap_or(0);
    json!({"type": use_case.name(), "call_count": pct, "total_cputime": pct / 2, "total_time": pct / 2,
           "estimated_time_to_regain_access": regain, "ads_api_access_tier": "standard_access"})
}

#[cfg(test)]
mod tests {
    use super::*;
    use UseCase::{Insights, Management};

    fn header(h: &[(String, String)], name: &str) -> Value {
        h.iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| serde_json::from_str(v).ok())
            .unwrap_or(Value::Null)
    }

    #[test]
    fn exhaust_then_block_then_recover() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(3, 100, 10_000, 50));
        for _ in 0..3 {
            assert_eq!(b.charge(Some(("1", Insights))), Verdict::Allowed);
        }
        let h = b.headers(Some(("1", Insights)));
        assert_eq!(header(&h, "x-ad-account-usage")["acc_id_util_pct"], 100.0);
        assert!(matches!(b.charge(Some(("1", Insights))), Verdict::Exhausted(e) if e.code == 80_000));
        assert!(matches!(b.charge(Some(("1", Insights))), Verdict::WhileBlocked(e) if e.code == 80_000));
        assert_eq!(b.charge(Some(("2", Insights))), Verdict::Allowed);
        let h = b.headers(Some(("1", Insights)));
        assert_eq!(
            header(&h, "x-business-use-case-usage")["1"][0]["estimated_time_to_regain_access"],
            1
        );
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(b.charge(Some(("1", Insights))), Verdict::Allowed);
    }

    #[test]
    fn insights_and_management_are_separate_buckets() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(2, 100, 10_000, 60_000));
        for _ in 0..2 {
            assert_eq!(b.charge(Some(("1", Insights))), Verdict::Allowed);
        }
        assert!(matches!(b.charge(Some(("1", Insights))), Verdict::Exhausted(e) if e.code == 80_000));
        // Management still has its whole budget, then runs out on its own with 80004.
        for _ in 0..2 {
            assert_eq!(b.charge(Some(("1", Management))), Verdict::Allowed);
        }
        assert!(matches!(b.charge(Some(("1", Management))), Verdict::Exhausted(e) if e.code == 80_004));
        assert!(matches!(b.charge(Some(("1", Insights))), Verdict::WhileBlocked(e) if e.code == 80_000));
        assert!(matches!(b.charge(Some(("1", Management))), Verdict::WhileBlocked(e) if e.code == 80_004));
    }

    #[test]
    fn headers_list_the_calls_bucket_first_and_the_other_when_in_use() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(4, 100, 10_000, 60_000));
        assert_eq!(b.charge(Some(("7", Management))), Verdict::Allowed);
        let h = b.headers(Some(("7", Management)));
        let buc = header(&h, "x-business-use-case-usage");
        assert_eq!(buc["7"].as_array().map(Vec::len), Some(1), "insights unused: {buc}");
        assert_eq!(buc["7"][0]["type"], "ads_management");
        assert_eq!(buc["7"][0]["call_count"], 25);
        assert_eq!(header(&h, "x-ad-account-usage")["acc_id_util_pct"], 25.0);
        assert_eq!(header(&h, "x-fb-ads-insights-throttle")["acc_id_util_pct"], 0.0);

        for _ in 0..3 {
            assert_eq!(b.charge(Some(("7", Insights))), Verdict::Allowed);
        }
        let h = b.headers(Some(("7", Insights)));
        let buc = header(&h, "x-business-use-case-usage");
        let kinds: Vec<&str> = buc["7"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|e| e["type"].as_str())
            .collect();
        assert_eq!(kinds, ["ads_insights", "ads_management"]);
        assert_eq!(
            (buc["7"][0]["call_count"].as_u64(), buc["7"][1]["call_count"].as_u64()),
            (Some(75), Some(25))
        );
        assert_eq!(header(&h, "x-ad-account-usage")["acc_id_util_pct"], 75.0);
        assert_eq!(header(&h, "x-fb-ads-insights-throttle")["acc_id_util_pct"], 75.0);
    }

    #[test]
    fn app_budget_blocks_everything() {
        let mut b = BudgetState::new(BudgetConfig::with_millis(100, 2, 10_000, 10_000));
        assert_eq!(b.charge(None), Verdict::Allowed);
        assert_eq!(b.charge(Some(("1", Insights))), Verdict::Allowed);
        assert!(matches!(b.charge(None), Verdict::Exhausted(e) if e.code == 4));
        assert!(matches!(b.charge(Some(("1", Insights))), Verdict::WhileBlocked(e) if e.code == 4));
        assert!(matches!(b.charge(Some(("1", Management))), Verdict::WhileBlocked(e) if e.code == 4));
    }
}
