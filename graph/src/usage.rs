//! Rate-limit usage reported by Facebook in response headers, on successes and errors
//! alike. Percentages are 0–100 (they may exceed 100). A malformed header is ignored,
//! never an error: usage is advice, the body decides what happened.

use std::time::Duration;

use http::HeaderMap;
use serde_json::{Map, Value};

/// `X-App-Usage`: app-wide, rolling hour.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AppUsage {
    pub call_count: f64,
    pub total_cputime: f64,
    pub total_time: f64,
}

/// `X-Ad-Account-Usage`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdAccountUsage {
    pub acc_id_util_pct: f64,
    /// Time until the account's utilisation resets (`reset_time_duration`, seconds).
    pub reset_time: Option<Duration>,
}

/// One bucket of `X-Business-Use-Case-Usage` (any account or type: adsync heeds the fullest).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BusinessUseCaseUsage {
    pub call_count: f64,
    pub total_cputime: f64,
    pub total_time: f64,
    /// `estimated_time_to_regain_access` (sent in minutes); `None` when 0 or absent.
    pub regain_access: Option<Duration>,
}

impl BusinessUseCaseUsage {
    pub fn max_pct(&self) -> f64 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }
}

/// `x-fb-ads-insights-throttle`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct InsightsThrottle {
    pub app_id_util_pct: f64,
    pub acc_id_util_pct: f64,
}

/// Everything the usage headers of one response said.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub app: Option<AppUsage>,
    pub ad_account: Option<AdAccountUsage>,
    pub business: Vec<BusinessUseCaseUsage>,
    pub insights_throttle: Option<InsightsThrottle>,
}

/// Utilisation at or above which a bucket counts as exhausted.
const FULL: f64 = 100.0;

impl Usage {
    /// Parses the four usage headers; anything missing or malformed is left out.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let json = |name: &str| -> Option<Map<String, Value>> {
            let raw = headers.get(name)?.to_str().ok()?;
            match serde_json::from_str(raw) {
                Ok(Value::Object(m)) => Some(m),
                _ => None,
            }
        };
        let app = json("x-app-usage").map(|m| AppUsage {
            call_count: num(&m, "call_count"),
            total_cputime: num(&m, "total_cputime"),
            total_time: num(&m, "total_time"),
        });
        let ad_account = json("x-ad-account-usage").map(|m| AdAccountUsage {
            acc_id_util_pct: num(&m, "acc_id_util_pct"),
            reset_time: secs(num(&m, "reset_time_duration")),
        });
        let mut business = Vec::new();
        for buckets in json("x-business-use-case-usage").unwrap_or_default().values() {
            for b in buckets.as_array().into_iter().flatten().filter_map(Value::as_object) {
                business.push(BusinessUseCaseUsage {
                    call_count: num(b, "call_count"),
                    total_cputime: num(b, "total_cputime"),
                    total_time: num(b, "total_time"),
                    regain_access: secs(num(b, "estimated_time_to_regain_access") * 60.0),
                });
            }
        }
        let insights_throttle = json("x-fb-ads-insights-throttle").map(|m| InsightsThrottle {
            app_id_util_pct: num(&m, "app_id_util_pct"),
            acc_id_util_pct: num(&m, "acc_id_util_pct"),
        });
        Self {
            app,
            ad_account,
            business,
            insights_throttle,
        }
    }

    /// The highest app-wide utilisation reported, in percent.
    pub fn app_pct(&self) -> Option<f64> {
        let a = self
            .app
            .as_ref()
            .map(|a| a.call_count.max(a.total_cputime).max(a.total_time));
        let t = self.insights_throttle.as_ref().map(|t| t.app_id_util_pct);
        max_opt(a, t)
    }

    /// The highest ad-account-level utilisation reported (any account, any bucket).
    pub fn account_pct(&self) -> Option<f64> {
        let a = self.ad_account.as_ref().map(|a| a.acc_id_util_pct);
        let b = self.business.iter().map(BusinessUseCaseUsage::max_pct).reduce(f64::max);
        let t = self.insights_throttle.as_ref().map(|t| t.acc_id_util_pct);
        max_opt(max_opt(a, b), t)
    }

    /// The highest utilisation of any kind, in percent (`None` without usage headers).
    pub fn max_utilisation(&self) -> Option<f64> {
        max_opt(self.app_pct(), self.account_pct())
    }

    /// The longest `estimated_time_to_regain_access` of the business-use-case buckets.
    pub fn regain_access(&self) -> Option<Duration> {
        self.business.iter().filter_map(|b| b.regain_access).max()
    }

    /// `reset_time_duration` of the ad account.
    pub fn reset_time(&self) -> Option<Duration> {
        self.ad_account.as_ref().and_then(|a| a.reset_time)
    }

    /// Whether a bucket is exhausted (≥ 100 %) or Facebook announced a regain time.
    pub fn is_throttled(&self) -> bool {
        self.regain_access().is_some() || self.max_utilisation().is_some_and(|p| p >= FULL)
    }

    /// How long to wait before the next call when throttled: the regain time, else the
    /// account's reset time while its utilisation is exhausted. `None` when not throttled
    /// or when the headers give no time (an app-wide limit: the caller picks a back-off).
    pub fn suggested_wait(&self) -> Option<Duration> {
        if let Some(d) = self.regain_access() {
            return Some(d);
        }
        if self.account_pct().is_some_and(|p| p >= FULL) {
            return self.reset_time();
        }
        None
    }
}

fn max_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, y) => x.or(y),
    }
}

/// A number that may come as a JSON number or a numeric string; 0 when missing or bad.
fn num(m: &Map<String, Value>, key: &str) -> f64 {
    let v = match m.get(key) {
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    v.filter(|x: &f64| x.is_finite() && *x >= 0.0).unwrap_or(0.0)
}

/// Seconds to a duration; `None` for 0 (and for anything absurd).
fn secs(s: f64) -> Option<Duration> {
    (s > 0.0 && s < 1e9).then(|| Duration::from_secs_f64(s))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).expect("header value"));
        }
        h
    }

    #[test]
    fn parses_the_notes_examples() {
        let u = Usage::from_headers(&headers(&[
            ("X-App-Usage", r#"{"call_count":28,"total_cputime":25,"total_time":25}"#),
            (
                "X-Ad-Account-Usage",
                r#"{"acc_id_util_pct":9.67,"reset_time_duration":100,"ads_api_access_tier":"standard_access"}"#,
            ),
            (
                "X-Business-Use-Case-Usage",
                r#"{"123":[{"type":"ads_insights","call_count":1,"total_cputime":1,"total_time":1,"estimated_time_to_regain_access":0,"ads_api_access_tier":"development_access"}]}"#,
            ),
            (
                "x-fb-ads-insights-throttle",
                r#"{"app_id_util_pct":100,"acc_id_util_pct":10,"ads_api_access_tier":"standard_access"}"#,
            ),
        ]));
        assert_eq!(u.app.as_ref().map(|a| a.call_count), Some(28.0));
        let acc = u.ad_account.as_ref().expect("account usage");
        assert_eq!(acc.acc_id_util_pct, 9.67);
        assert_eq!(acc.reset_time, Some(Duration::from_secs(100)));
        assert_eq!(u.business.len(), 1);
        assert_eq!(u.business[0].call_count, 1.0);
        assert_eq!(u.business[0].regain_access, None);
        assert_eq!(u.insights_throttle.as_ref().map(|t| t.app_id_util_pct), Some(100.0));
        assert_eq!(u.max_utilisation(), Some(100.0));
        assert_eq!(u.account_pct(), Some(10.0));
        assert!(u.is_throttled());
        // App-wide exhaustion carries no time: the caller chooses the back-off.
        assert_eq!(u.suggested_wait(), None);
    }

    #[test]
    fn regain_time_is_in_minutes_and_wins() {
        let u = Usage::from_headers(&headers(&[
            (
                "x-ad-account-usage",
                r#"{"acc_id_util_pct":100,"reset_time_duration":42}"#,
            ),
            (
                "x-business-use-case-usage",
                r#"{"1":[{"type":"ads_insights","call_count":100,"estimated_time_to_regain_access":3},{"type":"ads_management","call_count":5}],"2":[]}"#,
            ),
        ]));
        assert_eq!(u.business.len(), 2);
        assert_eq!(u.regain_access(), Some(Duration::from_secs(180)));
        assert_eq!(u.suggested_wait(), Some(Duration::from_secs(180)));
    }

    #[test]
    fn exhausted_account_without_regain_waits_for_reset() {
        let u = Usage::from_headers(&headers(&[(
            "x-ad-account-usage",
            r#"{"acc_id_util_pct":"101.5","reset_time_duration":"30"}"#,
        )]));
        assert_eq!(u.suggested_wait(), Some(Duration::from_secs(30)));
        let calm = Usage::from_headers(&headers(&[(
            "x-ad-account-usage",
            r#"{"acc_id_util_pct":40,"reset_time_duration":30}"#,
        )]));
        assert!(!calm.is_throttled());
        assert_eq!(calm.suggested_wait(), None);
    }

    #[test]
    fn malformed_headers_are_ignored() {
        let u = Usage::from_headers(&headers(&[
            ("x-app-usage", "not json"),
            ("x-ad-account-usage", "[1,2]"),
            (
                "x-business-use-case-usage",
                r#"{"1":"nope","2":[1,null,{"call_count":-5,"estimated_time_to_regain_access":1e300}]}"#,
            ),
            (
                "x-fb-ads-insights-throttle",
                r#"{"app_id_util_pct":"NaN","acc_id_util_pct":{}}"#,
            ),
        ]));
        assert!(u.app.is_none() && u.ad_account.is_none());
        assert_eq!(u.business.len(), 1);
        assert_eq!(u.business[0].call_count, 0.0);
        assert_eq!(u.business[0].regain_access, None);
        assert_eq!(u.insights_throttle.as_ref().map(|t| t.app_id_util_pct), Some(0.0));
        let mut h = HeaderMap::new();
        h.insert(
            "x-app-usage",
            HeaderValue::from_bytes(b"{\"call_count\":\xff}").expect("opaque bytes"),
        );
        assert_eq!(Usage::from_headers(&h), Usage::default());
        assert_eq!(Usage::default().max_utilisation(), None);
    }
}
