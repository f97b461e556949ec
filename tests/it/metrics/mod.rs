//! The metrics API and the dashboard page after a real sync through the sandbox: every
//! parameter, exact values against the sandbox's ground truth, bad input as 400 problem+json
//! naming the parameter, and team isolation. On SQLite and on PostgreSQL + Redis.

mod controls;
mod conversions;
pub(crate) mod export;
mod grafana;
mod input;

use adsync_common::ids::Role;
use adsync_sandbox::{Dataset, Level};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::connect::{Fixture, auto_approve};
use crate::helpers::Backend;

/// A team connected through the sandbox with its backfill executed to the end.
pub(crate) async fn synced(backend: Backend) -> Fixture {
    synced_with(backend, auto_approve()).await
}

/// [`synced`] against a sandbox of its own configuration.
pub(crate) async fn synced_with(backend: Backend, sandbox: adsync_sandbox::SandboxConfig) -> Fixture {
    crate::connect::synced(backend, sandbox).await.0
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("a decimal string, got {v}"))
        .parse()
        .expect("decimal")
}

fn ratio(num: Decimal, den: Decimal) -> Decimal {
    (num / den).round_dp(4)
}

/// The last 30 days of the sandbox's history.
fn window(ds: &Dataset) -> (NaiveDate, NaiveDate) {
    (ds.today() - Duration::days(29), ds.today())
}

impl Fixture {
    async fn metrics(&self, query: &str) -> Value {
        let (status, body) = self
            .app
            .get_json(&self.c, &format!("/api/v1/teams/{}/metrics?{query}", self.team))
            .await;
        assert_eq!(status, 200, "{query}: {body}");
        body
    }

    async fn page(&self, c: &reqwest::Client, query: &str) -> (u16, String) {
        let res = self
            .app
            .get(c, &format!("/teams/{}/dashboard?{query}", self.team))
            .await;
        (res.status().as_u16(), res.text().await.expect("html"))
    }
}

fn rows(body: &Value) -> &Vec<Value> {
    body["rows"].as_array().expect("rows")
}

async fn totals_days_and_ratios_equal_the_ground_truth(backend: Backend) {
    let f = synced(backend).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let account = &ds.accounts()[0];
    let (since, until) = window(ds);
    let t = ds.totals(Level::Account, &account.id, since, until);
    let range = format!("since={since}&until={until}");

    // Total granularity: sums, ratios computed from the sums, default attribution.
    let body = f
        .metrics(&format!(
            "{range}&granularity=total&metrics=impressions,clicks,spend,purchases,purchase_value,ctr,cpc,cpm,roas,reach"
        ))
        .await;
    assert_eq!(body["currency"], account.currency);
    assert_eq!(body["time_zone"], account.timezone_name);
    assert_eq!(rows(&body).len(), 1, "{body}");
    let row = &rows(&body)[0];
    assert_eq!(row["id"], account.id);
    assert_eq!(row["date"], format!("{since}..{until}"));
    assert_eq!(row["impressions"], serde_json::json!(t.impressions));
    assert_eq!(row["clicks"], serde_json::json!(t.clicks));
    assert_eq!(row["spend"], t.spend.to_string(), "exact, with the currency's decimals");
    let (purchases, value) = (t.purchases.value, t.purchase_value.value);
    assert_eq!(row["purchases"], serde_json::json!(purchases));
    assert_eq!(dec(&row["purchase_value"]), value);
    let (imps, clicks) = (Decimal::from(t.impressions), Decimal::from(t.clicks));
    assert_eq!(dec(&row["ctr"]), ratio(clicks * Decimal::from(100), imps));
    assert_eq!(dec(&row["cpc"]), ratio(t.spend, clicks));
    assert_eq!(dec(&row["cpm"]), ratio(t.spend * Decimal::from(1000), imps));
    assert_eq!(dec(&row["roas"]), ratio(value, t.spend));
    assert!(row.get("reach").is_none(), "reach is never summed across days");
    assert!(
        body["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.contains("reach"))),
        "{body}"
    );

    // Day granularity: one row per day with delivery, each equal to that day's truth, reach included.
    let body = f
        .metrics(&format!(
            "{range}&granularity=day&metrics=impressions,spend,reach,purchases"
        ))
        .await;
    let mut day = since;
    let mut compared = 0;
    for row in rows(&body) {
        let date = NaiveDate::parse_from_str(row["date"].as_str().expect("date"), "%Y-%m-%d").expect("day");
        assert!(date >= day && date <= until, "ordered by date within the range");
        day = date;
        let truth = ds.row(Level::Account, &account.id, date).expect("a truth row");
        assert_eq!(row["impressions"], serde_json::json!(truth.impressions), "{date}");
        assert_eq!(dec(&row["spend"]), truth.spend, "{date}");
        assert_eq!(
            row["reach"],
            serde_json::json!(truth.reach),
            "{date}: the level's own reach"
        );
        assert_eq!(row["purchases"], serde_json::json!(truth.purchases.value), "{date}");
        compared += 1;
    }
    assert_eq!(compared, 30, "every day of the range has delivery in the sandbox");
    assert!(body["notes"].as_array().expect("notes").is_empty());

    // Week and month buckets add up to the total and carry no reach.
    for g in ["week", "month"] {
        let body = f
            .metrics(&format!("{range}&granularity={g}&metrics=spend,reach,clicks"))
            .await;
        let spend: Decimal = rows(&body).iter().map(|r| dec(&r["spend"])).sum();
        let clicks: u64 = rows(&body)
            .iter()
            .map(|r| r["clicks"].as_u64().expect("clicks, an integer"))
            .sum();
        assert_eq!((spend, clicks), (t.spend, t.clicks), "{g}");
        assert!(rows(&body).iter().all(|r| r.get("reach").is_none()), "{g}");
        assert!(
            !body["notes"].as_array().expect("notes").is_empty(),
            "{g}: says why reach is missing"
        );
    }

    // Attribution windows.
    let body = f
        .metrics(&format!(
            "{range}&granularity=total&metrics=purchases,purchase_value&window=7d_click"
        ))
        .await;
    assert_eq!(rows(&body)[0]["purchases"], serde_json::json!(t.purchases.click_7d));
    assert_eq!(dec(&rows(&body)[0]["purchase_value"]), t.purchase_value.click_7d);

    // Default range: the 30 days ending today in the account's time zone.
    let body = f.metrics("metrics=spend").await;
    let (s, u) = (
        body["since"].as_str().expect("since"),
        body["until"].as_str().expect("until"),
    );
    let (s, u) = (
        s.parse::<NaiveDate>().expect("since"),
        u.parse::<NaiveDate>().expect("until"),
    );
    assert_eq!(u - s, Duration::days(29));
    assert_eq!(body["level"], "account");
    assert_eq!(body["granularity"], "day");
}

async fn levels_filters_sorting_and_limits(backend: Backend) {
    let f = synced(backend).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let account = &ds.accounts()[0];
    let (since, until) = window(ds);
    let range = format!("since={since}&until={until}&granularity=total");
    let total = ds.totals(Level::Account, &account.id, since, until);

    // Campaign level: every campaign equals its truth; the levels below add up to the account.
    let body = f
        .metrics(&format!("{range}&level=campaign&metrics=spend,clicks,purchases,roas"))
        .await;
    let campaigns = ds.campaigns(&account.id);
    assert_eq!(rows(&body).len(), campaigns.len());
    for c in &campaigns {
        let row = rows(&body).iter().find(|r| r["id"] == c.id).expect("campaign row");
        let t = ds.totals(Level::Campaign, &c.id, since, until);
        assert_eq!(row["name"], c.name);
        assert_eq!(dec(&row["spend"]), t.spend, "{}", c.name);
        assert_eq!(row["clicks"], serde_json::json!(t.clicks));
        assert_eq!(row["purchases"], serde_json::json!(t.purchases.value));
        assert_eq!(dec(&row["roas"]), ratio(t.purchase_value.value, t.spend));
    }
    for level in ["campaign", "adset", "ad"] {
        let body = f.metrics(&format!("{range}&level={level}&metrics=spend")).await;
        let sum: Decimal = rows(&body).iter().map(|r| dec(&r["spend"])).sum();
        assert_eq!(sum, total.spend, "{level} rows add up to the account");
    }

    // Sorting (numeric, not lexicographic), by name, and the row limit.
    let body = f
        .metrics(&format!("{range}&level=ad&metrics=spend,clicks&sort=-spend"))
        .await;
    let spends: Vec<Decimal> = rows(&body).iter().map(|r| dec(&r["spend"])).collect();
    assert!(spends.windows(2).all(|w| w[0] >= w[1]), "{spends:?}");
    let body = f.metrics(&format!("{range}&level=ad&metrics=clicks&sort=clicks")).await;
    let clicks: Vec<u64> = rows(&body)
        .iter()
        .map(|r| r["clicks"].as_u64().expect("clicks, an integer"))
        .collect();
    assert!(clicks.windows(2).all(|w| w[0] <= w[1]), "{clicks:?}");
    let body = f
        .metrics(&format!("{range}&level=campaign&metrics=spend&sort=name"))
        .await;
    let names: Vec<&str> = rows(&body).iter().map(|r| r["name"].as_str().expect("name")).collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    let body = f
        .metrics(&format!("{range}&level=ad&metrics=spend&sort=-spend&limit=2"))
        .await;
    assert_eq!(rows(&body).len(), 2);
    assert_eq!(body["truncated"], true);
    assert_eq!(dec(&rows(&body)[0]["spend"]), spends[0]);

    // The ad account filter takes act_<n> or <n>.
    let with_prefix = f
        .metrics(&format!("{range}&metrics=spend&ad_account_id={}", account.id))
        .await;
    let bare = f
        .metrics(&format!("{range}&metrics=spend&ad_account_id={}", account.account_id))
        .await;
    assert_eq!(with_prefix["rows"], bare["rows"]);
    assert_eq!(rows(&bare)[0]["spend"], total.spend.to_string());

    // A member sees the same numbers as the owner.
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, Role::Member)
        .await
        .expect("member");
    let mc = f.app.signed_in("member@example.com").await;
    let path = format!("/api/v1/teams/{}/metrics?{range}&level=campaign", f.team);
    let (status, as_member) = f.app.get_json(&mc, &path).await;
    assert_eq!(status, 200);
    assert_eq!(as_member, f.app.get_json(&f.c, &path).await.1);

    // The dashboard shows the same numbers: spend with the currency, the time zone, the
    // campaigns, and drills down to one campaign's ad sets.
    let (status, html) = f.page(&mc, &format!("range=custom&since={since}&until={until}")).await;
    assert_eq!(status, 200);
    let shown = total.spend.to_string();
    assert!(
        html.contains(&format!(r#"data-metric="spend" data-value="{shown}""#)),
        "spend tile"
    );
    assert!(html.contains(&account.currency) && html.contains(&account.timezone_name));
    assert!(html.contains("Last synced") && html.contains("<svg"));
    for c in &campaigns {
        assert!(html.contains(&c.name), "{} listed", c.name);
    }
    // Its "Download CSV" link exports the campaigns it shows, as the member.
    let href = html
        .split("href=\"")
        .find_map(|rest| rest.split('"').next().filter(|h| h.contains("format=csv")))
        .expect("a CSV link")
        .replace("&amp;", "&");
    let res = f.app.get(&mc, &href).await;
    assert_eq!(res.status(), 200, "{href}");
    let text = res.text().await.expect("csv text");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let exported: Vec<String> = reader.records().map(|r| r.expect("record")[1].to_string()).collect();
    assert_eq!(exported.len(), campaigns.len(), "{text}");
    assert!(campaigns.iter().all(|c| exported.contains(&c.id)), "{text}");
    let first = campaigns[0];
    let (_, html) = f
        .page(
            &mc,
            &format!(
                "range=custom&since={since}&until={until}&level=adset&campaign={}",
                first.id
            ),
        )
        .await;
    for a in ds.adsets(&account.id) {
        let mine = ds.all_campaigns()[a.campaign].id == first.id;
        assert_eq!(
            html.contains(&format!(r#"data-id="{}""#, a.id)),
            mine,
            "ad set {} ({mine})",
            a.name
        );
    }
    // A bad custom range on the page is explained, not a 500.
    let (status, html) = f.page(&mc, "range=custom&since=2026-13-01").await;
    assert_eq!(status, 200);
    assert!(html.contains("since: expected a date"), "{html}");
}

crate::on_both_backends!(
    totals_days_and_ratios_equal_the_ground_truth,
    levels_filters_sorting_and_limits,
);
