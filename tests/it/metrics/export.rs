//! `format=csv`: a long export streams every row, past the JSON answer's 10,000-row cap,
//! and its row count and sums equal what SQL counts in the facts table.

use adsync_common::ids::{Role, TeamId};
use adsync_common::normalize::DailyRow;
use adsync_storage::page_writes::{WriteMode, write_page};
use adsync_storage::{Db, sync_runs, teams};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::helpers::{Backend, TestApp, assert_problem, spawn_app_with_sandbox_and};
use crate::storage::daily_row;

const ADS: i64 = 25;
const DAYS: i64 = 420;

/// 25 ads × 420 days of ad-level facts (10,500 rows) for a team with one member.
pub(crate) async fn team_with_long_history(app: &TestApp) -> (TeamId, NaiveDate, NaiveDate) {
    let (team, run) = crate::storage::team_with_backfill(&app.db).await;
    let member = app.user("member@example.com").await;
    teams::set_member(&app.db, team, member, Role::Member)
        .await
        .expect("member");
    sync_runs::claim(&app.db, run.id, "w1", chrono::Duration::seconds(60))
        .await
        .expect("claim")
        .expect("claimed");
    let (target, checkpoint) = crate::storage::page_for(team, run.id, "ad");
    let first: NaiveDate = "2025-06-01".parse().expect("day");
    let rows: Vec<DailyRow> = (0..ADS)
        .flat_map(|ad| {
            (0..DAYS).map(move |d| DailyRow {
                campaign_id: Some("c1".into()),
                adset_id: Some("s1".into()),
                impressions: 100 + ad * 7 + d % 13,
                reach: Some(50),
                clicks: ad + d % 5,
                // Whole cents, so each row's two-decimal spend is exact and the sums compare.
                spend_micros: (ad * 31 + d % 17 + 1) * 10_000,
                ..daily_row(&format!("ad{ad:02}"), first + chrono::Duration::days(d))
            })
        })
        .collect();
    write_page(&app.db, &target, &rows, &checkpoint, &mut WriteMode::Insert)
        .await
        .expect("page");
    (team, first, first + chrono::Duration::days(DAYS - 1))
}

/// Rows, impressions and spend (in micros) of the team's ad-level facts, by SQL.
async fn sql_totals(db: &Db, team: TeamId) -> (i64, i64, i64) {
    const SQL: &str = "SELECT COUNT(*), CAST(SUM(impressions) AS BIGINT), CAST(SUM(spend_micros) AS BIGINT) \
                       FROM insights_daily WHERE team_id = $1 AND level = 'ad' AND breakdown = ''";
    crate::on_pool!(db, p => sqlx::query_as(SQL).bind(team).fetch_one(p).await).expect("totals")
}

async fn a_long_export_has_every_row_and_the_sums_sql_counts(backend: Backend) {
    // The API alone: no worker in the process takes the test's run.
    let app = spawn_app_with_sandbox_and(backend, adsync_sandbox::SandboxConfig::default(), &[]).await;
    let (team, since, until) = team_with_long_history(&app).await;
    let member = app.signed_in("member@example.com").await;
    let path = format!(
        "/api/v1/teams/{team}/metrics?level=ad&granularity=day&since={since}&until={until}&metrics=impressions,spend,clicks"
    );

    let res = app.get(&member, &format!("{path}&format=csv")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .expect("ascii")
        .to_string();
    assert!(
        disposition.starts_with("attachment; filename=\"adsync-team"),
        "{disposition}"
    );
    let text = res.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().expect("header").iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "date",
            "id",
            "name",
            "status",
            "effective_status",
            "impressions",
            "spend",
            "clicks"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    let (rows, impressions, spend_micros) = sql_totals(&app.db, team).await;
    assert!(rows > 10_000, "past the JSON answer's cap");
    assert_eq!(records.len() as i64, rows);
    assert_eq!(
        records.iter().map(|r| r[5].parse::<i64>().expect("n")).sum::<i64>(),
        impressions
    );
    assert_eq!(
        records
            .iter()
            .map(|r| r[6].parse::<Decimal>().expect("money"))
            .sum::<Decimal>(),
        Decimal::new(spend_micros, 6)
    );
    // Date order, each (day, ad) once.
    let keys: Vec<(String, String)> = records.iter().map(|r| (r[0].to_string(), r[1].to_string())).collect();
    assert!(
        keys.windows(2).all(|w| w[0] < w[1]),
        "sorted by day, then ad, without repeats"
    );
    assert_eq!(keys.first().map(|k| k.0.clone()), Some(since.to_string()));
    assert_eq!(keys.last().map(|k| k.0.clone()), Some(until.to_string()));

    // `Accept: text/csv` chooses CSV too; `limit` still cuts it; weeks sum to the same.
    let res = member
        .get(app.url(&format!("{path}&limit=7")))
        .header("accept", "text/csv")
        .send()
        .await
        .expect("accept");
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(res.text().await.expect("body").lines().count(), 1 + 7);
    let weekly = app
        .page_text(
            &member,
            &format!("{}&format=csv", path.replace("granularity=day", "granularity=week")),
        )
        .await;
    let mut reader = csv::Reader::from_reader(weekly.as_bytes());
    let weeks: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("record")).collect();
    assert_eq!(
        weeks.iter().map(|r| r[5].parse::<i64>().expect("n")).sum::<i64>(),
        impressions
    );
    let week_keys: Vec<(&str, &str)> = weeks.iter().map(|r| (&r[0], &r[1])).collect();
    assert!(
        week_keys.windows(2).all(|w| w[0] < w[1]),
        "no week split between two reads"
    );

    // Bad requests are problems before any row is sent; other teams' rows stay theirs.
    assert_problem(app.get(&member, &format!("{path}&format=xml")).await, 400).await;
    let detail = assert_problem(app.get(&member, &format!("{path}&format=csv&sort=-spend")).await, 400).await;
    assert!(detail.contains("date order"), "{detail}");
    app.user("stranger@example.com").await;
    let stranger = app.signed_in("stranger@example.com").await;
    let res = app.get(&stranger, &format!("{path}&format=csv")).await;
    assert_problem(res, 404).await;
    app.stop().await;
}

crate::on_both_backends!(a_long_export_has_every_row_and_the_sums_sql_counts);
