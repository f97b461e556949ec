//! The only place with SQL. Two dialects, one set of queries: every statement is written
//! once in the subset PostgreSQL and SQLite share (`$n` placeholders, `ON CONFLICT`,
//! `RETURNING`, timestamps bound from Rust) and run on whichever pool is configured.
//! Schemas live in `migrations/{sqlite,postgres}` with native types on each side; the
//! test `schemas_match_across_dialects` keeps them in step.

pub mod api_tokens;
pub mod connections;
pub mod conversions;
mod copy_binary;
mod deadline;
pub mod deletion;
mod error;
pub mod events;
mod facts;
pub mod identities;
pub mod invites;
pub mod metrics;
pub mod migrations;
pub mod oauth_states;
pub mod objects;
pub mod page_writes;
pub mod password_resets;
pub mod queue;
pub mod scratch;
pub mod sessions;
pub mod sign_in_failures;
pub mod sign_in_states;
pub mod sync_runs;
pub mod syncs;
pub mod teams;
pub mod users;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

pub use error::{StorageError, StorageResult};

/// Runs `$body` with `$pool` bound to the concrete pool. The body is compiled once per
/// dialect, so a statement that does not type-check for both fails the build.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($pool) => $body,
            $crate::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_pool;

/// Opens a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: a deferred
/// transaction that reads first and writes later fails at once with `SQLITE_BUSY` (the busy
/// timeout does not apply) when another connection committed in between, which happens
/// whenever the worker writes pages while the API stores a connection.
pub(crate) trait BeginWrite {
    type Database: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<sqlx::Transaction<'static, Self::Database>, sqlx::Error>> + Send;
}

impl BeginWrite for SqlitePool {
    type Database = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for PgPool {
    type Database = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// A connection pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl Db {
    /// Connects (creating a SQLite file and its folder on first run) without migrating.
    pub async fn connect(url: &str) -> StorageResult<Self> {
        if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // 512 kB of page cache per connection rather than SQLite's 2 MB: the file is
                // local, so the OS cache serves a miss cheaply, and every connection's cache
                // counts in adsync's own memory (docs/benchmarks.md).
                .pragma("cache_size", "-512");
            if let Some(dir) = opts.get_filename().parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StorageError::Unavailable(format!("cannot create {}: {e}", dir.display())))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Sqlite(pool))
        } else {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Db::Postgres(pool))
        }
    }

    /// Connects and applies every pending migration.
    pub async fn connect_and_migrate(url: &str) -> StorageResult<Self> {
        let db = Self::connect(url).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Applies the embedded migrations of this dialect (idempotent; safe from many replicas:
    /// sqlx takes an advisory lock on PostgreSQL), then publishes the conversion lists.
    pub async fn migrate(&self) -> StorageResult<()> {
        let migrator = migrations::migrator(self.dialect());
        match self {
            Db::Sqlite(p) => migrator.run(p).await?,
            Db::Postgres(p) => migrator.run(p).await?,
        }
        conversions::publish(self).await
    }

    /// A cheap round trip, for readiness checks.
    pub async fn ping(&self) -> StorageResult<()> {
        on_pool!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ())?);
        Ok(())
    }

    pub fn dialect(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    pub async fn close(&self) {
        on_pool!(self, p => p.close().await)
    }
}

/// Current time truncated to microseconds, the precision both databases keep, so a value
/// read back compares equal to the value written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{SubsecRound, Utc};
    Utc::now().trunc_subsecs(6)
}
