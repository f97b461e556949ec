//! Shared state of one sandbox instance: its configuration, dataset and stores.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use crate::budget::BudgetState;
use crate::config::SandboxConfig;
use crate::dataset::Dataset;
use crate::faults::FaultState;
use crate::hash::h;
use crate::report_runs::RunStore;
use crate::request::lock;
use crate::stats::Stats;
use crate::tokens::OAuthStore;

pub(crate) struct Shared {
    pub config: RwLock<SandboxConfig>,
    pub dataset: Arc<Dataset>,
    pub oauth: Mutex<OAuthStore>,
    pub budget: Mutex<BudgetState>,
    pub faults: Mutex<FaultState>,
    pub runs: Mutex<RunStore>,
    pub stats: Mutex<Stats>,
    /// The identity provider's records (see `oidc`).
    pub idp: Mutex<crate::identity::IdpStore>,
    /// The generic OAuth 2 ad platform's records (see `ad_platform`).
    pub platform: Mutex<crate::platform_records::PlatformStore>,
    /// App id and secret, fixed at start.
    pub creds: (String, String),
    counter: AtomicU64,
    /// Randomness of this instance for tokens, codes and trace ids only (a token of one
    /// sandbox means nothing to another); no fault decision or id a fault is keyed on uses it.
    nonce: u64,
}

impl Shared {
    pub fn new(config: SandboxConfig) -> Arc<Self> {
        let today = config.today.unwrap_or_else(Dataset::fixed_today);
        let dataset = Arc::new(Dataset::generate_until(config.dataset, config.seed, today));
        dataset.set_restatement(config.restatement);
        Arc::new(Self {
            oauth: Mutex::new(OAuthStore::default()),
            budget: Mutex::new(BudgetState::new(config.budget.clone())),
            faults: Mutex::new(FaultState::new(config.faults.clone())),
            runs: Mutex::new(RunStore::default()),
            stats: Mutex::new(Stats::default()),
            idp: Mutex::new(Default::default()),
            platform: Mutex::new(Default::default()),
            counter: AtomicU64::new(1),
            nonce: rand::random(),
            creds: (config.app_id.clone(), config.app_secret.clone()),
            dataset,
            config: RwLock::new(config),
        })
    }

    pub fn cfg(&self) -> SandboxConfig {
        self.config.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
    pub fn with_cfg<R>(&self, f: impl FnOnce(&mut SandboxConfig) -> R) -> R {
        f(&mut self.config.write().unwrap_or_else(|e| e.into_inner()))
    }
    pub fn stats(&self) -> MutexGuard<'_, Stats> {
        lock(&self.stats)
    }

    /// A fresh random-looking string of `len` base62 characters.
    pub fn random_string(&self, len: usize) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let mut out = String::with_capacity(len);
        let mut x = 0;
        for i in 0..len {
            // A u64 holds ten base-62 digits; each ten draw a fresh hash of (nonce, n, i).
            // Re-mixing what was left of the old one (a number below 62) made every string
            // share its tail after the first ten characters.
            if i % 10 == 0 {
                x = h(&[self.nonce, n, i as u64]);
            }
            out.push(ALPHABET[(x % 62) as usize] as char);
            x /= 62;
        }
        out
    }
    pub fn trace_id(&self) -> String {
        self.random_string(11)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_strings_differ_all_along() {
        let sh = Shared::new(SandboxConfig::default());
        let (a, b) = (sh.random_string(150), sh.random_string(150));
        assert_eq!((a.len(), b.len()), (150, 150));
        for i in (0..150).step_by(10) {
            assert_ne!(a[i..i + 10], b[i..i + 10], "characters {i}..{}", i + 10);
        }
    }
}
