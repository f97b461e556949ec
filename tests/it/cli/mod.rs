//! The binary's contract: help on every command, exit codes 0 / 1 / 2.

use std::process::Command;

fn adsync(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        cmd.env(k, v);
    }
    // An empty working directory: no stray `.env` or `data/` from the developer's tree.
    let dir = tempfile::tempdir().expect("dir");
    cmd.current_dir(dir.path()).output().expect("run adsync")
}

#[test]
fn every_command_has_help() {
    let top = adsync(&["--help"], &[]);
    assert!(top.status.success());
    let text = String::from_utf8_lossy(&top.stdout).to_string();
    for sub in ["demo", "serve", "work", "all", "migrate", "admin"] {
        assert!(text.contains(sub), "{sub} listed");
        let out = adsync(&[sub, "--help"], &[]);
        assert!(out.status.success(), "{sub} --help");
        assert!(!out.stdout.is_empty());
    }
    let admin = adsync(&["admin", "--help"], &[]);
    let text = String::from_utf8_lossy(&admin.stdout).to_string();
    for sub in [
        "create-user",
        "create-team",
        "add-member",
        "create-token",
        "list-tokens",
        "resync",
    ] {
        assert!(text.contains(sub), "admin {sub} listed");
    }
}

#[test]
fn usage_and_config_errors_exit_2_naming_the_problem() {
    let out = adsync(&["frobnicate"], &[]);
    assert_eq!(out.status.code(), Some(2));
    let out = adsync(&["serve"], &[("ADSYNC_LISTEN", "nonsense")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ADSYNC_LISTEN"), "{err}");
    assert_eq!(
        err.lines().filter(|l| !l.trim().is_empty()).count(),
        1,
        "one line: {err}"
    );
    let out = adsync(&["serve"], &[]);
    assert_eq!(out.status.code(), Some(2), "serve needs an encryption key");
    assert!(String::from_utf8_lossy(&out.stderr).contains("ADSYNC_ENCRYPTION_KEY"));
}

#[test]
fn runtime_failures_exit_1_and_migrate_works() {
    let dir = tempfile::tempdir().expect("dir");
    let url = format!("sqlite://{}", dir.path().join("x.db").display());
    let out = adsync(&["migrate"], &[("DATABASE_URL", &url)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = adsync(
        &["admin", "create-user", "--email", "a@b.co", "--password", "longenough"],
        &[("DATABASE_URL", &url)],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = adsync(
        &["admin", "create-user", "--email", "a@b.co", "--password", "longenough"],
        &[("DATABASE_URL", &url)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = adsync(&["migrate"], &[("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")]);
    assert_eq!(out.status.code(), Some(1));
}
