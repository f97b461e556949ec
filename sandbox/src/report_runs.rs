//! The async report runs one sandbox holds, and their ids.

use std::collections::HashMap;
use std::time::SystemTime;

use crate::hash::{h, str_hash};
use crate::query::InsightsQuery;

#[derive(Clone, Debug)]
pub(crate) struct Run {
    pub id: String,
    pub account: usize,
    pub query: InsightsQuery,
    pub limit: u32,
    pub polls: u32,
    pub steps: u32,
    /// An injected failure (`async_failure`).
    pub fail: bool,
    /// Too big for a report (`max_request_rows`): it fails asking for less data.
    pub too_big: bool,
    pub created: SystemTime,
    pub completed: Option<SystemTime>,
}

impl Run {
    pub(crate) fn done(&self) -> bool {
        self.polls >= self.steps
    }
}

#[derive(Debug, Default)]
pub(crate) struct RunStore {
    pub(crate) runs: HashMap<String, Run>,
    /// Runs created so far per creating request identity (its hash).
    pub(crate) created: HashMap<u64, u64>,
}

impl RunStore {
    pub fn account_of(&self, id: &str) -> Option<usize> {
        self.runs.get(id).map(|r| r.account)
    }

    /// A 16-digit id from the seed, the creating request and how many runs that request
    /// created before; concurrent reports get the same ids whatever order they start in.
    pub(crate) fn new_id(&mut self, seed: u64, identity: &str) -> String {
        let key = str_hash(identity);
        let n = self.created.entry(key).or_default();
        loop {
            let id = 6_000_000_000_000_000 + h(&[seed, 62, key, *n]) % 999_999_999_999_999;
            *n += 1;
            let id = id.to_string();
            // Two identities meeting on one id is astronomically rare; the next number then.
            if !self.runs.contains_key(&id) {
                return id;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_ids_follow_the_seed_and_the_request() {
        let (mut a, mut b) = (RunStore::default(), RunStore::default());
        let first = a.new_id(7, "ASYNC /act_1/insights&level=ad");
        assert_eq!(first.len(), 16);
        assert_eq!(b.new_id(7, "ASYNC /act_1/insights&level=ad"), first);
        // The same request again gets a new id; another request or seed, another one.
        assert_ne!(a.new_id(7, "ASYNC /act_1/insights&level=ad"), first);
        assert_ne!(RunStore::default().new_id(8, "ASYNC /act_1/insights&level=ad"), first);
        assert_ne!(
            RunStore::default().new_id(7, "ASYNC /act_1/insights&level=campaign"),
            first
        );
    }
}
