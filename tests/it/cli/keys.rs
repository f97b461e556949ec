//! Stored tokens that the configured keys cannot decrypt: every process refuses to start
//! (exit 2, naming the connections, never a token), with or without a Facebook app;
//! `admin` commands still run, so `rotate-key` can report every failing connection.

use adsync_common::Secret;
use adsync_common::crypto::Keyring;
use adsync_common::ids::{Role, TeamId};
use adsync_storage::connections;
use adsync_storage::{Db, teams};
use tokio::process::Command;

use super::{adsync, assert_config_error, stderr, stdout};
use crate::helpers::{Backend, PASSWORD, TestDatabase, store_connection, terminate, wait_until_up};

const TOKEN: &str = "EAABsecret-token-value";

/// A connected team whose token is encrypted with `keyring`; returns (team, connection id).
async fn connected_team(db: &Db, name: &str, owner: adsync_common::ids::UserId, keyring: &Keyring) -> (TeamId, i64) {
    let team = teams::create(db, name).await.expect("team");
    teams::set_member(db, team, owner, Role::Owner).await.expect("owner");
    let token = keyring.encrypt(&Secret::new(TOKEN.to_string()));
    (team, store_connection(db, team, owner, token).await)
}

#[tokio::test]
async fn tokens_under_another_key_stop_every_process_but_not_admin() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let db = Db::connect_and_migrate(&database.url).await.expect("db");
    let owner = adsync::admin::create_user(&db, "owner@example.com", PASSWORD.to_string().into())
        .await
        .expect("user");
    let (written_with, other) = (Keyring::generate_key(), Keyring::generate_key());
    let ring = Keyring::new(&written_with, &[]).expect("key");
    let (team_a, conn_a) = connected_team(&db, "A", owner, &ring).await;
    let (team_b, conn_b) = connected_team(&db, "B", owner, &ring).await;
    let names = [
        format!("connection {conn_a} (team {team_a}, facebook)"),
        format!("connection {conn_b} (team {team_b}, facebook)"),
    ];
    let ciphertext = connections::get(&db, team_a, "facebook")
        .await
        .expect("db")
        .expect("conn")
        .token_ciphertext
        .expect("token");
    db.close().await;

    let url = database.url.as_str();
    let wrong = [
        ("DATABASE_URL", url),
        ("ADSYNC_ENCRYPTION_KEY", other.as_str()),
        ("ADSYNC_LISTEN", "127.0.0.1:0"),
    ];
    // No Facebook app is configured: the check runs all the same.
    for command in ["serve", "all", "work"] {
        let line = assert_config_error(&adsync(&[command], &wrong), "ADSYNC_ENCRYPTION_KEY");
        for name in &names {
            assert!(line.contains(name.as_str()), "{command} names {name}: {line}");
        }
        assert!(line.contains("ADSYNC_ENCRYPTION_KEYS_OLD"), "{line}");
        assert!(!line.contains(TOKEN) && !line.contains(&ciphertext), "{line}");
    }
    // A worker with no key at all cannot read them either.
    let line = assert_config_error(&adsync(&["work"], &[("DATABASE_URL", url)]), "ADSYNC_ENCRYPTION_KEY");
    assert!(line.contains(&names[0]), "{line}");

    // Admin commands run: list-connections, and rotate-key reports every failing one.
    let listed = adsync(&["admin", "list-connections"], &wrong);
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains(&format!("team {team_b}")));
    let rotate = adsync(&["admin", "rotate-key"], &wrong);
    assert_eq!(rotate.status.code(), Some(1), "{}", stderr(&rotate));
    let report = format!("{}{}", stdout(&rotate), stderr(&rotate));
    for name in &names {
        assert!(report.contains(name.as_str()), "rotate-key names {name}: {report}");
    }
    assert!(report.contains("failed 2"), "{report}");
    assert!(!report.contains(TOKEN) && !report.contains(&ciphertext), "{report}");

    // With the writing key among the old ones, the process starts (and stops cleanly).
    let port = crate::resilience::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let cwd = tempfile::tempdir().expect("dir");
    let mut child = Command::new(env!("CARGO_BIN_EXE_adsync"))
        .arg("all")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", url)
        .env("ADSYNC_ENCRYPTION_KEY", &other)
        .env("ADSYNC_ENCRYPTION_KEYS_OLD", &written_with)
        .env("ADSYNC_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .current_dir(cwd.path())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start adsync");
    wait_until_up(&base, &mut child).await;
    assert_eq!(terminate(&mut child).await.code(), Some(0), "SIGTERM exits 0");
}
