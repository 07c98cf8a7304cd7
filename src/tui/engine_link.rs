//! Where the console gets its engine channels.
//!
//! Stand-in until `crate::engine::spawn` lands in main: it reads the ledger for
//! `LoadCases` (no network) and answers every network request with a clear error, so the
//! console runs end to end. When the engine lands, `spawn` becomes a call to
//! `crate::engine::spawn`.

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::engine::{Command, EngineEvent, Request};
use crate::ledger::Ledger;

/// Capacity of the command queue; a full queue is reported to the operator, never waited on.
pub const COMMAND_QUEUE: usize = 32;

const NOT_BUILT_IN: &str = "this build has no Salesforce engine yet (src/engine is in progress)";

/// The engine's two channel ends. Must be called inside a tokio runtime.
pub fn spawn(ledger_file: PathBuf) -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    let (command_tx, mut command_rx) = mpsc::channel::<Command>(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::channel::<EngineEvent>(256);
    tokio::spawn(async move {
        while let Some(Command { id, request }) = command_rx.recv().await {
            let event = match request {
                Request::Connect(_) => EngineEvent::Connected {
                    id,
                    result: Err(NOT_BUILT_IN.to_owned()),
                },
                Request::CheckFields => EngineEvent::FieldsChecked {
                    id,
                    result: Err(NOT_BUILT_IN.to_owned()),
                },
                Request::Push { .. } => EngineEvent::PushFinished {
                    id,
                    result: Err(NOT_BUILT_IN.to_owned()),
                },
                Request::Undo { .. } => EngineEvent::UndoFinished {
                    id,
                    result: Err(NOT_BUILT_IN.to_owned()),
                },
                Request::LoadCases { plan_id } => {
                    let path = ledger_file.clone();
                    let result = tokio::task::spawn_blocking(move || {
                        Ledger::open(&path)
                            .and_then(|ledger| ledger.cases(&plan_id))
                            .map_err(|err| err.to_string())
                    })
                    .await
                    .unwrap_or_else(|err| Err(format!("the ledger reader stopped: {err}")));
                    EngineEvent::Cases { id, result }
                }
            };
            if event_tx.send(event).await.is_err() {
                break;
            }
        }
    });
    (command_tx, event_rx)
}
