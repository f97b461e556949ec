//! Every `adsync admin` command on users, teams, memberships, tokens and resyncs, through
//! the real binary on one SQLite database; an API served on the same database checks that
//! a created token authenticates and a revoked one no longer does.

use adsync::app::{self, Role, Services};
use adsync_common::ids::{RunId, TeamId};
use adsync_storage::sync_runs::{self, RunKind, RunStatus};
use adsync_storage::{Db, api_tokens};
use tokio_util::sync::CancellationToken;

use super::{adsync, stderr, stdout};
use crate::helpers::{Backend, TestDatabase, client, test_config};

/// Runs `adsync admin <args>` on `url`, asserting success; returns stdout.
fn admin_ok(url: &str, args: &[&str]) -> String {
    let out = admin(url, args, None);
    assert!(out.status.success(), "admin {args:?}: {}", stderr(&out));
    stdout(&out)
}

fn admin(url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let dir = tempfile::tempdir().expect("dir");
    let args = [&["admin"][..], args].concat();
    super::adsync_in(dir.path(), &args, &[("DATABASE_URL", url)], stdin)
}

/// The number after `prefix` in `text` (`created team 3 "Acme"` → 3).
fn id_after(text: &str, prefix: &str) -> i64 {
    text.split(prefix)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no id after {prefix:?} in {text:?}"))
}

/// Everything the SQLite database holds, WAL included, as text.
fn database_bytes(url: &str) -> String {
    let path = url.trim_start_matches("sqlite://");
    let mut bytes = Vec::new();
    for suffix in ["", "-wal"] {
        bytes.extend(std::fs::read(format!("{path}{suffix}")).unwrap_or_default());
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The API on `url`'s database, served until the token is cancelled.
async fn serve(url: &str) -> (String, CancellationToken, tokio::task::JoinHandle<anyhow::Result<()>>) {
    let services = Services::connect(test_config(url, None, &[])).await.expect("services");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let stop = CancellationToken::new();
    let task = tokio::spawn(app::run(services, Role::Api, Some(listener), stop.clone()));
    (base, stop, task)
}

async fn teams_status(base: &str, token: &str) -> (u16, serde_json::Value) {
    let res = client()
        .get(format!("{base}/api/v1/teams"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request");
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or_default())
}

#[tokio::test]
async fn every_admin_command_works_through_the_binary() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let url = database.url.as_str();
    let migrated = adsync(&["migrate"], &[("DATABASE_URL", url)]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));

    // Users: one from a flag, one from standard input; list them.
    let out = admin_ok(
        url,
        &[
            "create-user",
            "--email",
            "ann@example.com",
            "--password",
            "ann-password",
        ],
    );
    assert!(out.contains("created user") && out.contains("ann@example.com"), "{out}");
    let out = admin(
        url,
        &["create-user", "--email", "bob@example.com", "--password-stdin"],
        Some("bob-password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = admin(
        url,
        &["create-user", "--email", "cy@example.com", "--password", "short"],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "a bad argument is a usage error");
    assert!(stderr(&out).contains("8 characters"), "{}", stderr(&out));
    let users = admin_ok(url, &["list-users"]);
    assert!(
        users.contains("ann@example.com") && users.contains("bob@example.com"),
        "{users}"
    );
    assert!(!users.contains("cy@example.com"), "{users}");
    assert!(!users.contains("password") && !users.contains("argon2"), "{users}");

    // Teams and memberships.
    let out = admin_ok(url, &["create-team", "--name", "Acme", "--owner", "ann@example.com"]);
    let team = id_after(&out, "created team ");
    let team_arg = team.to_string();
    assert!(admin_ok(url, &["list-teams"]).contains(&format!("{team}\tAcme")));
    admin_ok(
        url,
        &[
            "add-member",
            "--team",
            &team_arg,
            "--email",
            "bob@example.com",
            "--role",
            "member",
        ],
    );
    let members = admin_ok(url, &["list-members", "--team", &team_arg]);
    assert!(members.contains("ann@example.com\towner"), "{members}");
    assert!(members.contains("bob@example.com\tmember"), "{members}");
    let bad_role = admin(
        url,
        &[
            "add-member",
            "--team",
            &team_arg,
            "--email",
            "bob@example.com",
            "--role",
            "king",
        ],
        None,
    );
    assert_eq!(bad_role.status.code(), Some(2), "a bad flag value is a usage error");
    admin_ok(
        url,
        &["remove-member", "--team", &team_arg, "--email", "bob@example.com"],
    );
    let members = admin_ok(url, &["list-members", "--team", &team_arg]);
    assert!(!members.contains("bob@example.com"), "{members}");
    let again = admin(
        url,
        &["remove-member", "--team", &team_arg, "--email", "bob@example.com"],
        None,
    );
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));

    // A new password ends every session the user had; the old password no longer works.
    let db = Db::connect(url).await.expect("db");
    let ann = adsync_storage::users::find_by_email(
        &db,
        &adsync_common::ids::Email::parse("ann@example.com").expect("email"),
    )
    .await
    .expect("db")
    .expect("ann")
    .id;
    let day = chrono::Duration::days(1);
    let sessions = [
        adsync_storage::sessions::create(&db, ann, day).await.expect("session"),
        adsync_storage::sessions::create(&db, ann, day).await.expect("session"),
    ];
    let out = admin(
        url,
        &["set-password", "--email", "ann@example.com", "--password-stdin"],
        Some("ann-new-password\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for s in &sessions {
        let user = adsync_storage::sessions::user_for(&db, s.expose()).await.expect("db");
        assert_eq!(user, None, "a session outlived the password change");
    }
    let (_, hash) = adsync_storage::users::credentials(
        &db,
        &adsync_common::ids::Email::parse("ann@example.com").expect("email"),
    )
    .await
    .expect("db")
    .expect("ann");
    assert!(adsync_common::password::verify_password(
        &"ann-new-password".to_string().into(),
        Some(&hash)
    ));
    assert!(!adsync_common::password::verify_password(
        &"ann-password".to_string().into(),
        Some(&hash)
    ));
    let short = admin(
        url,
        &["set-password", "--email", "ann@example.com", "--password", "short"],
        None,
    );
    assert_eq!(short.status.code(), Some(2), "{}", stderr(&short));
    let nobody = admin(
        url,
        &["set-password", "--email", "no@example.com", "--password", "long-enough"],
        None,
    );
    assert_eq!(nobody.status.code(), Some(1), "{}", stderr(&nobody));
    db.close().await;

    // Tokens: printed once on stdout (the only line), listed without it, stored as a digest.
    let out = admin(
        url,
        &["create-token", "--email", "ann@example.com", "--name", "ci"],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let token = stdout(&out).trim().to_string();
    assert_eq!(stdout(&out).lines().count(), 1, "only the token on stdout");
    assert!(stderr(&out).contains("shown once"), "{}", stderr(&out));
    let token_id = id_after(&stderr(&out), "token ");
    let listed = admin_ok(url, &["list-tokens"]);
    assert!(
        listed.starts_with(&format!("{token_id}\t")) && listed.contains("\tci\t"),
        "{listed}"
    );
    assert!(!listed.contains(&token), "list-tokens never shows the token");
    assert!(admin_ok(url, &["list-tokens", "--email", "bob@example.com"]).is_empty());
    let stored = database_bytes(url);
    assert!(stored.contains("ann@example.com"), "the database was read");
    assert!(!stored.contains(&token), "the token in plaintext in the database");
    let db = Db::connect(url).await.expect("db");
    let digest = adsync_common::password::bearer_digest(&token);
    let Db::Sqlite(pool) = &db else { panic!("a SQLite test") };
    let digest_stored: String = sqlx::query_scalar("SELECT token_digest FROM api_tokens WHERE id = $1")
        .bind(token_id)
        .fetch_one(pool)
        .await
        .expect("row");
    assert_eq!(digest_stored, digest);

    // The token authenticates against the API, until it is revoked.
    let (base, stop, server) = serve(url).await;
    let (status, body) = teams_status(&base, &token).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["teams"][0]["name"], "Acme");
    assert_eq!(body["teams"][0]["role"], "owner");
    admin_ok(url, &["revoke-token", &token_id.to_string()]);
    assert_eq!(teams_status(&base, &token).await.0, 401);
    assert!(admin_ok(url, &["list-tokens"]).is_empty());
    let gone = admin(url, &["revoke-token", &token_id.to_string()], None);
    assert_eq!(gone.status.code(), Some(1));
    stop.cancel();
    server.await.expect("no panic").expect("clean stop");

    // Resync: refused while Facebook is not connected; then a manual run, queued with its
    // range; bad input is refused.
    let refused = admin(url, &["resync", "--team", &team_arg], None);
    assert_eq!(refused.status.code(), Some(1), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("not connected"), "{}", stderr(&refused));
    crate::helpers::store_connection(&db, TeamId(team), ann, "not-a-token".into()).await;
    let out = admin_ok(
        url,
        &[
            "resync",
            "--team",
            &team_arg,
            "--since",
            "2026-01-01",
            "--until",
            "2026-01-31",
        ],
    );
    let run = sync_runs::get(&db, TeamId(team), RunId(id_after(&out, "queued sync run ")))
        .await
        .expect("db")
        .expect("run");
    assert_eq!((run.kind, run.status), (RunKind::Manual, RunStatus::Queued));
    assert_eq!(run.since.map(|d| d.to_string()).as_deref(), Some("2026-01-01"));
    assert_eq!(run.until.map(|d| d.to_string()).as_deref(), Some("2026-01-31"));
    for bad in [
        &["resync", "--team", &team_arg, "--since", "2026-02-30"][..],
        &[
            "resync",
            "--team",
            &team_arg,
            "--since",
            "2026-02-01",
            "--until",
            "2026-01-01",
        ],
        &["resync", "--team", "999999"],
    ] {
        let out = admin(url, bad, None);
        // Bad dates are usage errors (2); a team that does not exist is a runtime one (1).
        let expected = if bad.contains(&"999999") { 1 } else { 2 };
        assert_eq!(out.status.code(), Some(expected), "{bad:?}: {}", stderr(&out));
        assert!(!stderr(&out).trim().is_empty());
    }
    assert_eq!(api_tokens::list(&db, None).await.expect("tokens").len(), 0);
    db.close().await;
}

/// `adsync admin reset-link` prints a link (only the link on stdout) that sets a new password
/// once through the page, for a user who forgot theirs where adsync sends no e-mail.
#[tokio::test]
async fn an_admin_issued_reset_link_sets_a_new_password_once() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let url = database.url.as_str();
    assert!(adsync(&["migrate"], &[("DATABASE_URL", url)]).status.success());
    admin_ok(
        url,
        &[
            "create-user",
            "--email",
            "ann@example.com",
            "--password",
            "ann-password",
        ],
    );
    let out = admin(url, &["reset-link", "--email", "ann@example.com"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("24 hours"), "{}", stderr(&out));
    let link = stdout(&out).trim().to_string();
    assert_eq!(stdout(&out).lines().count(), 1, "only the link on stdout");
    let path = url::Url::parse(&link).expect("a URL").path().to_string();
    assert!(path.starts_with("/password/reset/pwr_"), "{link}");
    // A team keeps its owner: the CLI says so rather than "not in the team".
    let created = admin_ok(url, &["create-team", "--name", "Solo", "--owner", "ann@example.com"]);
    let team = id_after(&created, "created team ").to_string();
    let last = admin(
        url,
        &["remove-member", "--team", &team, "--email", "ann@example.com"],
        None,
    );
    assert_eq!(last.status.code(), Some(1));
    assert!(stderr(&last).contains("only owner"), "{}", stderr(&last));
    let nobody = admin(url, &["reset-link", "--email", "no@example.com"], None);
    assert_eq!(nobody.status.code(), Some(1), "{}", stderr(&nobody));

    let (base, stop, server) = serve(url).await;
    let c = client();
    let set = |password: &'static str| {
        let (c, target) = (&c, format!("{base}{path}"));
        async move {
            c.post(target)
                .form(&[("password", password), ("password_confirm", password)])
                .send()
                .await
                .expect("request")
                .status()
                .as_u16()
        }
    };
    assert_eq!(set("ann-reset-password").await, 303);
    assert_eq!(set("ann-other-password").await, 410, "the link works once");
    let signed_in = client()
        .post(format!("{base}/api/v1/session"))
        .json(&serde_json::json!({"email": "ann@example.com", "password": "ann-reset-password"}))
        .send()
        .await
        .expect("request");
    assert_eq!(signed_in.status(), 200);
    stop.cancel();
    server.await.expect("join").expect("server");
}
