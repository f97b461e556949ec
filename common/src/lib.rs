//! The adsync domain: configuration, typed ids, normalization, reporting, storage, crypto
//! and queue payloads, over the Graph API client (`adsync-graph`, re-exported as `graph`).
//! `api` and `worker` are thin layers over this crate.

pub mod alerts;
pub mod breakdowns;
pub mod config;
pub mod connect;
pub mod conversions;
pub mod crypto;
pub mod dates;
pub mod ids;
mod json_text;
pub mod normalize;
pub mod password;
pub mod queue;
pub mod reporting;
pub mod schedule;
pub mod storage;
pub mod syncs;
pub mod telemetry;

/// The Graph API client lives in its own crate (no database, queue or cache below it).
pub use adsync_graph as graph;
pub use adsync_graph::Secret;
pub use config::Config;
