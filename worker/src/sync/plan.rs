//! What a run fetches: per ad account a date range (in the account's time zone), fetched
//! at every level (reach is not additive, so each level's own rows are stored).
//!
//! Each level starts with a short *head* chunk of the newest days, so the dashboard's recent
//! days land first. The rows per day it held size the rest of the range: every call should
//! return a full page (500 rows), because a chunk's last page is usually partial and each
//! chunk costs at least one call. Dense accounts go through async report runs, whose start
//! and status polls pay off only over many pages.

use adsync_common::breakdowns::{Breakdown, REACH_MONTHS};
use adsync_common::config::DEFAULT_SYNC_CHUNK_ROWS;
use adsync_common::dates::{DateRange, oldest_day};
use adsync_common::graph::{Level, MAX_PAGE_SIZE};
use adsync_storage::connections::AdAccount;
use adsync_storage::page_writes::ChunkKey;
use adsync_storage::sync_runs::{RunKind, SyncRun};
use chrono::NaiveDate;
#[cfg(test)]
use chrono::Utc;

/// Days of a level's head chunk. A week at ad level is a few pages even for thousands of
/// ads; upper levels have one row per object and day, so their heads can be longer.
pub fn head_days(level: Level) -> u32 {
    match level {
        Level::Ad | Level::Adset => 7,
        Level::Campaign => 28,
        Level::Account => 91,
    }
}
/// Levels in the order they are fetched (ad first: the most rows, so the longest to fetch).
pub const LEVELS: [Level; 4] = [Level::Ad, Level::Adset, Level::Campaign, Level::Account];
/// How far back a backfill reaches: Facebook keeps 37 months.
pub const BACKFILL_MONTHS: u32 = adsync_common::dates::MAX_HISTORY_MONTHS;

/// How the chunks after a level's head are sized and fetched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkPolicy {
    /// Rows a paged (synchronous) chunk aims at.
    pub paged_rows: u32,
    /// Rows per day from which a level's chunks go through async report runs.
    pub report_from_rows_per_day: f64,
    /// Rows a report chunk aims at.
    pub report_rows: u32,
}

impl ChunkPolicy {
    /// Paged chunks of `paged_rows` ([`DEFAULT_SYNC_CHUNK_ROWS`]: half a page lost per chunk
    /// is then ~3 %); reports of 50 pages less 10 %, over which a report's start and ~3
    /// status polls cost ~8 %.
    pub fn new(paged_rows: u32) -> Self {
        Self {
            paged_rows: paged_rows.max(1),
            report_from_rows_per_day: 2_000.0,
            report_rows: 50 * MAX_PAGE_SIZE * 9 / 10,
        }
    }
}

impl Default for ChunkPolicy {
    fn default() -> Self {
        Self::new(DEFAULT_SYNC_CHUNK_ROWS)
    }
}

impl ChunkPolicy {
    /// Chunks of `rest` (the days before the head), newest first, sized from the head's
    /// rows per day; `true` marks report chunks. An empty head tells nothing: the rest
    /// then goes in head-sized chunks.
    pub fn chunks(&self, level: Level, rest: DateRange, head_days: i64, head_rows: i64) -> Vec<(DateRange, bool)> {
        if head_rows <= 0 || head_days <= 0 {
            return rest
                .chunks_newest_first(self::head_days(level))
                .into_iter()
                .map(|r| (r, false))
                .collect();
        }
        let per_day = head_rows as f64 / head_days as f64;
        let report = per_day >= self.report_from_rows_per_day;
        let target = f64::from(if report { self.report_rows } else { self.paged_rows });
        // At least a day; at most the whole rest (37 months fit a u32 many times over).
        let days = (target / per_day).floor().clamp(1.0, rest.days() as f64) as u32;
        rest.chunks_newest_first(days)
            .into_iter()
            .map(|r| (r, report))
            .collect()
    }
}

/// One fetch: an account, a level (and breakdown) and a chunk of days, paged or as an async
/// report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub account: AdAccount,
    pub level: Level,
    pub range: DateRange,
    pub report: bool,
    /// Rows broken down by this (`None`: the unbroken rows).
    pub breakdown: Option<Breakdown>,
    /// Whether reach is asked for: not for breakdowns older than Facebook keeps it for.
    pub reach: bool,
}

impl Unit {
    /// How a committed chunk is recorded (see [`done_chunks`](adsync_storage::page_writes::done_chunks)).
    pub fn key(&self) -> ChunkKey {
        (
            self.account.id.clone(),
            self.level.as_str().to_string(),
            self.breakdown_key().to_string(),
            self.range.since(),
        )
    }

    /// The breakdown's name, `""` for the unbroken rows.
    pub fn breakdown_key(&self) -> &'static str {
        self.breakdown.map_or("", Breakdown::key)
    }
}

/// A level of an account's range: its head chunk and the days before it.
#[derive(Debug, Clone)]
pub struct Lane {
    pub head: Unit,
    pub rest: Option<DateRange>,
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
    DateRange::new(since.max(oldest_day(today, BACKFILL_MONTHS)), until).ok()
}

/// The levels whose rows are fetched broken down (the account's and its campaigns').
pub const BREAKDOWN_LEVELS: [Level; 2] = [Level::Campaign, Level::Account];

/// The lanes of an account's range: one per level in [`LEVELS`] order, then one per
/// breakdown and level of [`BREAKDOWN_LEVELS`]. A breakdown's days older than Facebook keeps
/// reach for ([`REACH_MONTHS`]) are a lane of their own, fetched without reach.
pub fn lanes(account: &AdAccount, range: DateRange, breakdowns: &[Breakdown]) -> Vec<Lane> {
    let mut out: Vec<Lane> = LEVELS.iter().map(|&l| lane(account, l, None, range, true)).collect();
    let reach_since = oldest_day(account.today(), REACH_MONTHS);
    for &b in breakdowns {
        for &level in &BREAKDOWN_LEVELS {
            let with_reach = DateRange::new(range.since().max(reach_since), range.until()).ok();
            let without = reach_since
                .pred_opt()
                .and_then(|end| DateRange::new(range.since(), end.min(range.until())).ok());
            out.extend(with_reach.map(|r| lane(account, level, Some(b), r, true)));
            out.extend(without.map(|r| lane(account, level, Some(b), r, false)));
        }
    }
    out
}

/// A lane over `range`: its head chunk of the newest days, then the rest.
fn lane(account: &AdAccount, level: Level, breakdown: Option<Breakdown>, range: DateRange, reach: bool) -> Lane {
    let head = DateRange::ending(range.until(), head_days(level));
    let head = DateRange::new(head.since().max(range.since()), range.until()).unwrap_or(range);
    let rest = head
        .since()
        .pred_opt()
        .and_then(|end| DateRange::new(range.since(), end).ok());
    Lane {
        head: Unit {
            account: account.clone(),
            level,
            range: head,
            report: false,
            breakdown,
            reach,
        },
        rest,
    }
}

/// Orders units newest first, the levels of chunks that end on the same day together.
pub fn newest_first(units: &mut [Unit]) {
    let rank = |l: Level| LEVELS.iter().position(|x| *x == l);
    units.sort_by_key(|u| (std::cmp::Reverse(u.range.until()), rank(u.level)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use adsync_common::ids::{RunId, TeamId};
    use adsync_storage::sync_runs::{Progress, RunStatus};

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
            paused_until: None,
            pause_reason: None,
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
        assert_eq!(
            r.since(),
            d("2023-10-22"),
            "37 months before 2026-11-22: two days to spare"
        );
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

    fn account() -> AdAccount {
        AdAccount {
            id: "act_1".into(),
            account_id: "1".into(),
            name: "A".into(),
            currency: "EUR".into(),
            timezone_name: "Europe/Berlin".into(),
            synced: true,
        }
    }

    fn range(since: &str, until: &str) -> DateRange {
        DateRange::new(d(since), d(until)).expect("range")
    }

    #[test]
    fn each_level_starts_with_a_head_of_the_newest_days() {
        let lanes = lanes(&account(), range("2026-11-01", "2026-11-20"), &[]);
        let levels: Vec<Level> = lanes.iter().map(|l| l.head.level).collect();
        assert_eq!(levels, LEVELS);
        assert!(lanes.iter().all(|l| l.head.range.until() == d("2026-11-20")));
        assert_eq!(lanes[0].head.range.since(), d("2026-11-14"), "a week of ads");
        assert_eq!(lanes[0].rest, Some(range("2026-11-01", "2026-11-13")));
        assert_eq!(
            lanes[2].head.range.since(),
            d("2026-11-01"),
            "28 campaign days cover the range"
        );
        assert_eq!(lanes[2].rest, None, "nothing before the head");
    }

    #[test]
    fn breakdowns_get_lanes_of_their_own_and_no_reach_past_13_months() {
        let today = account().today();
        let since = today.checked_sub_months(chrono::Months::new(20)).expect("date");
        let lanes = lanes(
            &account(),
            DateRange::new(since, today).expect("range"),
            &[Breakdown::Age],
        );
        let of_age: Vec<&Lane> = lanes
            .iter()
            .filter(|l| l.head.breakdown == Some(Breakdown::Age))
            .collect();
        assert_eq!(lanes.len(), LEVELS.len() + 2 * BREAKDOWN_LEVELS.len());
        assert!(of_age.iter().all(|l| BREAKDOWN_LEVELS.contains(&l.head.level)));
        let reach_since = oldest_day(today, REACH_MONTHS);
        for l in &of_age {
            let end = l.rest.map_or(l.head.range.since(), |r| r.since());
            if l.head.reach {
                assert_eq!(end, reach_since, "the recent lane starts where reach does");
            } else {
                assert_eq!(
                    l.head.range.until().succ_opt(),
                    Some(reach_since),
                    "the old lane ends before it"
                );
                assert_eq!(end, since);
            }
        }
        assert_ne!(
            of_age[0].head.key(),
            lanes[2].head.key(),
            "chunks are recorded per breakdown"
        );
        assert_eq!(of_age[0].head.key().2, "age");
    }

    #[test]
    fn later_chunks_are_sized_to_fill_pages() {
        let policy = ChunkPolicy::default();
        let rest = range("2025-11-21", "2026-11-13");
        // 90 rows a day (a week's head of 630 rows): 7,200 rows are 80 days.
        let chunks = policy.chunks(Level::Ad, rest, 7, 630);
        assert_eq!(chunks[0].0, range("2026-08-26", "2026-11-13"));
        assert!(chunks.iter().all(|(r, report)| r.days() <= 80 && !report));
        assert_eq!(chunks.last().map(|c| c.0.since()), Some(rest.since()), "the whole rest");
        let days: i64 = chunks.iter().map(|c| c.0.days()).sum();
        assert_eq!(days, rest.days(), "no gap, no overlap");

        // One row a day (an account): the whole rest in one call's worth.
        assert_eq!(policy.chunks(Level::Account, rest, 91, 91), vec![(rest, false)]);

        // Dense: async reports over bigger chunks.
        let dense = policy.chunks(Level::Ad, rest, 7, 7 * 5_000);
        assert_eq!(dense[0].0.days(), 4);
        assert!(dense.iter().all(|(r, report)| *report && r.days() <= 4));

        // Denser than a chunk per day: still a day each.
        assert!(
            policy
                .chunks(Level::Ad, rest, 1, 10_000_000)
                .iter()
                .all(|(r, _)| r.days() == 1)
        );
    }

    #[test]
    fn an_empty_head_leaves_head_sized_chunks() {
        let rest = range("2026-10-01", "2026-11-13");
        let chunks = ChunkPolicy::default().chunks(Level::Ad, rest, 7, 0);
        assert_eq!(chunks.len(), 7);
        assert!(chunks.iter().all(|(r, report)| r.days() <= 7 && !report));
    }
}
