//! Jobs and the queue that carries them. The queue is transport only: a job names a row
//! (a sync run) whose state lives in the database, so a lost or repeated job is harmless.
//!
//! Backends: the apalis SQLite storage in the same database file when `REDIS_URL` is unset,
//! apalis Redis when it is set (required for PostgreSQL, where workers are other processes).

use apalis::prelude::TaskSink;
use apalis_redis::RedisStorage;
use apalis_sqlite::SqliteStorage;
use serde::{Deserialize, Serialize};

use crate::Db;
use adsync_common::ids::RunId;

/// A versioned job payload. New shapes get a new variant; old ones keep deserialising
/// while jobs of the previous version may still sit in a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "job")]
pub enum Job {
    /// Execute (or resume) the sync run with this id.
    #[serde(rename = "sync_run/v1")]
    SyncRunV1 { run_id: RunId },
}

/// Runs `$body` with `$storage` bound to the queue's concrete storage. The body is compiled
/// once per backend: apalis' bounds differ between them, so a generic function would repeat
/// them all.
#[macro_export]
macro_rules! on_queue {
    ($queue:expr, $storage:ident => $body:expr) => {
        match $queue {
            $crate::queue::Queue::Sqlite($storage) => $body,
            $crate::queue::Queue::Redis($storage) => $body,
        }
    };
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("REDIS_URL is required when DATABASE_URL is PostgreSQL (workers share the Redis queue)")]
    RedisRequired,
    #[error("queue unavailable: {0}")]
    Unavailable(String),
}

/// How often a worker tells the queue it is alive. An apalis worker that found its queue
/// empty for a while can stop polling until its next heartbeat, `poll_with_interval`
/// notwithstanding: with apalis' default of 30 s, a backfill requested in the demo's first
/// half minute could wait for the worker's first heartbeat, 30 s after its start (9 s and
/// 22 s were seen). Two seconds bounds that wait.
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(2);
/// Heartbeats a worker may miss before apalis hands its jobs to another: 60 s, as with
/// apalis' defaults (2 × 30 s). A job handed over while its run is still being worked is
/// harmless anyway (the run's lease decides who works it).
const MISSED_HEARTBEATS: usize = 30;

/// The queue, on whichever backend is configured. Cloning is cheap (shared connections).
#[derive(Clone)]
pub enum Queue {
    Sqlite(SqliteStorage<Job>),
    Redis(RedisStorage<Job>),
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Queue::Sqlite(_) => "Queue::Sqlite",
            Queue::Redis(_) => "Queue::Redis",
        })
    }
}

impl Queue {
    /// `namespace` prefixes every key/queue name, so tests and tenants sharing one Redis
    /// never see each other's jobs.
    pub async fn connect(db: &Db, redis_url: Option<&str>, namespace: &str) -> Result<Self, QueueError> {
        let name = format!("{namespace}:jobs");
        if let Some(url) = redis_url {
            let conn = apalis_redis::connect(url)
                .await
                .map_err(|e| QueueError::Unavailable(e.to_string()))?;
            // One job per fetch: a job is a whole sync run, so prefetching several into one
            // worker would leave other replicas idle while it works through them.
            let config = apalis_redis::Config::default()
                .queue(&name)
                .batch_size(1)
                .heartbeat_interval(HEARTBEAT)
                .missed_heartbeats(MISSED_HEARTBEATS);
            return Ok(Queue::Redis(RedisStorage::new(conn).with_config(config)));
        }
        let Db::Sqlite(pool) = db else {
            return Err(QueueError::RedisRequired);
        };
        SqliteStorage::setup(pool)
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        // apalis' setup turns off fsync on the connection it used; adsync's own writes
        // must stay durable, so put it back (the pragma is per connection).
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(pool)
            .await
            .map_err(|e| QueueError::Unavailable(e.to_string()))?;
        let config = apalis_sqlite::Config::default()
            .queue(&name)
            .batch_size(1)
            .heartbeat_interval(HEARTBEAT)
            .missed_heartbeats(MISSED_HEARTBEATS);
        Ok(Queue::Sqlite(SqliteStorage::new(pool).with_config(config)))
    }

    pub async fn push(&self, job: Job) -> Result<(), QueueError> {
        on_queue!(self, s => s.clone().push(job).await.map_err(|e| QueueError::Unavailable(e.to_string())))
    }

    /// A round trip to the backend, for readiness checks.
    pub async fn ping(&self) -> Result<(), QueueError> {
        match self {
            Queue::Sqlite(s) => sqlx::query("SELECT 1")
                .execute(s.pool())
                .await
                .map(|_| ())
                .map_err(|e| QueueError::Unavailable(e.to_string())),
            Queue::Redis(s) => {
                let mut conn = s.clone().get_connection().clone();
                redis::cmd("PING")
                    .query_async::<String>(&mut conn)
                    .await
                    .map(|_| ())
                    .map_err(|e| QueueError::Unavailable(e.to_string()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_payload_is_versioned_and_stable() {
        let json = serde_json::to_value(Job::SyncRunV1 { run_id: RunId(7) }).expect("json");
        assert_eq!(json, serde_json::json!({"job": "sync_run/v1", "run_id": 7}));
        let back: Job = serde_json::from_value(json).expect("parse");
        assert_eq!(back, Job::SyncRunV1 { run_id: RunId(7) });
    }
}
