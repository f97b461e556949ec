//! `GET /metrics`: Prometheus text with HTTP requests counted by matched route and status.
//! The recorder is process-wide (tests share it), so assertions look for this test's labels.

use crate::helpers::{Backend, spawn_app};

/// Lines of the exposition that belong to `metric` (samples, not HELP/TYPE comments).
pub fn samples<'a>(text: &'a str, metric: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.starts_with(metric) && l[metric.len()..].starts_with(['{', ' ']))
        .collect()
}

#[tokio::test]
async fn metrics_count_requests_by_route_template_never_by_raw_path() {
    let app = spawn_app(Backend::Sqlite).await;
    let (_, team, c) = app.owner("owner@example.com", "Acme").await;
    for _ in 0..3 {
        let (status, body) = app.get_json(&c, &format!("/api/v1/teams/{team}")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _) = app.get_json(&c, "/api/v1/teams/987654321").await;
    assert!(status == 403 || status == 404, "{status}");
    let (status, _) = app.get_json(&c, "/no-such-page/424242").await;
    assert_eq!(status, 404);
    assert_eq!(app.get_json(&c, "/healthz").await.0, 200);

    let res = app.get(&c, "/metrics").await;
    assert_eq!(res.status(), 200);
    let content_type = res.headers()["content-type"].to_str().expect("ascii").to_string();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let text = res.text().await.expect("body");

    let requests = samples(&text, "adsync_http_requests_total");
    let team_route = requests
        .iter()
        .find(|l| {
            l.contains(r#"route="/api/v1/teams/{team}""#)
                && l.contains(r#"status="200""#)
                && l.contains(r#"method="GET""#)
        })
        .unwrap_or_else(|| panic!("a GET /api/v1/teams/{{team}} 200 sample in:\n{text}"));
    let count: f64 = team_route
        .rsplit(' ')
        .next()
        .and_then(|v| v.parse().ok())
        .expect("a numeric value");
    assert!(count >= 3.0, "{team_route}");
    assert!(
        requests.iter().any(|l| l.contains(r#"route="/healthz""#)),
        "health checks are counted too:\n{text}"
    );
    assert!(
        requests
            .iter()
            .any(|l| l.contains(r#"route="unmatched""#) && l.contains(r#"status="404""#)),
        "unknown paths share one label:\n{text}"
    );
    for raw in [
        format!("/api/v1/teams/{team}\""),
        "987654321".into(),
        "424242".into(),
        "no-such-page".into(),
    ] {
        assert!(!text.contains(&raw), "raw path {raw:?} leaked into a label:\n{text}");
    }
    assert!(
        !samples(&text, "adsync_http_request_duration_seconds_bucket").is_empty(),
        "latency is a histogram with buckets:\n{text}"
    );
    assert!(text.contains("# TYPE adsync_http_requests_total counter"), "{text}");
}
