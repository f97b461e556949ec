//! Insights rows against the dataset's truth: paging every level, breakdowns, filtering and
//! restatement of recent days.

use std::collections::HashMap;
use std::str::FromStr;

use adsync_sandbox::{DatasetName, Level, SandboxConfig, Totals};
use chrono::{Days, NaiveDate};
use rust_decimal::Decimal;
use serde_json::Value;

use crate::{TestApp, all_pages, auto, spawn};

pub const FIELDS: &str =
    "account_id,campaign_id,adset_id,ad_id,impressions,reach,clicks,inline_link_clicks,spend,actions,action_values";

fn num(v: &Value) -> u64 {
    v.as_str().map(|s| s.parse().expect("count")).unwrap_or(0)
}

fn dec(v: &Value) -> Decimal {
    v.as_str()
        .map(|s| Decimal::from_str(s).expect("money"))
        .unwrap_or_default()
}

fn action(row: &Value, key: &str, kind: &str, window: &str) -> Option<Value> {
    row[key]
        .as_array()?
        .iter()
        .find(|a| a["action_type"] == kind)
        .map(|a| a[window].clone())
}

/// Sums rows by object id (the id key of the level).
pub fn sum_by_object(rows: &[Value], level: Level) -> HashMap<String, Totals> {
    let key = match level {
        Level::Account => "account_id",
        Level::Campaign => "campaign_id",
        Level::Adset => "adset_id",
        Level::Ad => "ad_id",
    };
    let mut out: HashMap<String, Totals> = HashMap::new();
    for r in rows {
        let mut id = r[key].as_str().expect("id").to_string();
        if level == Level::Account {
            id = format!("act_{id}");
        }
        let t = out.entry(id).or_default();
        t.impressions += num(&r["impressions"]);
        t.clicks += num(&r["clicks"]);
        t.inline_link_clicks += num(&r["inline_link_clicks"]);
        t.spend += dec(&r["spend"]);
        t.purchases.value += action(r, "actions", "purchase", "value").map(|v| num(&v)).unwrap_or(0);
        t.purchases.click_7d += action(r, "actions", "purchase", "7d_click")
            .map(|v| num(&v))
            .unwrap_or(0);
        t.purchases.view_1d += action(r, "actions", "purchase", "1d_view")
            .map(|v| num(&v))
            .unwrap_or(0);
        t.purchase_value.value += action(r, "action_values", "purchase", "value")
            .map(|v| dec(&v))
            .unwrap_or_default();
        t.purchase_value.click_28d += action(r, "action_values", "purchase", "28d_click")
            .map(|v| dec(&v))
            .unwrap_or_default();
    }
    out
}

pub fn check_against_truth(app: &TestApp, rows: &[Value], level: Level, since: NaiveDate, until: NaiveDate) {
    let ds = app.sb.dataset();
    let sums = sum_by_object(rows, level);
    assert!(!sums.is_empty());
    for (id, got) in &sums {
        let want = ds.totals(level, id, since, until);
        assert_eq!(got.impressions, want.impressions, "{level} {id}");
        assert_eq!(got.clicks, want.clicks, "{level} {id}");
        assert_eq!(got.inline_link_clicks, want.inline_link_clicks);
        assert_eq!(got.spend, want.spend, "{level} {id}");
        assert_eq!(got.purchases.value, want.purchases.value);
        assert_eq!(got.purchases.click_7d, want.purchases.click_7d);
        assert_eq!(got.purchases.view_1d, want.purchases.view_1d);
        assert_eq!(got.purchase_value.value, want.purchase_value.value);
        assert_eq!(got.purchase_value.click_28d, want.purchase_value.click_28d);
    }
    // Every object with delivery shows up.
    let account = &ds.accounts()[0].id;
    let ids: Vec<String> = match level {
        Level::Account => vec![account.clone()],
        Level::Campaign => ds.campaigns(account).iter().map(|c| c.id.clone()).collect(),
        Level::Adset => ds.adsets(account).iter().map(|c| c.id.clone()).collect(),
        Level::Ad => ds.ads(account).iter().map(|c| c.id.clone()).collect(),
    };
    for id in ids {
        let want = ds.totals(level, &id, since, until);
        assert_eq!(sums.contains_key(&id), want.impressions > 0, "{id}");
    }
}

pub fn range(app: &TestApp, days: u64) -> (NaiveDate, NaiveDate) {
    let today = app.sb.dataset().today();
    (today - Days::new(days - 1), today)
}

pub fn time_range(since: NaiveDate, until: NaiveDate) -> String {
    format!(r#"{{"since":"{since}","until":"{until}"}}"#)
}

#[tokio::test]
async fn sync_paging_every_level_matches_truth() {
    let app = spawn(auto()).await;
    let t = app.login().await;
    let acc = app.sb.dataset().accounts()[0].id.clone();
    let (since, until) = range(&app, 90);
    let tr = time_range(since, until);
    for level in [Level::Account, Level::Campaign, Level::Adset, Level::Ad] {
        let first = app
            .get(
                &format!("{acc}/insights"),
                &[
                    ("access_token", &t),
                    ("level", level.as_str()),
                    ("fields", FIELDS),
                    ("time_range", &tr),
                    ("time_increment", "1"),
                    ("action_attribution_windows", r#"["7d_click","1d_view","28d_click"]"#),
                    ("limit", "100"),
                ],
            )
            .await;
        let (rows, pages) = all_pages(&app, first).await;
        assert!(pages > 1 || level == Level::Account, "{level}: {pages}");
        check_against_truth(&app, &rows, level, since, until);
        // Ordered by date then object id, and each row is exactly Dataset::row.
        let key = |r: &Value| {
            (
                r["date_start"].as_str().map(str::to_string),
                r[format!("{}_id", level.as_str())].as_str().map(str::to_string),
            )
        };
        assert!(rows.windows(2).all(|w| key(&w[0]) < key(&w[1])), "{level} order");
        let r = &rows[rows.len() / 2];
        let date = NaiveDate::from_str(r["date_start"].as_str().expect("d")).expect("date");
        let id = if level == Level::Account {
            acc.clone()
        } else {
            r[format!("{}_id", level.as_str())].as_str().expect("id").to_string()
        };
        let truth = app.sb.dataset().row(level, &id, date).expect("row");
        assert_eq!(num(&r["reach"]), truth.reach);
        assert_eq!(dec(&r["spend"]), truth.spend);
    }
}

#[tokio::test]
async fn increments_breakdowns_and_filtering() {
    let app = spawn(SandboxConfig {
        dataset: DatasetName::Medium,
        ..auto()
    })
    .await;
    let t = app.login().await;
    let ds = app.sb.dataset();
    let acc = ds.accounts()[1].id.clone();
    let (since, until) = range(&app, 120);
    let tr = time_range(since, until);
    let path = format!("{acc}/insights");
    let get = |extra: Vec<(&'static str, String)>| {
        let mut q: Vec<(&str, String)> = vec![
            ("access_token", t.clone()),
            ("time_range", tr.clone()),
            ("fields", "campaign_id,impressions,spend,clicks".into()),
            ("limit", "500".into()),
        ];
        q.extend(extra);
        let app = &app;
        let path = path.clone();
        async move {
            let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let first = app.get(&path, &q).await;
            all_pages(app, first).await.0
        }
    };
    let total = ds.totals(Level::Account, &acc, since, until);
    let all_days = get(vec![]).await;
    assert_eq!(all_days.len(), 1);
    assert_eq!(all_days[0]["date_start"], since.to_string());
    assert_eq!(all_days[0]["date_stop"], until.to_string());
    assert_eq!(num(&all_days[0]["impressions"]), total.impressions);
    // JPY: no decimals.
    assert!(!all_days[0]["spend"].as_str().expect("spend").contains('.'));
    let monthly = get(vec![("time_increment", "monthly".into())]).await;
    assert!(monthly.len() >= 4 && monthly.len() <= 5);
    assert_eq!(
        monthly.iter().map(|r| num(&r["impressions"])).sum::<u64>(),
        total.impressions
    );
    let weekly = get(vec![("time_increment", "7".into()), ("level", "campaign".into())]).await;
    check_against_truth_acc(&app, &weekly, &acc, since, until);
    let split = get(vec![
        ("breakdowns", r#"["age","gender"]"#.into()),
        ("time_increment", "all_days".into()),
    ])
    .await;
    assert!(split.len() > 6);
    assert!(split.iter().all(|r| r["age"].is_string() && r["gender"].is_string()));
    assert_eq!(
        split.iter().map(|r| num(&r["impressions"])).sum::<u64>(),
        total.impressions
    );
    assert_eq!(split.iter().map(|r| dec(&r["spend"])).sum::<Decimal>(), total.spend);
    assert_eq!(split.iter().map(|r| num(&r["clicks"])).sum::<u64>(), total.clicks);
    let country = get(vec![
        ("breakdowns", "country,publisher_platform".into()),
        ("level", "campaign".into()),
    ])
    .await;
    check_against_truth_acc(&app, &country, &acc, since, until);
    let camp = ds.campaigns(&acc)[2].id.clone();
    let filter = format!(r#"[{{"field":"campaign.id","operator":"IN","value":["{camp}"]}}]"#);
    let filtered = get(vec![
        ("level", "ad".into()),
        ("filtering", filter),
        ("time_increment", "1".into()),
    ])
    .await;
    assert!(!filtered.is_empty());
    assert!(filtered.iter().all(|r| r["campaign_id"] == camp.as_str()));
    assert_eq!(
        filtered.iter().map(|r| num(&r["impressions"])).sum::<u64>(),
        ds.totals(Level::Campaign, &camp, since, until).impressions
    );
    // The object's own insights edge.
    let own = app
        .get(
            &format!("{camp}/insights"),
            &[("access_token", &t), ("time_range", &tr), ("fields", "impressions")],
        )
        .await;
    assert_eq!(
        num(&own.body["data"][0]["impressions"]),
        ds.totals(Level::Campaign, &camp, since, until).impressions
    );
}

fn check_against_truth_acc(app: &TestApp, rows: &[Value], acc: &str, since: NaiveDate, until: NaiveDate) {
    let ds = app.sb.dataset();
    let mut by: HashMap<String, u64> = HashMap::new();
    for r in rows {
        *by.entry(r["campaign_id"].as_str().expect("cid").to_string())
            .or_default() += num(&r["impressions"]);
    }
    for c in ds.campaigns(acc) {
        assert_eq!(
            by.get(&c.id).copied().unwrap_or(0),
            ds.totals(Level::Campaign, &c.id, since, until).impressions
        );
    }
}

#[tokio::test]
async fn restatement_changes_only_the_last_28_days() {
    let app = spawn(auto()).await;
    let ds = app.sb.dataset();
    let acc = ds.accounts()[0].id.clone();
    let today = ds.today();
    let old = (today - Days::new(89), today - Days::new(28));
    let recent = (today - Days::new(27), today);
    let before = (
        ds.totals(Level::Account, &acc, old.0, old.1),
        ds.totals(Level::Account, &acc, recent.0, recent.1),
    );
    app.sb.control().set_restatement(1);
    let after = (
        ds.totals(Level::Account, &acc, old.0, old.1),
        ds.totals(Level::Account, &acc, recent.0, recent.1),
    );
    assert_eq!(before.0, after.0);
    assert_ne!(before.1.purchases, after.1.purchases);
    assert_eq!(before.1.impressions, after.1.impressions);
    assert_eq!(before.1.spend, after.1.spend);
    let t = app.login().await;
    let first = app
        .get(
            &format!("{acc}/insights"),
            &[
                ("access_token", &t),
                ("fields", FIELDS),
                ("time_range", &time_range(recent.0, recent.1)),
                ("time_increment", "1"),
                ("action_attribution_windows", "7d_click,1d_view,28d_click"),
            ],
        )
        .await;
    let (rows, _) = all_pages(&app, first).await;
    check_against_truth(&app, &rows, Level::Account, recent.0, recent.1);
}
