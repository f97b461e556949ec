//! No token in plaintext, anywhere: the real binary (`adsync all`, debug logging) runs a
//! connect, a replayed callback, a reconnect, a sync, a forged and a valid deauthorize, a
//! data deletion, a code Facebook rejects and a disconnect against the sandbox; then its
//! whole log output and the database are searched for tokens.

use std::process::Stdio;
use std::time::Duration;

use adsync_common::crypto::Keyring;
use adsync_common::ids::Role;
use adsync_sandbox::Sandbox;
use adsync_storage::{Db, teams};
use tokio::process::Command;

use super::auto_approve;
use crate::helpers::{Backend, PASSWORD, TestDatabase, client, redis_url, stored_text, terminate, wait_until_up};

/// Every sandbox access token starts with this; the app secret must not leak either.
const TOKEN_PREFIX: &str = "EAAB";

async fn no_token_in_the_database_or_the_logs(backend: Backend) {
    let sandbox_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let sandbox = Sandbox::new(auto_approve()).spawn(sandbox_listener).await;
    let database = TestDatabase::new(backend).await;
    let db = Db::connect_and_migrate(&database.url).await.expect("db");
    let owner = adsync::admin::create_user(&db, "owner@example.com", PASSWORD.to_string().into())
        .await
        .expect("user");
    let team = teams::create(&db, "Acme").await.expect("team");
    teams::set_member(&db, team, owner, Role::Owner).await.expect("owner");

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let key = Keyring::generate_key();
    let dir = tempfile::tempdir().expect("dir");
    let log_path = dir.path().join("adsync.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
    cmd.arg("all")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", &database.url)
        .env("ADSYNC_ENCRYPTION_KEY", &key)
        .env("ADSYNC_LISTEN", format!("127.0.0.1:{port}"))
        .env("ADSYNC_PUBLIC_URL", &base)
        .env("FACEBOOK_APP_ID", sandbox.app_id())
        .env("FACEBOOK_APP_SECRET", sandbox.app_secret())
        .env("FACEBOOK_GRAPH_URL", sandbox.base_url())
        .env("FACEBOOK_DIALOG_URL", sandbox.base_url())
        .env("RUST_LOG", "debug")
        .current_dir(dir.path())
        .stdout(Stdio::from(log.try_clone().expect("clone")))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    if backend == Backend::Postgres {
        let ns = format!("adsync-test-secrets-{}", uuid::Uuid::new_v4().simple());
        cmd.env("REDIS_URL", redis_url()).env("ADSYNC_QUEUE_NAMESPACE", ns);
    }
    let mut child = cmd.spawn().expect("start adsync");
    wait_until_up(&base, &mut child).await;

    let c = client();
    let res = c
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(res.status(), 200);
    // Starts a connection: the dialog URL with its state.
    let authorize = || async {
        let res = c
            .post(format!("{base}/api/v1/teams/{team}/connectors/facebook/connect"))
            .send()
            .await
            .expect("connect");
        let body: serde_json::Value = res.json().await.expect("json");
        url::Url::parse(body["authorize_url"].as_str().expect("url")).expect("url")
    };
    let connect = || async {
        let dialog = c.get(authorize().await).send().await.expect("dialog");
        let callback = dialog.headers()["location"].to_str().expect("loc").to_string();
        let res = c.get(&callback).send().await.expect("callback");
        (callback, res.headers()["location"].to_str().expect("loc").to_string())
    };
    let (callback, location) = connect().await;
    assert!(location.ends_with("connect=ok"), "{location}");
    let (_, location) = connect().await;
    assert!(location.ends_with("connect=ok"), "{location}");
    let replay = c.get(&callback).send().await.expect("replay");
    assert!(replay.status().is_redirection());
    // Let the worker's backfill reach Facebook (its Graph calls carry the token) before
    // the connection goes away, so its logs are part of what is searched.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while sandbox.control().stats().rows_served == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the backfill never fetched insights"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signed = adsync_connect::signed_request::sign(
        &serde_json::json!({"user_id": sandbox.control().user_id(), "algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp()}),
        "forged",
    );
    let res = c
        .post(format!("{base}/facebook/deauthorize"))
        .form(&[("signed_request", signed)])
        .send()
        .await
        .expect("forged");
    assert_eq!(res.status(), 400);
    let res = c
        .delete(format!("{base}/api/v1/teams/{team}/connectors/facebook"))
        .send()
        .await
        .expect("disconnect");
    assert_eq!(res.status(), 200);
    // Facebook's own callbacks, validly signed: deauthorize, then data deletion, each after a
    // fresh connect; and a callback that fails at Facebook (a code it never issued).
    let valid = adsync_connect::signed_request::sign(
        &serde_json::json!({"user_id": sandbox.control().user_id(), "algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp()}),
        sandbox.app_secret(),
    );
    for path in ["/facebook/deauthorize", "/facebook/data-deletion"] {
        let (_, location) = connect().await;
        assert!(location.ends_with("connect=ok"), "{location}");
        let res = c
            .post(format!("{base}{path}"))
            .form(&[("signed_request", valid.clone())])
            .send()
            .await
            .expect("signed callback");
        assert_eq!(res.status(), 200, "{path}");
    }
    let state = authorize()
        .await
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned());
    let mut bogus = url::Url::parse(&format!("{base}/oauth/facebook/callback")).expect("url");
    bogus
        .query_pairs_mut()
        .append_pair("code", "AQnever-issued")
        .append_pair("state", &state.expect("state"));
    let res = c.get(bogus.as_str()).send().await.expect("callback");
    let location = res.headers()["location"].to_str().expect("loc").to_string();
    assert!(location.ends_with("connect=code_rejected"), "{location}");
    let (_, location) = connect().await;
    assert!(location.ends_with("connect=ok"), "{location}");

    // The tokens exist (encrypted) before we look for them in plaintext.
    let conn = adsync_storage::connections::get(&db, team, "facebook")
        .await
        .expect("db")
        .expect("connected");
    let token = Keyring::new(&key, &[])
        .expect("key")
        .decrypt(conn.token_ciphertext.as_deref().expect("ciphertext"))
        .expect("decrypts");
    assert!(token.expose().starts_with(TOKEN_PREFIX));

    // Graceful shutdown: in-flight work finishes (or is handed back) and the exit is clean.
    assert_eq!(terminate(&mut child).await.code(), Some(0), "SIGTERM exits 0");

    let logs = std::fs::read_to_string(&log_path).expect("logs");
    assert!(logs.contains("listening"), "the logs were captured: {logs}");
    assert!(logs.lines().count() > 20, "debug logging was on");
    let leaks = [
        ("a token", TOKEN_PREFIX),
        ("the app secret", sandbox.app_secret()),
        ("an OAuth code", "code=AQ"),
        ("an OAuth state", "state="),
    ];
    for (what, secret) in leaks {
        assert!(
            !logs.contains(secret),
            "{what} in the logs: {}",
            logs.lines().find(|l| l.contains(secret)).unwrap_or_default()
        );
    }
    let stored = stored_text(&db, &database.url).await;
    assert!(stored.contains("connection_created"), "the database was read");
    assert!(!stored.contains(TOKEN_PREFIX), "a token in plaintext in the database");
    assert!(!stored.contains(token.expose().as_str()));
    assert!(!stored.contains(sandbox.app_secret()));
    db.close().await;
    sandbox.shutdown().await;
}

crate::on_both_backends!(no_token_in_the_database_or_the_logs);
