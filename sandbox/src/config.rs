//! Configuration of a sandbox instance: dataset, app credentials, token lifetimes,
//! latency, page size, budgets and fault injection.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Which generated dataset the sandbox serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum DatasetName {
    /// 1 account, 3 campaigns, 12 ads, 90 days.
    #[default]
    Small,
    /// 2 accounts (USD / America/Los_Angeles and JPY / Asia/Tokyo), 200 ads, 365 days.
    Medium,
    /// 2 accounts, 2,000 ads, 365 days (about 700k ad-days).
    Large,
    /// 16 small accounts (12 ads, 90 days each), each with its own budget: for scaling
    /// benchmarks over many accounts.
    Many,
    /// 6 small accounts (12 ads, 90 days each), one per way of reporting conversions
    /// ([`crate::Reporting`]): the demo's dataset.
    Shapes,
}

impl FromStr for DatasetName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "small" => Ok(Self::Small),
            "medium" => Ok(Self::Medium),
            "large" => Ok(Self::Large),
            "many" => Ok(Self::Many),
            "shapes" => Ok(Self::Shapes),
            other => Err(format!(
                "unknown dataset {other:?} (expected small, medium, large, many or shapes)"
            )),
        }
    }
}

impl fmt::Display for DatasetName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Small => "small",
            Self::Medium => "medium",
            Self::Large => "large",
            Self::Many => "many",
            Self::Shapes => "shapes",
        })
    }
}

/// Which throttle error an exhausted ad-account budget answers with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AccountThrottle {
    /// `(#17) User request limit reached`, subcode 2446079.
    UserRequestLimit,
    /// `(#613) Calls to this api have exceeded the rate limit`, subcode 1487742.
    TooManyCalls,
    /// `(#80000)` (ads_insights) / `(#80004)` (ads_management), subcode 2446079.
    #[default]
    BusinessUseCase,
}

/// Call budgets over a rolling window. Every Graph call costs one call of the app budget;
/// every call on an ad account also costs one call of one of that account's two buckets,
/// each `account_calls` large: `ads_insights` (insights, report runs and their results) or
/// `ads_management` (the node, campaign / ad set / ad lists). The call that exceeds a
/// budget gets the throttle error and starts a block of that budget only (the app, or one
/// bucket of one account); calls made during a block are counted as `calls_while_blocked`.
#[derive(Clone, Debug)]
pub struct BudgetConfig {
    /// Calls per window per ad account and bucket (ads_insights, ads_management).
    pub account_calls: u32,
    /// Calls per window for the whole app.
    pub app_calls: u32,
    /// Rolling window length.
    pub window: Duration,
    /// How long an exhausted bucket (or the app) stays blocked.
    pub block: Duration,
    /// Error returned for a blocked account.
    pub account_error: AccountThrottle,
}

impl Default for BudgetConfig {
    fn default() -> Self {
        Self {
            account_calls: 1_000,
            app_calls: 10_000,
            window: Duration::from_secs(300),
            block: Duration::from_secs(60),
            account_error: AccountThrottle::default(),
        }
    }
}

impl BudgetConfig {
    /// Budgets so large they never trigger.
    pub fn unlimited() -> Self {
        Self {
            account_calls: u32::MAX,
            app_calls: u32::MAX,
            ..Self::default()
        }
    }
    /// Convenience for tests: window and block in milliseconds.
    pub fn with_millis(account_calls: u32, app_calls: u32, window_ms: u64, block_ms: u64) -> Self {
        Self {
            account_calls,
            app_calls,
            window: Duration::from_millis(window_ms),
            block: Duration::from_millis(block_ms),
            account_error: AccountThrottle::default(),
        }
    }
}

/// Seeded fault injection on ad-account calls (account node, insights, report runs,
/// also inside batches). Each request identity (method + path + params without the
/// token and proof) draws one number from `hash(seed, identity)` (`seed`, else the
/// dataset's); the probabilities
/// below are stacked in field order, and the chosen fault hits the first
/// `failures_per_request` attempts of that identity, so retries eventually succeed.
#[derive(Clone, Debug)]
pub struct FaultConfig {
    /// HTTP 500, code 1 "An unknown error occurred".
    pub unknown_error: f64,
    /// HTTP 503, code 2 transient.
    pub transient: f64,
    /// HTTP 400, code 17 / 2446079.
    pub throttle_17: f64,
    /// HTTP 400, code 613 / 1487742.
    pub throttle_613: f64,
    /// HTTP 400, code 80000 / 2446079.
    pub throttle_80000: f64,
    /// HTTP 500, code 1 "Please reduce the amount of data ...".
    pub reduce_data: f64,
    /// Answer after `slow_delay` (the answer itself is fine).
    pub slow: f64,
    /// Close the connection without any response.
    pub drop_connection: f64,
    /// HTTP 400, code 190 / 463 (the token itself stays valid).
    pub expired_token: f64,
    /// HTTP 400, code 190 / 458 (the token itself stays valid).
    pub revoked_token: f64,
    /// Probability that an async report run ends in "Job Failed".
    pub async_failure: f64,
    /// How many attempts of a faulty request identity fail before it succeeds.
    pub failures_per_request: u32,
    /// Delay of a slow response.
    pub slow_delay: Duration,
    /// Seed of the fault decisions; `None`: the sandbox's seed. Another seed gives other
    /// faults on the same data.
    pub seed: Option<u64>,
}

impl Default for FaultConfig {
    fn default() -> Self {
        Self {
            unknown_error: 0.0,
            transient: 0.0,
            throttle_17: 0.0,
            throttle_613: 0.0,
            throttle_80000: 0.0,
            reduce_data: 0.0,
            slow: 0.0,
            drop_connection: 0.0,
            expired_token: 0.0,
            revoked_token: 0.0,
            async_failure: 0.0,
            failures_per_request: 1,
            slow_delay: Duration::from_millis(200),
            seed: None,
        }
    }
}

impl FaultConfig {
    /// No faults at all.
    pub fn none() -> Self {
        Self::default()
    }
    /// A realistic mix for demos: a few percent of calls fail once.
    pub fn flaky() -> Self {
        Self {
            unknown_error: 0.02,
            transient: 0.03,
            throttle_17: 0.01,
            throttle_613: 0.005,
            throttle_80000: 0.005,
            reduce_data: 0.01,
            slow: 0.02,
            drop_connection: 0.01,
            async_failure: 0.05,
            ..Self::default()
        }
    }

    /// The fault kinds [`FaultConfig::set_rate`] knows, named as in the stats.
    pub const KINDS: &[&str] = &[
        "unknown_error",
        "transient",
        "throttle_17",
        "throttle_613",
        "throttle_80000",
        "reduce_data",
        "slow",
        "drop_connection",
        "expired_token",
        "revoked_token",
        "async_failure",
    ];

    /// Sets the probability of one fault kind (a name of [`FaultConfig::KINDS`]), 0 to 1.
    pub fn set_rate(&mut self, kind: &str, rate: f64) -> Result<(), String> {
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("the rate of {kind} must be between 0 and 1 (got {rate})"));
        }
        let field = match kind {
            "unknown_error" => &mut self.unknown_error,
            "transient" => &mut self.transient,
            "throttle_17" => &mut self.throttle_17,
            "throttle_613" => &mut self.throttle_613,
            "throttle_80000" => &mut self.throttle_80000,
            "reduce_data" => &mut self.reduce_data,
            "slow" => &mut self.slow,
            "drop_connection" => &mut self.drop_connection,
            "expired_token" => &mut self.expired_token,
            "revoked_token" => &mut self.revoked_token,
            "async_failure" => &mut self.async_failure,
            other => {
                return Err(format!(
                    "unknown fault {other:?} (expected one of {})",
                    Self::KINDS.join(", ")
                ));
            }
        };
        *field = rate;
        Ok(())
    }
}

/// Everything a sandbox instance is built from.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    pub dataset: DatasetName,
    pub seed: u64,
    pub app_id: String,
    pub app_secret: String,
    pub app_name: String,
    /// The dialog redirects straight back with a code (tests).
    pub auto_approve: bool,
    pub short_token_ttl: Duration,
    pub long_token_ttl: Duration,
    /// Require `appsecret_proof` on every call with a user token.
    pub require_appsecret_proof: bool,
    /// Added to every Graph API response.
    pub latency: Duration,
    /// A larger `limit` answers code 1 "Please reduce the amount of data ...".
    pub max_page_size: u32,
    /// A synchronous insights call whose range's days times the fields it asks for exceed
    /// this answers code 100 subcode 1504018 ("... reduce the amount of data ..."); `None`: no
    /// such limit. Facebook's threshold is undocumented and depends on fields and range.
    pub max_days_x_fields: Option<u64>,
    /// An insights request spanning more rows than this (objects of the level × days ×
    /// breakdown segments) is refused: a call with code 1 "Please reduce the amount of data
    /// ...", an async report run with "Job Failed" (error code 1); `None`: no such limit.
    /// Facebook's threshold grows with the account's size.
    pub max_request_rows: Option<u64>,
    pub budget: BudgetConfig,
    pub faults: FaultConfig,
    /// Restatement generation: 0 = none; each other value changes conversions of the
    /// last 28 days (and only those) differently.
    pub restatement: u32,
    /// How many status polls an async report takes: the last says "Job Completed"; before
    /// it, "Job Not Started", then "Job Started" (from 4 steps), then "Job Running".
    pub async_steps: u32,
    /// The dataset's last day with data. `None` is the fixed [`crate::Dataset::TODAY`], so
    /// tests and their ground truth do not move with the calendar; the demo and the bench
    /// set the wall clock's date, so adsync (whose "today" is the clock's) finds data up to
    /// its own today, as it would at Facebook.
    pub today: Option<chrono::NaiveDate>,
    /// How many of the dataset's accounts `/me/adaccounts` lists (the first n); `None` lists
    /// them all. 0 is a Facebook user who sees no ad account.
    pub visible_accounts: Option<usize>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            dataset: DatasetName::Small,
            seed: 42,
            app_id: "1234567890".into(),
            app_secret: "sandbox-secret".into(),
            app_name: "adsync (sandbox)".into(),
            auto_approve: false,
            short_token_ttl: Duration::from_secs(2 * 3600),
            long_token_ttl: Duration::from_secs(60 * 24 * 3600),
            require_appsecret_proof: false,
            latency: Duration::ZERO,
            max_page_size: 500,
            max_days_x_fields: None,
            max_request_rows: None,
            budget: BudgetConfig::default(),
            faults: FaultConfig::default(),
            restatement: 0,
            // Enough polls to show every state of the notes' progression once.
            async_steps: 4,
            today: None,
            visible_accounts: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_rate() {
        for kind in FaultConfig::KINDS {
            let mut f = FaultConfig::none();
            assert_eq!(f.set_rate(kind, 0.25), Ok(()), "{kind}");
            assert_ne!(format!("{f:?}"), format!("{:?}", FaultConfig::none()), "{kind}");
        }
        let mut f = FaultConfig::none();
        assert!(f.set_rate("transient", 1.5).is_err());
        assert!(f.set_rate("transient", f64::NAN).is_err());
        assert!(f.set_rate("gremlins", 0.1).is_err());
    }
}
