//! Bounds on heavy metrics queries (a year of ad-level days costs about a second): a few per
//! team at once in each API process, more answered 429 at once rather than queued, and each
//! stopped after `ADSYNC_METRICS_QUERY_TIMEOUT` with a 503 (`storage::metrics::aggregate`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use adsync_common::ids::TeamId;

/// Metrics queries running per team.
#[derive(Debug)]
pub struct TeamQueries {
    per_team: usize,
    running: Mutex<HashMap<TeamId, usize>>,
}

/// A running query's place; freed when dropped.
#[derive(Debug)]
pub struct QuerySlot {
    queries: Arc<TeamQueries>,
    team: TeamId,
}

impl TeamQueries {
    pub fn new(per_team: usize) -> Arc<Self> {
        Arc::new(TeamQueries {
            per_team: per_team.max(1),
            running: Mutex::new(HashMap::new()),
        })
    }

    /// A place for one more query of `team`, unless it already runs as many as allowed.
    pub fn try_start(self: &Arc<Self>, team: TeamId) -> Option<QuerySlot> {
        let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
        let n = running.entry(team).or_default();
        if *n >= self.per_team {
            return None;
        }
        *n += 1;
        Some(QuerySlot {
            queries: self.clone(),
            team,
        })
    }

    pub fn per_team(&self) -> usize {
        self.per_team
    }
}

impl Drop for QuerySlot {
    fn drop(&mut self) {
        let mut running = self.queries.running.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = running.get_mut(&self.team) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                running.remove(&self.team);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_team_gets_its_share_and_others_are_unaffected() {
        let queries = TeamQueries::new(2);
        let (a, b) = (TeamId(1), TeamId(2));
        let first = queries.try_start(a).expect("first");
        let _second = queries.try_start(a).expect("second");
        assert!(queries.try_start(a).is_none(), "a third of team A waits its turn");
        assert!(queries.try_start(b).is_some(), "team B is not held up by A");
        drop(first);
        assert!(queries.try_start(a).is_some(), "a finished query frees its place");
    }
}
