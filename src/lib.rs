//! The `adsync` binary's library half: wiring processes together from a configuration.
//! `main.rs` parses the command line; tests call these functions directly.

pub mod admin;
pub mod app;
pub mod bench;
pub mod demo;
pub mod sandbox_cli;
