//! Aggregating stored insights for the metrics API and the dashboard. Sums happen in SQL
//! (integers and micro-units: exact on both databases); only the period bucket expression
//! differs between the dialects.

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;

use super::{Db, StorageError, StorageResult, deadline, on_pool};
use adsync_common::graph::Level;
use adsync_common::ids::TeamId;
use adsync_common::normalize::purchase_column;
use adsync_common::reporting::query::{Aggregate, Figures, Granularity, MetricsQuery, ObjectInfo, Source};

/// The period a row falls in (its first day; NULL for the whole range).
fn period(db: &Db, g: Granularity) -> &'static str {
    match (db, g) {
        (_, Granularity::Day) => "i.date",
        (_, Granularity::Total) => "CAST(NULL AS DATE)",
        (Db::Postgres(_), Granularity::Week) => "CAST(date_trunc('week', i.date) AS DATE)",
        (Db::Postgres(_), Granularity::Month) => "CAST(date_trunc('month', i.date) AS DATE)",
        (Db::Sqlite(_), Granularity::Week) => "date(i.date, 'weekday 0', '-6 days')",
        (Db::Sqlite(_), Granularity::Month) => "strftime('%Y-%m-01', i.date)",
    }
}

fn names_of(level: &str) -> &'static str {
    match level {
        "campaign" => "SELECT id, name, status, effective_status, objective FROM campaigns WHERE team_id = $1",
        "adset" => "SELECT id, name, status, effective_status, CAST(NULL AS TEXT) FROM adsets WHERE team_id = $1",
        "ad" => "SELECT id, name, status, effective_status, CAST(NULL AS TEXT) FROM ads WHERE team_id = $1",
        _ => {
            "SELECT id, name, CAST(NULL AS TEXT), CAST(NULL AS TEXT), CAST(NULL AS TEXT) FROM ad_accounts WHERE team_id = $1"
        }
    }
}

type NameRow = (String, String, Option<String>, Option<String>, Option<String>);

type FactRow = (
    Option<NaiveDate>,
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    Option<i64>,
    i64,
    i64,
);

/// The rows of the query's breakdown: keys with exactly its keys (values are
/// percent-encoded, so each `&` separates two; see `breakdowns::row_key`). The pattern comes
/// from the enum: nothing to quote.
fn breakdown_condition(q: &MetricsQuery) -> String {
    match q.breakdown {
        None => "AND i.breakdown = ''".into(),
        Some(b) => format!(
            "AND i.breakdown LIKE '{}' AND LENGTH(i.breakdown) - LENGTH(REPLACE(i.breakdown, '&', '')) = {}",
            b.like_pattern(),
            b.parts() - 1
        ),
    }
}

/// The facts statement. Purchases come from the rollup columns on `insights_daily`, so one
/// index range scan answers the query. Daily rows are read as stored and summed in Rust: an
/// object has one row per day (its ad account's), and with `GROUP BY` PostgreSQL spent longer
/// aggregating than reading. Coarser periods are summed in SQL, which returns far fewer rows.
fn statement(db: &Db, q: &MetricsQuery) -> StorageResult<String> {
    // Unknown windows are refused by the API before they get here.
    let count = purchase_column(q.window, false);
    let value = purchase_column(q.window, true);
    let (account, level, breakdown) = (account_condition(q), level_condition(q)?, breakdown_condition(q));
    let from = format!(
        "FROM insights_daily i WHERE i.team_id = $1 AND {level} AND i.date >= $2 AND i.date <= $3 \
         {account} {breakdown}"
    );
    let period = period(db, q.granularity);
    if q.granularity == Granularity::Day {
        return Ok(format!(
            "SELECT {period}, i.object_id, i.breakdown, i.impressions, i.clicks, i.inline_link_clicks, i.spend_micros, \
             i.reach, i.{count}, i.{value} {from}"
        ));
    }
    Ok(format!(
        "SELECT {period}, i.object_id, i.breakdown, CAST(SUM(i.impressions) AS BIGINT), CAST(SUM(i.clicks) AS BIGINT), \
         CAST(SUM(i.inline_link_clicks) AS BIGINT), CAST(SUM(i.spend_micros) AS BIGINT), CAST(NULL AS BIGINT), \
         CAST(SUM(i.{count}) AS BIGINT), CAST(SUM(i.{value}) AS BIGINT) {from} GROUP BY 1, 2, 3"
    ))
}

/// Sums per period and object. The facts and the names are independent reads, run at once
/// on separate connections.
///
/// The query is stopped after `within` with [`StorageError::TimedOut`], by the database
/// itself (`statement_timeout` on PostgreSQL, the progress handler on SQLite), so a query
/// nobody waits for stops costing anything.
pub async fn aggregate(db: &Db, q: &MetricsQuery, within: Duration) -> StorageResult<Vec<Aggregate>> {
    let facts = statement(db, q)?;
    let names = async {
        on_pool!(db, p => sqlx::query_as::<_, NameRow>(names_of(q.level)).bind(q.team).fetch_all(p).await)
            .map_err(StorageError::from)
    };
    let fact_rows = async {
        let timed = |e: sqlx::Error| {
            if deadline::timed_out(&e) {
                StorageError::TimedOut
            } else {
                StorageError::from(e)
            }
        };
        match db {
            Db::Postgres(p) => {
                let mut tx = p.begin().await?;
                deadline::postgres_statement_timeout(&mut tx, within).await?;
                let rows: Vec<FactRow> = sqlx::query_as(sqlx::AssertSqlSafe(facts))
                    .bind(q.team)
                    .bind(q.since)
                    .bind(q.until)
                    .bind(&q.ad_account_id)
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(timed)?;
                tx.commit().await?;
                Ok(rows)
            }
            Db::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                // Dropped (disarmed) before the connection goes back to the pool.
                let _deadline = deadline::SqliteDeadline::arm(&mut conn, within).await?;
                sqlx::query_as(sqlx::AssertSqlSafe(facts))
                    .bind(q.team)
                    .bind(q.since)
                    .bind(q.until)
                    .bind(&q.ad_account_id)
                    .fetch_all(&mut *conn)
                    .await
                    .map_err(timed)
            }
        }
    };
    // A little beyond the database's own limit, whose answer comes first; this one covers
    // waiting for a connection.
    let (fact_rows, names): (Vec<FactRow>, Vec<NameRow>) =
        tokio::time::timeout(within + Duration::from_millis(250), async {
            tokio::try_join!(fact_rows, names)
        })
        .await
        .map_err(|_| StorageError::TimedOut)??;
    let names: HashMap<String, (String, ObjectInfo)> = names
        .into_iter()
        .map(|(id, name, status, effective_status, objective)| {
            (
                id,
                (
                    name,
                    ObjectInfo {
                        status,
                        effective_status,
                        objective,
                    },
                ),
            )
        })
        .collect();
    let mut rows: Vec<Aggregate> = fact_rows
        .into_iter()
        .map(
            |(
                period,
                object_id,
                breakdown,
                impressions,
                clicks,
                inline_link_clicks,
                spend_micros,
                reach,
                purchases,
                value,
            )| {
                Aggregate {
                    period,
                    breakdown,
                    name: None,
                    info: ObjectInfo::default(),
                    object_id,
                    impressions,
                    clicks,
                    inline_link_clicks,
                    spend_micros,
                    reach,
                    purchases,
                    purchase_value_micros: value,
                    conversions: vec![Figures::default(); q.sources.len()],
                }
            },
        )
        .collect();
    // Rows of one period, object and breakdown value are merged (sorted, then adjacent),
    // without hashing.
    rows.sort_unstable_by(|a, b| a.key().cmp(&b.key()));
    rows.dedup_by(|next, kept| {
        let same = next.key() == kept.key();
        if same {
            kept.impressions += next.impressions;
            kept.clicks += next.clicks;
            kept.inline_link_clicks += next.inline_link_clicks;
            kept.spend_micros += next.spend_micros;
            kept.purchases += next.purchases;
            kept.purchase_value_micros += next.purchase_value_micros;
            // Reach is the level's own figure for the day, never a sum.
            kept.reach = kept.reach.max(next.reach);
        }
        same
    });
    for a in &mut rows {
        if let Some((name, info)) = names.get(&a.object_id) {
            a.name = Some(name.clone());
            a.info = info.clone();
        }
    }
    if !q.filter.is_empty() {
        rows.retain(|a| q.filter.keeps(&a.info));
    }
    for (slot, source) in q.sources.iter().enumerate() {
        add_source(db, q, slot, source, &mut rows).await?;
    }
    Ok(rows)
}

type SourceRow = (Option<NaiveDate>, String, String, Option<i64>, Option<i64>);

/// Sums one conversion per period and object into `rows` (sorted by period and object, as
/// [`aggregate`] leaves them). Every view row comes from an `insights_daily` row the facts
/// statement read, so each finds its aggregate.
async fn add_source(
    db: &Db,
    q: &MetricsQuery,
    slot: usize,
    source: &Source,
    rows: &mut [Aggregate],
) -> StorageResult<()> {
    let (view, key, name) = match source {
        Source::Conversion(c) => ("insight_conversions", "conversion", c.key),
        Source::ActionType(t) => ("insight_actions", "action_type", t.as_str()),
    };
    let sql = format!(
        "SELECT {period}, i.object_id, i.breakdown, CAST(SUM(i.count) AS BIGINT), CAST(SUM(i.value_micros) AS BIGINT) \
         FROM {view} i WHERE i.team_id = $1 AND {level} AND i.date >= $2 AND i.date <= $3 {account} \
         {breakdown} AND i.attribution_window = $5 AND i.{key} = $6 GROUP BY 1, 2, 3",
        period = period(db, q.granularity),
        level = level_condition(q)?,
        account = account_condition(q),
        breakdown = breakdown_condition(q),
    );
    let found: Vec<SourceRow> = on_pool!(db, p => sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(q.team).bind(q.since).bind(q.until).bind(&q.ad_account_id).bind(q.window.as_str()).bind(name)
        .fetch_all(p).await?);
    for (period, object_id, breakdown, count, value) in found {
        let at = rows.binary_search_by(|a| a.key().cmp(&(period, object_id.as_str(), breakdown.as_str())));
        if let Ok(at) = at {
            let f = &mut rows[at].conversions[slot];
            f.count += count.unwrap_or(0);
            f.value_micros += value.unwrap_or(0);
        }
    }
    Ok(())
}

/// Two texts rather than `($4 IS NULL OR …)`: a prepared statement's generic plan cannot
/// turn that into an index condition.
fn account_condition(q: &MetricsQuery) -> &'static str {
    if q.ad_account_id.is_some() {
        "AND i.ad_account_id = $4"
    } else {
        "AND $4 IS NULL"
    }
}

/// The level is written into the statement (one of the four, so no quoting is needed),
/// with the read index's own condition beside it: that index leaves out ad rows
/// (migration 0009), and a planner uses a partial index only for a statement that says
/// its condition (SQLite: in those words; PostgreSQL: also in a generic plan).
fn level_condition(q: &MetricsQuery) -> StorageResult<String> {
    let level: Level = q.level.parse().map_err(|_| StorageError::NotFound)?;
    Ok(match level {
        Level::Ad => "i.level = 'ad'".to_string(),
        other => format!("i.level = '{}' AND i.level <> 'ad'", other.as_str()),
    })
}

/// The newest day with synced data for the team, if any (the dashboard's "data through").
pub async fn latest_day(db: &Db, team: TeamId) -> StorageResult<Option<NaiveDate>> {
    const SQL: &str =
        "SELECT MAX(date) FROM insights_daily WHERE team_id = $1 AND level = 'account' AND breakdown = ''";
    Ok(super::on_pool!(db, p => sqlx::query_scalar(SQL).bind(team).fetch_one(p).await?))
}

/// Each ad account the team syncs, with its newest synced day (`None`: nothing yet).
pub async fn newest_days(db: &Db, team: TeamId) -> StorageResult<Vec<(String, Option<NaiveDate>)>> {
    const SQL: &str = "SELECT a.id, (SELECT MAX(i.date) FROM insights_daily i WHERE i.team_id = a.team_id          AND i.level = 'account' AND i.ad_account_id = a.id AND i.breakdown = '')          FROM ad_accounts a WHERE a.team_id = $1 AND a.active AND a.sync_enabled ORDER BY a.id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_all(p).await?))
}

/// One active ad account of a connected team and its newest synced day (`None`: nothing
/// synced yet). Feeds the sync-lag gauge.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountFreshness {
    pub team_id: TeamId,
    pub ad_account_id: String,
    pub timezone_name: String,
    pub newest: Option<NaiveDate>,
}

/// Freshness of every active ad account of every team with a live connection.
pub async fn freshness(db: &Db) -> StorageResult<Vec<AccountFreshness>> {
    const SQL: &str = "SELECT a.team_id, a.id AS ad_account_id, a.timezone_name, \
         (SELECT MAX(i.date) FROM insights_daily i WHERE i.team_id = a.team_id AND i.level = 'account' \
          AND i.ad_account_id = a.id AND i.breakdown = '') AS newest \
         FROM ad_accounts a JOIN connections c ON c.team_id = a.team_id AND c.platform = 'facebook' \
         WHERE a.active AND a.sync_enabled AND c.status = 'connected' ORDER BY a.team_id, a.id";
    Ok(on_pool!(db, p => sqlx::query_as(SQL).fetch_all(p).await?))
}

/// A campaign or ad set the dashboard drills into: its name and (for an ad set) its campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parent {
    pub id: String,
    pub name: String,
    pub campaign_id: Option<String>,
}

/// The campaign (`level = "campaign"`) or ad set (`"adset"`) `id` of the team, if synced.
pub async fn parent(db: &Db, team: TeamId, level: &str, id: &str) -> StorageResult<Option<Parent>> {
    let sql = match level {
        "campaign" => "SELECT id, name, CAST(NULL AS TEXT) FROM campaigns WHERE team_id = $1 AND id = $2",
        "adset" => "SELECT id, name, campaign_id FROM adsets WHERE team_id = $1 AND id = $2",
        _ => return Ok(None),
    };
    let row: Option<(String, String, Option<String>)> =
        super::on_pool!(db, p => sqlx::query_as(sql).bind(team).bind(id).fetch_optional(p).await?);
    Ok(row.map(|(id, name, campaign_id)| Parent { id, name, campaign_id }))
}

/// Ids of the ad sets of a campaign (`parent_level = "campaign"`) or of the ads of an ad set
/// (`"adset"`), or of the ads of a campaign (`child_level = "ad"`, `parent_level = "campaign"`).
pub async fn children(
    db: &Db,
    team: TeamId,
    child_level: &str,
    parent_level: &str,
    parent_id: &str,
) -> StorageResult<Vec<String>> {
    let sql = match (child_level, parent_level) {
        ("adset", "campaign") => "SELECT id FROM adsets WHERE team_id = $1 AND campaign_id = $2",
        ("ad", "campaign") => "SELECT id FROM ads WHERE team_id = $1 AND campaign_id = $2",
        ("ad", "adset") => "SELECT id FROM ads WHERE team_id = $1 AND adset_id = $2",
        _ => return Ok(Vec::new()),
    };
    Ok(super::on_pool!(db, p => sqlx::query_scalar(sql).bind(team).bind(parent_id).fetch_all(p).await?))
}
