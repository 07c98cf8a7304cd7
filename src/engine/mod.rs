//! The engine: push and undo orchestration shared by the console and the headless
//! commands. Batches of up to 200, each batch's results committed to the ledger before it is
//! reported; the console reaches it through [`spawn`], scripts call [`push`] and [`undo`].

pub mod protocol;
mod run;
mod worker;

pub use protocol::*;
pub use run::{
    DEFAULT_CONCURRENCY, EngineError, MAX_CONCURRENCY, RunOptions, Settled, actor_of,
    ensure_fields, fill_case_numbers, push, settle, settle_plan, undo,
};
pub use worker::spawn;
