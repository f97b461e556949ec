//! Backoff for transient Graph API failures: exponential, full jitter, capped.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(200),
            cap: Duration::from_secs(30),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based): random in [0, min(cap, base·2^(attempt-1))].
    pub fn delay(&self, attempt: u32) -> Duration {
        let exp = self.base.saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        let ms = rand::rng().random_range(0..=ceiling.as_millis().max(1) as u64);
        Duration::from_millis(ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_are_bounded_by_the_exponential_ceiling_and_the_cap() {
        let p = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
            max_attempts: 5,
        };
        for attempt in 1..=10 {
            let ceiling = Duration::from_millis(100 * (1u64 << (attempt - 1).min(16))).min(Duration::from_secs(1));
            for _ in 0..50 {
                assert!(p.delay(attempt) <= ceiling);
            }
        }
    }
}
