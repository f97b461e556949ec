//! PostgreSQL goes away mid-run (every connection dropped, new ones refused for a while, as
//! in a restart) under an `adsync serve` and an `adsync work` process. Neither is restarted:
//! the API answers 503 while the database is gone and recovers by itself; the run resumes
//! from its last committed page and the data ends exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use adsync_sandbox::SandboxConfig;
use adsync_storage::api_tokens;
use adsync_storage::sync_runs::RunStatus;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::{run_state, spawn_process, wait_for_end};
use crate::connect::{auto_approve, connected};
use crate::helpers::{Backend, client};
use crate::truth::assert_matches_truth;

/// A TCP proxy in front of PostgreSQL that can cut every connection and refuse new ones.
struct DatabaseProxy {
    port: u16,
    /// Bumped on every cut: connections of an older generation are dropped.
    generation: watch::Sender<u64>,
    down: Arc<AtomicBool>,
}

impl DatabaseProxy {
    async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let (generation, _) = watch::channel(0u64);
        let down = Arc::new(AtomicBool::new(false));
        let (gen_tx, down_flag, upstream) = (generation.clone(), down.clone(), upstream.to_string());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if down_flag.load(Ordering::SeqCst) {
                    continue; // dropped at once: "connection refused/reset" for the client
                }
                let mut cut = gen_tx.subscribe();
                let upstream = upstream.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut.changed() => {}
                    }
                });
            }
        });
        Self { port, generation, down }
    }

    /// Drops every open connection and refuses new ones until `restore`.
    fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn postgres_going_away_mid_run_is_survived_by_api_and_worker() {
    let sandbox = SandboxConfig {
        latency: Duration::from_millis(60),
        ..auto_approve()
    };
    let f = connected(Backend::Postgres, sandbox).await;
    let run = f.queued_backfill().await;
    let (_, token) = api_tokens::create(&f.app.db, f.owner, "resilience")
        .await
        .expect("token");

    let mut url = url::Url::parse(f.app.config.database_url.expose()).expect("database url");
    let upstream = format!("{}:{}", url.host_str().expect("host"), url.port().unwrap_or(5432));
    let proxy = DatabaseProxy::start(&upstream).await;
    url.set_host(Some("127.0.0.1")).expect("host");
    url.set_port(Some(proxy.port)).expect("port");
    let api = spawn_process(&f, "serve", url.as_str());
    let mut worker = spawn_process(&f, "work", url.as_str());

    let http = client();
    let ready = |base: String| {
        let http = http.clone();
        async move {
            http.get(format!("{base}/readyz"))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let r = run_state(&f, run).await;
        if r.status == RunStatus::Running && r.progress.done >= 4 && ready(api.ops.clone()).await == 200 {
            break;
        }
        assert!(r.status != RunStatus::Succeeded, "the run finished before the outage");
        assert!(
            tokio::time::Instant::now() < deadline,
            "the worker never got going: {r:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    proxy.cut();
    // API and worker notice: readiness fails while the database is gone (a signal, not a sleep).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ready(api.ops.clone()).await != 503 || ready(worker.ops.clone()).await != 503 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz never reported the outage"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Each probe answers promptly (within a second, by design), not after the pool's
    // 10-second acquire timeout: a client that gives up after 5 s still hears 503.
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    for ops in [&api.ops, &worker.ops] {
        let res = impatient
            .get(format!("{ops}/readyz"))
            .send()
            .await
            .expect("/readyz answers while the database is away");
        assert_eq!(res.status(), 503);
    }
    proxy.restore();

    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let alive = Some((&mut worker, "PostgreSQL went away"));
    let done = wait_for_end(&f, f.team, run, deadline, alive).await;
    assert_eq!(done.status, RunStatus::Succeeded, "{:?}", done.error);
    let ds = f.app.sandbox.as_ref().expect("sandbox").dataset();
    assert_matches_truth(&f.app, f.team, ds.today() - chrono::Duration::days(89), ds.today()).await;

    // The same API process serves again, without a restart.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while ready(api.ops.clone()).await != 200 {
        assert!(tokio::time::Instant::now() < deadline, "/readyz did not recover");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let res = http
        .get(format!(
            "{}/api/v1/teams/{}/metrics?since={}&until={}",
            api.ops,
            f.team,
            ds.today() - chrono::Duration::days(6),
            ds.today()
        ))
        .bearer_auth(token.expose())
        .send()
        .await
        .expect("metrics");
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap_or_default());
}
