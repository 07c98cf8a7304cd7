//! Push and undo, batch by batch. Each batch's results are committed to the ledger before
//! they are reported, so what the operator sees has already been made durable.

use std::sync::Mutex;

use crate::ledger::{Actor, IntentAction, Ledger, LedgerError, LockError, PushEntry};
use crate::plan::CaseDraft;
use crate::salesforce::{
    ConnectionInfo, DeleteResult, FieldStatus, MAX_BATCH, SalesforceClient, SfError, UpsertResult,
    check_fields, soql,
};

use super::protocol::{PushCounts, PushOutcome, UndoCounts, UndoOutcome};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Salesforce(#[from] SfError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The org's fields would reject the Cases: nothing was sent.
    #[error(
        "the org is not set up for moveforce: {0}. See the Fields tab or run `moveforce check`; nothing was sent"
    )]
    FieldsNotReady(String),
    /// Another operator is pushing or undoing this plan.
    #[error(transparent)]
    Locked(#[from] LockError),
    /// Undo found nothing to do in this org, but the plan has Cases elsewhere.
    #[error("{0}")]
    WrongOrg(String),
    /// Stopped part-way; what was done before is in the ledger.
    #[error(
        "stopped after {done} of {total}: {source}; what was done is in the ledger, run the same command again to finish"
    )]
    Interrupted {
        done: usize,
        total: usize,
        #[source]
        source: Box<EngineError>,
    },
}

/// Per-record failures worth resending: the record was locked by another transaction.
const RECORD_RETRY_CODES: [&str; 1] = ["UNABLE_TO_LOCK_ROW"];
/// Tries in all for a record that keeps failing with one of those codes.
const RECORD_ATTEMPTS: u32 = 4;

fn retryable_errors(errors: &[crate::salesforce::ApiError]) -> bool {
    errors
        .iter()
        .any(|e| RECORD_RETRY_CODES.contains(&e.code.as_str()))
}

/// Sends `items` with `send`, then resends only the records whose result `retry` says can
/// succeed on another try, a bounded number of times with backoff. Results keep the
/// items' order.
async fn send_with_record_retries<T: Clone, R, F, Fut>(
    items: &[T],
    send: F,
    retry: impl Fn(&R) -> bool,
) -> Result<Vec<R>, SfError>
where
    F: Fn(Vec<T>) -> Fut,
    Fut: std::future::Future<Output = Result<Vec<R>, SfError>>,
{
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    let mut pending: Vec<usize> = (0..items.len()).collect();
    let policy = crate::salesforce::RetryPolicy::default();
    for attempt in 1..=RECORD_ATTEMPTS {
        let batch: Vec<T> = pending.iter().map(|i| items[*i].clone()).collect();
        let answers = send(batch).await?;
        let mut again = Vec::new();
        for (index, answer) in pending.iter().zip(answers) {
            if retry(&answer) && attempt < RECORD_ATTEMPTS {
                again.push(*index);
            }
            results[*index] = Some(answer);
        }
        if again.is_empty() {
            break;
        }
        tokio::time::sleep(policy.delay(attempt)).await;
        pending = again;
    }
    // Every slot was filled by the first send, which covered all items.
    Ok(results.into_iter().flatten().collect())
}

/// Who is connected, as the ledger records it.
pub fn actor_of(info: &ConnectionInfo) -> Actor {
    Actor {
        org_id: info.org_id.clone(),
        username: info.username.clone(),
        instance_url: info.instance_url.clone(),
    }
}

async fn connection(client: &SalesforceClient) -> Result<ConnectionInfo, SfError> {
    match client.connection() {
        Some(info) => Ok(info),
        None => client.login().await,
    }
}

fn lock(ledger: &Mutex<Ledger>) -> std::sync::MutexGuard<'_, Ledger> {
    ledger.lock().unwrap_or_else(|e| e.into_inner())
}

/// Refuses to push into an org whose fields would reject the Cases.
pub async fn ensure_fields(client: &SalesforceClient) -> Result<(), EngineError> {
    let described = client.describe_case().await?;
    let problems: Vec<String> = check_fields(&described)
        .into_iter()
        .filter(|c| c.status != FieldStatus::Ok)
        .map(|c| format!("{} is {}", c.spec.api_name, c.status.as_str()))
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EngineError::FieldsNotReady(problems.join(", ")))
    }
}

/// Upserts the drafts in batches of up to 200, recording each batch in the ledger before
/// calling `on_batch(outcomes, done, total)`. Returns the outcome of every draft, in order.
pub async fn push(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    plan_name: &str,
    drafts: &[CaseDraft],
    mut on_batch: impl FnMut(&[(String, PushOutcome)], usize, usize),
) -> Result<(PushCounts, Vec<(String, PushOutcome)>), EngineError> {
    let info = connection(client).await?;
    let _lock = lock(ledger).lock_plan(plan_id)?;
    ensure_fields(client).await?;
    let actor = actor_of(&info);
    settle(client, ledger, plan_id, &actor).await?;
    let total = drafts.len();
    let mut counts = PushCounts::default();
    let mut all = Vec::with_capacity(total);
    for batch in drafts.chunks(MAX_BATCH) {
        let keys: Vec<String> = batch.iter().map(|d| d.external_id.clone()).collect();
        lock(ledger).record_intent(plan_id, plan_name, &actor.org_id, IntentAction::Push, &keys)?;
        let sent = send_with_record_retries(
            batch,
            |records: Vec<CaseDraft>| async move { client.upsert_cases(&records).await },
            |r| matches!(r, UpsertResult::Failed { errors } if retryable_errors(errors)),
        )
        .await;
        let results = match sent {
            Ok(results) => results,
            Err(err) => {
                return Err(EngineError::Interrupted {
                    done: all.len(),
                    total,
                    source: Box::new(err.into()),
                });
            }
        };
        let mut entries = Vec::new();
        let mut failures = Vec::new();
        let mut outcomes = Vec::with_capacity(batch.len());
        for (draft, result) in batch.iter().zip(results) {
            let outcome = match result {
                UpsertResult::Created { id } => {
                    counts.created += 1;
                    entries.push(PushEntry {
                        move_id: draft.external_id.clone(),
                        case_id: id.clone(),
                        created: true,
                    });
                    PushOutcome::Created {
                        case_id: id,
                        case_number: None,
                    }
                }
                UpsertResult::Updated { id } => {
                    counts.updated += 1;
                    entries.push(PushEntry {
                        move_id: draft.external_id.clone(),
                        case_id: id.clone(),
                        created: false,
                    });
                    PushOutcome::Updated {
                        case_id: id,
                        case_number: None,
                    }
                }
                UpsertResult::Failed { errors } => {
                    counts.failed += 1;
                    let (code, message) = errors
                        .first()
                        .map(|e| (e.code.clone(), e.message.clone()))
                        .unwrap_or_default();
                    failures.push((draft.external_id.clone(), format!("{code}: {message}")));
                    PushOutcome::Failed { code, message }
                }
            };
            outcomes.push((draft.external_id.clone(), outcome));
        }
        // The Ids are durable before anything else happens.
        lock(ledger).record_push(plan_id, plan_name, &actor, &entries, &failures)?;
        fill_case_numbers(client, ledger, &actor, &mut outcomes).await;
        all.extend(outcomes.iter().cloned());
        on_batch(&outcomes, all.len(), total);
    }
    Ok((counts, all))
}

/// The upsert answer has no CaseNumber: one query per batch fetches them. A failure here
/// loses nothing (the Ids are already recorded), so it is logged, not raised.
async fn fill_case_numbers(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    actor: &Actor,
    outcomes: &mut [(String, PushOutcome)],
) {
    let ids: Vec<&str> = outcomes
        .iter()
        .filter_map(|(_, o)| match o {
            PushOutcome::Created { case_id, .. } | PushOutcome::Updated { case_id, .. } => {
                Some(case_id.as_str())
            }
            PushOutcome::Failed { .. } => None,
        })
        .collect();
    if ids.is_empty() {
        return;
    }
    let query = format!(
        "SELECT Id, CaseNumber FROM Case WHERE Id IN {}",
        soql::quote_list(ids.iter().copied())
    );
    let records = match client.query(&query).await {
        Ok(result) => result.records,
        Err(err) => {
            tracing::warn!(error = %err, "could not read CaseNumbers; they stay blank in the ledger");
            return;
        }
    };
    let numbers: Vec<(String, String)> = records
        .iter()
        .filter_map(|r| {
            Some((
                r.get("Id")?.as_str()?.to_owned(),
                r.get("CaseNumber")?.as_str()?.to_owned(),
            ))
        })
        .collect();
    if let Err(err) = lock(ledger).record_case_numbers(&actor.org_id, &numbers) {
        tracing::warn!(error = %err, "could not record CaseNumbers");
    }
    for (_, outcome) in outcomes.iter_mut() {
        if let PushOutcome::Created {
            case_id,
            case_number,
        }
        | PushOutcome::Updated {
            case_id,
            case_number,
        } = outcome
        {
            *case_number = numbers
                .iter()
                .find(|(id, _)| id.eq_ignore_ascii_case(case_id))
                .map(|(_, n)| n.clone());
        }
    }
}

/// Deletes the plan's Cases that the ledger holds as pushed in the connected org (all of
/// them, or only `selection`), in batches of up to 200, recording each batch before
/// reporting it. Outcomes are keyed by Case Id.
pub async fn undo(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    selection: Option<&[String]>,
    mut on_batch: impl FnMut(&[(String, UndoOutcome)], usize, usize),
) -> Result<(UndoCounts, Vec<(String, UndoOutcome)>), EngineError> {
    let info = connection(client).await?;
    let _lock = lock(ledger).lock_plan(plan_id)?;
    let actor = actor_of(&info);
    settle(client, ledger, plan_id, &actor).await?;
    let (targets, elsewhere) = {
        let ledger = lock(ledger);
        let all = ledger.cases(plan_id)?;
        let elsewhere: Vec<String> = all
            .iter()
            .filter(|c| c.org_id != actor.org_id && c.state == crate::ledger::CaseState::Pushed)
            .map(|c| c.org_id.clone())
            .collect();
        let targets: Vec<String> = all
            .into_iter()
            .filter(|c| c.org_id == actor.org_id && c.state == crate::ledger::CaseState::Pushed)
            .filter(|c| {
                selection.is_none_or(|ids| ids.iter().any(|id| id.eq_ignore_ascii_case(&c.case_id)))
            })
            .map(|c| c.case_id)
            .collect();
        (targets, elsewhere)
    };
    if targets.is_empty() && !elsewhere.is_empty() {
        let mut orgs = elsewhere;
        orgs.dedup();
        return Err(EngineError::WrongOrg(format!(
            "plan {plan_id} has no pushed Cases in org {} but has some in org {}; connect to that org to undo them",
            actor.org_id,
            orgs.join(", ")
        )));
    }
    let total = targets.len();
    let mut counts = UndoCounts::default();
    let mut all = Vec::with_capacity(total);
    for batch in targets.chunks(MAX_BATCH) {
        lock(ledger).record_intent(plan_id, "", &actor.org_id, IntentAction::Undo, batch)?;
        let sent = send_with_record_retries(
            batch,
            |ids: Vec<String>| async move { client.delete_cases(&ids).await },
            |r| matches!(r, DeleteResult::Failed { errors } if retryable_errors(errors)),
        )
        .await;
        let results = match sent {
            Ok(results) => results,
            Err(err) => {
                return Err(EngineError::Interrupted {
                    done: all.len(),
                    total,
                    source: Box::new(err.into()),
                });
            }
        };
        let mut records = Vec::with_capacity(batch.len());
        let mut outcomes = Vec::with_capacity(batch.len());
        for (case_id, result) in batch.iter().zip(results) {
            let outcome = match result {
                DeleteResult::Deleted => {
                    counts.deleted += 1;
                    records.push((case_id.clone(), "deleted", None));
                    UndoOutcome::Deleted
                }
                DeleteResult::AlreadyGone { .. } => {
                    counts.already_gone += 1;
                    records.push((case_id.clone(), "already_gone", None));
                    UndoOutcome::AlreadyGone
                }
                DeleteResult::Failed { errors } => {
                    counts.failed += 1;
                    let (code, message) = errors
                        .first()
                        .map(|e| (e.code.clone(), e.message.clone()))
                        .unwrap_or_default();
                    records.push((
                        case_id.clone(),
                        "undo_failed",
                        Some(format!("{code}: {message}")),
                    ));
                    UndoOutcome::Failed { code, message }
                }
            };
            outcomes.push((case_id.clone(), outcome));
        }
        lock(ledger).record_undo(plan_id, &actor, &records)?;
        all.extend(outcomes.iter().cloned());
        on_batch(&outcomes, all.len(), total);
    }
    Ok((counts, all))
}

/// What settling unknown outcomes found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settled {
    /// Pushes that did create or update a Case: now in the ledger.
    pub found: usize,
    /// Pushes that never reached Salesforce: to be sent again.
    pub absent: usize,
    /// Deletes that did happen.
    pub gone: usize,
    /// Deletes that did not: the Case is still there.
    pub present: usize,
}

/// Connects if needed, takes the plan's lock, and settles the plan's unknown outcomes.
pub async fn settle_plan(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
) -> Result<Settled, EngineError> {
    let info = connection(client).await?;
    let _lock = lock(ledger).lock_plan(plan_id)?;
    settle(client, ledger, plan_id, &actor_of(&info)).await
}

/// IN lists are kept short so the query stays far below the URL length limit.
const SETTLE_CHUNK: usize = 100;

/// Settles the requests of the plan, in the connected org, whose outcome the ledger does not
/// know (the process died, or the network cut, between sending and recording), by asking
/// Salesforce what exists. Runs before any push or undo, so nothing is re-sent blind.
pub async fn settle(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    actor: &Actor,
) -> Result<Settled, EngineError> {
    let pending: Vec<_> = lock(ledger)
        .pending_intents(plan_id)?
        .into_iter()
        .filter(|i| i.org_id == actor.org_id)
        .collect();
    let mut settled = Settled::default();
    let pushes: Vec<&str> = pending
        .iter()
        .filter(|i| i.action == IntentAction::Push)
        .map(|i| i.key.as_str())
        .collect();
    for chunk in pushes.chunks(SETTLE_CHUNK) {
        let query = format!(
            "SELECT Id, CaseNumber, {field} FROM Case WHERE {field} IN {list}",
            field = crate::spec::EXTERNAL_ID,
            list = soql::quote_list(chunk.iter().copied())
        );
        let records = client.query(&query).await?.records;
        let mut found = Vec::new();
        let mut absent = Vec::new();
        for key in chunk {
            // Salesforce matches external ids without regard to case.
            let record = records.iter().find(|r| {
                r.get(crate::spec::EXTERNAL_ID)
                    .and_then(|v| v.as_str())
                    .is_some_and(|v| v == *key || v.eq_ignore_ascii_case(key))
            });
            match record.and_then(|r| Some((r.get("Id")?.as_str()?, r.get("CaseNumber")))) {
                Some((id, number)) => found.push((
                    (*key).to_owned(),
                    id.to_owned(),
                    number.and_then(|n| n.as_str()).map(str::to_owned),
                )),
                None => absent.push((*key).to_owned()),
            }
        }
        settled.found += found.len();
        settled.absent += absent.len();
        lock(ledger).settle_push(plan_id, actor, &found, &absent)?;
    }
    let undos: Vec<&str> = pending
        .iter()
        .filter(|i| i.action == IntentAction::Undo)
        .map(|i| i.key.as_str())
        .collect();
    for chunk in undos.chunks(SETTLE_CHUNK) {
        let query = format!(
            "SELECT Id FROM Case WHERE Id IN {}",
            soql::quote_list(chunk.iter().copied())
        );
        let records = client.query(&query).await?.records;
        let (present, gone): (Vec<String>, Vec<String>) =
            chunk.iter().map(|k| (*k).to_owned()).partition(|key| {
                records.iter().any(|r| {
                    r.get("Id")
                        .and_then(|v| v.as_str())
                        .is_some_and(|id| id.eq_ignore_ascii_case(key))
                })
            });
        settled.gone += gone.len();
        settled.present += present.len();
        lock(ledger).settle_undo(plan_id, actor, &gone, &present)?;
    }
    if pending.is_empty() {
        return Ok(settled);
    }
    tracing::info!(?settled, plan_id, "settled unknown outcomes");
    Ok(settled)
}
