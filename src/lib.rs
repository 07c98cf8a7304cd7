//! moveforce: push a move plan's now-moves to Salesforce as Cases, and undo them.

pub mod plan;
pub mod spec;

pub mod cli;
pub mod config;
pub mod engine;
pub mod ledger;
pub mod salesforce;
pub mod secret;
