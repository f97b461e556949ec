//! The services a test uses: a throwaway database of either kind, and a Redis key prefix of
//! its own, both removed when the test ends.

use adsync_storage::scratch::ScratchPostgres;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file, SQLite queue (the embedded default).
    Sqlite,
    /// PostgreSQL storage, Redis queue (the scaled-out deployment).
    Postgres,
}

fn postgres_admin_url() -> String {
    std::env::var("ADSYNC_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn redis_url() -> String {
    std::env::var("ADSYNC_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub fn unique(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// A database that exists for one test and is removed afterwards.
pub struct TestDatabase {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Dir(#[allow(dead_code)] tempfile::TempDir),
    Postgres(ScratchPostgres),
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("adsync.db").display());
                Self {
                    url,
                    cleanup: Cleanup::Dir(dir),
                }
            }
            Backend::Postgres => {
                let db = ScratchPostgres::create(&postgres_admin_url(), &unique("adsync_test"))
                    .await
                    .expect("PostgreSQL reachable (ADSYNC_TEST_POSTGRES_URL)");
                Self {
                    url: db.url.clone(),
                    cleanup: Cleanup::Postgres(db),
                }
            }
        }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Postgres(db) = &self.cleanup {
            on_own_runtime(db.drop_database());
        }
    }
}

/// Runs `work` to its end on a runtime of its own: `Drop` may run inside a runtime, which
/// must not be blocked.
fn on_own_runtime<F: std::future::Future + Send>(work: F) {
    std::thread::scope(|s| {
        s.spawn(|| {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(work);
            }
        });
    });
}

/// Deletes every Redis key of a test's queue namespace.
pub(super) struct RedisNamespace(pub(super) String);

impl Drop for RedisNamespace {
    fn drop(&mut self) {
        let pattern = format!("{}:*", self.0);
        on_own_runtime(async {
            let Ok(client) = redis::Client::open(redis_url()) else {
                return;
            };
            let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
                return;
            };
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(&pattern)
                .query_async(&mut conn)
                .await
                .unwrap_or_default();
            if !keys.is_empty() {
                let _: Result<(), _> = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await;
            }
        });
    }
}
