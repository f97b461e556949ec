//! Slow and hostile clients cannot hold the API: trickled headers are cut off, a body shorter
//! than its `Content-Length` gets 408, hundreds of such connections leave normal requests
//! answered, and a team's heavy metrics queries are bounded (429 beyond a few at once, 503
//! past the query timeout).

use std::time::Duration;

use adsync_common::ids::Role as TeamRole;
use adsync_storage::Db;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use adsync_sandbox::SandboxConfig;

use crate::helpers::{Backend, TestApp, assert_problem, client, spawn_app_with, spawn_app_with_sandbox_and};

const LIMITS: &[(&str, &str)] = &[
    ("ADSYNC_HTTP_HEADER_TIMEOUT", "1s"),
    ("ADSYNC_HTTP_REQUEST_TIMEOUT", "3s"),
    // Shorter than the request timeout, as the configuration requires.
    ("ADSYNC_METRICS_QUERY_TIMEOUT", "1s"),
];

/// A guard against a hang, not a speed check: the limits above are a few seconds.
const GUARD: Duration = Duration::from_secs(60);

fn address(app: &TestApp) -> String {
    app.base.trim_start_matches("http://").to_string()
}

/// Everything the server sends until it closes the connection.
async fn until_closed(mut stream: TcpStream) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out).await;
    out
}

/// The response head (status line and headers) the server sends on `stream`.
async fn response_head(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte).await {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

async fn trickled_headers_are_cut_off_while_others_are_served(backend: Backend) {
    let app = spawn_app_with(backend, LIMITS).await;
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut stream = TcpStream::connect(address(&app)).await.expect("connect");
        // Headers that never end.
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: adsync.test\r\n")
            .await
            .expect("write");
        slow.push(stream);
    }
    let res = app.get(&client(), "/healthz").await;
    assert_eq!(
        res.status(),
        200,
        "answered while 200 connections trickle their headers"
    );
    let mut closing = tokio::task::JoinSet::new();
    for stream in slow {
        closing.spawn(until_closed(stream));
    }
    let closed = tokio::time::timeout(GUARD, closing.join_all())
        .await
        .expect("the server closes connections whose headers do not arrive");
    assert_eq!(closed.len(), 200);
    app.stop().await;
}

async fn a_body_shorter_than_its_length_gets_408(backend: Backend) {
    let app = spawn_app_with(backend, LIMITS).await;
    let mut stream = TcpStream::connect(address(&app)).await.expect("connect");
    stream
        .write_all(
            b"POST /login HTTP/1.1\r\nHost: adsync.test\r\nContent-Type: application/x-www-form-urlencoded\r\n\
              Content-Length: 100\r\n\r\nemail=a",
        )
        .await
        .expect("write");
    let head = tokio::time::timeout(GUARD, response_head(&mut stream))
        .await
        .expect("an answer, not a connection held open");
    assert!(head.starts_with("HTTP/1.1 408"), "{head}");
    assert!(head.to_ascii_lowercase().contains("application/problem+json"), "{head}");
    // The API still answers.
    let res = app.get(&client(), "/healthz").await;
    assert_eq!(res.status(), 200);
    app.stop().await;
}

/// Waits until a query of the app's database waits on a lock.
async fn until_a_query_waits_on_a_lock(db: &Db) {
    let Db::Postgres(p) = db else {
        unreachable!("PostgreSQL only")
    };
    tokio::time::timeout(GUARD, async {
        loop {
            let waiting: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(p)
            .await
            .expect("pg_stat_activity");
            if waiting > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the metrics query reached the database");
}

/// PostgreSQL only: a lock on the facts table makes a metrics query as slow as wanted. The
/// first query holds the team's one place and is stopped by the query timeout (503); one sent
/// meanwhile gets 429 at once; with the table free again, queries answer.
#[tokio::test]
async fn heavy_metrics_queries_are_bounded_per_team() {
    // Long enough for the second request to arrive while the first still holds the place,
    // also on a loaded machine.
    let limits = [
        ("ADSYNC_HTTP_REQUEST_TIMEOUT", "20s"),
        ("ADSYNC_METRICS_QUERY_TIMEOUT", "5s"),
        ("ADSYNC_METRICS_QUERIES_PER_TEAM", "1"),
    ];
    // The API alone (no worker in the process): the only queries that can wait on the lock
    // are the requests'.
    let app = spawn_app_with_sandbox_and(Backend::Postgres, SandboxConfig::default(), &limits).await;
    let user = app.user("member@example.com").await;
    let team = app.team("Heavy", &[(user, TeamRole::Member)]).await;
    let member = app.signed_in("member@example.com").await;
    let path = format!("/api/v1/teams/{team}/metrics?level=ad&granularity=day");
    let Db::Postgres(pool) = &app.db else { unreachable!() };
    let mut lock = pool.begin().await.expect("begin");
    sqlx::query("LOCK TABLE insights_daily IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .expect("lock");

    let first = tokio::spawn(member.get(app.url(&path)).send());
    until_a_query_waits_on_a_lock(&app.db).await;
    let second = app.get(&member, &path).await;
    let retry_after = second.headers().get("retry-after").cloned();
    let detail = assert_problem(second, 429).await;
    assert_eq!(retry_after.as_ref().map(|v| v.as_bytes()), Some(&b"1"[..]), "{detail}");
    assert!(detail.contains("already runs 1 metrics queries"), "{detail}");
    let first = first.await.expect("task").expect("first");
    let detail = assert_problem(first, 503).await;
    assert!(detail.contains("ran longer than 5000 ms"), "{detail}");

    lock.rollback().await.expect("unlock");
    let (status, body) = app.get_json(&member, &path).await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
}

crate::on_both_backends!(
    trickled_headers_are_cut_off_while_others_are_served,
    a_body_shorter_than_its_length_gets_408,
);
