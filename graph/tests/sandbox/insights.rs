//! Insights paged to the end, sync and async, against the sandbox's ground truth.

use adsync_graph::Secret;
use adsync_graph::{Filter, InsightRow, InsightsRequest, Level, Window};
use adsync_sandbox::{SandboxConfig, Totals};
use rust_decimal::Decimal;

use crate::{Env, connect, spawn};

/// Pages `req` to the end with the sync endpoint; returns the typed rows and the page count.
async fn all_rows(env: &Env, token: &Secret<String>, req: &InsightsRequest) -> (Vec<InsightRow>, usize) {
    let (mut rows, mut pages, mut after) = (Vec::new(), 0, None::<String>);
    loop {
        let (page, usage) = env
            .graph
            .insights_page(token, req, after.as_deref())
            .await
            .expect("insights page");
        assert!(usage.ad_account.is_some() && !usage.business.is_empty(), "{usage:?}");
        pages += 1;
        rows.extend(page.rows);
        match page.after {
            Some(a) => after = Some(a),
            None => return (rows, pages),
        }
    }
}

/// The figure of `action_type` in `window` (`value` for the default); zero when absent.
fn figure(list: &[adsync_graph::ActionStat], action_type: &str, window: Window) -> Decimal {
    list.iter()
        .find(|a| *a.action_type == *action_type)
        .map(|a| match window {
            Window::Default => a.value,
            w => a.windows.get(w).unwrap_or_default(),
        })
        .unwrap_or_default()
}

fn assert_totals(rows: &[InsightRow], t: &Totals) {
    assert_eq!(rows.iter().map(|r| r.impressions).sum::<i64>(), t.impressions as i64);
    assert_eq!(rows.iter().map(|r| r.clicks).sum::<i64>(), t.clicks as i64);
    assert_eq!(
        rows.iter().map(|r| r.inline_link_clicks).sum::<i64>(),
        t.inline_link_clicks as i64
    );
    assert_eq!(rows.iter().map(|r| r.spend).sum::<Decimal>(), t.spend);
    for w in Window::ALL {
        // The sandbox's truth names the default attribution as the wire does.
        let key = if w == Window::Default { "value" } else { w.as_str() };
        let purchases: Decimal = rows.iter().map(|r| figure(&r.actions, "purchase", w)).sum();
        assert_eq!(
            purchases,
            Decimal::from(t.purchases.get(key).expect("window")),
            "purchases {w}"
        );
        let value: Decimal = rows.iter().map(|r| figure(&r.action_values, "purchase", w)).sum();
        assert_eq!(value, t.purchase_value.get(key).expect("window"), "purchase value {w}");
    }
}

#[tokio::test]
async fn insights_paged_to_the_end_match_the_ground_truth() {
    let env = spawn(SandboxConfig::default()).await;
    let token = connect(&env).await.token;
    let ds = env.sb.dataset();
    let acc = ds.accounts()[0].clone();
    let (since, until) = (ds.first_day(), ds.today());
    let truth = ds.totals(adsync_sandbox::Level::Account, &acc.id, since, until);
    assert!(truth.impressions > 0 && truth.purchases.value > 0);

    let mut req = InsightsRequest::daily(acc.account_id.clone(), Level::Ad, since, until);
    req.limit = 200;
    env.sb.control().reset_stats();
    let (rows, pages) = all_rows(&env, &token, &req).await;
    assert!(pages > 2, "{pages} pages");
    assert_eq!(env.sb.stats().endpoint("GET /{act}/insights"), pages as u64);
    assert_eq!(rows.len() as u64, env.sb.stats().rows_served);
    assert_totals(&rows, &truth);
    let day = rows[0].date_start;
    let ad = rows[0].ad_id.clone().expect("ad id");
    let want = ds.row(adsync_sandbox::Level::Ad, &ad, day).expect("truth row");
    assert_eq!(
        (rows[0].impressions, rows[0].reach, rows[0].spend),
        (want.impressions as i64, want.reach as i64, want.spend)
    );

    // Async: the same range at campaign level, through a report run.
    let campaign_req = InsightsRequest {
        level: Level::Campaign,
        limit: 500,
        ..req.clone()
    };
    let (run, _) = env
        .graph
        .start_report(&token, &campaign_req)
        .await
        .expect("start report");
    let mut polls = 0;
    loop {
        let (status, _) = env.graph.report_status(&token, &run).await.expect("status");
        assert!(!status.has_failed(), "{status:?}");
        if status.is_ready() {
            break;
        }
        polls += 1;
        assert!(polls < 20, "report never completed");
    }
    let (mut rows, mut after) = (Vec::new(), None::<String>);
    loop {
        let (page, _) = env
            .graph
            .report_page_with(&token, &run, 100, after.as_deref(), |row| Ok(std::mem::take(row)))
            .await
            .expect("report page");
        rows.extend(page.rows);
        match page.after {
            Some(a) => after = Some(a),
            None => break,
        }
    }
    assert!(rows.iter().all(|r| r.campaign_id.is_some() && r.ad_id.is_none()));
    assert_totals(&rows, &truth);
}

#[tokio::test]
async fn breakdowns_and_filtering_keep_the_totals() {
    let env = spawn(SandboxConfig::default()).await;
    let token = connect(&env).await.token;
    let ds = env.sb.dataset();
    let acc = ds.accounts()[0].clone();
    let (since, until) = (ds.today() - chrono::Days::new(13), ds.today());
    let campaign = ds.campaigns(&acc.id)[1].id.clone();
    let truth = ds.totals(adsync_sandbox::Level::Campaign, &campaign, since, until);

    let mut req = InsightsRequest::daily(acc.id.clone(), Level::Adset, since, until);
    req.filtering = vec![Filter::any_of("campaign.id", [campaign.clone()])];
    req.breakdowns = vec!["age".into(), "gender".into()];
    let (rows, _) = all_rows(&env, &token, &req).await;
    assert!(rows.iter().all(|r| r.campaign_id.as_deref() == Some(campaign.as_str())));
    assert!(
        rows.iter()
            .all(|r| r.breakdowns.contains_key("age") && r.breakdowns.contains_key("gender"))
    );
    assert!(
        rows.iter()
            .all(|r| r.date_start == r.date_stop && r.date_start >= since)
    );
    assert_totals(&rows, &truth);
}
