//! Sync runs: the source of truth for what a sync is doing and how it ended. The queue only
//! carries a run id; a worker claims the run with a lease, so a run whose worker died is
//! claimed again once the lease lapses, and a lost queue can be refilled from this table.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;

use super::{Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::{RunId, TeamId, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    Backfill,
    Incremental,
    Manual,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

macro_rules! text_enum {
    ($t:ty { $($v:ident = $s:literal),* }) => {
        impl $t {
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),* } }
            fn parse(raw: &str) -> StorageResult<Self> {
                match raw { $($s => Ok(Self::$v),)* other => Err(StorageError::Database(sqlx::Error::Decode(format!("unexpected value {other:?}").into()))) }
            }
        }
    };
}
text_enum!(RunKind { Backfill = "backfill", Incremental = "incremental", Manual = "manual" });
text_enum!(RunStatus { Queued = "queued", Running = "running", Succeeded = "succeeded", Failed = "failed", Cancelled = "cancelled" });

/// Days of data the run fetched, of the days planned over its ad accounts (0 of 0 until
/// every account is planned).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Progress {
    pub done: i64,
    pub total: i64,
}

/// A sync run as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SyncRun {
    pub id: RunId,
    pub team_id: TeamId,
    pub ad_account_id: Option<String>,
    pub kind: RunKind,
    pub status: RunStatus,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub progress: Progress,
    pub rows_written: i64,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// While a running sync waits for Facebook's rate limit: until when, and why.
    pub paused_until: Option<DateTime<Utc>>,
    pub pause_reason: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    team_id: i64,
    ad_account_id: Option<String>,
    kind: String,
    status: String,
    since: Option<NaiveDate>,
    until: Option<NaiveDate>,
    progress_done: i64,
    progress_total: i64,
    rows_written: i64,
    error: Option<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
    pause_ends_at: Option<DateTime<Utc>>,
    pause_reason: Option<String>,
}

impl TryFrom<Row> for SyncRun {
    type Error = StorageError;
    fn try_from(r: Row) -> StorageResult<Self> {
        Ok(SyncRun {
            id: RunId(r.id),
            team_id: TeamId(r.team_id),
            ad_account_id: r.ad_account_id,
            kind: RunKind::parse(&r.kind)?,
            status: RunStatus::parse(&r.status)?,
            since: r.since,
            until: r.until,
            progress: Progress {
                done: r.progress_done,
                total: r.progress_total,
            },
            rows_written: r.rows_written,
            error: r.error,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            // Only a running run waits; an ended one keeps no stale pause.
            paused_until: r.pause_ends_at.filter(|_| r.status == "running"),
            pause_reason: r.pause_reason.filter(|_| r.status == "running"),
        })
    }
}

macro_rules! columns {
    () => {
        "id, team_id, ad_account_id, kind, status, since, until, progress_done, progress_total, \
         rows_written, error, created_at, started_at, finished_at, pause_ends_at, pause_reason"
    };
}

/// What to sync.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub team_id: TeamId,
    pub kind: RunKind,
    pub ad_account_id: Option<String>,
    pub since: Option<NaiveDate>,
    pub until: Option<NaiveDate>,
    pub requested_by: Option<UserId>,
}

impl NewRun {
    /// A backfill of every account of `team`, over the whole history it syncs.
    pub fn backfill(team: TeamId, requested_by: Option<UserId>) -> Self {
        Self {
            kind: RunKind::Backfill,
            ..Self::manual(team, None, None, None, requested_by)
        }
    }

    /// The scheduled incremental run of every account of `team` (the lookback window).
    pub fn incremental(team: TeamId) -> Self {
        Self {
            kind: RunKind::Incremental,
            ..Self::manual(team, None, None, None, None)
        }
    }

    /// A resync of `team`'s `ad_account_id` (every account with `None`) over `since..=until`.
    pub fn manual(
        team: TeamId,
        ad_account_id: Option<String>,
        since: Option<NaiveDate>,
        until: Option<NaiveDate>,
        requested_by: Option<UserId>,
    ) -> Self {
        Self {
            team_id: team,
            kind: RunKind::Manual,
            ad_account_id,
            since,
            until,
            requested_by,
        }
    }
}

pub async fn create(db: &Db, run: &NewRun) -> StorageResult<SyncRun> {
    const SQL: &str = concat!(
        "INSERT INTO sync_runs (team_id, ad_account_id, kind, status, since, until, requested_by, created_at) \
         VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7) RETURNING ",
        columns!()
    );
    let row: Row = on_pool!(db, p => sqlx::query_as(SQL)
        .bind(run.team_id).bind(&run.ad_account_id).bind(run.kind.as_str()).bind(run.since).bind(run.until)
        .bind(run.requested_by).bind(now()).fetch_one(p).await?);
    row.try_into()
}

/// A run of this team (team-scoped: another team's run id is simply not found).
pub async fn get(db: &Db, team: TeamId, id: RunId) -> StorageResult<Option<SyncRun>> {
    const SQL: &str = concat!("SELECT ", columns!(), " FROM sync_runs WHERE id = $1 AND team_id = $2");
    let row: Option<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(id).bind(team).fetch_optional(p).await?);
    row.map(TryInto::try_into).transpose()
}

pub async fn list(db: &Db, team: TeamId, limit: i64) -> StorageResult<Vec<SyncRun>> {
    list_before(db, team, None, limit).await
}

/// Runs waiting and under way across every team: `(queued, running)`.
pub async fn active_counts(db: &Db) -> StorageResult<(i64, i64)> {
    const SQL: &str = "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0), \
                       COALESCE(SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END), 0) \
                       FROM sync_runs WHERE status IN ('queued', 'running')";
    let (queued, running): (i64, i64) = on_pool!(db, p => sqlx::query_as(SQL).fetch_one(p).await?);
    Ok((queued, running))
}

/// Whether a backfill of the team ever finished: its history up to then is stored.
pub async fn backfilled(db: &Db, team: TeamId) -> StorageResult<bool> {
    const SQL: &str =
        "SELECT COUNT(*) FROM sync_runs WHERE team_id = $1 AND kind = 'backfill' AND status = 'succeeded'";
    let n: i64 = on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).fetch_one(p).await?);
    Ok(n > 0)
}

/// The team's runs older than run `before` (all: `None`), newest first: one page.
pub async fn list_before(db: &Db, team: TeamId, before: Option<RunId>, limit: i64) -> StorageResult<Vec<SyncRun>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM sync_runs WHERE team_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    );
    let before = before.map_or(i64::MAX, |r| r.0);
    let rows: Vec<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(team).bind(before).bind(limit).fetch_all(p).await?);
    rows.into_iter().map(TryInto::try_into).collect()
}

/// Takes the run for `owner` if it is queued, or running under a lapsed lease (its worker
/// died). `None` means someone else holds it or it has ended: the job is then a no-op.
pub async fn claim(db: &Db, id: RunId, owner: &str, lease: Duration) -> StorageResult<Option<SyncRun>> {
    const SQL: &str = concat!(
        "UPDATE sync_runs SET status = 'running', lease_owner = $1, claimed_by = $1, lease_expires_at = $2, \
         started_at = COALESCE(started_at, $3) \
         WHERE id = $4 AND (status = 'queued' OR (status = 'running' AND lease_expires_at < $3)) RETURNING ",
        columns!()
    );
    let at = now();
    let row: Option<Row> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(owner).bind(at + lease).bind(at).bind(id).fetch_optional(p).await?);
    row.map(TryInto::try_into).transpose()
}

/// Records progress (`$1` days done of `$2`), rows (`$3`) and the lease's new end (`$4`) on
/// run `$5` held by `$6`. Days done never fall, nor pass the total: a resumed run plans again,
/// and a day may have turned or an account been unchosen since the last try.
pub(crate) const RECORD_PROGRESS: &str = "UPDATE sync_runs SET progress_done = CASE \
     WHEN progress_done > $2 THEN $2 WHEN progress_done > $1 THEN progress_done ELSE $1 END, \
     progress_total = $2, rows_written = rows_written + $3, \
     lease_expires_at = $4 WHERE id = $5 AND lease_owner = $6 AND status = 'running'";

/// Records progress and extends the lease. `Err(LeaseLost)` when the lease was lost.
pub async fn report_progress(
    db: &Db,
    id: RunId,
    owner: &str,
    progress: &Progress,
    rows_added: i64,
    lease: Duration,
) -> StorageResult<()> {
    let n = on_pool!(db, p => sqlx::query(RECORD_PROGRESS).bind(progress.done).bind(progress.total).bind(rows_added)
        .bind(now() + lease).bind(id).bind(owner).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::LeaseLost) } else { Ok(()) }
}

/// Says why the run held by `owner` waits, and until when (`None`: it no longer waits).
pub async fn set_pause(db: &Db, id: RunId, owner: &str, pause: Option<(DateTime<Utc>, &str)>) -> StorageResult<()> {
    const SQL: &str = "UPDATE sync_runs SET pause_ends_at = $1, pause_reason = $2 \
                       WHERE id = $3 AND lease_owner = $4 AND status = 'running'";
    let (until, reason) = pause.unzip();
    let n = on_pool!(db, p => sqlx::query(SQL).bind(until).bind(reason).bind(id).bind(owner).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::LeaseLost) } else { Ok(()) }
}

/// Ends a run held by `owner` with a final status (and the error text for failures).
pub async fn finish(db: &Db, id: RunId, owner: &str, status: RunStatus, error: Option<&str>) -> StorageResult<()> {
    const SQL: &str = "UPDATE sync_runs SET status = $1, error = $2, finished_at = $3, lease_owner = NULL, lease_expires_at = NULL, \
                       pause_ends_at = NULL, pause_reason = NULL, \
                       progress_done = CASE WHEN $1 = 'succeeded' THEN progress_total ELSE progress_done END \
                       WHERE id = $4 AND lease_owner = $5 AND status = 'running'";
    let n = on_pool!(db, p => sqlx::query(SQL).bind(status.as_str()).bind(error).bind(now()).bind(id).bind(owner).execute(p).await?.rows_affected());
    if n == 0 { Err(StorageError::LeaseLost) } else { Ok(()) }
}

/// Runs that should be in the queue but may not be: queued for a while, or running with a
/// lapsed lease. Used to refill a queue that lost its contents.
pub async fn orphaned(db: &Db, queued_before: DateTime<Utc>) -> StorageResult<Vec<RunId>> {
    const SQL: &str = "SELECT id FROM sync_runs WHERE (status = 'queued' AND created_at < $1) \
                       OR (status = 'running' AND lease_expires_at < $2) ORDER BY id";
    let ids: Vec<i64> = on_pool!(db, p => sqlx::query_scalar(SQL).bind(queued_before).bind(now()).fetch_all(p).await?);
    Ok(ids.into_iter().map(RunId).collect())
}

/// A queued (not yet started) run asking for the same thing, which a new request can join.
pub async fn find_queued(db: &Db, run: &NewRun) -> StorageResult<Option<SyncRun>> {
    const SQL: &str = concat!(
        "SELECT ",
        columns!(),
        " FROM sync_runs WHERE team_id = $1 AND status = 'queued' AND kind = $2 \
         AND ad_account_id IS NOT DISTINCT FROM $3 AND since IS NOT DISTINCT FROM $4 AND until IS NOT DISTINCT FROM $5 \
         ORDER BY id LIMIT 1"
    );
    let row: Option<Row> = on_pool!(db, p => sqlx::query_as(SQL).bind(run.team_id).bind(run.kind.as_str())
        .bind(&run.ad_account_id).bind(run.since).bind(run.until).fetch_optional(p).await?);
    row.map(TryInto::try_into).transpose()
}

/// Gives a running run back to the queue (graceful shutdown): status `queued`, no lease.
pub async fn release(db: &Db, id: RunId, owner: &str) -> StorageResult<()> {
    const SQL: &str = "UPDATE sync_runs SET status = 'queued', lease_owner = NULL, lease_expires_at = NULL, pause_ends_at = NULL, pause_reason = NULL \
                       WHERE id = $1 AND lease_owner = $2 AND status = 'running'";
    on_pool!(db, p => sqlx::query(SQL).bind(id).bind(owner).execute(p).await.map(|_| ())?);
    Ok(())
}

/// When the team's newest run was requested, and whether one is still open.
pub async fn latest_activity(db: &Db, team: TeamId) -> StorageResult<(Option<DateTime<Utc>>, bool)> {
    const SQL: &str = "SELECT MAX(created_at), COALESCE(SUM(CASE WHEN status IN ('queued', 'running') THEN 1 ELSE 0 END), 0) \
                       FROM sync_runs WHERE team_id = $1";
    let (latest, open): (Option<DateTime<Utc>>, i64) =
        on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_one(p).await?);
    Ok((latest, open > 0))
}
