//! Typed configuration, read once from the environment (and `.env`), validated at start.
//! A bad value fails with one line naming the variable; optional providers are `Option`s,
//! so "Facebook not configured" is a state the UI shows, not an error at request time.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::Secret;

pub mod providers;
mod sign_in;
mod values;
pub use providers::{DescribedProvider, ProviderDescription};
pub use sign_in::{OidcClient, SignInConfig};
use values::{Vars, check_database_url, parse_api_version};
pub use values::{load_dotenv, log_filter};

#[derive(Debug, thiserror::Error)]
#[error("{variable}: {message}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub message: String,
}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        variable,
        message: message.into(),
    }
}

/// Where data lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseKind {
    Sqlite,
    Postgres,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// The Facebook app adsync connects through (defined beside the Graph client that uses it).
pub use adsync_graph::FacebookApp;

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: Secret<String>,
    pub redis_url: Option<Secret<String>>,
    pub listen: SocketAddr,
    pub public_url: Url,
    pub encryption_key: Option<Secret<String>>,
    pub encryption_keys_old: Vec<Secret<String>>,
    pub facebook: Option<FacebookApp>,
    pub worker_concurrency: usize,
    pub lookback_days: u32,
    pub sync_interval: Duration,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// Prefix of every queue key, so deployments (and tests) can share one Redis.
    pub queue_namespace: String,
    /// How long a worker's claim on a run lasts without a heartbeat; a run whose worker
    /// died is resumed elsewhere after this long.
    pub run_lease: Duration,
    /// Where a worker-only process (`adsync work`) serves /healthz, /readyz and /metrics;
    /// `None`: it serves nothing (processes with the API serve them on `listen`).
    pub worker_listen: Option<SocketAddr>,
    /// Label per-team and per-ad-account gauges with their ids. Off by default: ids are
    /// unbounded label values, which a Prometheus server with many teams would pay for.
    pub metrics_id_labels: bool,
    /// Take the client's address from the last `X-Forwarded-For` entry
    /// (`ADSYNC_TRUST_FORWARDED_FOR`): only behind a reverse proxy that sets it, or clients
    /// could pick their own address and dodge the sign-in limit.
    pub trust_forwarded_for: bool,
    /// Rows a paged insights chunk aims at (`ADSYNC_SYNC_CHUNK_ROWS`): fewer mean more calls
    /// and less redone after a crash.
    pub sync_chunk_rows: u32,
    /// Graph API calls per second per ad account from one worker process
    /// (`ADSYNC_GRAPH_CALLS_PER_SECOND`): the pace inside a process; Meta's usage headers
    /// steer below it.
    pub graph_calls_per_second: u32,
    /// What one client may hold of the API.
    pub http: HttpLimits,
    /// Where invitations and password-reset links are e-mailed from; `None`: adsync sends
    /// no e-mail (an owner passes an invitation link on, an admin issues reset links).
    pub mail: Option<MailConfig>,
    /// The identity providers users may sign in with.
    pub sign_in: SignInConfig,
    /// Ad platforms described by data whose credentials are set (`ADSYNC_PROVIDERS_FILE`).
    pub providers: Vec<DescribedProvider>,
}

/// An SMTP server to send through (`ADSYNC_SMTP_URL`) and the sender (`ADSYNC_MAIL_FROM`).
#[derive(Clone, Debug)]
pub struct MailConfig {
    /// `smtps://user:password@host` (TLS from the start), `smtp://user:password@host:587?tls=required`
    /// (STARTTLS), or `smtp://host:port` (no encryption: a relay on the same host or
    /// network). It may carry a password, so it is kept as a secret.
    pub smtp_url: Secret<String>,
    /// `adsync <adsync@example.com>` or a bare address.
    pub from: String,
}

/// What one client may hold of the API: slow clients are cut off, heavy queries bounded
/// (docs/operations.md, "Protections").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpLimits {
    /// A request's headers must arrive within this, or the connection is closed
    /// (`ADSYNC_HTTP_HEADER_TIMEOUT`).
    pub header_timeout: Duration,
    /// A request must be read and answered within this, or it gets 408
    /// (`ADSYNC_HTTP_REQUEST_TIMEOUT`).
    pub request_timeout: Duration,
    /// Connections served at once; more wait in the listen backlog (`ADSYNC_HTTP_MAX_CONNECTIONS`).
    pub max_connections: usize,
    /// How long one metrics query may run before it is cancelled with a 503
    /// (`ADSYNC_METRICS_QUERY_TIMEOUT`).
    pub metrics_query_timeout: Duration,
    /// Metrics queries of one team running at once in one API process; more get 429
    /// (`ADSYNC_METRICS_QUERIES_PER_TEAM`).
    pub metrics_queries_per_team: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            max_connections: 1024,
            metrics_query_timeout: Duration::from_secs(10),
            metrics_queries_per_team: 4,
        }
    }
}

impl HttpLimits {
    fn from_vars(vars: &Vars) -> Result<Self, ConfigError> {
        let d = HttpLimits::default();
        let (second, hour) = (Duration::from_millis(100), Duration::from_secs(3600));
        let request_timeout = vars.duration("ADSYNC_HTTP_REQUEST_TIMEOUT", d.request_timeout, second..=hour, "30s")?;
        let metrics_query_timeout = vars.duration(
            "ADSYNC_METRICS_QUERY_TIMEOUT",
            d.metrics_query_timeout,
            second..=hour,
            "10s",
        )?;
        if metrics_query_timeout >= request_timeout {
            return Err(invalid(
                "ADSYNC_METRICS_QUERY_TIMEOUT",
                "must be shorter than ADSYNC_HTTP_REQUEST_TIMEOUT, so a slow query answers 503, not 408",
            ));
        }
        Ok(HttpLimits {
            header_timeout: vars.duration("ADSYNC_HTTP_HEADER_TIMEOUT", d.header_timeout, second..=hour, "10s")?,
            request_timeout,
            max_connections: vars.num("ADSYNC_HTTP_MAX_CONNECTIONS", d.max_connections as u64, 1..=1_000_000)? as usize,
            metrics_query_timeout,
            metrics_queries_per_team: vars.num(
                "ADSYNC_METRICS_QUERIES_PER_TEAM",
                d.metrics_queries_per_team as u64,
                1..=1_000,
            )? as usize,
        })
    }
}

/// 16 pages of 500 rows, less 10 % so a denser stretch of days rarely spills onto one more
/// call.
pub const DEFAULT_SYNC_CHUNK_ROWS: u32 = 16 * 500 * 9 / 10;

/// Real insights calls take hundreds of milliseconds, so 4 chunks in flight rarely reach this;
/// it caps bursts (a fast API, retries) before Meta's usage headers have a say.
pub const DEFAULT_GRAPH_CALLS_PER_SECOND: u32 = 20;

impl Config {
    /// Reads `.env` (if present; real environment variables win), then the environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        load_dotenv()?;
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let vars = Vars(&var);

        let database_url = var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/adsync.db".into());
        check_database_url(&database_url)?;
        let redis_url = var("REDIS_URL");
        if let Some(r) = &redis_url
            && !(r.starts_with("redis://") || r.starts_with("rediss://"))
        {
            return Err(invalid("REDIS_URL", "must start with redis:// or rediss://"));
        }
        let listen = var("ADSYNC_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:8080".into())
            .parse()
            .map_err(|_| invalid("ADSYNC_LISTEN", "expected host:port, e.g. 127.0.0.1:8080"))?;
        let public_url = vars.url("ADSYNC_PUBLIC_URL", "http://127.0.0.1:8080")?;

        let encryption_key = var("ADSYNC_ENCRYPTION_KEY").map(Secret::new);
        let encryption_keys_old: Vec<Secret<String>> = var("ADSYNC_ENCRYPTION_KEYS_OLD")
            .map(|s| {
                s.split(',')
                    .map(|k| Secret::new(k.trim().to_string()))
                    .filter(|k| !k.expose().is_empty())
                    .collect()
            })
            .unwrap_or_default();
        // Validate keys now so a typo fails at start, not at the first token write.
        if let Some(k) = &encryption_key {
            crate::crypto::Keyring::new(k.expose(), &[])
                .map_err(|e| invalid("ADSYNC_ENCRYPTION_KEY", e.to_string()))?;
            let old: Vec<&str> = encryption_keys_old.iter().map(|k| k.expose().as_str()).collect();
            crate::crypto::Keyring::new(k.expose(), &old)
                .map_err(|e| invalid("ADSYNC_ENCRYPTION_KEYS_OLD", e.to_string()))?;
        } else if !encryption_keys_old.is_empty() {
            return Err(invalid(
                "ADSYNC_ENCRYPTION_KEY",
                "must be set when ADSYNC_ENCRYPTION_KEYS_OLD is",
            ));
        }

        // Checked even without an app: a typo should not wait until someone configures one.
        let graph_url = vars.url("FACEBOOK_GRAPH_URL", "https://graph.facebook.com")?;
        let dialog_url = vars.url("FACEBOOK_DIALOG_URL", "https://www.facebook.com")?;
        let api_version = parse_api_version(var("FACEBOOK_API_VERSION"))?;
        let facebook_urls = FacebookApp {
            app_id: String::new(),
            app_secret: Secret::new(String::new()),
            graph_url,
            dialog_url,
            api_version,
        };
        let sign_in = SignInConfig::load(&vars, &facebook_urls)?;
        let facebook = vars
            .pair("FACEBOOK_APP_ID", "FACEBOOK_APP_SECRET")?
            .map(|(app_id, secret)| FacebookApp {
                app_id,
                app_secret: Secret::new(secret),
                ..facebook_urls
            });

        let worker_concurrency = vars.num("ADSYNC_WORKER_CONCURRENCY", 4, 1..=256)?;
        let sync_chunk_rows = vars.num(
            "ADSYNC_SYNC_CHUNK_ROWS",
            u64::from(DEFAULT_SYNC_CHUNK_ROWS),
            1..=1_000_000,
        )?;
        let graph_calls_per_second = vars.num(
            "ADSYNC_GRAPH_CALLS_PER_SECOND",
            u64::from(DEFAULT_GRAPH_CALLS_PER_SECOND),
            1..=10_000,
        )?;
        let lookback_days = vars.num("ADSYNC_LOOKBACK_DAYS", 28, 0..=1128)?;
        let sync_interval = vars.duration(
            "ADSYNC_SYNC_INTERVAL",
            Duration::from_secs(3600),
            Duration::from_secs(60)..=Duration::from_secs(366 * 24 * 3600),
            "30m or 1h",
        )?;
        let run_lease = vars.duration(
            "ADSYNC_RUN_LEASE",
            Duration::from_secs(60),
            Duration::from_secs(2)..=Duration::from_secs(3600),
            "60s",
        )?;
        let http = HttpLimits::from_vars(&vars)?;
        let worker_listen = var("ADSYNC_WORKER_LISTEN")
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| invalid("ADSYNC_WORKER_LISTEN", "expected host:port, e.g. 0.0.0.0:9090"))?;
        let flag = |name: &'static str| match var(name).as_deref() {
            None | Some("false") => Ok(false),
            Some("true") => Ok(true),
            Some(_) => Err(invalid(name, "expected true or false")),
        };
        let metrics_id_labels = flag("ADSYNC_METRICS_ID_LABELS")?;
        let trust_forwarded_for = flag("ADSYNC_TRUST_FORWARDED_FOR")?;
        let mail = match var("ADSYNC_SMTP_URL") {
            None => None,
            Some(url) if url.starts_with("smtp://") || url.starts_with("smtps://") => Some(MailConfig {
                smtp_url: Secret::new(url),
                from: var("ADSYNC_MAIL_FROM")
                    .unwrap_or_else(|| format!("adsync <adsync@{}>", public_url.host_str().unwrap_or("localhost"))),
            }),
            Some(_) => return Err(invalid("ADSYNC_SMTP_URL", "must start with smtp:// or smtps://")),
        };
        if mail.as_ref().is_some_and(|m| !m.from.contains('@')) {
            return Err(invalid(
                "ADSYNC_MAIL_FROM",
                "expected an address such as adsync <adsync@example.com>",
            ));
        }
        let log_format = match var("ADSYNC_LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(_) => return Err(invalid("ADSYNC_LOG_FORMAT", "expected pretty or json")),
        };

        Ok(Self {
            database_url: Secret::new(database_url),
            redis_url: redis_url.map(Secret::new),
            listen,
            public_url,
            encryption_key,
            encryption_keys_old,
            facebook,
            worker_concurrency: worker_concurrency as usize,
            lookback_days: lookback_days as u32,
            sync_interval,
            log_filter: log_filter(var("RUST_LOG"), "info")?,
            log_format,
            queue_namespace: var("ADSYNC_QUEUE_NAMESPACE").unwrap_or_else(|| "adsync".into()),
            run_lease,
            worker_listen,
            metrics_id_labels,
            trust_forwarded_for,
            sync_chunk_rows: sync_chunk_rows as u32,
            graph_calls_per_second: graph_calls_per_second as u32,
            http,
            mail,
            sign_in,
            providers: providers::load(&var)?,
        })
    }

    pub fn database_kind(&self) -> DatabaseKind {
        if self.database_url.expose().starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else {
            DatabaseKind::Postgres
        }
    }

    /// The queue of a process that runs or feeds workers: Redis, or the embedded one in the
    /// SQLite file. PostgreSQL without Redis has neither, so commands that need the queue
    /// refuse it as a configuration error (commands that do not, like `migrate`, run).
    pub fn require_queue(&self) -> Result<(), ConfigError> {
        if self.redis_url.is_none() && self.database_kind() == DatabaseKind::Postgres {
            return Err(invalid(
                "REDIS_URL",
                "required when DATABASE_URL is PostgreSQL (the embedded queue lives in SQLite)",
            ));
        }
        Ok(())
    }

    /// The configured keyring, or an error naming the variable when tokens must be handled.
    pub fn keyring(&self) -> Result<crate::crypto::Keyring, ConfigError> {
        let key = self.encryption_key.as_ref().ok_or_else(|| {
            invalid(
                "ADSYNC_ENCRYPTION_KEY",
                "is required (base64 of 32 random bytes, e.g. `openssl rand -base64 32`)",
            )
        })?;
        let old: Vec<&str> = self.encryption_keys_old.iter().map(|k| k.expose().as_str()).collect();
        crate::crypto::Keyring::new(key.expose(), &old).map_err(|e| invalid("ADSYNC_ENCRYPTION_KEY", e.to_string()))
    }

    /// Session cookies get `Secure` when the public URL is https.
    /// The SQLite file `DATABASE_URL` names, if it names one (not PostgreSQL, not in memory).
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        use std::str::FromStr;
        let url = self.database_url.expose();
        if !url.starts_with("sqlite:") || url.contains("mode=memory") {
            return None;
        }
        let opts = sqlx::sqlite::SqliteConnectOptions::from_str(url).ok()?;
        Some(opts.get_filename().to_path_buf())
    }

    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests;
