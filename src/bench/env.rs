//! The benchmark's environment: a scratch database, the sandbox in a process of its own, and
//! process CPU and memory readings from /proc.

use std::collections::HashMap;

use adsync_sandbox::{DatasetName, Stats};
use adsync_storage::Db;
use adsync_storage::scratch::ScratchPostgres;
use anyhow::Context;

use super::{BenchDatabase, TICKS_PER_SECOND};

/// The benchmark's database (and Redis namespace), removed afterwards.
pub(super) struct Scratch {
    pub(super) url: String,
    pub(super) redis: Option<(String, String)>,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(std::path::PathBuf),
    Postgres(ScratchPostgres),
}

impl Scratch {
    pub(super) async fn create(database: BenchDatabase) -> anyhow::Result<Self> {
        let unique = format!(
            "{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        match database {
            BenchDatabase::Sqlite => {
                let dir = std::env::temp_dir().join(format!("adsync-bench-{unique}"));
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(Self {
                    url: format!("sqlite://{}", dir.join("adsync.db").display()),
                    redis: None,
                    cleanup: Cleanup::Dir(dir),
                })
            }
            BenchDatabase::Postgres => {
                let admin = std::env::var("ADSYNC_TEST_POSTGRES_URL")
                    .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
                let redis = std::env::var("ADSYNC_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
                let db = ScratchPostgres::create(&admin, &format!("adsync_bench_{unique}"))
                    .await
                    .context("cannot make the benchmark database (ADSYNC_TEST_POSTGRES_URL)")?;
                Ok(Self {
                    url: db.url.clone(),
                    redis: Some((redis, format!("adsync-bench-{unique}"))),
                    cleanup: Cleanup::Postgres(db),
                })
            }
        }
    }

    pub(super) async fn remove(&self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres(db) => {
                if let Err(e) = db.drop_database().await {
                    eprintln!("warning: could not drop the benchmark database {}: {e}", db.name());
                }
            }
        }
    }
}

/// The sandbox as a process of its own (`adsync sandbox`), like the remote server it stands
/// in for: its CPU time and memory are apart from adsync's.
pub(super) struct SandboxProcess {
    child: std::process::Child,
    base_url: String,
    http: reqwest::Client,
}

impl SandboxProcess {
    /// Starts it and waits for the line saying it listens.
    /// The sandbox with `extra` flags (`--unlimited-budget`, budget sizes, faults).
    pub(super) async fn start(dataset: DatasetName, latency_ms: u64, extra: &[String]) -> anyhow::Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let mut cmd = std::process::Command::new(std::env::current_exe()?);
        cmd.args(["sandbox", "--auto-approve", "--port", &port.to_string()])
            .args([
                "--dataset",
                &dataset.to_string(),
                "--latency-ms",
                &latency_ms.to_string(),
                // adsync plans up to the clock's today: the data must reach it too, or the
                // newest chunks come back empty and the request count drifts with the date.
                "--today",
                &chrono::Utc::now().date_naive().to_string(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        cmd.args(extra);
        let mut child = cmd.spawn().context("cannot start `adsync sandbox`")?;
        let stdout = child.stdout.take();
        adsync_common::graph::install_crypto_provider();
        // Owned from here on: every early return below kills the process (see `Drop`).
        let sandbox = Self {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        let stdout = stdout.context("the sandbox's stdout")?;
        let ready = tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).map(|_| line)
        })
        .await??;
        if !ready.contains("Graph API sandbox on") {
            anyhow::bail!("the sandbox did not start: {ready:?}");
        }
        Ok(sandbox)
    }

    pub(super) fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Its counters so far (`Stats::since` gives a stretch's own).
    pub(super) async fn stats(&self) -> anyhow::Result<Stats> {
        let url = format!("{}/__sandbox/stats", self.base_url);
        Ok(self.http.get(url).send().await?.error_for_status()?.json().await?)
    }

    pub(super) fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/{}/stat", self.child.id()))
    }

    /// Its peak resident memory so far, in kB.
    pub(super) fn peak_rss_kb(&self) -> u64 {
        status_kb(&format!("/proc/{}/status", self.child.id()), "VmHWM")
    }
}

impl Drop for SandboxProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// User + system CPU seconds of the whole process (every thread).
pub(super) fn process_cpu_seconds() -> f64 {
    cpu_seconds_of("/proc/self/stat")
}

/// utime + stime (fields 14 and 15) of a `/proc/.../stat` file. The command name (field 2)
/// may hold spaces, so fields are counted after its closing parenthesis.
pub(super) fn cpu_seconds_of(path: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(path) else {
        return 0.0;
    };
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // After the name come field 3 (state) at index 0, so utime (14) is index 11.
    (ticks(11) + ticks(12)) as f64 / TICKS_PER_SECOND
}

/// CPU seconds so far of each PostgreSQL backend serving this database, by pid; empty on
/// SQLite (it runs inside adsync's process) or when the server's `/proc` is not readable
/// (a server on another machine).
pub(super) async fn backend_cpu_seconds(db: &Db) -> HashMap<i32, f64> {
    let Db::Postgres(pool) = db else {
        return HashMap::new();
    };
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        .fetch_all(pool)
        .await
        .unwrap_or_default();
    // Only processes of this machine named `postgres`: a server in a container or on
    // another host has pids of its own, which may name unrelated local processes.
    let is_backend =
        |pid: &i32| std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|comm| comm.trim() == "postgres");
    pids.into_iter()
        .filter(is_backend)
        .map(|pid| (pid, cpu_seconds_of(&format!("/proc/{pid}/stat"))))
        .collect()
}

/// The backends' CPU seconds between two [`backend_cpu_seconds`] readings (`None` when
/// none could be read). A backend that exited in between is missed, so this is a floor.
pub(super) fn backend_cpu_since(before: &HashMap<i32, f64>, after: &HashMap<i32, f64>) -> Option<f64> {
    (!after.is_empty()).then(|| {
        after
            .iter()
            .map(|(pid, now)| now - before.get(pid).copied().unwrap_or(0.0))
            .sum()
    })
}

/// A `kB` line of `/proc/self/status` (`VmRSS`, `VmHWM`), in kB.
pub(super) fn proc_status_kb(key: &str) -> u64 {
    status_kb("/proc/self/status", key)
}

fn status_kb(path: &str, key: &str) -> u64 {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Resets VmHWM to the current RSS, so the peak measured is the sync's own.
pub(super) fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}
