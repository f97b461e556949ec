//! What a run fetches: per ad account a date range (in the account's time zone), split into
//! chunks, newest first, each fetched at every level (reach is not additive, so each level's
//! own rows are stored).

use adsync_common::dates::DateRange;
use adsync_common::graph::Level;
use adsync_common::storage::connections::AdAccount;
use adsync_common::storage::sync_runs::{RunKind, SyncRun};
use chrono::NaiveDate;
#[cfg(test)]
use chrono::Utc;

/// Days per chunk at a level. A week at ad level is a few pages even for thousands of ads,
/// and keeps a resumed run's redo small. Upper levels have one row per object and day, far
/// fewer than ads: a week of an account is 7 rows, so longer chunks fill pages instead of
/// paying a call per week (500 rows fit a page).
pub fn chunk_days(level: Level) -> u32 {
    match level {
        Level::Ad | Level::Adset => 7,
        Level::Campaign => 28,
        Level::Account => 91,
    }
}
/// Levels in the order they are fetched (ad first: its rows carry every name).
pub const LEVELS: [Level; 4] = [Level::Ad, Level::Adset, Level::Campaign, Level::Account];
/// How far back a backfill reaches: Facebook keeps 37 months.
pub const BACKFILL_MONTHS: u32 = 37;

/// One fetch: an account, a level and a chunk of days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub account: AdAccount,
    pub level: Level,
    pub range: DateRange,
}

/// The range a run covers for one account. `earliest` is the first day with data (from the
/// backfill probe), when known.
pub fn range_for(
    run: &SyncRun,
    today: NaiveDate,
    lookback_days: u32,
    earliest: Option<NaiveDate>,
) -> Option<DateRange> {
    let until = run.until.unwrap_or(today).min(today);
    let since = match (run.kind, run.since) {
        (_, Some(s)) => s,
        (RunKind::Backfill, None) => earliest?,
        (RunKind::Incremental | RunKind::Manual, None) => DateRange::ending(until, lookback_days.max(1)).since(),
    };
    let oldest = today
        .checked_sub_months(chrono::Months::new(BACKFILL_MONTHS))
        .unwrap_or(since);
    DateRange::new(since.max(oldest), until).ok()
}

/// Every unit of an account's range: newest chunks first, the levels of chunks that end on
/// the same day together, so the dashboard's recent days complete first.
pub fn units(account: &AdAccount, range: DateRange) -> Vec<Unit> {
    let mut units: Vec<Unit> = LEVELS
        .iter()
        .flat_map(|level| {
            range
                .chunks_newest_first(chunk_days(*level))
                .into_iter()
                .map(move |range| (range, *level))
        })
        .map(|(range, level)| Unit {
            account: account.clone(),
            level,
            range,
        })
        .collect();
    let rank = |l: Level| LEVELS.iter().position(|x| *x == l);
    units.sort_by_key(|u| (std::cmp::Reverse(u.range.until()), rank(u.level)));
    units
}

#[cfg(test)]
mod tests {
    use super::*;
    use adsync_common::ids::{RunId, TeamId};
    use adsync_common::storage::sync_runs::{Progress, RunStatus};

    fn run(kind: RunKind, since: Option<&str>, until: Option<&str>) -> SyncRun {
        let d = |s: &str| s.parse::<NaiveDate>().expect("date");
        SyncRun {
            id: RunId(1),
            team_id: TeamId(1),
            ad_account_id: None,
            kind,
            status: RunStatus::Running,
            since: since.map(d),
            until: until.map(d),
            progress: Progress { done: 0, total: 0 },
            rows_written: 0,
            error: None,
            created_at: Utc::now(),
            started_at: None,
            finished_at: None,
        }
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn incremental_runs_re_pull_the_lookback_window() {
        let r = range_for(&run(RunKind::Incremental, None, None), d("2026-11-20"), 28, None).expect("range");
        assert_eq!((r.since(), r.until()), (d("2026-10-24"), d("2026-11-20")));
    }

    #[test]
    fn backfills_start_at_the_first_day_with_data_and_never_beyond_37_months() {
        let r = range_for(
            &run(RunKind::Backfill, None, None),
            d("2026-11-20"),
            28,
            Some(d("2026-08-22")),
        )
        .expect("range");
        assert_eq!(r.since(), d("2026-08-22"));
        assert!(
            range_for(&run(RunKind::Backfill, None, None), d("2026-11-20"), 28, None).is_none(),
            "no data, nothing to do"
        );
        let r = range_for(
            &run(RunKind::Manual, Some("2020-01-01"), None),
            d("2026-11-20"),
            28,
            None,
        )
        .expect("clamped");
        assert_eq!(r.since(), d("2023-10-20"));
    }

    #[test]
    fn manual_ranges_never_reach_past_today() {
        let r = range_for(
            &run(RunKind::Manual, Some("2026-11-01"), Some("2026-12-31")),
            d("2026-11-20"),
            28,
            None,
        )
        .expect("range");
        assert_eq!(r.until(), d("2026-11-20"));
    }

    #[test]
    fn units_are_newest_first_with_every_level() {
        let acct = AdAccount {
            id: "act_1".into(),
            account_id: "1".into(),
            name: "A".into(),
            currency: "EUR".into(),
            timezone_name: "Europe/Berlin".into(),
        };
        let u = units(&acct, DateRange::new(d("2026-11-01"), d("2026-11-20")).expect("range"));
        // Ads and ad sets in three weekly chunks; campaigns and the account in one each.
        assert_eq!(u.len(), 3 + 3 + 1 + 1);
        let first: Vec<Level> = u[..4].iter().map(|x| x.level).collect();
        assert_eq!(first, [Level::Ad, Level::Adset, Level::Campaign, Level::Account]);
        assert!(u[..4].iter().all(|x| x.range.until() == d("2026-11-20")));
        assert_eq!(u[2].range.since(), d("2026-11-01"), "a campaign chunk holds 28 days");
        assert_eq!(u.last().map(|x| x.range.since()), Some(d("2026-11-01")));
        assert!(
            u.windows(2).all(|w| w[0].range.until() >= w[1].range.until()),
            "newest first"
        );
    }
}
