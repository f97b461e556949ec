//! The storage layer's one error type: what callers tell apart (missing row, unique clash,
//! deadline) and an opaque database failure for the rest.

use sqlx::error::ErrorKind;

pub type StorageResult<T> = Result<T, StorageError>;

/// What callers need to tell apart; everything else is an opaque database failure.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// A unique or primary key constraint rejected the write (e.g. e-mail already taken).
    #[error("already exists")]
    Conflict,
    /// A foreign key pointed at nothing (e.g. a membership for an unknown team).
    #[error("refers to something that does not exist")]
    MissingReference,
    #[error("not found")]
    NotFound,
    /// The change would leave a team without an owner.
    #[error("a team keeps at least one owner")]
    LastOwner,
    /// A write on a run that `owner` no longer holds: its lease lapsed and another worker
    /// claimed it, or the run ended.
    #[error("the run's lease is no longer held by this worker")]
    LeaseLost,
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A query ran longer than it was allowed to and was stopped.
    #[error("the query ran longer than allowed")]
    TimedOut,
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                ErrorKind::UniqueViolation => StorageError::Conflict,
                ErrorKind::ForeignKeyViolation => StorageError::MissingReference,
                _ => StorageError::Database(e),
            },
            sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => {
                StorageError::Unavailable(e.to_string())
            }
            _ => StorageError::Database(e),
        }
    }
}
