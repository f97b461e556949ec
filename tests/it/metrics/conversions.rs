//! Conversions the way Ads Manager counts them, against the sandbox's accounts that each
//! report them under other action types (every redundant bucket; the pixel type alone;
//! `omni_purchase` alone; an app's types; lead forms with a custom conversion and offline
//! purchases; `purchase` alone): every standard conversion, every attribution window, to
//! the unit and the cent; raw action types as metrics; the team's primary conversion.

use adsync_common::graph::Window;
use adsync_sandbox::{DatasetName, Level, Reported, Reporting, SandboxConfig};
use serde_json::{Value, json};

use super::{dec, rows, synced_with, window};
use crate::helpers::Backend;

pub(super) fn shapes() -> SandboxConfig {
    SandboxConfig {
        dataset: DatasetName::Shapes,
        auto_approve: true,
        ..SandboxConfig::default()
    }
}

/// Standard conversions: key, count metric, value metric.
const STANDARD: [(&str, &str, &str); 6] = [
    ("purchases", "purchases", "purchase_value"),
    ("leads", "leads", "lead_value"),
    ("add_to_cart", "add_to_cart", "add_to_cart_value"),
    ("initiate_checkout", "initiate_checkout", "initiate_checkout_value"),
    (
        "complete_registration",
        "complete_registration",
        "complete_registration_value",
    ),
    ("app_installs", "app_installs", "app_install_value"),
];

fn metric_list() -> String {
    STANDARD
        .iter()
        .flat_map(|(_, c, v)| [*c, *v])
        .collect::<Vec<_>>()
        .join(",")
}

/// Every standard conversion of a metrics `row` (count and value) is what the sandbox
/// `reported` for window `w`; `what` names the row in the messages.
fn assert_standard(row: &Value, reported: &Reported, w: &str, what: &str) {
    for (key, count, value) in STANDARD {
        let want = reported.conversion(key);
        assert_eq!(
            row[count],
            json!(want.count.get(w).expect("window")),
            "{what} {key} in {w}"
        );
        assert_eq!(
            dec(&row[value]),
            want.value.get(w).expect("window"),
            "{what} {key} value in {w}"
        );
    }
}

async fn every_account_shape_counts_as_ads_manager_does(backend: Backend) {
    let f = synced_with(backend, shapes()).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = window(ds);
    let shapes: Vec<Reporting> = ds.accounts().iter().map(|a| a.reporting).collect();
    assert_eq!(shapes.len(), Reporting::ALL.len(), "one account per shape");
    for account in ds.accounts() {
        let shape = account.reporting.as_str();
        let t = ds.totals(Level::Account, &account.id, since, until);
        assert!(t.purchases.value > 0, "{shape}: the sandbox has purchases to count");
        let range = format!("since={since}&until={until}&ad_account_id={}", account.id);
        for w in Window::ALL.map(Window::as_str) {
            // The account's totals: every standard conversion, counted once.
            let body = f
                .metrics(&format!(
                    "{range}&granularity=total&window={w}&metrics={}",
                    metric_list()
                ))
                .await;
            let row = &rows(&body)[0];
            assert_standard(row, &t.reported, w, shape);
            assert_eq!(
                row["purchases"],
                serde_json::json!(t.purchases.get(w).expect("window")),
                "{shape} purchases in {w}"
            );

            // Every campaign on every day, for what the account reports.
            let body = f
                .metrics(&format!(
                    "{range}&level=campaign&granularity=day&window={w}&metrics={}",
                    metric_list()
                ))
                .await;
            let mut checked = 0;
            for row in rows(&body) {
                let day = row["date"].as_str().expect("date").parse().expect("day");
                let id = row["id"].as_str().expect("id");
                let truth = ds.row(Level::Campaign, id, day).expect("a row the sandbox served");
                assert_standard(row, &truth.reported, w, &format!("{shape} {id} {day}"));
                checked += 1;
            }
            assert!(checked >= 30, "{shape}: campaign-days compared ({checked})");
        }
        if let Some(custom) = &account.custom_conversion {
            for w in Window::ALL.map(Window::as_str) {
                let body = f
                    .metrics(&format!(
                        "{range}&granularity=total&window={w}&metrics=action:{custom},action_value:{custom},cost_per_action:{custom}"
                    ))
                    .await;
                let row = &rows(&body)[0];
                let count = t.reported.actions[custom].get(w).expect("w");
                let value = t.reported.action_values[custom].get(w).expect("w");
                assert!(count > 0, "the custom conversion has data in {w}");
                assert_eq!(
                    row[format!("action:{custom}")],
                    serde_json::json!(count),
                    "custom conversion in {w}"
                );
                assert_eq!(dec(&row[format!("action_value:{custom}")]), value, "its value in {w}");
                assert_eq!(
                    dec(&row[format!("cost_per_action:{custom}")]),
                    (t.spend / rust_decimal::Decimal::from(count)).round_dp(4)
                );
            }
        }
    }

    // The rollup columns (written by the worker) and the `insight_conversions` view (read by
    // SQL tools and Grafana) count purchases alike, at every level and in every window.
    for w in Window::ALL.map(Window::as_str) {
        let rollup = format!(
            "SELECT CAST(SUM(purchases_{w}) AS BIGINT), CAST(SUM(purchase_value_{w}_micros) AS BIGINT) FROM insights_daily WHERE team_id = $1"
        );
        const VIEW: &str = "SELECT CAST(SUM(count) AS BIGINT), CAST(SUM(value_micros) AS BIGINT) FROM insight_conversions \
                            WHERE team_id = $1 AND conversion = 'purchases' AND attribution_window = $2";
        type Sums = (Option<i64>, Option<i64>);
        let (a, b): (Sums, Sums) = crate::on_pool!(&f.app.db, p => (
            sqlx::query_as(sqlx::AssertSqlSafe(rollup))
                .bind(f.team)
                .fetch_one(p)
                .await
                .expect("rollup"),
            sqlx::query_as(VIEW)
                .bind(f.team)
                .bind(w)
                .fetch_one(p)
                .await
                .expect("view"),
        ));
        assert!(a.0.unwrap_or(0) > 0);
        assert_eq!(a, b, "rollup and view agree in {w}");
    }

    // The action types the team has data for, with their conversion and windows.
    let (status, body) = f
        .app
        .get_json(&f.c, &format!("/api/v1/teams/{}/conversions", f.team))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["primary_conversion"], "purchases");
    let seen = body["action_types"].as_array().expect("action types");
    let find = |t: &str| {
        seen.iter()
            .find(|s| s["action_type"] == t)
            .unwrap_or_else(|| panic!("{t} in {seen:?}"))
    };
    assert_eq!(find("omni_purchase")["conversion"], "purchases");
    assert_eq!(find("leadgen_grouped")["conversion"], "leads");
    assert_eq!(find("link_click")["conversion"], Value::Null);
    assert_eq!(find("link_click")["has_values"], false);
    let custom = ds
        .accounts()
        .iter()
        .find_map(|a| a.custom_conversion.clone())
        .expect("a custom conversion");
    assert_eq!(find(&custom)["conversion"], Value::Null);
    assert_eq!(find(&custom)["has_values"], true);
    assert_eq!(find(&custom)["windows"][0], "default");
    let purchases = &body["conversions"][0];
    assert_eq!(purchases["key"], "purchases");
    assert_eq!(purchases["action_types"][0], "omni_purchase");
}

/// The shapes dataset's lead-generation account.
pub(super) fn lead_gen(ds: &adsync_sandbox::Dataset) -> &adsync_sandbox::Account {
    ds.accounts()
        .iter()
        .find(|a| a.reporting == Reporting::LeadGen)
        .expect("a lead-gen account")
}

/// The owner picks what the team counts as results; the `results` metrics and the
/// dashboard follow, members cannot change it and other teams cannot touch it.
async fn the_primary_conversion_is_the_owners_choice(backend: Backend) {
    let f = synced_with(backend, shapes()).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = window(ds);
    let lead_gen = lead_gen(ds);
    let t = ds.totals(Level::Account, &lead_gen.id, since, until);
    let settings = format!("/api/v1/teams/{}/settings", f.team);
    let results = format!(
        "since={since}&until={until}&ad_account_id={}&granularity=total&metrics=results,result_value,cost_per_result,result_roas",
        lead_gen.id
    );

    let body = f.metrics(&results).await;
    assert_eq!(body["primary_conversion"], "purchases");
    assert_eq!(
        rows(&body)[0]["results"],
        serde_json::json!(t.purchases.value),
        "purchases by default"
    );

    let patch = |c: &reqwest::Client, path: &str, body: Value| {
        let req = c.patch(f.app.url(path)).json(&body);
        async move {
            let res = req.send().await.expect("patch");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, body) = patch(&f.c, &settings, json!({"primary_conversion": "leads"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["primary_conversion"], "leads");
    assert_eq!(body["primary_conversion_label"], "Leads");
    let body = f.metrics(&results).await;
    let leads = t.reported.conversion("leads");
    let row = &rows(&body)[0];
    assert_eq!(body["primary_conversion"], "leads");
    assert_eq!(row["results"], serde_json::json!(leads.count.value));
    assert_eq!(
        dec(&row["cost_per_result"]),
        (t.spend / rust_decimal::Decimal::from(leads.count.value)).round_dp(4)
    );

    // A custom conversion, with its value: ROAS of that value.
    let custom = lead_gen.custom_conversion.clone().expect("custom conversion");
    let (status, _) = patch(
        &f.c,
        &settings,
        json!({"primary_conversion": format!("action:{custom}")}),
    )
    .await;
    assert_eq!(status, 200);
    let body = f.metrics(&results).await;
    let row = &rows(&body)[0];
    let value = t.reported.action_values[&custom].value;
    assert_eq!(row["results"], serde_json::json!(t.reported.actions[&custom].value));
    assert_eq!(dec(&row["result_value"]), value);
    assert_eq!(dec(&row["result_roas"]), (value / t.spend).round_dp(4));

    // The dashboard counts it too, under its name.
    let (status, html) = f
        .page(
            &f.c,
            &format!("account={}&range=custom&since={since}&until={until}", lead_gen.id),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains(&custom), "the results tile names the custom conversion");
    let tile = format!(
        "data-metric=\"results\" data-value=\"{}.0000\"",
        t.reported.actions[&custom].value
    );
    assert!(html.contains(&tile), "{tile} in the dashboard");

    // Bad values say why; members and other teams cannot change it.
    let (status, body) = patch(&f.c, &settings, json!({"primary_conversion": "sales"})).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("primary_conversion") && d.contains("leads")),
        "{body}"
    );
    let (status, _) = patch(&f.c, &settings, json!({"primary_conversion": "action:no spaces"})).await;
    assert_eq!(status, 400);
    let member = f.app.user("member@example.com").await;
    adsync_storage::teams::set_member(&f.app.db, f.team, member, adsync_common::ids::Role::Member)
        .await
        .expect("member");
    let m = f.app.signed_in("member@example.com").await;
    let (status, _) = patch(&m, &settings, json!({"primary_conversion": "leads"})).await;
    assert_eq!(status, 403, "members read the settings but cannot change them");
    let (status, body) = f.app.get_json(&m, &settings).await;
    assert_eq!(
        (status, body["primary_conversion"].as_str()),
        (200, Some(format!("action:{custom}").as_str()))
    );
    let other_owner = f.app.user("other@example.com").await;
    f.app
        .team("Other", &[(other_owner, adsync_common::ids::Role::Owner)])
        .await;
    let o = f.app.signed_in("other@example.com").await;
    let (status, _) = patch(&o, &settings, json!({"primary_conversion": "leads"})).await;
    assert_eq!(status, 404, "another team's owner cannot see this team");
    let (status, _) = f
        .app
        .get_json(&o, &format!("/api/v1/teams/{}/conversions", f.team))
        .await;
    assert_eq!(status, 404);
    let (_, body) = f.app.get_json(&f.c, &settings).await;
    assert_eq!(
        body["primary_conversion"],
        format!("action:{custom}"),
        "unchanged by the refused calls"
    );

    // The owner's page: the choice offers the custom conversion found in the data; saving it
    // goes back to the page, which says so.
    let html = f.app.page_text(&f.c, &format!("/teams/{}/connectors", f.team)).await;
    assert!(
        html.contains(&format!("<option value=\"action:{custom}\" selected>")),
        "the current choice is shown"
    );
    assert!(html.contains(r#"<option value="leads">Leads</option>"#));
    let res =
        f.c.post(f.app.url(&format!("/teams/{}/settings", f.team)))
            .form(&[("primary_conversion", "leads")])
            .send()
            .await
            .expect("form");
    assert!(res.status().is_redirection());
    let to = res.headers()["location"].to_str().expect("location").to_string();
    assert!(to.contains("saved=settings"), "{to}");
    let html = f.app.page_text(&f.c, &to).await;
    assert!(html.contains("Settings saved."));
    assert!(html.contains(r#"<option value="leads" selected>Leads</option>"#));
    let res = m
        .post(f.app.url(&format!("/teams/{}/settings", f.team)))
        .form(&[("primary_conversion", "purchases")])
        .send()
        .await
        .expect("form");
    assert_eq!(res.status(), 403, "a member's form is refused");
    let (_, body) = f.app.get_json(&f.c, &settings).await;
    assert_eq!(body["primary_conversion"], "leads");
}

crate::on_both_backends!(
    every_account_shape_counts_as_ads_manager_does,
    the_primary_conversion_is_the_owners_choice
);
