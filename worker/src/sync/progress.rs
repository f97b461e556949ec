//! A run's progress in days of data: the total is the days planned over the run's ad
//! accounts, fixed once every account is planned; the days done grow as units land.
//!
//! An account's days are fetched at several levels (and breakdowns), each in chunks of its
//! own size, so a day is rarely done at every level at once. An account's days done are its
//! share of the fetching done, in days: `days × fetched ÷ to fetch`, where both count the
//! days of its units (a unit of 30 days at the ad level is 30). That never falls, never
//! passes the account's days, and reaches them exactly with the last unit.

use std::collections::HashMap;
use std::sync::Mutex;

use adsync_storage::sync_runs::Progress;

use super::plan::{Lane, Unit};

#[derive(Debug, Default, Clone, Copy)]
struct Account {
    /// Days of data planned for the account.
    days: i64,
    /// Days of its units, over every level and breakdown.
    to_fetch: i64,
    fetched: i64,
}

impl Account {
    fn days_done(&self) -> i64 {
        if self.to_fetch == 0 {
            return self.days;
        }
        // i128: 37 months of days × every lane's days stays far inside it.
        (i128::from(self.days) * i128::from(self.fetched.min(self.to_fetch)) / i128::from(self.to_fetch)) as i64
    }
}

/// Shared by the run's units.
#[derive(Debug, Default)]
pub struct DaysProgress {
    accounts: Mutex<HashMap<String, Account>>,
}

impl DaysProgress {
    /// Plans an account: `days` of data fetched as `lanes`.
    pub fn plan(&self, account: &str, days: i64, lanes: &[Lane]) {
        let to_fetch = lanes
            .iter()
            .filter(|l| l.head.account.id == account)
            .map(|l| l.head.range.days() + l.rest.map_or(0, |r| r.days()))
            .sum();
        self.lock().insert(
            account.to_string(),
            Account {
                days,
                to_fetch,
                fetched: 0,
            },
        );
    }

    /// Counts a unit's days as fetched (when it lands, or was committed by an earlier try
    /// of the run), and returns the run's progress then.
    pub fn fetched(&self, unit: &Unit) -> Progress {
        let mut accounts = self.lock();
        if let Some(a) = accounts.get_mut(&unit.account.id) {
            a.fetched += unit.range.days();
        }
        Self::sum(&accounts)
    }

    pub fn now(&self) -> Progress {
        Self::sum(&self.lock())
    }

    fn sum(accounts: &HashMap<String, Account>) -> Progress {
        Progress {
            done: accounts.values().map(Account::days_done).sum(),
            total: accounts.values().map(|a| a.days).sum(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Account>> {
        // Only plain arithmetic runs under the lock: a poisoned one still holds whole numbers.
        self.accounts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::plan;
    use adsync_common::breakdowns::Breakdown;
    use adsync_common::dates::DateRange;
    use adsync_storage::connections::AdAccount;
    use chrono::NaiveDate;

    fn account(id: &str) -> AdAccount {
        AdAccount {
            id: id.into(),
            account_id: id.trim_start_matches("act_").into(),
            name: id.into(),
            currency: "EUR".into(),
            timezone_name: "Europe/Berlin".into(),
            synced: true,
        }
    }

    fn range(since: &str, until: &str) -> DateRange {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("a date");
        DateRange::new(d(since), d(until)).expect("a range")
    }

    /// Every unit of the lanes, its rest in 10-day chunks.
    fn units(lanes: &[Lane]) -> Vec<Unit> {
        let mut out = Vec::new();
        for lane in lanes {
            out.push(lane.head.clone());
            for r in lane.rest.map(|r| r.chunks_newest_first(10)).unwrap_or_default() {
                out.push(Unit {
                    range: r,
                    ..lane.head.clone()
                });
            }
        }
        out
    }

    #[test]
    fn the_total_is_the_days_planned_and_the_days_done_only_grow_to_it() {
        let (a, b) = (account("act_1"), account("act_2"));
        let (ra, rb) = (range("2025-01-01", "2025-12-31"), range("2025-12-01", "2025-12-31"));
        let mut lanes = plan::lanes(&a, ra, &[Breakdown::ALL[0]]);
        lanes.extend(plan::lanes(&b, rb, &[]));
        let progress = DaysProgress::default();
        progress.plan(&a.id, ra.days(), &lanes);
        progress.plan(&b.id, rb.days(), &lanes);
        assert_eq!(
            progress.now(),
            Progress {
                done: 0,
                total: 365 + 31
            }
        );

        let mut last = 0;
        let all = units(&lanes);
        for (i, unit) in all.iter().enumerate() {
            let p = progress.fetched(unit);
            assert_eq!(p.total, 396, "the total never moves");
            assert!(p.done >= last && p.done <= p.total, "{} after {}", p.done, last);
            if i + 1 < all.len() {
                assert!(p.done < p.total, "not done before the last unit");
            }
            last = p.done;
        }
        assert_eq!(last, 396);
    }

    #[test]
    fn an_account_counts_its_share_of_the_fetching_in_its_own_days() {
        let a = account("act_1");
        let r = range("2025-01-01", "2025-04-10"); // 100 days
        let lanes = plan::lanes(&a, r, &[]);
        let progress = DaysProgress::default();
        progress.plan(&a.id, r.days(), &lanes);
        // Every level's head and rest but the last level's: (levels - 1) / levels of 100 days.
        let levels = lanes.len() as i64;
        for lane in &lanes[..lanes.len() - 1] {
            progress.fetched(&lane.head);
            if let Some(rest) = lane.rest {
                progress.fetched(&Unit {
                    range: rest,
                    ..lane.head.clone()
                });
            }
        }
        assert_eq!(progress.now().done, 100 * (levels - 1) / levels);
    }

    #[test]
    fn a_unit_of_an_account_not_planned_changes_nothing() {
        let progress = DaysProgress::default();
        let a = account("act_1");
        let lanes = plan::lanes(&a, range("2025-01-01", "2025-01-31"), &[]);
        assert_eq!(progress.fetched(&lanes[0].head), Progress { done: 0, total: 0 });
    }
}
