//! The messages between the console and the engine task. The console sends a
//! [`Command`]; the engine answers with [`EngineEvent`]s carrying the same request id, as
//! results arrive. Nothing is shared between the two but these values.

use crate::config::ConnectionSettings;
use crate::ledger::LedgerCase;
use crate::plan::CaseDraft;
use crate::salesforce::{ConnectionInfo, FieldCheck};

pub type RequestId = u64;

#[derive(Debug, Clone)]
pub struct Command {
    pub id: RequestId,
    pub request: Request,
}

#[derive(Debug, Clone)]
pub enum Request {
    /// Log in with these settings (replacing any session) and report who we are.
    Connect(ConnectionSettings),
    /// Describe Case and check the seven fields.
    CheckFields,
    /// Upsert these Cases for the plan; outcomes are recorded in the ledger as they arrive.
    Push {
        plan_id: String,
        plan_name: String,
        drafts: Vec<CaseDraft>,
        /// Requests in flight at once.
        concurrency: usize,
    },
    /// Delete the plan's Cases that the ledger holds for the connected org: all of them, or
    /// only these Case Ids.
    Undo {
        plan_id: String,
        case_ids: Option<Vec<String>>,
        /// Requests in flight at once.
        concurrency: usize,
    },
    /// Read the ledger's Cases for a plan (no network). When the plan has requests whose
    /// outcome is unknown, an [`EngineEvent::Unsettled`] follows.
    LoadCases { plan_id: String },
    /// Ask Salesforce about the plan's requests whose outcome is unknown and record what it
    /// says (see [`crate::engine::settle`]).
    Settle { plan_id: String },
}

/// What happened to one move in a push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Created {
        case_id: String,
        case_number: Option<String>,
    },
    Updated {
        case_id: String,
        case_number: Option<String>,
    },
    Failed {
        code: String,
        message: String,
    },
}

/// What happened to one Case in an undo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoOutcome {
    Deleted,
    AlreadyGone,
    Failed { code: String, message: String },
}

/// Counts for a finished push.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct PushCounts {
    pub created: usize,
    pub updated: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// Counts for a finished undo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct UndoCounts {
    pub deleted: usize,
    pub already_gone: usize,
    pub failed: usize,
}

#[derive(Debug, Clone)]
pub enum EngineEvent {
    Connected {
        id: RequestId,
        result: Result<ConnectionInfo, String>,
    },
    FieldsChecked {
        id: RequestId,
        result: Result<Vec<FieldCheck>, String>,
    },
    /// One batch of push results has been committed to the ledger.
    Pushed {
        id: RequestId,
        outcomes: Vec<(String, PushOutcome)>,
        done: usize,
        total: usize,
    },
    /// One batch of undo results has been committed to the ledger.
    Undone {
        id: RequestId,
        outcomes: Vec<(String, UndoOutcome)>,
        done: usize,
        total: usize,
    },
    PushFinished {
        id: RequestId,
        result: Result<PushCounts, String>,
    },
    UndoFinished {
        id: RequestId,
        result: Result<UndoCounts, String>,
    },
    Cases {
        id: RequestId,
        result: Result<Vec<LedgerCase>, String>,
    },
    /// The plan has `count` pushes or undos whose outcome is unknown (an interrupted run).
    Unsettled { id: RequestId, count: usize },
    Settled {
        id: RequestId,
        result: Result<super::Settled, String>,
    },
}
