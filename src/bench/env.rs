//! The benchmark's environment: a scratch database, the sandbox on its own thread, and
//! process CPU and memory readings from /proc.

use adsync_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
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
    Postgres { admin: String, name: String },
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
                let name = format!("adsync_bench_{unique}");
                let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(&admin)
                    .await
                    .context("PostgreSQL is not reachable (ADSYNC_TEST_POSTGRES_URL)")?;
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await?;
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_string())
                    .unwrap_or(admin.clone());
                Ok(Self {
                    url: format!("{base}/{name}"),
                    redis: Some((redis, format!("adsync-bench-{unique}"))),
                    cleanup: Cleanup::Postgres { admin, name },
                })
            }
        }
    }

    pub(super) async fn remove(&self) {
        match &self.cleanup {
            Cleanup::Dir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin, name } => {
                if let Ok(mut conn) = <sqlx::PgConnection as sqlx::Connection>::connect(admin).await {
                    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut conn).await {
                        eprintln!("warning: could not drop the benchmark database {name}: {e}");
                    }
                }
            }
        }
    }
}

/// The sandbox on a single-threaded runtime of its own thread, like a remote server whose
/// CPU time is its own.
pub(super) struct SandboxThread {
    pub(super) handle: SandboxHandle,
    pub(super) tid: String,
    pub(super) stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub(super) thread: Option<std::thread::JoinHandle<()>>,
}

impl SandboxThread {
    pub(super) fn start(config: SandboxConfig) -> anyhow::Result<Self> {
        let (ready_tx, ready_rx) = std::sync::mpsc::channel::<anyhow::Result<(SandboxHandle, String)>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("sandbox".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return;
                }
            };
            runtime.block_on(async move {
                let started = async {
                    let tid = std::fs::read_link("/proc/thread-self")?
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .context("no thread id")?;
                    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
                    anyhow::Ok((Sandbox::new(config).spawn(listener).await, tid))
                };
                let _ = ready_tx.send(started.await);
                let _ = stop_rx.await;
            });
        })?;
        let (handle, tid) = ready_rx.recv().context("the sandbox thread ended")??;
        Ok(Self {
            handle,
            tid,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    pub(super) fn cpu_seconds(&self) -> f64 {
        cpu_seconds_of(&format!("/proc/self/task/{}/stat", self.tid))
    }

    pub(super) async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
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

/// A `kB` line of `/proc/self/status` (`VmRSS`, `VmHWM`), in kB.
pub(super) fn proc_status_kb(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
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
