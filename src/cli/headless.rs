//! The headless commands: the same engine as the console, for scripts. Text goes to
//! stdout (progress to stderr); `--json` prints one JSON object on stdout.

use std::io::{BufRead, IsTerminal, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::args::{ConnectionArgs, FixArgs, PushArgs, StatusArgs, UndoArgs};
use super::{EXIT_OK, EXIT_PARTIAL, Failure, resolve_settings};
use crate::config::Paths;
use crate::engine::{self, PushCounts, PushOutcome, UndoOutcome};
use crate::ledger::{CaseState, Ledger};
use crate::plan::{self, Disposition, MapOptions, Plan};
use crate::salesforce::advice::explain;
use crate::salesforce::setup::{self, SetupReport, ToolingView};
use crate::salesforce::{ConnectionInfo, SalesforceClient};

fn print_json(value: &Value) {
    // serde_json cannot fail on a Value built here.
    out!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

async fn connect(
    args: &ConnectionArgs,
    paths: &Paths,
) -> Result<(SalesforceClient, ConnectionInfo), Failure> {
    let settings = resolve_settings(args, paths)?;
    let client = SalesforceClient::new(settings).map_err(|e| Failure::new(explain(&e)))?;
    let info = client
        .login()
        .await
        .map_err(|e| Failure::new(format!("cannot connect: {}", explain(&e))))?;
    Ok((client, info))
}

fn connection_json(info: &ConnectionInfo) -> Value {
    json!({
        "instance_url": info.instance_url,
        "org_id": info.org_id,
        "user_id": info.user_id,
        "username": info.username,
        "api_version": info.api_version,
        "api_usage": info.api_usage.map(|(used, max)| json!({"used": used, "max": max})),
    })
}

/// Asks on the terminal; without one, refuses unless `--yes` was given.
fn confirm(question: &str, yes: bool) -> Result<(), Failure> {
    if yes {
        return Ok(());
    }
    if !std::io::stdin().is_terminal() {
        return Err(Failure::new(format!(
            "{question} Refusing to write without asking: there is no terminal to ask on; add --yes to go ahead"
        )));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes") {
        Ok(())
    } else {
        Err(Failure::new("nothing was changed (not confirmed)"))
    }
}

fn field_json(c: &crate::salesforce::FieldCheck) -> Value {
    json!({
        "name": c.spec.api_name,
        "status": c.status.as_str(),
        "detail": c.detail,
        "expected": c.expected(),
        "found": c.found,
        "warnings": c.warnings,
    })
}

fn print_fields(report: &SetupReport) {
    out!("Case fields:");
    for c in &report.checks {
        out!(
            "  {:<18} {:<16} {}",
            c.spec.api_name,
            c.status.as_str(),
            c.found.as_deref().unwrap_or("-")
        );
        if !c.detail.is_empty() {
            out!("      {}", c.detail);
        }
        for warning in &c.warnings {
            out!("      warning: {warning}");
        }
    }
    if let ToolingView::Unavailable(reason) = &report.tooling {
        out!(
            "  (this user may not read setup, so a field it cannot see may exist but be hidden: {reason})"
        );
    }
}

async fn inspect(client: &SalesforceClient) -> Result<SetupReport, Failure> {
    setup::inspect(client)
        .await
        .map_err(|e| Failure::new(format!("cannot check the fields: {}", explain(&e))))
}

/// `moveforce check`: the connection, who and where, the fields, and the rights on Case.
pub async fn check(args: &ConnectionArgs, paths: &Paths, as_json: bool) -> Result<u8, Failure> {
    let (client, info) = connect(args, paths).await?;
    let report = inspect(&client).await?;
    let access = report.case_access_problems();
    let ok = report.fields_ok() && access.is_empty();
    let info = client.connection().unwrap_or(info);
    if as_json {
        print_json(&json!({
            "ok": ok,
            "connection": connection_json(&info),
            "case_access": {"create": report.case_createable, "delete": report.case_deletable, "problems": access},
            "fields": report.checks.iter().map(field_json).collect::<Vec<_>>(),
        }));
    } else {
        out!("Connected to {} as {}", info.instance_url, info.username);
        out!(
            "  org {}  user {}  API v{}",
            info.org_id,
            info.user_id,
            info.api_version
        );
        if let Some((used, max)) = info.api_usage {
            out!("  API requests used: {used} of {max} (rolling 24 h)");
        }
        for problem in &access {
            out!("  problem: {problem}");
        }
        print_fields(&report);
        out!(
            "{}",
            if ok {
                "Ready to push."
            } else {
                if report.fields_ok() {
                    "Not ready: see the problems above."
                } else {
                    "Not ready: see above (`moveforce fields fix` repairs the fields)."
                }
            }
        );
    }
    Ok(if ok { EXIT_OK } else { EXIT_PARTIAL })
}

/// `moveforce fields check`: one status per field; 0 only when every field is ok.
pub async fn fields_check(
    args: &ConnectionArgs,
    paths: &Paths,
    as_json: bool,
) -> Result<u8, Failure> {
    let (client, _) = connect(args, paths).await?;
    let report = inspect(&client).await?;
    let ok = report.fields_ok();
    if as_json {
        print_json(&json!({
            "ok": ok,
            "fields": report.checks.iter().map(field_json).collect::<Vec<_>>(),
        }));
    } else {
        print_fields(&report);
        out!(
            "{}",
            if ok {
                "All seven fields are ok."
            } else {
                "Not ready: `moveforce fields fix` shows what it would repair."
            }
        );
    }
    Ok(if ok { EXIT_OK } else { EXIT_PARTIAL })
}

/// `moveforce fields fix`: shows the plan, asks, repairs, checks again.
pub async fn fields_fix(paths: &Paths, fix: FixArgs) -> Result<u8, Failure> {
    let (client, info) = connect(&fix.connection, paths).await?;
    let report = inspect(&client).await?;
    let plan = setup::plan_repair(&client, &report, &info.user_id)
        .await
        .map_err(|e| Failure::new(format!("cannot read the permission sets: {}", explain(&e))))?;
    let planned: Vec<String> = plan.steps.iter().map(|s| s.describe()).collect();
    if !fix.json {
        if planned.is_empty() {
            out!("Nothing to repair through the API.");
        } else {
            out!(
                "moveforce will, in org {} ({}):",
                info.org_id,
                info.instance_url
            );
            for step in &planned {
                out!("  - {step}");
            }
        }
        for manual in &plan.manual {
            out!("  by hand: {manual}");
        }
    }
    let outcomes = if plan.is_empty() {
        Vec::new()
    } else {
        confirm(
            &format!("Make these {} change(s) to the org?", planned.len()),
            fix.yes,
        )?;
        setup::repair(&client, &plan, &info.user_id).await
    };
    let after = inspect(&client).await?;
    let ok = after.fields_ok();
    let failed = outcomes.iter().filter(|o| o.result.is_err()).count();
    if fix.json {
        print_json(&json!({
            "ok": ok,
            "steps": outcomes.iter().map(|o| json!({
                "step": o.step,
                "ok": o.result.is_ok(),
                "error": o.result.as_ref().err(),
            })).collect::<Vec<_>>(),
            "manual": plan.manual,
            "fields": after.checks.iter().map(field_json).collect::<Vec<_>>(),
        }));
    } else {
        for outcome in &outcomes {
            match &outcome.result {
                Ok(()) => out!("  done: {}", outcome.step),
                Err(e) => out!("  FAILED: {}: {e}", outcome.step),
            }
        }
        out!("After the repair:");
        print_fields(&after);
        out!(
            "{}",
            if ok {
                "All seven fields are ok."
            } else {
                "Not everything could be repaired: see above."
            }
        );
    }
    Ok(if ok && failed == 0 {
        EXIT_OK
    } else {
        EXIT_PARTIAL
    })
}

fn skipped_reason(mv: &plan::Move) -> String {
    match mv.disposition() {
        Disposition::Future => format!(
            "future move{}",
            mv.move_date
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        Disposition::Cancelled => "cancelled".to_owned(),
        Disposition::Invalid => mv
            .problems
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join("; "),
        Disposition::Now => String::new(),
    }
}

fn outcome_json(move_id: &str, outcome: &PushOutcome) -> Value {
    match outcome {
        PushOutcome::Created {
            case_id,
            case_number,
        } => {
            json!({"move_id": move_id, "result": "created", "case_id": case_id, "case_number": case_number})
        }
        PushOutcome::Updated {
            case_id,
            case_number,
        } => {
            json!({"move_id": move_id, "result": "updated", "case_id": case_id, "case_number": case_number})
        }
        PushOutcome::Failed { code, message } => {
            json!({"move_id": move_id, "result": "failed", "error": {"code": code, "message": message}})
        }
    }
}

fn load_plan(path: &Path, strict: bool) -> Result<Plan, Failure> {
    Ok(plan::load(path, MapOptions { strict })?)
}

pub async fn push(paths: &Paths, push: PushArgs) -> Result<u8, Failure> {
    let args = &push.connection;
    let plan = load_plan(&push.plan, push.strict)?;
    let counts = plan.counts();
    if !push.json {
        out!(
            "Plan {} \"{}\": {} now, {} future, {} cancelled, {} invalid",
            plan.plan_id,
            plan.plan_name,
            counts.now,
            counts.future,
            counts.cancelled,
            counts.invalid
        );
        for mv in plan
            .moves
            .iter()
            .filter(|m| m.disposition() == Disposition::Invalid)
        {
            out!(
                "  not pushed: {} ({}): {}",
                mv.move_id,
                mv.origin,
                skipped_reason(mv)
            );
        }
        for mv in plan.now_moves().filter(|m| !m.truncated.is_empty()) {
            out!(
                "  cut to fit: {} ({}): full text kept in the Description",
                mv.move_id,
                mv.truncated.join(", ")
            );
        }
    }
    let drafts: Vec<_> = plan
        .now_moves()
        .map(|mv| plan::map_move(&plan, mv))
        .collect();
    let (client, info) = connect(args, paths).await?;
    if drafts.is_empty() {
        if push.json {
            print_json(&push_json(
                &plan,
                &info,
                PushCounts {
                    skipped: plan.moves.len(),
                    ..Default::default()
                },
                &[],
                None,
            ));
        } else {
            out!("Nothing to push: the plan has no valid now-moves.");
        }
        return Ok(EXIT_OK);
    }
    confirm(
        &format!(
            "Push {} Case(s) for plan {} to org {} ({}) as {}?",
            drafts.len(),
            plan.plan_id,
            info.org_id,
            info.instance_url,
            info.username
        ),
        push.yes,
    )?;
    let ledger = Mutex::new(Ledger::open(&paths.ledger_file())?);
    let mut outcomes: Vec<(String, PushOutcome)> = Vec::new();
    let mut progress = Progress::new("pushed", push.json);
    let options = engine::RunOptions {
        concurrency: push.concurrency,
    };
    let result = engine::push(
        &client,
        &ledger,
        &plan.plan_id,
        &plan.plan_name,
        &drafts,
        options,
        |batch: &[(String, PushOutcome)], done, total| {
            outcomes.extend(batch.iter().cloned());
            let failed = batch
                .iter()
                .filter(|(_, o)| matches!(o, PushOutcome::Failed { .. }))
                .count();
            progress.report(done, total, failed);
        },
    )
    .await;
    // Then the CaseNumbers, which the upsert answers do not carry.
    if let Ok((_, all)) = &result {
        outcomes = all.clone();
        engine::fill_case_numbers(&client, &ledger, &plan.plan_id, options, &mut outcomes)
            .await
            .map_err(|e| Failure::new(engine_message(&e)))?;
    }
    let (mut counts, error) = match result {
        Ok((counts, _)) => (counts, None),
        Err(err) => (tally(&outcomes), Some(engine_message(&err))),
    };
    counts.skipped = plan.moves.len() - drafts.len();
    if push.json {
        print_json(&push_json(
            &plan,
            &info,
            counts,
            &outcomes,
            error.as_deref(),
        ));
    } else {
        for (move_id, outcome) in &outcomes {
            match outcome {
                PushOutcome::Created {
                    case_id,
                    case_number,
                } => out!(
                    "  created  {move_id}  {case_id}  {}",
                    case_number.as_deref().unwrap_or("")
                ),
                PushOutcome::Updated {
                    case_id,
                    case_number,
                } => out!(
                    "  updated  {move_id}  {case_id}  {}",
                    case_number.as_deref().unwrap_or("")
                ),
                PushOutcome::Failed { code, message } => {
                    out!("  FAILED   {move_id}  {code}: {message}")
                }
            }
        }
        // A run stopped before anything came back has no counts to report.
        if error.is_none() || !outcomes.is_empty() {
            out!(
                "Created {}, updated {}, failed {}, skipped {}.",
                counts.created,
                counts.updated,
                counts.failed,
                counts.skipped
            );
        }
    }
    if let Some(error) = error {
        return Err(Failure::new(error));
    }
    Ok(if counts.failed > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

/// Progress on stderr as batches finish: done, failed, rate and time left.
struct Progress {
    verb: &'static str,
    quiet: bool,
    started: std::time::Instant,
    failed: usize,
}

impl Progress {
    fn new(verb: &'static str, quiet: bool) -> Progress {
        Progress {
            verb,
            quiet,
            started: std::time::Instant::now(),
            failed: 0,
        }
    }

    fn report(&mut self, done: usize, total: usize, failed: usize) {
        self.failed += failed;
        if self.quiet {
            return;
        }
        let elapsed = self.started.elapsed().as_secs_f64().max(0.001);
        let rate = done as f64 / elapsed;
        let left = if rate > 0.0 {
            total.saturating_sub(done) as f64 / rate
        } else {
            0.0
        };
        eprintln!(
            "  {} {done}/{total}, {} failed, {rate:.0}/s, {left:.1} s left",
            self.verb, self.failed
        );
    }
}

fn engine_message(err: &engine::EngineError) -> String {
    match err {
        engine::EngineError::Salesforce(sf) => explain(sf),
        other => other.to_string(),
    }
}

fn tally(outcomes: &[(String, PushOutcome)]) -> PushCounts {
    let mut counts = PushCounts::default();
    for (_, outcome) in outcomes {
        match outcome {
            PushOutcome::Created { .. } => counts.created += 1,
            PushOutcome::Updated { .. } => counts.updated += 1,
            PushOutcome::Failed { .. } => counts.failed += 1,
        }
    }
    counts
}

fn push_json(
    plan: &Plan,
    info: &ConnectionInfo,
    counts: PushCounts,
    outcomes: &[(String, PushOutcome)],
    error: Option<&str>,
) -> Value {
    let mut results = Vec::with_capacity(plan.moves.len());
    for mv in &plan.moves {
        if mv.disposition() != Disposition::Now {
            results.push(json!({
                "move_id": mv.move_id,
                "result": "skipped",
                "disposition": mv.disposition().as_str(),
                "reason": skipped_reason(mv),
            }));
        } else if let Some((_, outcome)) = outcomes.iter().find(|(id, _)| *id == mv.move_id) {
            let mut value = outcome_json(&mv.move_id, outcome);
            if !mv.truncated.is_empty() {
                value["truncated"] = json!(mv.truncated);
            }
            results.push(value);
        } else {
            results.push(json!({"move_id": mv.move_id, "result": "not_sent"}));
        }
    }
    let mut value = json!({
        "plan_id": plan.plan_id,
        "org_id": info.org_id,
        "username": info.username,
        "created": counts.created,
        "updated": counts.updated,
        "failed": counts.failed,
        "skipped": counts.skipped,
        "results": results,
    });
    if let Some(error) = error {
        value["error"] = json!(error);
    }
    value
}

/// A plan file's id, or the text itself as a plan id.
fn plan_id_of(text: &str) -> Result<String, Failure> {
    let path = Path::new(text);
    if path.is_file() {
        return Ok(load_plan(path, false)?.plan_id);
    }
    // Something that reads as a file name but is not there is a typo, not a plan id.
    let looks_like_file = matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("json" | "csv" | "JSON" | "CSV")
    );
    if looks_like_file {
        return Err(Failure::new(format!(
            "{text}: no such plan file (to name a plan by its id, give the id from `moveforce status`)"
        )));
    }
    Ok(text.to_owned())
}

pub async fn undo(paths: &Paths, undo: UndoArgs) -> Result<u8, Failure> {
    let args = &undo.connection;
    let plan_id = plan_id_of(&undo.plan)?;
    let ledger = Ledger::open(&paths.ledger_file())?;
    if ledger.cases(&plan_id)?.is_empty() {
        return Err(Failure::new(format!(
            "the ledger ({}) holds no Cases for plan {plan_id}; `moveforce status` lists the plans it knows",
            paths.ledger_file().display()
        )));
    }
    let (client, info) = connect(args, paths).await?;
    let pending = ledger.pushed_cases(&plan_id, &info.org_id)?.len();
    if pending > 0 {
        confirm(
            &format!(
                "Delete {pending} Case(s) of plan {plan_id} from org {} ({})?",
                info.org_id, info.instance_url
            ),
            undo.yes,
        )?;
    }
    let ledger = Mutex::new(ledger);
    let mut outcomes: Vec<(String, UndoOutcome)> = Vec::new();
    let mut progress = Progress::new("undone", undo.json);
    let options = engine::RunOptions {
        concurrency: undo.concurrency,
    };
    let result = engine::undo(
        &client,
        &ledger,
        &plan_id,
        None,
        options,
        |batch: &[(String, UndoOutcome)], done, total| {
            outcomes.extend(batch.iter().cloned());
            let failed = batch
                .iter()
                .filter(|(_, o)| matches!(o, UndoOutcome::Failed { .. }))
                .count();
            progress.report(done, total, failed);
        },
    )
    .await;
    let error = result.as_ref().err().map(engine_message);
    let (mut deleted, mut gone, mut failed) = (0, 0, 0);
    for (_, outcome) in &outcomes {
        match outcome {
            UndoOutcome::Deleted => deleted += 1,
            UndoOutcome::AlreadyGone => gone += 1,
            UndoOutcome::Failed { .. } => failed += 1,
        }
    }
    let move_ids: std::collections::HashMap<String, String> = ledger
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .cases(&plan_id)?
        .into_iter()
        .map(|c| (c.case_id, c.move_id))
        .collect();
    let move_of = |case_id: &str| move_ids.get(case_id).cloned().unwrap_or_default();
    if undo.json {
        let results: Vec<Value> = outcomes
            .iter()
            .map(|(case_id, outcome)| {
                let move_id = move_of(case_id);
                match outcome {
                    UndoOutcome::Deleted => json!({"move_id": move_id, "case_id": case_id, "result": "deleted"}),
                    UndoOutcome::AlreadyGone => json!({"move_id": move_id, "case_id": case_id, "result": "already_gone"}),
                    UndoOutcome::Failed { code, message } => json!({"move_id": move_id, "case_id": case_id, "result": "failed", "error": {"code": code, "message": message}}),
                }
            })
            .collect();
        let mut value = json!({
            "plan_id": plan_id,
            "org_id": info.org_id,
            "username": info.username,
            "deleted": deleted,
            "already_gone": gone,
            "failed": failed,
            "results": results,
        });
        if let Some(error) = &error {
            value["error"] = json!(error);
        }
        print_json(&value);
    } else {
        for (case_id, outcome) in &outcomes {
            let move_id = move_of(case_id);
            match outcome {
                UndoOutcome::Deleted => out!("  deleted       {move_id}  {case_id}"),
                UndoOutcome::AlreadyGone => out!("  already gone  {move_id}  {case_id}"),
                UndoOutcome::Failed { code, message } => {
                    out!("  FAILED        {move_id}  {case_id}  {code}: {message}")
                }
            }
        }
        out!("Deleted {deleted}, already gone {gone}, failed {failed}.");
    }
    if let Some(error) = error {
        return Err(Failure::new(error));
    }
    Ok(if failed > 0 { EXIT_PARTIAL } else { EXIT_OK })
}

pub fn status(paths: &Paths, status: StatusArgs) -> Result<u8, Failure> {
    let ledger = Ledger::open(&paths.ledger_file())?;
    let Some(plan) = status.plan else {
        let plans = ledger.plans()?;
        if status.json {
            print_json(&json!({
                "ledger": paths.ledger_file().display().to_string(),
                "plans": plans.iter().map(|p| json!({
                    "plan_id": p.plan_id, "plan_name": p.plan_name, "org_id": p.org_id,
                    "pushed": p.pushed, "deleted": p.deleted, "last_at": p.last_at,
                })).collect::<Vec<_>>(),
            }));
        } else if plans.is_empty() {
            out!(
                "The ledger ({}) holds no plans yet.",
                paths.ledger_file().display()
            );
        } else {
            out!(
                "{:<20} {:<18} {:>7} {:>8}  last activity",
                "plan",
                "org",
                "pushed",
                "deleted"
            );
            for p in &plans {
                out!(
                    "{:<20} {:<18} {:>7} {:>8}  {}",
                    p.plan_id,
                    p.org_id,
                    p.pushed,
                    p.deleted,
                    p.last_at
                );
            }
        }
        return Ok(EXIT_OK);
    };
    let plan_id = plan_id_of(&plan)?;
    let cases = ledger.cases(&plan_id)?;
    let unknown = ledger.pending_intents(&plan_id)?;
    if status.json {
        print_json(&json!({
            "plan_id": plan_id,
            "unknown": unknown.iter().map(|i| json!({
                "action": i.action.as_str(), "key": i.key, "org_id": i.org_id, "since": i.at,
            })).collect::<Vec<_>>(),
            "pushed": cases.iter().filter(|c| c.state == CaseState::Pushed).count(),
            "deleted": cases.iter().filter(|c| c.state == CaseState::Deleted).count(),
            "cases": cases.iter().map(|c| json!({
                "move_id": c.move_id, "case_id": c.case_id, "case_number": c.case_number,
                "state": c.state.as_str(), "last_action": c.last_action, "at": c.at,
                "org_id": c.org_id, "username": c.username,
            })).collect::<Vec<_>>(),
        }));
    } else if cases.is_empty() && unknown.is_empty() {
        out!("The ledger holds no Cases for plan {plan_id}.");
    } else {
        if !unknown.is_empty() {
            out!(
                "{} request(s) of plan {plan_id} have an unknown outcome (a push or undo was interrupted); run the same push or undo again and they are settled with Salesforce first:",
                unknown.len()
            );
            for intent in &unknown {
                let what = match intent.action {
                    crate::ledger::IntentAction::Push => "push of move",
                    crate::ledger::IntentAction::Undo => "undo of Case",
                };
                out!(
                    "  {what} {}  (org {}, since {})",
                    intent.key,
                    intent.org_id,
                    intent.at
                );
            }
        }
        out!(
            "{:<16} {:<18} {:<10} {:<8} {:<13} at",
            "move",
            "case id",
            "number",
            "state",
            "last action"
        );
        for c in &cases {
            out!(
                "{:<16} {:<18} {:<10} {:<8} {:<13} {}",
                c.move_id,
                c.case_id,
                c.case_number.as_deref().unwrap_or("-"),
                c.state.as_str(),
                c.last_action,
                c.at
            );
        }
    }
    Ok(EXIT_OK)
}
