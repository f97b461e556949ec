//! Grafana's provisioned dashboard against the same synced data: its queries run for each
//! kind of conversion choice, and its results add up to what the metrics API counts.

use serde_json::Value;

use super::conversions::{lead_gen, shapes};
use super::{rows, synced_with, window};
use crate::helpers::Backend;

/// Grafana's Conversion variable: every query of the provisioned dashboard runs against a
/// synced PostgreSQL database for each kind of choice (`grafana/check-queries.sh`), and the
/// "Results per day" panel adds up to what the metrics API counts.
#[tokio::test]
async fn grafana_counts_the_chosen_conversion() {
    let f = synced_with(Backend::Postgres, shapes()).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = window(ds);
    let lead_gen = lead_gen(ds);
    let custom = lead_gen.custom_conversion.clone().expect("custom");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let url = match &f.app.db {
        adsync_storage::Db::Postgres(_) => f.app.config.database_url.expose().clone(),
        _ => unreachable!("a PostgreSQL test"),
    };
    // As a reader of the team, the way a per-team data source reads: the `reporting` views.
    let reader = crate::reporting_access::Reader::create(&f.app.db, &url, Some(f.team)).await;
    for conversion in ["", "leads", &format!("action:{custom}")] {
        let out = std::process::Command::new(root.join("grafana/check-queries.sh"))
            .arg(&reader.url)
            .env("TEAM_ID", f.team.to_string())
            .env("FROM", since.to_string())
            .env("TO", until.to_string())
            .env("CONVERSION", conversion)
            .output()
            .expect("grafana/check-queries.sh runs (it needs python3 and psql)");
        assert!(
            out.status.success(),
            "Grafana's queries with conversion {conversion:?}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let dashboard: Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("grafana/dashboards/adsync.json")).expect("dashboard"))
            .expect("json");
    let panel = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .find(|p| p["title"] == "Results per day")
        .expect("the results panel");
    let sql = panel["targets"][0]["rawSql"].as_str().expect("sql");
    let mut as_reader = reader.connect().await;
    for (conversion, metric) in [
        ("leads".to_string(), "leads".to_string()),
        (format!("action:{custom}"), format!("action:{custom}")),
        ("purchases".to_string(), "purchases".to_string()),
    ] {
        for w in ["default", "7d_click", "28d_view"] {
            let text = sql
                .replace("${team:sqlstring}", &format!("'{}'", f.team))
                .replace("${ad_account:sqlstring}", &format!("'{}'", lead_gen.id))
                .replace("${conversion:sqlstring}", &format!("'{conversion}'"))
                .replace("${window:sqlstring}", &format!("'{w}'"))
                .replace("$__timeFrom()", &format!("'{since}T00:00:00Z'"))
                .replace("$__timeTo()", &format!("'{until}T23:59:59Z'"));
            let rows: Vec<(chrono::NaiveDateTime, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT \"time\", CAST(results AS BIGINT) FROM ({text}) AS panel"
            )))
            .fetch_all(&mut as_reader)
            .await
            .expect("the panel's query");
            assert_eq!(rows.len(), 30, "one point per day, zeros included");
            let total: i64 = rows.iter().map(|r| r.1).sum();
            let body = f
                .metrics(&format!(
                    "since={since}&until={until}&ad_account_id={}&granularity=total&window={w}&metrics={metric}",
                    lead_gen.id
                ))
                .await;
            assert_eq!(
                rows_total(&body, &metric),
                total,
                "{conversion} in {w}: Grafana and the API agree"
            );
            assert!(total > 0, "{conversion} in {w} has data");
        }
    }
    sqlx::Connection::close(as_reader).await.expect("close");
    reader.drop_role(&f.app.db).await;
}

fn rows_total(body: &Value, metric: &str) -> i64 {
    rows(body)[0][metric].as_i64().expect("a count, as a JSON integer")
}
