//! Configuration from a given environment: every variable's checks and defaults.

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
    assert_eq!(c.http, HttpLimits::default());
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
fn sign_in_providers_are_offered_only_with_their_credentials() {
    let none = load(&[]).expect("defaults");
    assert!(!none.sign_in.any());
    let c = load(&[
        ("GOOGLE_CLIENT_ID", "c.apps.googleusercontent.com"),
        ("GOOGLE_CLIENT_SECRET", "gs"),
        ("FACEBOOK_LOGIN_APP_ID", "7"),
        ("FACEBOOK_LOGIN_APP_SECRET", "fs"),
        ("FACEBOOK_GRAPH_URL", "http://127.0.0.1:9/graph"),
    ])
    .expect("both");
    let google = c.sign_in.google.expect("google");
    assert_eq!(google.issuer.as_str(), "https://accounts.google.com/");
    assert!(!format!("{:?}", google.client_secret).contains("gs"));
    let fb = c.sign_in.facebook.expect("facebook login");
    assert_eq!(
        (fb.app_id.as_str(), fb.graph_url.as_str()),
        ("7", "http://127.0.0.1:9/graph")
    );
    assert!(c.facebook.is_none(), "signing in with Facebook does not connect ads");
    assert_eq!(
        load(&[("GOOGLE_CLIENT_SECRET", "gs")]).err().map(|e| e.variable),
        Some("GOOGLE_CLIENT_ID")
    );
    assert_eq!(
        load(&[
            ("GOOGLE_CLIENT_ID", "c"),
            ("GOOGLE_CLIENT_SECRET", "s"),
            ("GOOGLE_ISSUER_URL", "accounts.google.com")
        ])
        .err()
        .map(|e| e.variable),
        Some("GOOGLE_ISSUER_URL")
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
        ("ADSYNC_RUN_LEASE", "forever"),
        ("ADSYNC_RUN_LEASE", "1s"),
        ("ADSYNC_WORKER_LISTEN", "9090"),
        ("ADSYNC_METRICS_ID_LABELS", "yes"),
        ("ADSYNC_HTTP_HEADER_TIMEOUT", "never"),
        ("ADSYNC_HTTP_REQUEST_TIMEOUT", "2h"),
        ("ADSYNC_HTTP_MAX_CONNECTIONS", "0"),
        ("ADSYNC_METRICS_QUERIES_PER_TEAM", "0"),
        // Not shorter than the request timeout (60 s by default).
        ("ADSYNC_METRICS_QUERY_TIMEOUT", "60s"),
        // Without an app id or secret: checked all the same.
        ("FACEBOOK_GRAPH_URL", "graph.facebook.com"),
        ("FACEBOOK_DIALOG_URL", "ftp://www.facebook.com"),
        ("FACEBOOK_API_VERSION", "25"),
        ("RUST_LOG", "info,adsync=loudest"),
        ("DATABASE_URL", "postgres://user@db:port/adsync"),
        ("DATABASE_URL", "postgres://[::1/adsync"),
        ("DATABASE_URL", "sqlite://"),
        ("DATABASE_URL", "sqlite://data/adsync.db?mode=sideways"),
    ];
    for (k, v) in cases {
        let err = load(&[(k, v)]).expect_err(k);
        assert_eq!(err.variable, *k, "{k}={v}: {err}");
        assert!(!err.to_string().contains('\n'), "one line: {err}");
    }
    // Old keys: one that is not a key names them; without a current key, that one.
    let key = crate::crypto::Keyring::generate_key();
    let bad_old = [
        ("ADSYNC_ENCRYPTION_KEY", key.as_str()),
        ("ADSYNC_ENCRYPTION_KEYS_OLD", "c2hvcnQ="),
    ];
    assert_eq!(
        load(&bad_old).err().map(|e| e.variable),
        Some("ADSYNC_ENCRYPTION_KEYS_OLD")
    );
    assert_eq!(
        load(&[("ADSYNC_ENCRYPTION_KEYS_OLD", &key)]).err().map(|e| e.variable),
        Some("ADSYNC_ENCRYPTION_KEY")
    );
}

#[test]
fn database_url_errors_do_not_repeat_the_password() {
    let err = load(&[("DATABASE_URL", "postgres://u:hunter2@db:port/x")]).expect_err("port");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn good_database_urls_and_log_filters_pass() {
    for url in [
        "sqlite://data/adsync.db",
        "sqlite:adsync.db",
        "sqlite::memory:",
        "postgres://postgres@127.0.0.1:5432/adsync?sslmode=disable",
        "postgresql:///adsync",
    ] {
        load(&[("DATABASE_URL", url)]).expect(url);
    }
    for filter in ["debug", "warn,adsync=debug,sqlx=error", "adsync_worker[run]=trace"] {
        assert_eq!(load(&[("RUST_LOG", filter)]).expect(filter).log_filter, filter);
    }
}

#[test]
fn postgres_needs_redis_for_the_queue() {
    let pg = "postgres://postgres@127.0.0.1/adsync";
    let err = load(&[("DATABASE_URL", pg)])
        .expect("loads")
        .require_queue()
        .expect_err("no queue");
    assert_eq!(err.variable, "REDIS_URL");
    load(&[("DATABASE_URL", pg), ("REDIS_URL", "redis://127.0.0.1")])
        .expect("loads")
        .require_queue()
        .expect("Redis queue");
    load(&[]).expect("loads").require_queue().expect("SQLite queue");
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
