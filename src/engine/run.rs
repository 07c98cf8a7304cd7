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

/// Refuses to push into an org whose fields would reject the Cases. A positive answer is
/// kept for the session, so only the first push of a session pays for the describe.
pub async fn ensure_fields(client: &SalesforceClient) -> Result<(), EngineError> {
    if client.fields_ready() {
        return Ok(());
    }
    let described = client.describe_case().await?;
    let problems: Vec<String> = check_fields(&described)
        .into_iter()
        .filter(|c| c.status != FieldStatus::Ok)
        .map(|c| format!("{} is {}", c.spec.api_name, c.status.as_str()))
        .collect();
    client.set_fields_ready(problems.is_empty());
    if problems.is_empty() {
        Ok(())
    } else {
        Err(EngineError::FieldsNotReady(problems.join(", ")))
    }
}

/// How a push or undo runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOptions {
    /// Requests in flight at once (each carries up to 200 records).
    pub concurrency: usize,
}

pub const DEFAULT_CONCURRENCY: usize = 4;
/// Salesforce allows unlimited short requests, but an org's other integrations share its
/// capacity; more than this gains nothing measurable.
pub const MAX_CONCURRENCY: usize = 16;

impl Default for RunOptions {
    fn default() -> RunOptions {
        RunOptions {
            concurrency: DEFAULT_CONCURRENCY,
        }
    }
}

impl RunOptions {
    fn in_flight(self) -> usize {
        self.concurrency.clamp(1, MAX_CONCURRENCY)
    }
}

/// Sends one batch of upserts (resending locked records) and records its outcomes in the
/// ledger, which also clears the batch's intents.
async fn push_batch(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan: (&str, &str),
    actor: &Actor,
    batch: &[CaseDraft],
) -> Result<Vec<(String, PushOutcome)>, EngineError> {
    let results = send_with_record_retries(
        batch,
        |records: Vec<CaseDraft>| async move { client.upsert_cases(&records).await },
        |r| matches!(r, UpsertResult::Failed { errors } if retryable_errors(errors)),
    )
    .await?;
    let mut entries = Vec::new();
    let mut failures = Vec::new();
    let mut outcomes = Vec::with_capacity(batch.len());
    for (draft, result) in batch.iter().zip(results) {
        let move_id = draft.external_id.clone();
        let outcome = match result {
            UpsertResult::Created { id } => PushOutcome::Created {
                case_id: id,
                case_number: None,
            },
            UpsertResult::Updated { id } => PushOutcome::Updated {
                case_id: id,
                case_number: None,
            },
            UpsertResult::Failed { errors } => {
                let (code, message) = errors
                    .first()
                    .map(|e| (e.code.clone(), e.message.clone()))
                    .unwrap_or_default();
                failures.push((move_id.clone(), format!("{code}: {message}")));
                PushOutcome::Failed { code, message }
            }
        };
        if let PushOutcome::Created { case_id, .. } | PushOutcome::Updated { case_id, .. } =
            &outcome
        {
            entries.push(PushEntry {
                move_id: move_id.clone(),
                case_id: case_id.clone(),
                created: matches!(outcome, PushOutcome::Created { .. }),
            });
        }
        outcomes.push((move_id, outcome));
    }
    lock(ledger).record_push(plan.0, plan.1, actor, &entries, &failures)?;
    Ok(outcomes)
}

/// Which batches were handed to the network.
struct Started(Vec<std::sync::atomic::AtomicBool>);

impl Started {
    fn new(batches: usize) -> Started {
        Started(
            (0..batches)
                .map(|_| std::sync::atomic::AtomicBool::new(false))
                .collect(),
        )
    }

    fn mark(&self, index: usize) {
        if let Some(flag) = self.0.get(index) {
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn was(&self, index: usize) -> bool {
        self.0
            .get(index)
            .is_some_and(|f| f.load(std::sync::atomic::Ordering::SeqCst))
    }
}

/// Runs `jobs` with at most `in_flight` at once, calling `on_done` as each finishes (in
/// finishing order). Once a job fails, no new job starts; the ones in flight finish and are
/// reported. Returns the first error. (A plain loop over `FuturesUnordered`: stream
/// combinators with closures would not stay `Send` across the borrowed batches.)
async fn run_batches<T, Fut>(
    jobs: Vec<Fut>,
    in_flight: usize,
    mut on_done: impl FnMut(T),
) -> Result<(), EngineError>
where
    Fut: std::future::Future<Output = Result<T, EngineError>>,
{
    use futures::StreamExt;
    use futures::stream::FuturesUnordered;
    let mut waiting = jobs.into_iter();
    let mut running = FuturesUnordered::new();
    let mut first_error = None;
    loop {
        while first_error.is_none() && running.len() < in_flight {
            match waiting.next() {
                Some(job) => running.push(job),
                None => break,
            }
        }
        match running.next().await {
            None => break,
            Some(Ok(value)) => on_done(value),
            Some(Err(err)) => {
                first_error.get_or_insert(err);
            }
        }
    }
    match first_error {
        Some(err) => Err(err),
        None => Ok(()),
    }
}

/// Upserts the drafts in batches of up to 200, `options.concurrency` requests in flight.
/// The intent of every move is recorded before the first request; each batch's outcomes
/// are recorded (clearing its intents) before `on_batch(outcomes, done, total)` hears of
/// them. CaseNumbers are fetched alongside, off the critical path. Returns the outcome of
/// every draft, in the drafts' order.
pub async fn push(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    plan_name: &str,
    drafts: &[CaseDraft],
    options: RunOptions,
    mut on_batch: impl FnMut(&[(String, PushOutcome)], usize, usize),
) -> Result<(PushCounts, Vec<(String, PushOutcome)>), EngineError> {
    let _lock = lock(ledger).lock_plan(plan_id)?;
    // Who we are and whether the fields are ready are asked at the same time.
    let info = match client.connection() {
        Some(info) => {
            ensure_fields(client).await?;
            info
        }
        None => {
            client.authenticate().await?;
            let (info, fields) = tokio::join!(client.identify(), ensure_fields(client));
            fields?;
            info?
        }
    };
    let actor = actor_of(&info);
    settle(client, ledger, plan_id, &actor).await?;
    let total = drafts.len();
    tracing::info!(
        plan_id,
        org_id = %actor.org_id,
        user = %actor.username,
        moves = total,
        concurrency = options.in_flight(),
        "push starting"
    );
    let keys: Vec<String> = drafts.iter().map(|d| d.external_id.clone()).collect();
    lock(ledger).record_intent(plan_id, plan_name, &actor.org_id, IntentAction::Push, &keys)?;

    let actor_ref = &actor;
    let started = Started::new(total.div_ceil(MAX_BATCH));
    let started_ref = &started;
    let mut jobs = Vec::new();
    for (index, batch) in drafts.chunks(MAX_BATCH).enumerate() {
        jobs.push(async move {
            started_ref.mark(index);
            push_batch(client, ledger, (plan_id, plan_name), actor_ref, batch)
                .await
                .map(|outcomes| (index, outcomes))
        });
    }
    let mut by_batch: Vec<Option<Vec<(String, PushOutcome)>>> =
        vec![None; total.div_ceil(MAX_BATCH)];
    let mut counts = PushCounts::default();
    let mut done = 0;
    let (counts_ref, done_ref, slots, report) =
        (&mut counts, &mut done, &mut by_batch, &mut on_batch);
    let result = run_batches(jobs, options.in_flight(), move |(index, outcomes)| {
        for (_, outcome) in &outcomes {
            match outcome {
                PushOutcome::Created { .. } => counts_ref.created += 1,
                PushOutcome::Updated { .. } => counts_ref.updated += 1,
                PushOutcome::Failed { .. } => counts_ref.failed += 1,
            }
        }
        *done_ref += outcomes.len();
        report(&outcomes, *done_ref, total);
        if let Some(slot) = slots.get_mut(index) {
            *slot = Some(outcomes);
        }
    })
    .await;
    match &result {
        Ok(()) => tracing::info!(
            plan_id,
            created = counts.created,
            updated = counts.updated,
            failed = counts.failed,
            "push finished"
        ),
        Err(err) => tracing::warn!(plan_id, done, total, error = %err, "push stopped"),
    }

    if let Err(err) = result {
        // Moves whose batch never started were certainly not sent; only the batch that
        // failed keeps its intents, to be settled with Salesforce next time.
        let unsent: Vec<String> = drafts
            .chunks(MAX_BATCH)
            .enumerate()
            .filter(|(index, _)| !started.was(*index))
            .flat_map(|(_, batch)| batch.iter().map(|d| d.external_id.clone()))
            .collect();
        lock(ledger).clear_intents(plan_id, &actor.org_id, IntentAction::Push, &unsent)?;
        return Err(EngineError::Interrupted {
            done,
            total,
            source: Box::new(err),
        });
    }

    Ok((counts, by_batch.into_iter().flatten().flatten().collect()))
}

/// Fills in the CaseNumbers the ledger lacks for the plan's pushed Cases in the connected
/// org (the upsert answer carries none): one query per 500 Cases, several at once, after
/// the push rather than on its critical path. Returns them by Case Id and puts them into
/// `outcomes`. A failure loses nothing (the Ids are recorded), so it is logged, not raised.
pub async fn fill_case_numbers(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    options: RunOptions,
    outcomes: &mut [(String, PushOutcome)],
) -> Result<std::collections::HashMap<String, String>, EngineError> {
    let info = connection(client).await?;
    let actor = actor_of(&info);
    let missing: Vec<String> = lock(ledger)
        .pushed_cases(plan_id, &actor.org_id)?
        .into_iter()
        .filter(|c| c.case_number.is_none())
        .map(|c| c.case_id)
        .collect();
    let batches: Vec<Vec<String>> = missing
        .chunks(NUMBERS_PER_QUERY)
        .map(<[String]>::to_vec)
        .collect();
    let numbers = fetch_case_numbers(client, ledger, &actor, batches, options.in_flight()).await;
    for (_, outcome) in outcomes.iter_mut() {
        if let PushOutcome::Created {
            case_id,
            case_number,
        }
        | PushOutcome::Updated {
            case_id,
            case_number,
        } = outcome
            && let Some(number) = numbers.get(case_id.as_str())
        {
            *case_number = Some(number.clone());
        }
    }
    Ok(numbers)
}

/// Case Ids per CaseNumber query: 500 quoted 18-character ids keep the URL near 11 KB,
/// under Salesforce's 16,384-byte limit.
const NUMBERS_PER_QUERY: usize = 500;

/// One query per batch of Case Ids, up to `in_flight` at once; the numbers are recorded.
async fn fetch_case_numbers(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    actor: &Actor,
    batches: Vec<Vec<String>>,
    in_flight: usize,
) -> std::collections::HashMap<String, String> {
    let mut queries = Vec::new();
    for ids in batches {
        queries.push(async move {
            let soql = format!(
                "SELECT Id, CaseNumber FROM Case WHERE Id IN {}",
                soql::quote_list(ids.iter().map(String::as_str))
            );
            client.query(&soql).await.map_err(EngineError::from)
        });
    }
    let mut numbers = std::collections::HashMap::new();
    let mut found_all = Vec::new();
    let result = run_batches(
        queries,
        in_flight,
        |result: crate::salesforce::QueryResult| {
            found_all.extend(result.records.iter().filter_map(|r| {
                Some((
                    r.get("Id")?.as_str()?.to_owned(),
                    r.get("CaseNumber")?.as_str()?.to_owned(),
                ))
            }));
        },
    )
    .await;
    if let Err(err) = result {
        tracing::warn!(error = %err, "could not read every CaseNumber; the missing ones stay blank");
    }
    if let Err(err) = lock(ledger).record_case_numbers(&actor.org_id, &found_all) {
        tracing::warn!(error = %err, "could not record CaseNumbers");
    }
    numbers.extend(found_all);
    numbers
}

/// Sends one batch of deletes (resending locked records) and records its outcomes.
async fn undo_batch(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    actor: &Actor,
    batch: &[String],
) -> Result<Vec<(String, UndoOutcome)>, EngineError> {
    let results = send_with_record_retries(
        batch,
        |ids: Vec<String>| async move { client.delete_cases(&ids).await },
        |r| matches!(r, DeleteResult::Failed { errors } if retryable_errors(errors)),
    )
    .await?;
    let mut records = Vec::with_capacity(batch.len());
    let mut outcomes = Vec::with_capacity(batch.len());
    for (case_id, result) in batch.iter().zip(results) {
        let outcome = match result {
            DeleteResult::Deleted => {
                records.push((case_id.clone(), "deleted", None));
                UndoOutcome::Deleted
            }
            DeleteResult::AlreadyGone { .. } => {
                records.push((case_id.clone(), "already_gone", None));
                UndoOutcome::AlreadyGone
            }
            DeleteResult::Failed { errors } => {
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
    lock(ledger).record_undo(plan_id, actor, &records)?;
    Ok(outcomes)
}

/// Deletes the plan's Cases that the ledger holds as pushed in the connected org (all of
/// them, or only `selection`), in batches of up to 200 with `options.concurrency` in
/// flight, recording each batch before reporting it. Outcomes are keyed by Case Id.
pub async fn undo(
    client: &SalesforceClient,
    ledger: &Mutex<Ledger>,
    plan_id: &str,
    selection: Option<&[String]>,
    options: RunOptions,
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
        orgs.sort();
        orgs.dedup();
        return Err(EngineError::WrongOrg(format!(
            "plan {plan_id} has no pushed Cases in org {} but has some in org {}; connect to that org to undo them",
            actor.org_id,
            orgs.join(", ")
        )));
    }
    let total = targets.len();
    tracing::info!(plan_id, org_id = %actor.org_id, cases = total, "undo starting");
    lock(ledger).record_intent(plan_id, "", &actor.org_id, IntentAction::Undo, &targets)?;
    let actor_ref = &actor;
    let started = Started::new(total.div_ceil(MAX_BATCH));
    let started_ref = &started;
    let mut jobs = Vec::new();
    for (index, batch) in targets.chunks(MAX_BATCH).enumerate() {
        jobs.push(async move {
            started_ref.mark(index);
            undo_batch(client, ledger, plan_id, actor_ref, batch).await
        });
    }
    let mut counts = UndoCounts::default();
    let mut all = Vec::with_capacity(total);
    let result = run_batches(
        jobs,
        options.in_flight(),
        |outcomes: Vec<(String, UndoOutcome)>| {
            for (_, outcome) in &outcomes {
                match outcome {
                    UndoOutcome::Deleted => counts.deleted += 1,
                    UndoOutcome::AlreadyGone => counts.already_gone += 1,
                    UndoOutcome::Failed { .. } => counts.failed += 1,
                }
            }
            all.extend(outcomes.iter().cloned());
            on_batch(&outcomes, all.len(), total);
        },
    )
    .await;
    match &result {
        Ok(()) => tracing::info!(
            plan_id,
            deleted = counts.deleted,
            already_gone = counts.already_gone,
            failed = counts.failed,
            "undo finished"
        ),
        Err(err) => tracing::warn!(plan_id, done = all.len(), total, error = %err, "undo stopped"),
    }
    if let Err(err) = result {
        let unsent: Vec<String> = targets
            .chunks(MAX_BATCH)
            .enumerate()
            .filter(|(index, _)| !started.was(*index))
            .flat_map(|(_, batch)| batch.iter().cloned())
            .collect();
        lock(ledger).clear_intents(plan_id, &actor.org_id, IntentAction::Undo, &unsent)?;
        return Err(EngineError::Interrupted {
            done: all.len(),
            total,
            source: Box::new(err),
        });
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
