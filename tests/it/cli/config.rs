//! Configuration through the binary: bad values exit 2 with one line naming the variable,
//! and `.env` in the working directory is read (the environment wins over it).

use super::{adsync, adsync_in, assert_config_error, stderr};

const UNREACHABLE_POSTGRES: &str = "postgres://postgres@127.0.0.1:1/none";

#[test]
fn postgres_without_redis_is_refused_by_every_command_that_needs_the_queue() {
    let key = adsync_common::crypto::Keyring::generate_key();
    let env = [
        ("DATABASE_URL", UNREACHABLE_POSTGRES),
        ("ADSYNC_ENCRYPTION_KEY", key.as_str()),
        ("ADSYNC_LISTEN", "127.0.0.1:0"),
    ];
    for args in [&["serve"][..], &["work"], &["all"], &["admin", "resync", "--team", "1"]] {
        let line = assert_config_error(&adsync(args, &env), "REDIS_URL");
        assert!(line.contains("PostgreSQL"), "{args:?}: {line}");
    }
    // Commands without the queue go on (and here fail to reach the server: a runtime error).
    for args in [&["migrate"][..], &["admin", "list-users"]] {
        let out = adsync(args, &env);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn malformed_values_exit_2_naming_their_variable() {
    let cases = [
        ("RUST_LOG", "info,adsync=loudest"),
        ("DATABASE_URL", "postgres://u:hunter2@db:port/x"),
        ("DATABASE_URL", "sqlite://"),
        // Checked although no Facebook app is configured.
        ("FACEBOOK_GRAPH_URL", "graph.facebook.com"),
        ("FACEBOOK_DIALOG_URL", "not a url"),
        ("FACEBOOK_API_VERSION", "latest"),
    ];
    for (variable, value) in cases {
        let line = assert_config_error(&adsync(&["migrate"], &[(variable, value)]), variable);
        assert!(!line.contains("hunter2"), "no password in {line}");
    }
    // `bench` reads RUST_LOG itself; a bad one is refused there too, before any work.
    let out = adsync(&["bench", "sync"], &[("RUST_LOG", "adsync=[")]);
    assert_config_error(&out, "RUST_LOG");
}

#[test]
fn dotenv_is_read_and_the_environment_wins() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join(".env"),
        "# the file's database\nDATABASE_URL=sqlite://from-dotenv.db\n",
    )
    .expect(".env");
    let out = adsync_in(dir.path(), &["migrate"], &[], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        dir.path().join("from-dotenv.db").exists(),
        "DATABASE_URL came from .env"
    );

    let out = adsync_in(
        dir.path(),
        &["migrate"],
        &[("DATABASE_URL", "sqlite://from-env.db")],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("from-env.db").exists(), "the environment wins");

    // A bad value from the file is reported like one from the environment.
    std::fs::write(dir.path().join(".env"), "ADSYNC_LISTEN=nonsense\n").expect(".env");
    let key = adsync_common::crypto::Keyring::generate_key();
    let out = adsync_in(dir.path(), &["serve"], &[("ADSYNC_ENCRYPTION_KEY", &key)], None);
    assert_config_error(&out, "ADSYNC_LISTEN");
}

#[test]
fn a_malformed_or_unreadable_dotenv_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(
        dir.path().join(".env"),
        "ADSYNC_LISTEN=127.0.0.1:8080\nthis line is no assignment\n",
    )
    .expect(".env");
    let line = assert_config_error(&adsync_in(dir.path(), &["migrate"], &[], None), ".env");
    assert!(line.contains("line 2"), "{line}");
    assert!(
        !line.contains("no assignment"),
        "the line's content is not echoed: {line}"
    );

    let dir = tempfile::tempdir().expect("dir");
    std::fs::create_dir(dir.path().join(".env")).expect("a directory where .env should be");
    let line = assert_config_error(&adsync_in(dir.path(), &["migrate"], &[], None), ".env");
    assert!(line.contains("cannot read"), "{line}");
}
