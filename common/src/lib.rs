//! The adsync domain: configuration, typed ids, dates, normalization, conversions,
//! reporting, crypto and telemetry, over the Graph API client (`adsync-graph`, re-exported as
//! `graph`). No SQL, queue or cache here: storage is `adsync-storage`, the OAuth flow
//! `adsync-connect`.

pub mod alerts;
pub mod breakdowns;
pub mod config;
pub mod conversions;
pub mod crypto;
pub mod dates;
pub mod ids;
pub mod json_text;
pub mod normalize;
pub mod password;
pub mod reporting;
pub mod schedule;
pub mod telemetry;

/// The Graph API client lives in its own crate (no database, queue or cache below it).
pub use adsync_graph as graph;
pub use adsync_graph::Secret;
pub use config::Config;
