//! The engine task behind the console: takes [`Command`]s from a channel, runs each on its
//! own task, and sends [`EngineEvent`]s back. It never touches UI state.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use tokio::sync::mpsc;

use super::protocol::{
    Command, EngineEvent, PushOutcome, RepairPreview, Request, RequestId, UndoOutcome,
};
use super::run::{self, RunOptions};
use crate::ledger::Ledger;
use crate::salesforce::SalesforceClient;
use crate::salesforce::advice::explain;
use crate::salesforce::setup::{self, RepairPlan};

/// The latest repair plan, under the id of the request that made it, with the client
/// (connection) it was made on and the user it grants to.
struct KeptPlan {
    id: RequestId,
    client: Arc<SalesforceClient>,
    user_id: String,
    plan: RepairPlan,
}

type PlanSlot = Arc<Mutex<Option<KeptPlan>>>;

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
    let plans: PlanSlot = Arc::new(Mutex::new(None));
    while let Some(Command { id, request }) = commands.recv().await {
        let events = events.clone();
        match request {
            Request::Connect(settings) => {
                // A new connection replaces the old one for every later command, and a
                // repair planned on the old one can no longer run.
                *plans.lock().unwrap_or_else(|e| e.into_inner()) = None;
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
                    let (result, problems) = match client {
                        Some(c) => match setup::inspect(&c).await {
                            Ok(report) => {
                                let problems = report.case_access_problems();
                                (Ok(report.checks), Some(problems))
                            }
                            Err(e) => (Err(explain(&e)), None),
                        },
                        None => (Err(NOT_CONNECTED.to_owned()), None),
                    };
                    let _ = events.send(EngineEvent::FieldsChecked { id, result }).await;
                    if let Some(problems) = problems {
                        let _ = events.send(EngineEvent::CaseAccess { id, problems }).await;
                    }
                });
            }
            Request::PlanRepair => {
                let (client, plans) = (client.clone(), plans.clone());
                tokio::spawn(async move {
                    let result = match client {
                        Some(c) => plan_repair(id, c, &plans).await,
                        None => Err(NOT_CONNECTED.to_owned()),
                    };
                    let _ = events.send(EngineEvent::RepairPlanned { id, result }).await;
                });
            }
            Request::Repair { preview } => {
                // The plan is used once: taken now, so a second yes cannot run it twice.
                let kept = plans
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .take_if(|kept| kept.id == preview);
                let client = client.clone();
                tokio::spawn(async move {
                    let (result, problems) = match (client, kept) {
                        (None, _) => (Err(NOT_CONNECTED.to_owned()), None),
                        (Some(_), None) => (Err(STALE_PLAN.to_owned()), None),
                        (Some(c), Some(kept)) if !Arc::ptr_eq(&c, &kept.client) => (
                            Err(format!(
                                "the connection changed since this repair was planned; {STALE_PLAN_FIX}"
                            )),
                            None,
                        ),
                        (Some(c), Some(kept)) => {
                            let outcomes = setup::repair(&c, &kept.plan, &kept.user_id).await;
                            match setup::inspect(&c).await {
                                Ok(report) => {
                                    let problems = report.case_access_problems();
                                    (Ok((outcomes, report.checks)), Some(problems))
                                }
                                Err(e) => (Err(recheck_failed(&outcomes, &explain(&e))), None),
                            }
                        }
                    };
                    let _ = events.send(EngineEvent::Repaired { id, result }).await;
                    if let Some(problems) = problems {
                        let _ = events.send(EngineEvent::CaseAccess { id, problems }).await;
                    }
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
                            let result = run::push(
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
                            .await;
                            match result {
                                Ok((counts, mut outcomes)) => {
                                    // CaseNumbers before "finished", so the reloaded ledger
                                    // shows them.
                                    let options = RunOptions { concurrency };
                                    let _ = run::fill_case_numbers(
                                        &c,
                                        &ledger,
                                        &plan_id,
                                        options,
                                        &mut outcomes,
                                    )
                                    .await;
                                    Ok(counts)
                                }
                                Err(e) => Err(e.to_string()),
                            }
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

/// Checks the org, plans the repair and keeps the plan (replacing an older one).
async fn plan_repair(
    id: RequestId,
    client: Arc<SalesforceClient>,
    plans: &PlanSlot,
) -> Result<RepairPreview, String> {
    let Some(user_id) = client.connection().map(|info| info.user_id) else {
        return Err(NOT_CONNECTED.to_owned());
    };
    let report = setup::inspect(&client).await.map_err(|e| explain(&e))?;
    let plan = setup::plan_repair(&client, &report, &user_id)
        .await
        .map_err(|e| format!("cannot read the permission sets: {}", explain(&e)))?;
    let preview = RepairPreview {
        steps: plan.steps.iter().map(|s| s.describe()).collect(),
        manual: plan.manual.clone(),
        case_access: report.case_access_problems(),
        checks: report.checks,
    };
    *plans.lock().unwrap_or_else(|e| e.into_inner()) = Some(KeptPlan {
        id,
        client,
        user_id,
        plan,
    });
    Ok(preview)
}

/// A repair whose changes were made but whose re-check failed: the outcomes are not lost.
fn recheck_failed(outcomes: &[setup::StepOutcome], reason: &str) -> String {
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    let mut text = format!(
        "the repair ran ({} step(s) done, {failed} failed) but checking the fields afterwards failed: {reason}",
        outcomes.len() - failed
    );
    for outcome in outcomes {
        match &outcome.result {
            Ok(()) => text.push_str(&format!("\n  done: {}", outcome.step)),
            Err(e) => text.push_str(&format!("\n  FAILED: {}: {e}", outcome.step)),
        }
    }
    text
}

const STALE_PLAN_FIX: &str = "press f on the Fields tab to plan it again";
const STALE_PLAN: &str = "this repair plan is no longer current (a newer one replaced it, or it already ran); press f on the Fields tab to plan it again";

const NOT_CONNECTED: &str =
    "not connected: fill in the Connection tab and test the connection first";
