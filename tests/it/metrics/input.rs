//! The metrics API's refusals: bad parameters are 400 problem+json naming the parameter, and
//! a member of one team never reads another team's numbers (API or dashboard page).

use adsync_common::ids::Role;

use crate::helpers::{Backend, assert_problem, spawn_app};

async fn bad_parameters_are_400_naming_the_parameter(backend: Backend) {
    let app = spawn_app(backend).await;
    let (_, team, c) = app.owner("ann@example.com", "Acme").await;
    let cases = [
        ("since=2026-11-20&until=2026-11-01", "since"),
        ("since=2020-01-01&until=2026-11-20", "37 months"),
        ("since=yesterday", "since"),
        ("until=2026-02-30", "until"),
        ("since=20261101", "since"),
        ("level=country", "level"),
        ("granularity=year", "granularity"),
        ("metrics=spend,bogus", "metrics"),
        ("metrics=", "metrics"),
        ("window=2d_click", "window"),
        ("sort=bogus", "sort"),
        ("metrics=spend&sort=clicks", "sort"),
        ("limit=0", "limit"),
        ("limit=lots", "limit"),
        ("limit=10001", "limit"),
        ("ad_account_id=act_999", "ad_account_id"),
        ("colour=blue", "colour"),
    ];
    for (query, names) in cases {
        let res = app.get(&c, &format!("/api/v1/teams/{team}/metrics?{query}")).await;
        let detail = assert_problem(res, 400).await;
        assert!(detail.contains(names), "{query}: {detail:?} should name {names}");
    }
}

async fn teams_see_only_their_own_numbers(backend: Backend) {
    let app = spawn_app(backend).await;
    let ann = app.user("ann@example.com").await;
    let bob = app.user("bob@example.com").await;
    let a = app.team("A", &[(ann, Role::Member)]).await;
    let b = app.team("B", &[(bob, Role::Owner)]).await;
    let ann_c = app.signed_in("ann@example.com").await;
    let bob_c = app.signed_in("bob@example.com").await;

    let res = app.get(&ann_c, &format!("/api/v1/teams/{b}/metrics")).await;
    assert_problem(res, 404).await;
    let res = app.get(&ann_c, &format!("/teams/{b}/dashboard")).await;
    assert_eq!(res.status(), 404, "no hint that team B exists");
    let res = app.get(&ann_c, "/api/v1/teams/not-a-team/metrics").await;
    assert_problem(res, 404).await;
    let res = app
        .get(&crate::helpers::client(), &format!("/api/v1/teams/{a}/metrics"))
        .await;
    assert_problem(res, 401).await;
    let res = app
        .get(&crate::helpers::client(), &format!("/teams/{a}/dashboard"))
        .await;
    assert_eq!(res.status(), 303, "pages send strangers to the login form");

    // Without a connection: empty answers, and a dashboard that says what to do.
    let (status, body) = app.get_json(&ann_c, &format!("/api/v1/teams/{a}/metrics")).await;
    assert_eq!(
        (status, body["rows"].as_array().map(Vec::len)),
        (200, Some(0)),
        "{body}"
    );
    let member_page = app.page_text(&ann_c, &format!("/teams/{a}/dashboard")).await;
    assert!(member_page.contains("Ask your team owner to connect"), "{member_page}");
    let owner_page = app.page_text(&bob_c, &format!("/teams/{b}/dashboard")).await;
    assert!(
        owner_page.contains("Connect Facebook Ads to see your numbers"),
        "{owner_page}"
    );
    assert!(owner_page.contains(&format!(r#"href="/teams/{b}/connectors""#)));
}

crate::on_both_backends!(
    bad_parameters_are_400_naming_the_parameter,
    teams_see_only_their_own_numbers,
);
