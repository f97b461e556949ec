//! The test command's throwaway servers: with PostgreSQL and Redis installed but not where the
//! URLs point, `scripts/with-test-services` (what `scripts/test` runs its tests under) starts
//! them for the command and removes them afterwards, whatever the command exits with.

use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::process::Command;

/// A port nothing listens on (bound, then let go).
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The port of the line `== starting a throwaway <what> ... on 127.0.0.1:<port>`.
fn started_on(stdout: &str, what: &str) -> u16 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(&format!("== starting a throwaway {what}")))
        .unwrap_or_else(|| panic!("a throwaway {what} was started: {stdout}"));
    line.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
}

fn installed(program: &str) -> bool {
    Command::new("sh")
        .args([
            "-c",
            &format!("command -v {program} || ls /usr/lib/postgresql/*/bin/{program}"),
        ])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn throwaway_servers_are_started_for_the_command_and_removed_after_it() {
    for program in ["initdb", "redis-server", "psql", "redis-cli"] {
        if !installed(program) {
            eprintln!("SKIPPED: {program} is not installed, so no throwaway server can be started");
            return;
        }
    }
    let root = env!("CARGO_MANIFEST_DIR");
    for exit in [0, 3] {
        let scratch = tempfile::tempdir().expect("tmp");
        // As root the cluster runs as the postgres user, which must reach the directory.
        std::fs::set_permissions(scratch.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let out = Command::new(format!("{root}/scripts/with-test-services"))
            .env(
                "ADSYNC_TEST_POSTGRES_URL",
                format!("postgres://postgres@127.0.0.1:{}/postgres", closed_port()),
            )
            .env("ADSYNC_TEST_REDIS_URL", format!("redis://127.0.0.1:{}", closed_port()))
            .env("TMPDIR", scratch.path())
            .args([
                "sh",
                "-c",
                &format!(
                    "psql \"$ADSYNC_TEST_POSTGRES_URL\" -Atc 'SELECT 40 + 2' && redis-cli -u \"$ADSYNC_TEST_REDIS_URL\" ping && exit {exit}"
                ),
            ])
            .output()
            .expect("scripts/with-test-services runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(exit), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("42") && stdout.contains("PONG"),
            "both servers answered: {stdout}\n{stderr}"
        );
        for what in ["PostgreSQL", "Redis"] {
            let port = started_on(&stdout, what);
            assert!(
                TcpStream::connect(("127.0.0.1", port)).is_err(),
                "the throwaway {what} on {port} was stopped after a command that exited {exit}"
            );
        }
        let left: Vec<_> = std::fs::read_dir(scratch.path()).expect("read").collect();
        assert!(left.is_empty(), "its data directory was removed: {left:?}");
    }
}
