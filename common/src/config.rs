//! Typed configuration, read once from the environment (and `.env`), validated at start.
//! A bad value fails with one line naming the variable; optional providers are `Option`s,
//! so "Facebook not configured" is a state the UI shows, not an error at request time.

use std::net::SocketAddr;
use std::time::Duration;

use url::Url;

use crate::Secret;

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

/// The Facebook app adsync connects through.
#[derive(Clone, Debug)]
pub struct FacebookApp {
    pub app_id: String,
    pub app_secret: Secret<String>,
    pub graph_url: Url,
    pub dialog_url: Url,
    pub api_version: String,
}

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
    /// Rows a paged insights chunk aims at (`ADSYNC_SYNC_CHUNK_ROWS`): fewer mean more calls
    /// and less redone after a crash.
    pub sync_chunk_rows: u32,
    /// Graph API calls per second per ad account from one worker process
    /// (`ADSYNC_GRAPH_CALLS_PER_SECOND`): the pace inside a process; Meta's usage headers
    /// steer below it.
    pub graph_calls_per_second: u32,
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
        load_dotenv();
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds the configuration from any key lookup (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |k: &str| get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());

        let database_url = var("DATABASE_URL").unwrap_or_else(|| "sqlite://data/adsync.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(invalid("DATABASE_URL", "must start with sqlite:// or postgres://"));
        }
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
        let public_url = parse_url("ADSYNC_PUBLIC_URL", var("ADSYNC_PUBLIC_URL"), "http://127.0.0.1:8080")?;

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
            let old: Vec<&str> = encryption_keys_old.iter().map(|k| k.expose().as_str()).collect();
            crate::crypto::Keyring::new(k.expose(), &old)
                .map_err(|e| invalid("ADSYNC_ENCRYPTION_KEY", format!("{e} (or ADSYNC_ENCRYPTION_KEYS_OLD)")))?;
        } else if !encryption_keys_old.is_empty() {
            return Err(invalid(
                "ADSYNC_ENCRYPTION_KEY",
                "must be set when ADSYNC_ENCRYPTION_KEYS_OLD is",
            ));
        }

        let facebook = match (var("FACEBOOK_APP_ID"), var("FACEBOOK_APP_SECRET")) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(invalid("FACEBOOK_APP_SECRET", "must be set when FACEBOOK_APP_ID is"));
            }
            (None, Some(_)) => {
                return Err(invalid("FACEBOOK_APP_ID", "must be set when FACEBOOK_APP_SECRET is"));
            }
            (Some(app_id), Some(secret)) => Some(FacebookApp {
                app_id,
                app_secret: Secret::new(secret),
                graph_url: parse_url(
                    "FACEBOOK_GRAPH_URL",
                    var("FACEBOOK_GRAPH_URL"),
                    "https://graph.facebook.com",
                )?,
                dialog_url: parse_url(
                    "FACEBOOK_DIALOG_URL",
                    var("FACEBOOK_DIALOG_URL"),
                    "https://www.facebook.com",
                )?,
                api_version: parse_api_version(var("FACEBOOK_API_VERSION"))?,
            }),
        };

        let worker_concurrency = parse_num(
            "ADSYNC_WORKER_CONCURRENCY",
            var("ADSYNC_WORKER_CONCURRENCY"),
            4,
            1..=256,
        )?;
        let sync_chunk_rows = parse_num(
            "ADSYNC_SYNC_CHUNK_ROWS",
            var("ADSYNC_SYNC_CHUNK_ROWS"),
            u64::from(DEFAULT_SYNC_CHUNK_ROWS),
            1..=1_000_000,
        )?;
        let graph_calls_per_second = parse_num(
            "ADSYNC_GRAPH_CALLS_PER_SECOND",
            var("ADSYNC_GRAPH_CALLS_PER_SECOND"),
            u64::from(DEFAULT_GRAPH_CALLS_PER_SECOND),
            1..=10_000,
        )?;
        let lookback_days = parse_num("ADSYNC_LOOKBACK_DAYS", var("ADSYNC_LOOKBACK_DAYS"), 28, 0..=1128)?;
        let sync_interval = match var("ADSYNC_SYNC_INTERVAL") {
            None => Duration::from_secs(3600),
            Some(s) => humantime::parse_duration(&s)
                .ok()
                .filter(|d| *d >= Duration::from_secs(60))
                .ok_or_else(|| {
                    invalid(
                        "ADSYNC_SYNC_INTERVAL",
                        "expected a duration of at least 1m, e.g. 30m or 1h",
                    )
                })?,
        };
        let run_lease = match var("ADSYNC_RUN_LEASE") {
            None => Duration::from_secs(60),
            Some(s) => humantime::parse_duration(&s)
                .ok()
                .filter(|d| (Duration::from_secs(2)..=Duration::from_secs(3600)).contains(d))
                .ok_or_else(|| invalid("ADSYNC_RUN_LEASE", "expected a duration between 2s and 1h, e.g. 60s"))?,
        };
        let worker_listen = var("ADSYNC_WORKER_LISTEN")
            .map(|s| s.parse())
            .transpose()
            .map_err(|_| invalid("ADSYNC_WORKER_LISTEN", "expected host:port, e.g. 0.0.0.0:9090"))?;
        let metrics_id_labels = match var("ADSYNC_METRICS_ID_LABELS").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(invalid("ADSYNC_METRICS_ID_LABELS", "expected true or false")),
        };
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
            log_filter: var("RUST_LOG").unwrap_or_else(|| "info".into()),
            log_format,
            queue_namespace: var("ADSYNC_QUEUE_NAMESPACE").unwrap_or_else(|| "adsync".into()),
            run_lease,
            worker_listen,
            metrics_id_labels,
            sync_chunk_rows: sync_chunk_rows as u32,
            graph_calls_per_second: graph_calls_per_second as u32,
        })
    }

    pub fn database_kind(&self) -> DatabaseKind {
        if self.database_url.expose().starts_with("sqlite:") {
            DatabaseKind::Sqlite
        } else {
            DatabaseKind::Postgres
        }
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
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

/// Loads `.env` from the working directory into the environment, if there is one.
/// Variables already set win over the file.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

fn parse_url(variable: &'static str, value: Option<String>, default: &str) -> Result<Url, ConfigError> {
    let raw = value.unwrap_or_else(|| default.to_string());
    let url = Url::parse(&raw).map_err(|e| invalid(variable, format!("not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(invalid(variable, "expected an http(s) URL with a host"));
    }
    Ok(url)
}

fn parse_api_version(value: Option<String>) -> Result<String, ConfigError> {
    let v = value.unwrap_or_else(|| "v25.0".into());
    let ok = v.strip_prefix('v').is_some_and(|rest| {
        let mut it = rest.split('.');
        matches!((it.next(), it.next(), it.next()), (Some(a), Some(b), None)
            if !a.is_empty() && !b.is_empty() && a.chars().chain(b.chars()).all(|c| c.is_ascii_digit()))
    });
    if ok {
        Ok(v)
    } else {
        Err(invalid("FACEBOOK_API_VERSION", "expected a version like v25.0"))
    }
}

fn parse_num(
    variable: &'static str,
    value: Option<String>,
    default: u64,
    range: std::ops::RangeInclusive<u64>,
) -> Result<u64, ConfigError> {
    let n = match value {
        None => default,
        Some(s) => s
            .parse()
            .map_err(|_| invalid(variable, format!("expected a whole number, got {s:?}")))?,
    };
    if range.contains(&n) {
        Ok(n)
    } else {
        Err(invalid(
            variable,
            format!("must be between {} and {}", range.start(), range.end()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_contract() {
        let c = load(&[]).expect("defaults");
        assert_eq!(c.database_url.expose(), "sqlite://data/adsync.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.public_url.as_str(), "http://127.0.0.1:8080/");
        assert!(c.facebook.is_none() && c.redis_url.is_none() && c.encryption_key.is_none());
        assert_eq!((c.worker_concurrency, c.lookback_days), (4, 28));
        assert_eq!(c.sync_interval, Duration::from_secs(3600));
        assert_eq!(c.log_format, LogFormat::Pretty);
        assert!(!c.secure_cookies());
    }

    #[test]
    fn facebook_is_configured_only_with_both_values() {
        let c = load(&[("FACEBOOK_APP_ID", "1"), ("FACEBOOK_APP_SECRET", "s")]).expect("fb");
        let fb = c.facebook.expect("configured");
        assert_eq!(fb.api_version, "v25.0");
        assert_eq!(fb.graph_url.as_str(), "https://graph.facebook.com/");
        assert!(!format!("{:?}", fb.app_secret).contains('s'));
        assert_eq!(
            load(&[("FACEBOOK_APP_ID", "1")]).err().map(|e| e.variable),
            Some("FACEBOOK_APP_SECRET")
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        let cases: &[(&str, &str)] = &[
            ("DATABASE_URL", "mysql://x"),
            ("REDIS_URL", "localhost:6379"),
            ("ADSYNC_LISTEN", "8080"),
            ("ADSYNC_PUBLIC_URL", "not a url"),
            ("ADSYNC_ENCRYPTION_KEY", "c2hvcnQ="),
            ("ADSYNC_WORKER_CONCURRENCY", "0"),
            ("ADSYNC_LOOKBACK_DAYS", "-1"),
            ("ADSYNC_SYNC_INTERVAL", "soon"),
            ("ADSYNC_SYNC_CHUNK_ROWS", "0"),
            ("ADSYNC_GRAPH_CALLS_PER_SECOND", "0"),
            ("ADSYNC_LOG_FORMAT", "xml"),
        ];
        for (k, v) in cases {
            let err = load(&[(k, v)]).expect_err(k);
            assert_eq!(err.variable, *k, "{err}");
        }
        let err = load(&[
            ("FACEBOOK_APP_ID", "1"),
            ("FACEBOOK_APP_SECRET", "s"),
            ("FACEBOOK_API_VERSION", "25"),
        ])
        .expect_err("version");
        assert_eq!(err.variable, "FACEBOOK_API_VERSION");
    }

    #[test]
    fn keyring_requires_a_key() {
        assert_eq!(
            load(&[]).expect("cfg").keyring().err().map(|e| e.variable),
            Some("ADSYNC_ENCRYPTION_KEY")
        );
        let key = crate::crypto::Keyring::generate_key();
        let c = load(&[
            ("ADSYNC_ENCRYPTION_KEY", &key),
            ("ADSYNC_PUBLIC_URL", "https://ads.example.com"),
        ])
        .expect("cfg");
        assert!(c.keyring().is_ok());
        assert!(c.secure_cookies());
    }
}
