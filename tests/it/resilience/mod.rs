//! Real processes, real signals, real servers: workers run as `adsync work` processes and
//! are killed, scaled out, and left running while Redis or PostgreSQL restarts under them.

mod kill;
mod load;
mod midrun;
mod postgres_restart;
mod process_metrics;
mod redis_restart;
mod scale_out;
mod sigterm;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use adsync_common::ids::{RunId, TeamId};
use adsync_storage::sync_runs::{self, RunStatus};

use crate::connect::Fixture;

/// An `adsync` process (`work` or `serve`), configured like the test app; it serves
/// /readyz and /metrics (and for `serve` the API) on `ops`.
pub struct Worker {
    pub child: Child,
    pub ops: String,
}

impl Worker {
    /// Waits until the process answers 200 on `path` of its ops listener.
    pub async fn until_answering(&self, path: &str) {
        let http = reqwest::Client::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        while http
            .get(format!("{}{path}", self.ops))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
            != 200
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "adsync did not start answering {path}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Its Prometheus exposition, as text.
    pub async fn metrics(&self) -> String {
        crate::helpers::client()
            .get(format!("{}/metrics", self.ops))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text")
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Rows per paged chunk in tests that need a run of many calls.
pub const SMALL_CHUNK_ROWS: u32 = 30;

pub fn spawn_worker(f: &Fixture) -> Worker {
    spawn_process(f, "work", f.app.config.database_url.expose())
}

pub fn spawn_process(f: &Fixture, command: &str, database_url: &str) -> Worker {
    spawn_process_with(f, command, database_url, &[])
}

/// [`spawn_process`] with more environment variables.
pub fn spawn_process_with(f: &Fixture, command: &str, database_url: &str, vars: &[(&str, &str)]) -> Worker {
    let (mut cmd, ops) = process_command(f, command, database_url);
    cmd.envs(vars.iter().copied());
    let dir = tempfile::tempdir().expect("dir");
    Worker {
        child: cmd.current_dir(dir.path()).spawn().expect("start adsync"),
        ops,
    }
}

/// The command `spawn_process` runs (not started), and the base URL of its ops listener.
pub fn process_command(f: &Fixture, command: &str, database_url: &str) -> (Command, String) {
    let port = free_port();
    let cfg = &f.app.config;
    let sandbox = f.app.sandbox.as_ref().expect("sandbox");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_adsync"));
    cmd.arg(command)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABASE_URL", database_url)
        .env(
            "ADSYNC_ENCRYPTION_KEY",
            cfg.encryption_key.as_ref().expect("key").expose(),
        )
        .env("ADSYNC_PUBLIC_URL", cfg.public_url.as_str())
        .env("FACEBOOK_APP_ID", sandbox.app_id())
        .env("FACEBOOK_APP_SECRET", sandbox.app_secret())
        .env("FACEBOOK_GRAPH_URL", sandbox.base_url())
        .env("FACEBOOK_DIALOG_URL", sandbox.base_url())
        .env("ADSYNC_QUEUE_NAMESPACE", &cfg.queue_namespace)
        .env("ADSYNC_RUN_LEASE", "3s")
        .env("ADSYNC_WORKER_CONCURRENCY", "1")
        // Small chunks: the small dataset then takes dozens of calls, so a run lasts long
        // enough to act on in its middle (kill it, restart servers, share a budget).
        .env("ADSYNC_SYNC_CHUNK_ROWS", SMALL_CHUNK_ROWS.to_string())
        .env("ADSYNC_LISTEN", format!("127.0.0.1:{port}"))
        .env("ADSYNC_WORKER_LISTEN", format!("127.0.0.1:{port}"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some(redis) = &cfg.redis_url {
        cmd.env("REDIS_URL", redis.expose());
    }
    (cmd, format!("http://127.0.0.1:{port}"))
}

/// The value of the first sample of `metric` whose labels contain `labels`, if any.
pub fn sample(text: &str, metric: &str, labels: &str) -> Option<f64> {
    crate::observability::samples(text, metric)
        .into_iter()
        .filter(|l| l.contains(labels))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

pub async fn run_state(f: &Fixture, run: adsync_common::ids::RunId) -> sync_runs::SyncRun {
    sync_runs::get(&f.app.db, f.team, run).await.expect("db").expect("run")
}

/// Polls `team`'s `run` until it ends (succeeded or failed), failing past `deadline`; with
/// `alive = Some((worker, outage))`, also fails as soon as that worker process has exited.
pub async fn wait_for_end(
    f: &Fixture,
    team: TeamId,
    run: RunId,
    deadline: tokio::time::Instant,
    mut alive: Option<(&mut Worker, &str)>,
) -> sync_runs::SyncRun {
    loop {
        let r = sync_runs::get(&f.app.db, team, run).await.expect("db").expect("run");
        if matches!(r.status, RunStatus::Succeeded | RunStatus::Failed) {
            return r;
        }
        if let Some((worker, outage)) = alive.as_mut() {
            let exited = worker.child.try_wait().expect("wait").is_some();
            assert!(!exited, "the worker process exited when {outage}");
        }
        assert!(tokio::time::Instant::now() < deadline, "run {run} did not end: {r:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A Redis server of this test's own (the shared one must not restart under other tests),
/// keeping nothing on disk, like the machine's.
pub struct PrivateRedis {
    child: Child,
    pub port: u16,
}

impl PrivateRedis {
    pub async fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (it is the scaled-out queue)");
        let redis = Self { child, port };
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(tokio::time::Instant::now() < deadline, "redis-server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        redis
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// SIGKILL: everything in memory is gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}
