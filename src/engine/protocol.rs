//! The messages between the console and the engine task. The console sends a
//! [`Command`]; the engine answers with [`EngineEvent`]s carrying the same request id, as
//! results arrive. Nothing is shared between the two but these values.

use crate::config::ConnectionSettings;
use crate::ledger::LedgerCase;
use crate::plan::CaseDraft;
use crate::salesforce::setup::StepOutcome;
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
    /// Describe Case and check the seven fields. [`EngineEvent::FieldsChecked`] answers,
    /// and on success [`EngineEvent::CaseAccess`] follows with the same id.
    CheckFields,
    /// Check the org again and work out what a repair would change; nothing is written.
    /// [`EngineEvent::RepairPlanned`] answers; the engine keeps the plan under this
    /// request's id (the latest plan only) for a [`Request::Repair`].
    PlanRepair,
    /// Make the changes of the plan that [`Request::PlanRepair`] `preview` produced, then
    /// check the fields again. Refused when the connection changed since, or when a newer
    /// plan replaced it. [`EngineEvent::Repaired`] answers, then
    /// [`EngineEvent::CaseAccess`] on success.
    Repair { preview: RequestId },
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

/// What a repair would do, for the operator to approve: the steps moveforce would take
/// through the API, in order, in words; and what only a person can do, with where.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairPreview {
    pub steps: Vec<String>,
    pub manual: Vec<String>,
    /// The check the plan was made from.
    pub checks: Vec<FieldCheck>,
    /// The user's missing rights on Case, as sentences (none: nothing missing).
    pub case_access: Vec<String>,
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
    /// Follows a successful check (or repair) of the same id: what the integration user
    /// may not do with Cases, as sentences (empty: nothing missing).
    CaseAccess {
        id: RequestId,
        problems: Vec<String>,
    },
    RepairPlanned {
        id: RequestId,
        result: Result<RepairPreview, String>,
    },
    /// A repair ran: each step's outcome, in order, and the fields as checked after it.
    Repaired {
        id: RequestId,
        result: Result<(Vec<StepOutcome>, Vec<FieldCheck>), String>,
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
