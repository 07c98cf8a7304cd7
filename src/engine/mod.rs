//! The engine: push and undo orchestration shared by the console and the headless
//! commands. Batches of up to 200, each batch's results committed to the ledger before the
//! next is reported; progress is reported as batches finish.

pub mod protocol;

pub use protocol::*;
