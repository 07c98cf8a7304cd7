//! moveforce: push a move plan's now-moves to Salesforce as Cases, and undo them.

pub mod cli;
pub mod config;
pub mod engine;
pub mod ledger;
pub mod plan;
pub mod salesforce;
pub mod sandbox;
pub mod secret;
pub mod spec;
pub mod tui;
