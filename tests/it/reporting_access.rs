//! What dashboards may read (PostgreSQL): a reader role sees the `reporting` views only, and
//! only its own team's rows there; every private table is refused to it.

use adsync_common::ids::TeamId;
use adsync_common::normalize::{ActionFigures, DailyRow};
use adsync_storage::page_writes::{WriteMode, write_page};
use adsync_storage::sync_runs;
use adsync_storage::{Db, teams};
use sqlx::{Connection, PgConnection};

use crate::helpers::{Backend, unique};
use crate::storage::{daily_row, fresh, page_for, team_with_backfill};

/// A login role made a reader with `reporting_grant`, as docs/schema.md shows.
pub struct Reader {
    pub role: String,
    /// The database URL with this role's credentials.
    pub url: String,
}

impl Reader {
    /// Creates the role and makes it a reader of `team` (every team with `None`).
    pub async fn create(db: &Db, database_url: &str, team: Option<TeamId>) -> Reader {
        let Db::Postgres(p) = db else {
            unreachable!("PostgreSQL only")
        };
        let role = unique("reader").replace('-', "_");
        let password = unique("pw");
        for sql in [
            format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"),
            format!(
                "GRANT CONNECT ON DATABASE \"{}\" TO {role}",
                database_name(database_url)
            ),
            format!("ALTER ROLE {role} SET default_transaction_read_only = on"),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await.expect("role");
        }
        sqlx::query("SELECT reporting_grant($1, $2)")
            .bind(&role)
            .bind(team)
            .execute(p)
            .await
            .expect("reporting_grant");
        let mut url = url::Url::parse(database_url).expect("url");
        url.set_username(&role).expect("user");
        url.set_password(Some(&password)).expect("password");
        Reader {
            role,
            url: url.to_string(),
        }
    }

    pub async fn connect(&self) -> PgConnection {
        PgConnection::connect(&self.url).await.expect("connect as the reader")
    }

    /// Removes the role (roles belong to the server, not to the test's database).
    pub async fn drop_role(self, db: &Db) {
        let Db::Postgres(p) = db else { unreachable!() };
        for sql in [
            format!("DROP OWNED BY {}", self.role),
            format!("DROP ROLE {}", self.role),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(p)
                .await
                .expect("drop role");
        }
    }
}

fn database_name(url: &str) -> String {
    url::Url::parse(url)
        .expect("url")
        .path()
        .trim_start_matches('/')
        .to_string()
}

/// One campaign's row for a day, written as a sync writes it.
async fn a_synced_row(db: &Db, team: TeamId, run: adsync_common::ids::RunId) {
    sync_runs::claim(db, run, "w1", chrono::Duration::seconds(60))
        .await
        .expect("claim")
        .expect("claimed");
    let row = DailyRow {
        campaign_id: Some(format!("c{team}").into()),
        impressions: 100,
        reach: Some(10),
        clicks: 3,
        inline_link_clicks: 2,
        spend_micros: 1_500_000,
        actions: ActionFigures::group([("purchase", "default", 1, Some(9_000_000))]),
        ..daily_row(&format!("c{team}"), "2026-11-01".parse().expect("date"))
    };
    let (target, checkpoint) = page_for(team, run, "campaign");
    write_page(db, &target, &[row], &checkpoint, &mut WriteMode::Insert)
        .await
        .expect("page");
}

async fn team_ids(conn: &mut PgConnection, table: &str) -> Vec<i64> {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT CAST(team_id AS BIGINT) FROM {table} ORDER BY 1"
    )))
    .fetch_all(conn)
    .await
    .unwrap_or_else(|e| panic!("{table}: {e}"))
}

#[tokio::test]
async fn a_team_reader_sees_its_team_in_the_views_and_no_private_table() {
    let (database, db) = fresh(Backend::Postgres).await;
    let (a, run_a) = team_with_backfill(&db).await;
    let b = teams::create(&db, "Other").await.expect("team");
    let run_b = sync_runs::create(
        &db,
        &sync_runs::NewRun {
            ad_account_id: Some("act_1".into()),
            ..sync_runs::NewRun::backfill(b, None)
        },
    )
    .await
    .expect("run");
    a_synced_row(&db, a, run_a.id).await;
    a_synced_row(&db, b, run_b.id).await;

    let reader = Reader::create(&db, &database.url, Some(a)).await;
    let mut conn = reader.connect().await;
    let teams: Vec<i64> = sqlx::query_scalar("SELECT id FROM teams ORDER BY id")
        .fetch_all(&mut conn)
        .await
        .expect("teams");
    assert_eq!(teams, [a.0], "its team only");
    for view in ["insights_daily", "insight_actions", "insight_conversions", "sync_runs"] {
        assert_eq!(team_ids(&mut conn, view).await, [a.0], "{view}: its team's rows only");
    }
    let (spend, purchases): (i64, i64) = sqlx::query_as(
        "SELECT CAST(SUM(spend_micros) AS BIGINT), CAST(SUM(purchases_default) AS BIGINT) FROM insights_daily",
    )
    .fetch_one(&mut conn)
    .await
    .expect("sums");
    assert_eq!((spend, purchases), (1_500_000, 1), "the row as written");
    for private in [
        "users",
        "sessions",
        "api_tokens",
        "memberships",
        "connections",
        "oauth_states",
        "connection_events",
        "deletion_requests",
        "sign_in_failures",
        "sync_locks",
        "sync_chunks",
        "reporting_readers",
        "insights_daily",
        "sync_runs",
    ] {
        let err = sqlx::query(sqlx::AssertSqlSafe(format!("SELECT * FROM public.{private} LIMIT 1")))
            .fetch_all(&mut conn)
            .await
            .expect_err(private);
        assert!(err.to_string().contains("permission denied"), "{private}: {err}");
    }
    let err = sqlx::query("SELECT error FROM sync_runs")
        .fetch_all(&mut conn)
        .await
        .expect_err("no error text in the view");
    assert!(err.to_string().contains("does not exist"), "{err}");
    let err = sqlx::query("UPDATE teams SET name = 'mine'")
        .execute(&mut conn)
        .await
        .expect_err("read only");
    assert!(
        err.to_string().contains("read-only") || err.to_string().contains("permission denied"),
        "{err}"
    );
    conn.close().await.expect("close");

    // A reader of every team (grafana_reader's kind) sees both.
    let everyone = Reader::create(&db, &database.url, None).await;
    let mut conn = everyone.connect().await;
    assert_eq!(team_ids(&mut conn, "insights_daily").await, [a.0, b.0]);
    conn.close().await.expect("close");
    reader.drop_role(&db).await;
    everyone.drop_role(&db).await;
}
