//! Seeded, per-request-identity fault injection: a request identity whose hash falls
//! under the stacked probabilities gets that fault on its first
//! `failures_per_request` attempts, then succeeds.

use std::collections::{BTreeMap, HashMap};

use crate::config::FaultConfig;
use crate::errors::GraphError;
use crate::hash::{h, str_hash, unit};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fault {
    UnknownError,
    Transient,
    Throttle17,
    Throttle613,
    Throttle80000,
    ReduceData,
    Slow,
    DropConnection,
    ExpiredToken,
    RevokedToken,
}

impl Fault {
    pub fn name(self) -> &'static str {
        match self {
            Self::UnknownError => "unknown_error",
            Self::Transient => "transient",
            Self::Throttle17 => "throttle_17",
            Self::Throttle613 => "throttle_613",
            Self::Throttle80000 => "throttle_80000",
            Self::ReduceData => "reduce_data",
            Self::Slow => "slow",
            Self::DropConnection => "drop_connection",
            Self::ExpiredToken => "expired_token",
            Self::RevokedToken => "revoked_token",
        }
    }

    /// The error this fault answers with (none for slow / dropped).
    pub fn error(self, app_id: &str) -> Option<GraphError> {
        Some(match self {
            Self::UnknownError => GraphError::unknown_error(),
            Self::Transient => GraphError::temporary(),
            Self::Throttle17 => GraphError::user_limit(),
            Self::Throttle613 => GraphError::account_limit(),
            Self::Throttle80000 => GraphError::business_limit(true),
            Self::ReduceData => GraphError::reduce_data(),
            Self::ExpiredToken => GraphError::expired_token("Friday, 20-Nov-26 00:00:00 PST"),
            Self::RevokedToken => GraphError::revoked_token(app_id, 458),
            Self::Slow | Self::DropConnection => return None,
        })
    }
}

#[derive(Debug)]
pub(crate) struct FaultState {
    pub cfg: FaultConfig,
    attempts: HashMap<u64, u32>,
}

/// A request identity: method, path and parameters without credentials.
pub(crate) fn identity(method: &str, path: &str, params: &BTreeMap<String, String>) -> String {
    let mut s = format!("{method} {path}");
    for (k, v) in params {
        if k != "access_token" && k != "appsecret_proof" {
            s.push_str(&format!("&{k}={v}"));
        }
    }
    s
}

impl FaultState {
    pub fn new(cfg: FaultConfig) -> Self {
        Self {
            cfg,
            attempts: HashMap::new(),
        }
    }
    pub fn set_config(&mut self, cfg: FaultConfig) {
        self.cfg = cfg;
        self.attempts.clear();
    }

    fn table(&self) -> [(Fault, f64); 10] {
        let c = &self.cfg;
        [
            (Fault::UnknownError, c.unknown_error),
            (Fault::Transient, c.transient),
            (Fault::Throttle17, c.throttle_17),
            (Fault::Throttle613, c.throttle_613),
            (Fault::Throttle80000, c.throttle_80000),
            (Fault::ReduceData, c.reduce_data),
            (Fault::Slow, c.slow),
            (Fault::DropConnection, c.drop_connection),
            (Fault::ExpiredToken, c.expired_token),
            (Fault::RevokedToken, c.revoked_token),
        ]
    }

    /// Counts an attempt of `key` and tells whether it is still among the failing ones.
    fn attempt(&mut self, key: u64) -> bool {
        let n = self.attempts.entry(key).or_default();
        *n += 1;
        *n <= self.cfg.failures_per_request
    }

    /// The fault for this attempt of a request identity, if any.
    pub fn decide(&mut self, seed: u64, identity: &str) -> Option<Fault> {
        let key = h(&[seed, 60, str_hash(identity)]);
        let u = unit(key);
        let mut acc = 0.0;
        let kind = self.table().into_iter().find_map(|(f, p)| {
            acc += p.max(0.0);
            (u < acc).then_some(f)
        })?;
        self.attempt(key).then_some(kind)
    }

    /// Whether an async report run created from this identity fails.
    pub fn async_fails(&mut self, seed: u64, identity: &str) -> bool {
        let key = h(&[seed, 61, str_hash(identity)]);
        unit(key) < self.cfg.async_failure && self.attempt(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faulty_identity_fails_n_times_then_succeeds() {
        let cfg = FaultConfig {
            transient: 1.0,
            failures_per_request: 2,
            ..FaultConfig::default()
        };
        let mut f = FaultState::new(cfg);
        assert_eq!(f.decide(1, "GET /x"), Some(Fault::Transient));
        assert_eq!(f.decide(1, "GET /x"), Some(Fault::Transient));
        assert_eq!(f.decide(1, "GET /x"), None);
        assert_eq!(f.decide(1, "GET /y"), Some(Fault::Transient));
    }

    #[test]
    fn probabilities_are_respected_roughly() {
        let cfg = FaultConfig {
            unknown_error: 0.1,
            slow: 0.1,
            ..FaultConfig::default()
        };
        let mut f = FaultState::new(cfg);
        let hits = (0..2000)
            .filter(|i| f.decide(9, &format!("GET /{i}")).is_some())
            .count();
        assert!((300..500).contains(&hits), "{hits}");
    }
}
