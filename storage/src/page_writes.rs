//! Writing normalized insights. A page is one transaction: its rows (idempotent upserts on
//! natural keys), their actions (replaced per object-day, see [`super::facts`]) and the run's
//! checkpoint. Names are written ahead, in statements of their own.

use std::collections::{HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use sqlx::QueryBuilder;

pub use super::facts::{PageTarget, WriteMode};
use super::facts::{WriteFacts, unique_rows};
use super::sync_runs::Progress;
use super::{BeginWrite, Db, StorageError, StorageResult, now, on_pool};
use adsync_common::ids::{RunId, TeamId};
use adsync_common::normalize::DailyRow;

/// The checkpoint committed with a page.
#[derive(Debug, Clone)]
pub struct Checkpoint<'a> {
    pub run: RunId,
    pub owner: &'a str,
    pub lease: Duration,
    pub progress: Progress,
    /// Set on a chunk's last page: the chunk is then recorded as done.
    pub chunk_done: Option<ChunkDone>,
}

/// A chunk completed by a page: its days and the rows all its pages held, which size the
/// chunks planned after it (also when a resumed run finds it done).
#[derive(Debug, Clone, Copy)]
pub struct ChunkDone {
    pub since: NaiveDate,
    pub until: NaiveDate,
    pub rows: i64,
}

/// Writes one page's facts and its checkpoint atomically (names go first, through
/// [`upsert_names`]). `Err(LeaseLost)` when the run's lease was
/// lost (another worker took over): nothing is written then.
///
/// With [`WriteMode::Insert`], a row already there makes the page be written again as
/// upserts, and `mode` turns to [`WriteMode::Upsert`] for the pages after it.
pub async fn write_page(
    db: &Db,
    t: &PageTarget<'_>,
    rows: &[DailyRow],
    cp: &Checkpoint<'_>,
    mode: &mut WriteMode,
) -> StorageResult<()> {
    let rows = unique_rows(rows);
    match write_rows(db, t, &rows, cp, *mode).await {
        Err(StorageError::Conflict) if *mode == WriteMode::Insert => {
            tracing::debug!(
                account = t.ad_account_id,
                level = t.level,
                "rows already there; writing the page as upserts"
            );
            *mode = WriteMode::Upsert;
            write_rows(db, t, &rows, cp, WriteMode::Upsert).await
        }
        other => other,
    }
}

async fn write_rows(
    db: &Db,
    t: &PageTarget<'_>,
    rows: &[&DailyRow],
    cp: &Checkpoint<'_>,
    mode: WriteMode,
) -> StorageResult<()> {
    let at = now();
    let rows_added = rows.len() as i64;
    on_pool!(db, p => {
        let mut tx = p.begin_write().await?;
        tx.write_facts(t, rows, at, mode).await?;
        if let Some(ChunkDone { since, until, rows }) = cp.chunk_done {
            sqlx::query(
                "INSERT INTO sync_chunks (run_id, ad_account_id, level, breakdown, since, until, rows_written, finished_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (run_id, ad_account_id, level, breakdown, since) DO NOTHING",
            )
            .bind(cp.run).bind(t.ad_account_id).bind(t.level).bind(t.breakdown).bind(since).bind(until).bind(rows).bind(at)
            .execute(&mut *tx).await?;
        }
        // The run row last: its lock is held only for the commit, so pages of one run
        // written in parallel do not queue behind each other's inserts.
        let progressed = sqlx::query(crate::sync_runs::RECORD_PROGRESS)
        .bind(cp.progress.done).bind(cp.progress.total).bind(rows_added).bind(at + cp.lease).bind(cp.run).bind(cp.owner)
        .execute(&mut *tx).await?.rows_affected();
        if progressed == 0 {
            return Err(StorageError::LeaseLost);
        }
        tx.commit().await?;
    });
    Ok(())
}

/// Whether the account has no rows at `t`'s level on any of the days: a chunk's pages are then
/// written with [`WriteMode::Insert`]. One key lookup per day, so the rows of the team's other
/// accounts on those days (the key orders by day before account) are never scanned; spelled
/// so that neither planner can turn the days into a filter over the level's whole range.
pub async fn range_is_empty(db: &Db, t: &PageTarget<'_>, since: NaiveDate, until: NaiveDate) -> StorageResult<bool> {
    let days: Vec<NaiveDate> = since.iter_days().take_while(|d| *d <= until).collect();
    let found: Option<i64> = match db {
        Db::Postgres(p) => {
            const SQL: &str = "SELECT CAST(1 AS BIGINT) FROM UNNEST($3::date[]) AS d (day) CROSS JOIN LATERAL \
                               (SELECT 1 FROM insights_daily i WHERE i.team_id = $1 AND i.level = $2 \
                                AND i.date = d.day AND i.ad_account_id = $4 LIMIT 1) AS found LIMIT 1";
            sqlx::query_scalar(SQL)
                .bind(t.team)
                .bind(t.level)
                .bind(&days)
                .bind(t.ad_account_id)
                .fetch_optional(p)
                .await?
        }
        Db::Sqlite(p) => {
            const SQL: &str = "SELECT CAST(1 AS BIGINT) FROM insights_daily WHERE team_id = $1 AND level = $2 \
                               AND date IN (SELECT value FROM json_each($3)) AND ad_account_id = $4 LIMIT 1";
            let quoted: Vec<String> = days.iter().map(|d| format!("\"{d}\"")).collect();
            let days = format!("[{}]", quoted.join(","));
            sqlx::query_scalar(SQL)
                .bind(t.team)
                .bind(t.level)
                .bind(days)
                .bind(t.ad_account_id)
                .fetch_optional(p)
                .await?
        }
    };
    Ok(found.is_none())
}

/// Upserts campaign, ad set and ad names, each statement on its own (no transaction): the
/// rows are shared by every page of a run, and holding their locks for a whole page
/// transaction serialised the pages written in parallel. Names are dimensions, not facts:
/// one written ahead of a page that then fails is harmless.
pub async fn upsert_names(db: &Db, t: &PageTarget<'_>, names: &Dimensions) -> StorageResult<()> {
    let at = now();
    let Dimensions { campaigns, adsets, ads } = names;
    on_pool!(db, p => {
        if !campaigns.is_empty() {
            let mut q = QueryBuilder::new("INSERT INTO campaigns (team_id, ad_account_id, id, name, updated_at) ");
            q.push_values(campaigns, |mut b, (id, name)| {
                b.push_bind(t.team).push_bind(t.ad_account_id).push_bind(id).push_bind(name).push_bind(at);
            });
            q.push(" ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, ad_account_id = excluded.ad_account_id, \
                    updated_at = excluded.updated_at");
            q.build().persistent(false).execute(p).await?;
        }
        if !adsets.is_empty() {
            let mut q = QueryBuilder::new("INSERT INTO adsets (team_id, ad_account_id, id, name, campaign_id, updated_at) ");
            q.push_values(adsets, |mut b, (id, name, c)| {
                b.push_bind(t.team).push_bind(t.ad_account_id).push_bind(id).push_bind(name).push_bind(c).push_bind(at);
            });
            q.push(" ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, campaign_id = excluded.campaign_id, \
                    updated_at = excluded.updated_at");
            q.build().persistent(false).execute(p).await?;
        }
        if !ads.is_empty() {
            let mut q = QueryBuilder::new("INSERT INTO ads (team_id, ad_account_id, id, name, campaign_id, adset_id, updated_at) ");
            q.push_values(ads, |mut b, (id, name, c, s)| {
                b.push_bind(t.team).push_bind(t.ad_account_id).push_bind(id).push_bind(name).push_bind(c).push_bind(s).push_bind(at);
            });
            q.push(" ON CONFLICT (team_id, id) DO UPDATE SET name = excluded.name, campaign_id = excluded.campaign_id, \
                    adset_id = excluded.adset_id, updated_at = excluded.updated_at");
            q.build().persistent(false).execute(p).await?;
        }
    });
    Ok(())
}

type CampaignName = (String, String);
type AdsetName = (String, String, String);
type AdName = (String, String, String, String);

/// Campaign, ad set and ad names carried by a page's rows, each list sorted by id.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dimensions {
    pub campaigns: Vec<CampaignName>,
    pub adsets: Vec<AdsetName>,
    pub ads: Vec<AdName>,
}

impl Dimensions {
    /// The names the rows carry (ad-level rows carry all three) that `seen` does not hold,
    /// with the keys that mark them seen once written. A key covers the whole entry (id,
    /// name, parents), so a renamed or moved object is written again. Keys are built in one
    /// buffer and entries copied only when kept: after a run's first pages, nearly every
    /// name a page carries was written before.
    pub fn unseen(rows: &[DailyRow], seen: &HashSet<String>) -> (Self, Vec<String>) {
        let mut out = Self::default();
        let mut kept = Vec::new();
        // Three lookups a row; foldhash rather than SipHash (see `facts::unique_rows`).
        let mut on_page = foldhash::HashSet::default();
        let mut key = String::new();
        let mut is_new = |parts: &[&str]| {
            key.clear();
            for (i, part) in parts.iter().enumerate() {
                if i > 0 {
                    key.push('\0');
                }
                key.push_str(part);
            }
            let new = !seen.contains(key.as_str());
            if new {
                kept.push(key.clone());
            }
            new
        };
        for r in rows {
            if let (Some(name), Some(id)) = (&r.names.campaign, &r.campaign_id)
                && on_page.insert(("c", id.as_str()))
                && is_new(&["c", id, name])
            {
                out.campaigns.push((id.to_string(), name.to_string()));
            }
            if let (Some(name), Some(id), Some(c)) = (&r.names.adset, &r.adset_id, &r.campaign_id)
                && on_page.insert(("s", id.as_str()))
                && is_new(&["s", id, name, c])
            {
                out.adsets.push((id.to_string(), name.to_string(), c.to_string()));
            }
            if let (Some(name), Some(c), Some(s)) = (&r.names.ad, &r.campaign_id, &r.adset_id)
                && on_page.insert(("a", r.object_id.as_str()))
                && is_new(&["a", &r.object_id, name, c, s])
            {
                out.ads
                    .push((r.object_id.to_string(), name.to_string(), c.to_string(), s.to_string()));
            }
        }
        // Sorted by id: writers then lock shared names in the same order, so PostgreSQL
        // never sees two of them wait on each other (a deadlock otherwise).
        out.campaigns.sort();
        out.adsets.sort();
        out.ads.sort();
        (out, kept)
    }

    pub fn is_empty(&self) -> bool {
        self.campaigns.is_empty() && self.adsets.is_empty() && self.ads.is_empty()
    }
}

/// A committed chunk of a run: `(ad account, level, breakdown, since)`.
pub type ChunkKey = (String, String, String, NaiveDate);

/// Chunks of this run already committed, with the rows each held.
pub async fn done_chunks(db: &Db, run: RunId) -> StorageResult<HashMap<ChunkKey, i64>> {
    const SQL: &str = "SELECT ad_account_id, level, breakdown, since, rows_written FROM sync_chunks WHERE run_id = $1";
    let rows: Vec<(String, String, String, NaiveDate, i64)> =
        on_pool!(db, p => sqlx::query_as(SQL).bind(run).fetch_all(p).await?);
    Ok(rows.into_iter().map(|(a, l, b, s, n)| ((a, l, b, s), n)).collect())
}

/// Takes (or renews) the team's lock on an ad account for `run`. False while another live
/// run holds it.
pub async fn lock_account(db: &Db, team: TeamId, account: &str, run: RunId, ttl: Duration) -> StorageResult<bool> {
    const SQL: &str = "INSERT INTO sync_locks (team_id, ad_account_id, run_id, expires_at) VALUES ($1, $2, $3, $4) \
                       ON CONFLICT (team_id, ad_account_id) DO UPDATE SET run_id = excluded.run_id, expires_at = excluded.expires_at \
                       WHERE sync_locks.run_id = excluded.run_id OR sync_locks.expires_at < $5";
    let at = now();
    let n = on_pool!(db, p => sqlx::query(SQL).bind(team).bind(account).bind(run).bind(at + ttl).bind(at).execute(p).await?.rows_affected());
    Ok(n > 0)
}

pub async fn unlock_account(db: &Db, team: TeamId, account: &str, run: RunId) -> StorageResult<()> {
    const SQL: &str = "DELETE FROM sync_locks WHERE team_id = $1 AND ad_account_id = $2 AND run_id = $3";
    on_pool!(db, p => sqlx::query(SQL).bind(team).bind(account).bind(run).execute(p).await.map(|_| ())?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::Dimensions;
    use adsync_common::normalize::{DailyRow, Names};

    fn ad_row(ad: &str, ad_name: &str) -> DailyRow {
        DailyRow {
            object_id: ad.into(),
            date: "2026-11-20".parse().expect("date"),
            breakdown: String::new(),
            campaign_id: Some("c1".into()),
            adset_id: Some("s1".into()),
            impressions: 1,
            reach: None,
            clicks: 0,
            inline_link_clicks: 0,
            spend_micros: 0,
            actions: Vec::new(),
            names: Names {
                campaign: Some("Spring".into()),
                adset: Some("Broad".into()),
                ad: Some(ad_name.into()),
            },
        }
    }

    #[test]
    fn names_are_collected_once_sorted_and_skipped_once_written() {
        let rows = [ad_row("a2", "Video"), ad_row("a1", "Carousel"), ad_row("a2", "Video")];
        let mut seen = HashSet::new();
        let (names, keys) = Dimensions::unseen(&rows, &seen);
        assert_eq!(names.campaigns, vec![("c1".to_string(), "Spring".to_string())]);
        let ad_ids: Vec<&str> = names.ads.iter().map(|a| a.0.as_str()).collect();
        assert_eq!(ad_ids, ["a1", "a2"], "sorted by id, each once");
        seen.extend(keys);
        assert_eq!(seen.len(), 4, "campaign, ad set and two ads are new");

        let (again, keys) = Dimensions::unseen(&[ad_row("a1", "Carousel"), ad_row("a2", "Video v2")], &seen);
        assert!(again.campaigns.is_empty() && again.adsets.is_empty());
        assert_eq!(keys.len(), 1);
        let renamed: Vec<&str> = again.ads.iter().map(|a| a.1.as_str()).collect();
        assert_eq!(renamed, ["Video v2"], "only the renamed ad is written again");
    }
}
