//! The engine task behind the console: takes [`Command`]s from a channel, runs each on its
//! own task, and sends [`EngineEvent`]s back. It never touches UI state.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::protocol::{Command, EngineEvent, PushOutcome, Request, UndoOutcome};
use super::run::{self, RunOptions};
use crate::ledger::Ledger;
use crate::salesforce::SalesforceClient;
use crate::salesforce::advice::explain;

/// Commands waiting beyond this are refused by `try_send`, so the UI never blocks.
const COMMAND_QUEUE: usize = 32;
const EVENT_QUEUE: usize = 1024;

/// Starts the engine task. Must be called inside a tokio runtime.
pub fn spawn(ledger_file: PathBuf) -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    let (command_tx, command_rx) = mpsc::channel(COMMAND_QUEUE);
    let (event_tx, event_rx) = mpsc::channel(EVENT_QUEUE);
    tokio::spawn(serve(ledger_file, command_rx, event_tx));
    (command_tx, event_rx)
}

async fn serve(
    ledger_file: PathBuf,
    mut commands: mpsc::Receiver<Command>,
    events: mpsc::Sender<EngineEvent>,
) {
    let ledger = Ledger::open(&ledger_file)
        .map(|l| Arc::new(Mutex::new(l)))
        .map_err(|e| e.to_string());
    let mut client: Option<Arc<SalesforceClient>> = None;
    while let Some(Command { id, request }) = commands.recv().await {
        let events = events.clone();
        match request {
            Request::Connect(settings) => {
                // A new connection replaces the old one for every later command.
                let new_client = SalesforceClient::new(settings).map(Arc::new);
                match new_client {
                    Ok(c) => {
                        client = Some(c.clone());
                        tokio::spawn(async move {
                            let result = c.login().await.map_err(|e| explain(&e));
                            let _ = events.send(EngineEvent::Connected { id, result }).await;
                        });
                    }
                    Err(err) => {
                        client = None;
                        let _ = events
                            .send(EngineEvent::Connected {
                                id,
                                result: Err(err.to_string()),
                            })
                            .await;
                    }
                }
            }
            Request::CheckFields => {
                let client = client.clone();
                tokio::spawn(async move {
                    let result = match client {
                        Some(c) => crate::salesforce::setup::inspect(&c)
                            .await
                            .map(|report| report.checks)
                            .map_err(|e| explain(&e)),
                        None => Err(NOT_CONNECTED.to_owned()),
                    };
                    let _ = events.send(EngineEvent::FieldsChecked { id, result }).await;
                });
            }
            Request::Push {
                plan_id,
                plan_name,
                drafts,
                concurrency,
            } => {
                let (client, ledger) = (client.clone(), ledger.clone());
                tokio::spawn(async move {
                    let result = match (client, ledger) {
                        (None, _) => Err(NOT_CONNECTED.to_owned()),
                        (_, Err(e)) => Err(e),
                        (Some(c), Ok(ledger)) => {
                            let progress = events.clone();
                            run::push(
                                &c,
                                &ledger,
                                &plan_id,
                                &plan_name,
                                &drafts,
                                RunOptions { concurrency },
                                |outcomes: &[(String, PushOutcome)], done, total| {
                                    let _ = progress.try_send(EngineEvent::Pushed {
                                        id,
                                        outcomes: outcomes.to_vec(),
                                        done,
                                        total,
                                    });
                                },
                            )
                            .await
                            .map(|(counts, _)| counts)
                            .map_err(|e| e.to_string())
                        }
                    };
                    let _ = events.send(EngineEvent::PushFinished { id, result }).await;
                });
            }
            Request::Undo {
                plan_id,
                case_ids,
                concurrency,
            } => {
                let (client, ledger) = (client.clone(), ledger.clone());
                tokio::spawn(async move {
                    let result = match (client, ledger) {
                        (None, _) => Err(NOT_CONNECTED.to_owned()),
                        (_, Err(e)) => Err(e),
                        (Some(c), Ok(ledger)) => {
                            let progress = events.clone();
                            run::undo(
                                &c,
                                &ledger,
                                &plan_id,
                                case_ids.as_deref(),
                                RunOptions { concurrency },
                                |outcomes: &[(String, UndoOutcome)], done, total| {
                                    let _ = progress.try_send(EngineEvent::Undone {
                                        id,
                                        outcomes: outcomes.to_vec(),
                                        done,
                                        total,
                                    });
                                },
                            )
                            .await
                            .map(|(counts, _)| counts)
                            .map_err(|e| e.to_string())
                        }
                    };
                    let _ = events.send(EngineEvent::UndoFinished { id, result }).await;
                });
            }
            Request::LoadCases { plan_id } => {
                let (result, unsettled) = match &ledger {
                    Ok(ledger) => {
                        let ledger = ledger.lock().unwrap_or_else(|e| e.into_inner());
                        let unsettled = ledger
                            .pending_intents(&plan_id)
                            .map(|p| p.len())
                            .unwrap_or(0);
                        (ledger.cases(&plan_id).map_err(|e| e.to_string()), unsettled)
                    }
                    Err(e) => (Err(e.clone()), 0),
                };
                let _ = events.send(EngineEvent::Cases { id, result }).await;
                if unsettled > 0 {
                    let _ = events
                        .send(EngineEvent::Unsettled {
                            id,
                            count: unsettled,
                        })
                        .await;
                }
            }
            Request::Settle { plan_id } => {
                let (client, ledger) = (client.clone(), ledger.clone());
                tokio::spawn(async move {
                    let result = match (client, ledger) {
                        (None, _) => Err(NOT_CONNECTED.to_owned()),
                        (_, Err(e)) => Err(e),
                        (Some(c), Ok(ledger)) => run::settle_plan(&c, &ledger, &plan_id)
                            .await
                            .map_err(|e| e.to_string()),
                    };
                    let _ = events.send(EngineEvent::Settled { id, result }).await;
                });
            }
        }
    }
}

const NOT_CONNECTED: &str =
    "not connected: fill in the Connection tab and test the connection first";
