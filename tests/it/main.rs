//! One integration-test binary: the app spawned on port 0 against real SQLite, PostgreSQL
//! and Redis, each test with its own database and queue namespace.

mod accounts;
mod alerts;
mod breakdowns;
mod browser_security;
mod cli;
mod connect;
mod data_limits;
mod described_providers;
mod fuzz;
mod helpers;
mod hostile_clients;
mod jobs;
mod metrics;
mod migrations;
mod objects;
mod observability;
mod openapi;
mod page_errors;
mod pages;
mod paging;
mod protocol;
mod proxy;
mod reporting_access;
mod resilience;
mod resync_refusals;
mod sign_in;
mod storage;
mod sync;
mod sync_history;
mod team_admin;
mod throttles;
mod truth;
