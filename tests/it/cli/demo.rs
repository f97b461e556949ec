//! `adsync demo` as a newcomer runs it: start it, read the URL and logins it prints, sign
//! in, stop it with SIGTERM (exit 0); start it again on the same data folder: the same
//! logins work and nothing was created twice.

use std::process::Stdio;

use adsync_storage::{Db, teams, users};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{client, terminate};

/// What the demo printed on start.
struct Banner {
    url: String,
    /// (e-mail, password) per printed login.
    logins: Vec<(String, String)>,
}

/// Starts the demo on a free port with its data in `data_dir`, and reads its banner from
/// stdout (printed once it is serving).
async fn start_demo(cwd: &std::path::Path, data_dir: &std::path::Path) -> (Child, Banner) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_adsync"))
        .args(["demo", "--data-dir"])
        .arg(data_dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("ADSYNC_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start adsync demo");
    let mut stderr = child.stderr.take().expect("stderr");
    // Drained all along, so a chatty process never blocks on a full pipe.
    let errors = tokio::spawn(async move {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text).await;
        text
    });
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let mut banner = Banner {
        url: String::new(),
        logins: Vec::new(),
    };
    loop {
        let Ok(Some(line)) = lines.next_line().await else {
            let status = child.wait().await.expect("wait");
            panic!(
                "the demo stopped before its banner ({status}): {}",
                errors.await.unwrap_or_default()
            );
        };
        if let Some(url) = line.split("running at ").nth(1) {
            banner.url = url.trim().to_string();
        }
        let trimmed = line.trim();
        if let Some((_, login)) = trimmed
            .split_once("owner:")
            .or_else(|| trimmed.split_once("member:"))
            .filter(|(before, _)| before.is_empty())
            && let Some((email, password)) = login.split_once(" / ")
        {
            banner
                .logins
                .push((email.trim().to_string(), password.trim().to_string()));
        }
        if line.contains("Ctrl-C") {
            break;
        }
    }
    // Keep reading stdout so the demo never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    assert!(
        banner.url.starts_with("http://127.0.0.1:"),
        "URL printed: {}",
        banner.url
    );
    assert_eq!(banner.logins.len(), 2, "owner and member logins printed");
    (child, banner)
}

/// Signs in with each printed login and returns each one's teams.
async fn teams_of_each_login(banner: &Banner) -> Vec<serde_json::Value> {
    let mut all = Vec::new();
    for (email, password) in &banner.logins {
        let c = client();
        let res = c
            .post(format!("{}/api/v1/session", banner.url))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sign in");
        assert_eq!(res.status(), 200, "{email} signs in with the printed password");
        let res = c
            .get(format!("{}/api/v1/teams", banner.url))
            .send()
            .await
            .expect("teams");
        assert_eq!(res.status(), 200);
        let body: serde_json::Value = res.json().await.expect("json");
        all.push(body["teams"].clone());
    }
    all
}

#[tokio::test]
async fn the_demo_prints_working_logins_stops_on_sigterm_and_restarts_idempotently() {
    let cwd = tempfile::tempdir().expect("dir");
    let data_dir = cwd.path().join("data");

    let (mut first, banner) = start_demo(cwd.path(), &data_dir).await;
    let teams = teams_of_each_login(&banner).await;
    assert_eq!(teams[0].as_array().map(Vec::len), Some(1), "{teams:?}");
    assert_eq!(teams[0][0]["role"], "owner");
    assert_eq!(teams[1][0]["role"], "member");
    assert_eq!(teams[0][0]["id"], teams[1][0]["id"], "one team for both");
    assert_eq!(terminate(&mut first).await.code(), Some(0), "SIGTERM exits 0");
    assert!(data_dir.join("adsync.db").exists() && data_dir.join("encryption.key").exists());

    let (mut second, again) = start_demo(cwd.path(), &data_dir).await;
    assert_eq!(again.logins, banner.logins);
    assert_eq!(teams_of_each_login(&again).await, teams, "same team, same roles");
    assert_eq!(terminate(&mut second).await.code(), Some(0));

    let db = Db::connect(&format!("sqlite://{}", data_dir.join("adsync.db").display()))
        .await
        .expect("db");
    assert_eq!(teams::list(&db).await.expect("teams").len(), 1, "no duplicate team");
    assert_eq!(users::list(&db).await.expect("users").len(), 2, "no duplicate user");
    db.close().await;
}
