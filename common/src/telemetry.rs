//! Logging set up once per process: `RUST_LOG` filter, pretty or JSON lines.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

/// Installs the global subscriber. Safe to call twice (the second call is ignored), so
/// tests and `adsync all` can share a process. `filter` comes checked from
/// [`crate::config::log_filter`]; were it not, logging at `info` beats not logging.
pub fn init(filter: &str, format: LogFormat) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Colour only on a terminal: log files and collectors get plain text.
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}

/// Whether this process's worker is taking jobs, for `/readyz`. Clones share the flag.
#[derive(Clone, Debug, Default)]
pub struct WorkerReadiness(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl WorkerReadiness {
    pub fn set_taking_jobs(&self, on: bool) {
        self.0.store(on, std::sync::atomic::Ordering::SeqCst);
    }

    pub fn is_taking_jobs(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// Histogram buckets (seconds) for every `*_seconds` histogram: HTTP latency and rate waits.
const SECONDS_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];
/// Buckets (seconds) for whole sync runs: from a quick incremental to a 37-month backfill.
const RUN_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0,
];
/// Buckets for `*_ratio` histograms (usage-header utilisation; Meta blocks at 1.0).
const RATIO_BUCKETS: &[f64] = &[0.1, 0.25, 0.5, 0.75, 0.9, 1.0];
/// How often histogram samples are folded into their buckets between scrapes.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

static PROMETHEUS: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> = std::sync::OnceLock::new();

/// The process's Prometheus recorder, installed on first use. Idempotent: every caller (each
/// API router built in a test process, the worker, `adsync all`) shares one recorder.
///
/// If some other recorder was installed first, the handle still renders (empty) text rather
/// than failing a request.
pub fn prometheus() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    PROMETHEUS.get_or_init(|| {
        use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| b.set_buckets_for_metric(Matcher::Suffix("_ratio".into()), RATIO_BUCKETS))
            // A full name is matched before any suffix.
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full("adsync_run_duration_seconds".into()), RUN_BUCKETS))
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; /metrics will not see adsync's metrics");
        }
        describe();
        process_collector().describe();
        metrics::gauge!("adsync_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
        // Histogram samples are only folded into buckets on upkeep: keep memory flat in
        // processes that are never scraped.
        let upkeep = handle.clone();
        let _ = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        handle
    })
}

/// The process's own figures (`process_cpu_seconds_total`, `process_resident_memory_bytes`,
/// `process_open_fds`, `process_threads`, ...), read at each scrape.
fn process_collector() -> &'static metrics_process::Collector {
    static COLLECTOR: std::sync::OnceLock<metrics_process::Collector> = std::sync::OnceLock::new();
    COLLECTOR.get_or_init(metrics_process::Collector::default)
}

/// Prometheus text exposition of every metric recorded so far, with the process's figures
/// as of now.
pub fn render_metrics() -> String {
    let handle = prometheus();
    process_collector().collect();
    handle.run_upkeep();
    handle.render()
}

/// HELP lines for the metrics adsync records.
fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        "adsync_http_requests_total",
        "HTTP requests by method, matched route and status."
    );
    describe_histogram!(
        "adsync_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP request latency by method and matched route."
    );
    describe_counter!("adsync_jobs_started_total", "Sync runs claimed by a worker, by kind.");
    describe_gauge!(
        "adsync_build_info",
        "Always 1; the version label says which adsync this process runs."
    );
    describe_gauge!(
        "adsync_sync_runs",
        "Sync runs waiting (status=queued) and under way (status=running) across all teams, read from the database at each scrape."
    );
    describe_histogram!(
        "adsync_run_duration_seconds",
        Unit::Seconds,
        "Wall-clock time of ended sync runs from their start, by kind and status."
    );
    describe_counter!(
        "adsync_jobs_finished_total",
        "Sync runs ended by a worker, by kind and status (succeeded or failed)."
    );
    describe_counter!(
        "adsync_graph_calls_total",
        "Graph API calls by endpoint and outcome (ok, a Graph error code, or transport)."
    );
    describe_histogram!(
        "adsync_rate_wait_seconds",
        Unit::Seconds,
        "Time a Graph API call waited for the rate budget before it was made."
    );
    describe_counter!(
        "adsync_rate_pauses_total",
        "Pauses of an ad account's calls for the rate budget (high utilisation or a throttle)."
    );
    describe_counter!("adsync_rows_written_total", "Insights rows upserted by sync runs.");
    describe_counter!(
        "adsync_jobs_retried_total",
        "Sync runs resumed by a worker after an earlier attempt stopped (crash, shutdown, lost lease), by kind."
    );
    describe_counter!(
        "adsync_worker_restarts_total",
        "Times a worker's job consumer failed (e.g. its queue's Redis restarted) and was started again."
    );
    describe_counter!(
        "adsync_graph_retries_total",
        "Graph API calls repeated after a transient error or a throttle, by reason."
    );
    describe_histogram!(
        "adsync_graph_usage_ratio",
        "Highest usage-header utilisation (0..1) reported by each Graph API response."
    );
    describe_gauge!(
        "adsync_graph_usage_percent",
        "Latest usage-header utilisation per ad account (only with ADSYNC_METRICS_ID_LABELS=true)."
    );
    describe_gauge!(
        "adsync_sync_lag_days_max",
        "Days the stalest connected team's newest synced day trails its ad accounts' local today."
    );
    describe_gauge!(
        "adsync_sync_lag_days",
        "Sync lag per team in days (only with ADSYNC_METRICS_ID_LABELS=true)."
    );
    describe_gauge!(
        "adsync_ad_accounts_never_synced",
        "Active ad accounts of connected teams with no synced day yet."
    );
}
