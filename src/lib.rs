//! moveforce: push a move plan's now-moves to Salesforce as Cases, and undo them.

pub mod sandbox;
