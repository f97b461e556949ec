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

#[test]
fn migrate_check_config_refuses_what_serve_and_work_could_not_run_with() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    // An empty key, as a copied .env.example has it: stop here, naming it, migrating nothing.
    let out = adsync(
        &["migrate", "--check-config"],
        &[("DATABASE_URL", &url), ("ADSYNC_ENCRYPTION_KEY", "")],
    );
    assert_config_error(&out, "ADSYNC_ENCRYPTION_KEY");
    assert!(!dir.path().join("x.db").exists(), "nothing migrated");
    let key = adsync_common::crypto::Keyring::generate_key();
    let out = adsync(
        &["migrate", "--check-config"],
        &[("DATABASE_URL", UNREACHABLE_POSTGRES), ("ADSYNC_ENCRYPTION_KEY", &key)],
    );
    assert_config_error(&out, "REDIS_URL");
    let out = adsync(
        &["migrate", "--check-config"],
        &[("DATABASE_URL", &url), ("ADSYNC_ENCRYPTION_KEY", &key)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    // Plain `migrate` needs no key.
    let other = format!("sqlite://{}", dir.path().join("y.db").display());
    assert!(adsync(&["migrate"], &[("DATABASE_URL", &other)]).status.success());
}

#[test]
fn logs_carry_no_colour_codes_off_a_terminal() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = adsync(&["migrate"], &[("DATABASE_URL", &url), ("RUST_LOG", "debug")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let log = stderr(&out);
    assert!(log.contains("DEBUG"), "some log lines were written: {log}");
    assert!(
        !log.contains('\u{1b}'),
        "ANSI escape codes in a log that is not a terminal"
    );
}

#[test]
fn admin_refuses_a_database_that_does_not_exist_and_bad_arguments_exit_2() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("typo.db");
    let url = format!("sqlite://{}", missing.display());
    let line = assert_config_error(
        &adsync(&["admin", "list-users"], &[("DATABASE_URL", &url)]),
        "DATABASE_URL",
    );
    assert!(line.contains("no database") && line.contains("typo.db"), "{line}");
    assert!(!missing.exists(), "no empty database created");

    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    assert!(adsync(&["migrate"], &[("DATABASE_URL", &url)]).status.success());
    for args in [
        &[
            "admin",
            "create-user",
            "--email",
            "not-an-email",
            "--password",
            "longenough",
        ][..],
        &["admin", "create-user", "--email", "a@b.co", "--password", "short"],
        &["admin", "create-user", "--email", "a@b.co"],
        &["admin", "create-team", "--name", "  "],
        &[
            "admin",
            "add-member",
            "--team",
            "1",
            "--email",
            "a@b.co",
            "--role",
            "king",
        ],
    ] {
        let out = adsync(args, &[("DATABASE_URL", &url)]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn docker_compose_passes_every_setting_through() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).expect("README");
    let compose = std::fs::read_to_string(format!("{root}/docker-compose.yml")).expect("compose");
    // The variables of the README's configuration table (`| `NAME` | … |` rows).
    let mut names: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| `"))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap_or_default();
            cell.split(',')
                .filter_map(|c| c.trim().trim_start_matches('`').split('`').next().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .filter(|n| {
            n.starts_with("ADSYNC_")
                || n.starts_with("FACEBOOK_")
                || n.starts_with("GOOGLE_")
                || n.ends_with("_URL")
                || n == "RUST_LOG"
        })
        .collect();
    names.push("ADSYNC_ENCRYPTION_KEYS_OLD".into());
    assert!(names.len() > 15, "{names:?}");
    for name in names {
        assert!(
            compose.contains(&format!("    {name}: ")),
            "{name} does not reach the containers"
        );
    }
}
