//! The dashboard's controls: the attribution window counts every conversion figure in that
//! window (as the metrics API does), and the chart period picker draws weeks or months with
//! no period cut by the range's edges.

use chrono::Duration;
use serde_json::Value;

use super::{rows, synced, window};
use crate::helpers::Backend;

/// The `data-value` of a key-figure tile.
fn tile(html: &str, metric: &str) -> String {
    let at = html
        .find(&format!("data-metric=\"{metric}\" data-value=\""))
        .unwrap_or_else(|| panic!("a {metric} tile"));
    let rest = &html[at..];
    let start = rest.find("data-value=\"").expect("value") + "data-value=\"".len();
    rest[start..].split('"').next().expect("value").to_string()
}

async fn the_window_and_chart_period_pickers_change_what_is_counted_and_drawn(backend: Backend) {
    let f = synced(backend).await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = window(ds);
    let range = format!("range=custom&since={since}&until={until}");

    let results = |body: &Value| rows(body)[0]["results"].clone();
    let mut seen = Vec::new();
    for w in ["default", "1d_view", "28d_click"] {
        let api = f
            .metrics(&format!(
                "since={since}&until={until}&granularity=total&metrics=results&window={w}"
            ))
            .await;
        let (status, html) = f.page(&f.c, &format!("{range}&window={w}")).await;
        assert_eq!(status, 200);
        let shown = tile(&html, "results");
        assert_eq!(
            shown.parse::<f64>().ok(),
            results(&api).as_f64(),
            "{w}: the tile counts what the API counts"
        );
        assert!(
            html.contains(&format!("<option value=\"{w}\" selected>")),
            "{w} is the picked window"
        );
        seen.push(shown);
    }
    seen.dedup();
    assert_eq!(seen.len(), 3, "the windows count differently: {seen:?}");

    // Weeks: none starts before the range or ends after it; the cut ones are said to be left out.
    let odd_since = since + Duration::days(1);
    let (status, html) = f
        .page(
            &f.c,
            &format!("range=custom&since={odd_since}&until={until}&granularity=week"),
        )
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("Trend per week"), "{html}");
    let periods: Vec<chrono::NaiveDate> = html
        .split("<th scope=\"row\">")
        .skip(1)
        .filter_map(|s| s.get(..10))
        .filter_map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect();
    assert!(!periods.is_empty(), "weeks drawn");
    for start in &periods {
        assert!(
            *start >= odd_since && *start + Duration::days(6) <= until,
            "{start} is a whole week inside the range"
        );
    }
    assert!(html.contains("left out of the charts"), "{html}");
}

/// Ad accounts in several currencies: "all ad accounts" lists each in its own currency, with
/// the figures the metrics API gives for it, and says that nothing is converted.
async fn all_ad_accounts_in_several_currencies_are_listed_each_in_its_own(backend: Backend) {
    let f = super::synced_with(
        backend,
        adsync_sandbox::SandboxConfig {
            dataset: adsync_sandbox::DatasetName::Shapes,
            ..crate::connect::auto_approve()
        },
    )
    .await;
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    let (since, until) = window(ds);
    let (status, html) = f.page(&f.c, &format!("range=custom&since={since}&until={until}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("adsync converts nothing"), "{html}");
    assert!(!html.contains("class=\"kpi\""), "no one total is shown: {html}");
    for account in ds.accounts() {
        let row = html
            .split(&format!("data-account=\"{}\"", account.id))
            .nth(1)
            .unwrap_or_else(|| panic!("a row for {}", account.id));
        assert!(
            html.contains(&format!(
                "data-account=\"{}\" data-currency=\"{}\"",
                account.id, account.currency
            )),
            "{} is listed in {}",
            account.id,
            account.currency
        );
        let api = f
            .metrics(&format!(
                "since={since}&until={until}&granularity=total&metrics=spend&ad_account_id={}",
                account.id
            ))
            .await;
        let spend = rows(&api)[0]["spend"].as_str().expect("spend").to_string();
        let shown = row
            .split("data-metric=\"spend\">")
            .nth(1)
            .and_then(|s| s.split('<').next())
            .expect("spend cell")
            .replace(',', "");
        assert_eq!(shown, spend, "{}: its own currency's spend", account.id);
        assert!(
            html.contains(&format!("account={}", account.id)),
            "a link to {}",
            account.id
        );
    }
}

crate::on_both_backends!(
    the_window_and_chart_period_pickers_change_what_is_counted_and_drawn,
    all_ad_accounts_in_several_currencies_are_listed_each_in_its_own,
);
