//! The binary's contract: help on every command, exit codes 0 / 1 / 2, configuration
//! errors, admin commands, the demo.

mod admin;
mod config;
mod demo;
mod keys;
mod test_services;

use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Runs `adsync` with only `env` (and PATH) in an empty working directory: no stray `.env`
/// or `data/` from the developer's tree.
pub fn adsync(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().expect("dir");
    adsync_in(dir.path(), args, env, None)
}

/// Runs `adsync` in `dir` with only `env` (and PATH), feeding `stdin` if given.
pub fn adsync_in(dir: &Path, args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .current_dir(dir)
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("run adsync");
    if let Some(input) = stdin {
        use std::io::Write;
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(input.as_bytes()).expect("write stdin");
    }
    child.wait_with_output().expect("adsync output")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts exit code 2 with exactly one non-empty line on stderr that names `variable`.
pub fn assert_config_error(out: &Output, variable: &str) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit 2 expected: {err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "one line: {err}");
    assert!(lines[0].contains(variable), "names {variable}: {err}");
    lines[0].to_string()
}

/// The subcommands `adsync <path> --help` lists, from its "Commands:" section.
fn subcommands(path: &[&str]) -> Vec<String> {
    let mut args = path.to_vec();
    args.push("--help");
    let out = adsync(&args, &[]);
    assert!(out.status.success(), "{path:?} --help: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.lines().count() > 2, "{path:?} --help says what it does: {text}");
    text.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect()
}

/// The `--flag` lines of a `--help` text: (flag, whether it has a description).
fn flags(help: &str) -> Vec<(String, bool)> {
    let lines: Vec<&str> = help.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let Some(flag) = trimmed
            .split_whitespace()
            .find(|w| w.starts_with("--"))
            .filter(|_| trimmed.starts_with('-'))
        else {
            continue;
        };
        let flag = flag.trim_end_matches(',').to_string();
        // clap puts a description after the flag on the same line, or (long help) on the
        // next, more indented line. `[default: …]` alone is no description.
        let text = |t: &str| !t.trim().is_empty() && !t.trim().starts_with('[');
        let same_line = trimmed.split("  ").skip(1).any(text);
        let indent = |l: &str| l.len() - l.trim_start().len();
        let next_line = lines.get(i + 1).is_some_and(|n| indent(n) > indent(line) && text(n));
        out.push((flag, same_line || next_line));
    }
    out
}

#[test]
fn every_command_has_help() {
    let top = subcommands(&[]);
    for sub in ["demo", "serve", "work", "all", "migrate", "admin", "sandbox", "bench"] {
        assert!(top.iter().any(|c| c == sub), "{sub} listed in {top:?}");
    }
    let admin = subcommands(&["admin"]);
    for sub in [
        "create-user",
        "list-users",
        "create-team",
        "list-teams",
        "add-member",
        "remove-member",
        "list-members",
        "create-token",
        "list-tokens",
        "revoke-token",
        "list-connections",
        "rotate-key",
        "resync",
    ] {
        assert!(admin.iter().any(|c| c == sub), "admin {sub} listed in {admin:?}");
    }
    let bench = subcommands(&["bench"]);
    for sub in ["sync", "metrics", "scale"] {
        assert!(bench.iter().any(|c| c == sub), "bench {sub} listed in {bench:?}");
    }
    assert!(subcommands(&["sandbox"]).iter().any(|c| c == "truth"));

    // Every command and subcommand, found by walking the help itself.
    let mut todo: Vec<Vec<String>> = top.iter().map(|c| vec![c.clone()]).collect();
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        seen += 1;
        let args: Vec<&str> = path.iter().map(String::as_str).collect();
        for sub in subcommands(&args) {
            let mut deeper = path.clone();
            deeper.push(sub);
            todo.push(deeper);
        }
        let out = adsync(&[args.as_slice(), &["--help"]].concat(), &[]);
        let help = stdout(&out);
        for (flag, described) in flags(&help) {
            assert!(described, "adsync {} {flag} has no help text:\n{help}", path.join(" "));
        }
    }
    // 8 commands, 13 admin, 3 bench and 1 sandbox subcommands.
    assert!(seen >= 25, "walked {seen} commands");

    for flag in ["--email", "--team", "--role"] {
        let help = stdout(&adsync(&["admin", "add-member", "--help"], &[]));
        assert!(flags(&help).iter().any(|(f, d)| f == flag && *d), "{flag}: {help}");
    }
    let help = stdout(&adsync(&["admin", "resync", "--help"], &[]));
    for flag in ["--since", "--until", "--team", "--ad-account-id"] {
        assert!(flags(&help).iter().any(|(f, d)| f == flag && *d), "{flag}: {help}");
    }
    // The --dataset entry: its line and the description lines up to the next flag.
    let help = stdout(&adsync(&["sandbox", "--help"], &[]));
    let dataset: String = help
        .lines()
        .skip_while(|l| !l.trim_start().starts_with("--dataset"))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || !l.trim_start().starts_with('-'))
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n");
    for name in ["small", "medium", "large", "many"] {
        assert!(dataset.contains(name), "sandbox --dataset help lists {name}: {dataset}");
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
