//! Requesting a sync: write the run, then queue it. The row is the truth: once it is
//! written the run happens, because a run the queue never got is pushed again by the
//! workers' refill. So a request either creates the run and is accepted, even while the
//! queue is down, or fails to write it and creates nothing; never "failed" yet run later.

use std::time::Duration;

use adsync_common::dates::{MAX_HISTORY_MONTHS, oldest_day};
use adsync_common::ids::{TeamId, UserId};
use chrono::NaiveDate;

use crate::connections::{self, AdAccount, ConnectionStatus};
use crate::queue::{Job, Queue};
use crate::sync_runs::{self, NewRun, SyncRun};
use crate::{Db, StorageResult};

/// Why a manual run cannot work, said when it is asked for rather than when it fails later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("Facebook Ads is not connected for this team: the owner connects it on the connectors page first.")]
    NotConnected,
    #[error("The Facebook connection needs the owner to connect it again first.")]
    NeedsReconnect,
    #[error("No ad account is chosen for syncing: the owner picks them on the connectors page.")]
    NoAccounts,
    #[error("{0:?} is not an ad account this team syncs.")]
    UnknownAccount(String),
    #[error(
        "{field} ({day}) is after today ({today} in the ad account's time zone): Facebook has no figures for it yet."
    )]
    Future {
        field: &'static str,
        day: NaiveDate,
        today: NaiveDate,
    },
    #[error(
        "until ({until}) is older than Facebook keeps ({MAX_HISTORY_MONTHS} months): the oldest day it serves is {oldest}."
    )]
    TooOld { until: NaiveDate, oldest: NaiveDate },
}

impl Refusal {
    /// The team's state stands in the way (409), rather than what was asked (400).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::NotConnected | Self::NeedsReconnect | Self::NoAccounts)
    }
}

/// Whether a manual run of `run` can work: the team's connection on `platform` is usable, the
/// ad account it names (if any) is one the team syncs, and no day it asks for is after today
/// in every one of its accounts' time zones.
pub async fn refusal(db: &Db, platform: &str, run: &NewRun) -> StorageResult<Option<Refusal>> {
    let Some(connection) = connections::get(db, run.team_id, platform).await? else {
        return Ok(Some(Refusal::NotConnected));
    };
    if connection.status != ConnectionStatus::Connected {
        return Ok(Some(Refusal::NeedsReconnect));
    }
    let synced = connections::synced_ad_accounts(db, run.team_id).await?;
    let accounts = match connections::narrow(synced, run.ad_account_id.as_deref()) {
        Ok(accounts) => accounts,
        Err(id) => return Ok(Some(Refusal::UnknownAccount(id))),
    };
    // A day that has begun in one of the accounts' zones may be asked for.
    let Some(today) = accounts.iter().map(AdAccount::today).max() else {
        return Ok(Some(Refusal::NoAccounts));
    };
    for (field, day) in [("since", run.since), ("until", run.until)] {
        if let Some(day) = day.filter(|d| *d > today) {
            return Ok(Some(Refusal::Future { field, day, today }));
        }
    }
    // Days older than Facebook keeps are left out of a run; one with nothing newer is empty.
    let oldest = oldest_day(today, MAX_HISTORY_MONTHS);
    if let Some(until) = run.until.filter(|u| *u < oldest) {
        return Ok(Some(Refusal::TooOld { until, oldest }));
    }
    Ok(None)
}

/// How long a request waits for the queue before leaving the push to the refill.
const PUSH_WITHIN: Duration = Duration::from_secs(2);

/// The run a (re)connection starts: a backfill the first time, again until one has finished,
/// and whenever an account the team syncs has nothing stored yet (new to the team, say).
/// Otherwise only what is missing: the days from the oldest of the accounts' newest stored
/// days (an account unreachable for a while missed the most), less the `lookback_days`
/// Facebook may still restate.
pub async fn after_connect(
    db: &Db,
    team: TeamId,
    requested_by: Option<UserId>,
    lookback_days: u32,
) -> StorageResult<NewRun> {
    let newest = crate::metrics::newest_days(db, team).await?;
    let each_has_data = newest.iter().all(|(_, day)| day.is_some());
    let missing_from = newest.iter().filter_map(|(_, day)| *day).min();
    Ok(match missing_from {
        Some(day) if each_has_data && sync_runs::backfilled(db, team).await? => NewRun {
            since: Some(day - chrono::Duration::days(i64::from(lookback_days))),
            requested_by,
            ..NewRun::incremental(team)
        },
        _ => NewRun::backfill(team, requested_by),
    })
}

/// Creates the run, or joins an identical one that is still waiting in the queue.
pub async fn request(db: &Db, queue: &Queue, run: &NewRun) -> StorageResult<SyncRun> {
    if let Some(waiting) = sync_runs::find_queued(db, run).await? {
        return Ok(waiting);
    }
    let created = sync_runs::create(db, run).await?;
    let pushed = tokio::time::timeout(PUSH_WITHIN, queue.push(Job::SyncRunV1 { run_id: created.id })).await;
    match pushed {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            tracing::warn!(run_id = %created.id, error = %e, "queue unavailable; the workers' refill queues the run")
        }
        Err(_) => {
            tracing::warn!(run_id = %created.id, "queue slower than {PUSH_WITHIN:?}; the workers' refill queues the run")
        }
    }
    Ok(created)
}
