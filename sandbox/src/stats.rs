//! Counters a test (or the demo) can read through the handle or `/__sandbox/stats`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// All requests, Graph and dialog.
    pub requests: u64,
    /// Requests by endpoint label, e.g. `GET /{act}/insights`.
    pub requests_by_endpoint: BTreeMap<String, u64>,
    /// Insights rows returned (sync pages and async result pages).
    pub rows_served: u64,
    /// Calls answered with a budget throttle (the one that exhausted a budget and
    /// every call during the block).
    pub throttled_calls: u64,
    /// Calls made while an account (or the app) was blocked.
    pub calls_while_blocked: u64,
    /// Injected faults by kind (`unknown_error`, `transient`, `throttle_17`, ...).
    pub errors_injected: BTreeMap<String, u64>,
    /// Error responses of any cause.
    pub error_responses: u64,
    /// Error responses by code.
    pub errors_by_code: BTreeMap<String, u64>,
    pub tokens_issued: u64,
    pub async_runs_created: u64,
}

impl Stats {
    /// What happened after `earlier` (a snapshot of the same sandbox's stats).
    pub fn since(&self, earlier: &Stats) -> Stats {
        let minus = |now: &BTreeMap<String, u64>, then: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
            now.iter()
                .map(|(k, n)| (k.clone(), n - then.get(k).copied().unwrap_or(0).min(*n)))
                .filter(|(_, n)| *n > 0)
                .collect()
        };
        Stats {
            requests: self.requests.saturating_sub(earlier.requests),
            requests_by_endpoint: minus(&self.requests_by_endpoint, &earlier.requests_by_endpoint),
            rows_served: self.rows_served.saturating_sub(earlier.rows_served),
            throttled_calls: self.throttled_calls.saturating_sub(earlier.throttled_calls),
            calls_while_blocked: self.calls_while_blocked.saturating_sub(earlier.calls_while_blocked),
            errors_injected: minus(&self.errors_injected, &earlier.errors_injected),
            error_responses: self.error_responses.saturating_sub(earlier.error_responses),
            errors_by_code: minus(&self.errors_by_code, &earlier.errors_by_code),
            tokens_issued: self.tokens_issued.saturating_sub(earlier.tokens_issued),
            async_runs_created: self.async_runs_created.saturating_sub(earlier.async_runs_created),
        }
    }

    pub(crate) fn count_request(&mut self, label: &str) {
        self.requests += 1;
        *self.requests_by_endpoint.entry(label.to_string()).or_default() += 1;
    }
    pub(crate) fn count_fault(&mut self, kind: &str) {
        *self.errors_injected.entry(kind.to_string()).or_default() += 1;
    }
    pub(crate) fn count_error(&mut self, code: u32) {
        self.error_responses += 1;
        *self.errors_by_code.entry(code.to_string()).or_default() += 1;
    }
    /// Requests with a label.
    pub fn endpoint(&self, label: &str) -> u64 {
        self.requests_by_endpoint.get(label).copied().unwrap_or(0)
    }
    /// Injected faults of a kind.
    pub fn injected(&self, kind: &str) -> u64 {
        self.errors_injected.get(kind).copied().unwrap_or(0)
    }
}
