//! The one typed client for Facebook's Graph / Marketing API, used by the OAuth connect
//! flow (`api`) and the sync worker alike.
//!
//! - [`GraphClient`]: reqwest (rustls/ring, 5 s connect and 30 s request timeouts,
//!   redirects disabled); tokens in the `Authorization` header with an `appsecret_proof`.
//! - OAuth: [`GraphClient::authorize_url`], [`GraphClient::exchange_code`] (oauth2 crate),
//!   [`GraphClient::exchange_long_lived`], [`GraphClient::debug_token`].
//! - Identity: [`GraphClient::me`], [`GraphClient::ad_accounts`], [`GraphClient::revoke`].
//! - Objects: [`GraphClient::objects_page`] (campaigns, ad sets, ads with their status).
//! - Insights: [`GraphClient::insights_page`], async reports
//!   ([`GraphClient::start_report`], [`GraphClient::report_status`],
//!   [`GraphClient::report_page_with`]) and typed rows ([`InsightRow`]).
//! - Every answer's rate-limit headers become a [`Usage`]; errors are a [`GraphError`]
//!   classified from Facebook's error envelope. Neither ever contains a token.

mod accounts;
mod async_report;
mod client;
mod envelope;
mod error;
mod insights;
mod json_reader;
mod oauth;
mod objects;
mod passthrough;
mod proof;
mod row;
mod row_reader;
mod secret;
mod usage;
mod window;

pub use accounts::{AdAccountInfo, FacebookUser};
pub use async_report::{ReportError, ReportState, ReportStatus};
pub use client::{CONNECT_TIMEOUT, FacebookApp, GraphClient, MAX_PAGE_SIZE, REQUEST_TIMEOUT, install_crypto_provider};
pub use error::{GraphError, ThrottleScope};
pub use insights::{DEFAULT_FIELDS, Filter, InsightsPage, InsightsRequest, Level, TimeIncrement, fields_for};
pub use oauth::{AccessToken, TokenInfo};
pub use objects::{AdObject, ObjectsPage};
pub use passthrough::check_request;
pub use proof::{appsecret_proof, hmac_sha256_hex};
pub use row::{ActionStat, InsightRow};
pub use secret::Secret;
pub use usage::{AdAccountUsage, AppUsage, BusinessUseCaseUsage, InsightsThrottle, Usage};
pub use window::Window;
