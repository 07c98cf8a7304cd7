//! Nothing lost, nothing duplicated: the headless push and undo are killed (SIGKILL) at
//! several points against a slow sandbox, then run again until done; and a large push runs
//! through a sandbox that fails requests and expires sessions. Afterwards every now-move has
//! exactly one Case and the ledger agrees with the org.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use moveforce::config::{ConnectionSettings, Flow};
use moveforce::ledger::{CaseState, Ledger};
use moveforce::salesforce::SalesforceClient;
use moveforce::sandbox::{Sandbox, SandboxConfig, SandboxCredentials};
use serde_json::json;

const PLAN_ID: &str = "CRASH-1";

fn write_plan(dir: &Path, moves: usize) -> String {
    let moves: Vec<_> = (0..moves)
        .map(|i| {
            json!({
                "move_id": format!("k-{i:05}"), "move_type": "seat", "now": true,
                "employee": {"employee_id": format!("E{i:05}"), "name": format!("Person {i}")},
                "department": "Ops", "current_seat": null,
                "new_seat": {"building_code": "HQ", "floor_code": "4", "seat_code": format!("4.{i:03}")}
            })
        })
        .collect();
    let plan = json!({"schema_version": "1.0", "plan_id": PLAN_ID, "plan_name": "Crash test", "moves": moves});
    let path = dir.join("plan.json");
    std::fs::write(&path, plan.to_string()).expect("write plan");
    path.display().to_string()
}

fn command(sandbox: &Sandbox, data: &Path, args: &[&str]) -> Command {
    let creds = SandboxCredentials::default();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_moveforce"));
    cmd.args(args)
        .env("MOVEFORCE_DATA_DIR", data)
        .env("MOVEFORCE_LOGIN_URL", sandbox.base_url())
        .env("MOVEFORCE_CLIENT_ID", &creds.client_id)
        .env("MOVEFORCE_CLIENT_SECRET", &creds.client_secret)
        .env("MOVEFORCE_USERNAME", &creds.username)
        .env("MOVEFORCE_PASSWORD", &creds.password)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Starts the command, kills it with SIGKILL after `after`, and reports whether it had
/// already finished by itself.
fn run_and_kill(mut cmd: Command, after: Duration) -> bool {
    let mut child = cmd.spawn().expect("spawn");
    std::thread::sleep(after);
    match child.try_wait().expect("try_wait") {
        Some(_) => true,
        None => {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
            false
        }
    }
}

fn run_to_end(cmd: &mut Command) -> serde_json::Value {
    let output = cmd.output().expect("run");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\n{stdout}\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_default()
}

/// Case Id of every live Case in the org, by external id (several per id would be a
/// duplicate).
async fn org_cases(sandbox: &Sandbox) -> HashMap<String, Vec<String>> {
    let creds = SandboxCredentials::default();
    let client = SalesforceClient::new(ConnectionSettings {
        login_url: sandbox.base_url(),
        flow: Flow::ClientCredentials,
        client_id: creds.client_id,
        client_secret: creds.client_secret.into(),
        api_version: "62.0".to_owned(),
        ..Default::default()
    })
    .expect("client");
    let records = client
        .query("SELECT Id, ExternalID__c FROM Case")
        .await
        .expect("query")
        .records;
    let mut by_key: HashMap<String, Vec<String>> = HashMap::new();
    for record in records {
        let key = record["ExternalID__c"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let id = record["Id"].as_str().unwrap_or_default().to_owned();
        by_key.entry(key).or_default().push(id);
    }
    by_key
}

fn ledger_pushed(data: &Path) -> HashMap<String, String> {
    let ledger = Ledger::open(&data.join("ledger.sqlite3")).expect("ledger");
    assert!(
        ledger.pending_intents(PLAN_ID).expect("intents").is_empty(),
        "all settled"
    );
    ledger
        .cases(PLAN_ID)
        .expect("cases")
        .into_iter()
        .filter(|c| c.state == CaseState::Pushed)
        .map(|c| (c.move_id, c.case_id))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_pushes_and_undos_finish_on_rerun_with_one_case_per_move() {
    const MOVES: usize = 1000;
    // Non-unique external ids: a blind re-create would show up as a duplicate here.
    let sandbox = Sandbox::start(SandboxConfig {
        latency_ms: 60,
        external_id_unique: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(dir.path(), MOVES);
    let data = dir.path().join("data");
    let push = ["push", plan.as_str(), "--yes", "--json"];

    let kill_points = [150u64, 320, 500, 700, 900, 1200];
    let mut killed = 0;
    for ms in kill_points {
        if !run_and_kill(command(&sandbox, &data, &push), Duration::from_millis(ms)) {
            killed += 1;
        }
    }
    assert!(
        killed >= 3,
        "the push must really be interrupted ({killed} kills)"
    );
    let out = run_to_end(&mut command(&sandbox, &data, &push));
    assert_eq!(out["failed"], 0, "{out}");

    let org = org_cases(&sandbox).await;
    assert_eq!(org.len(), MOVES, "every now-move has a Case");
    let duplicates: Vec<_> = org.iter().filter(|(_, ids)| ids.len() > 1).collect();
    assert!(duplicates.is_empty(), "duplicated: {duplicates:?}");
    let ledger = ledger_pushed(&data);
    let org_ids: HashMap<String, String> = org
        .into_iter()
        .map(|(k, ids)| (k, ids[0].clone()))
        .collect();
    assert_eq!(ledger, org_ids, "the ledger holds exactly the org's Cases");

    // The same for undo.
    let undo = ["undo", PLAN_ID, "--yes", "--json"];
    let mut killed = 0;
    for ms in [150u64, 300, 450, 650] {
        if !run_and_kill(command(&sandbox, &data, &undo), Duration::from_millis(ms)) {
            killed += 1;
        }
    }
    assert!(
        killed >= 2,
        "the undo must really be interrupted ({killed} kills)"
    );
    run_to_end(&mut command(&sandbox, &data, &undo));
    assert!(org_cases(&sandbox).await.is_empty(), "no Case is left");
    assert!(ledger_pushed(&data).is_empty(), "the ledger agrees");
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_faulty_org_with_short_sessions_still_gets_exactly_one_case_per_move() {
    const MOVES: usize = 3000;
    let sandbox = Sandbox::start(SandboxConfig {
        fault_rate: 0.15,
        seed: 7,
        session_ttl_s: Some(1),
        latency_ms: 5,
        external_id_unique: false,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(dir.path(), MOVES);
    let data = dir.path().join("data");
    let out = run_to_end(&mut command(
        &sandbox,
        &data,
        &["push", &plan, "--yes", "--json"],
    ));
    assert_eq!(
        out["created"].as_u64(),
        Some(MOVES as u64),
        "{}",
        out["error"]
    );
    assert!(
        sandbox.stats().faults_injected > 0,
        "faults really happened"
    );

    let org = org_cases(&sandbox).await;
    assert_eq!(org.len(), MOVES);
    assert!(org.values().all(|ids| ids.len() == 1), "no duplicate");
    let ledger = ledger_pushed(&data);
    let keys: HashSet<&String> = ledger.keys().collect();
    assert_eq!(keys, org.keys().collect::<HashSet<_>>());

    let out = run_to_end(&mut command(
        &sandbox,
        &data,
        &["undo", PLAN_ID, "--yes", "--json"],
    ));
    assert_eq!(out["failed"], 0, "{out}");
    assert!(org_cases(&sandbox).await.is_empty());
    sandbox.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_operator_on_the_same_plan_is_refused_with_the_holder() {
    let sandbox = Sandbox::start(SandboxConfig {
        latency_ms: 200,
        ..Default::default()
    })
    .await
    .expect("sandbox");
    let dir = tempfile::tempdir().expect("temp dir");
    let plan = write_plan(dir.path(), 1000);
    let data = dir.path().join("data");
    let push = [
        "push",
        plan.as_str(),
        "--yes",
        "--json",
        "--concurrency",
        "1",
    ];
    let first = command(&sandbox, &data, &push).spawn().expect("first push");
    // Wait until the first one holds the lock (its intents are in the ledger).
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let busy = Ledger::open(&data.join("ledger.sqlite3"))
            .and_then(|l| l.pending_intents(PLAN_ID))
            .map(|p| !p.is_empty())
            .unwrap_or(false);
        if busy {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the first push never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = command(&sandbox, &data, &push)
        .output()
        .expect("second push");
    let text = String::from_utf8_lossy(&second.stderr).to_string()
        + &String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(1), "{text}");
    assert!(text.contains("being pushed or undone by"), "{text}");
    assert!(
        text.contains(&format!("process {}", first.id())),
        "names the holder: {text}"
    );
    // Read its output while waiting: a full pipe would block it.
    let holder = first.id();
    let output = first.wait_with_output().expect("first finishes");
    assert!(output.status.success(), "process {holder} failed");
    // Once the holder is gone (even killed), nobody is blocked.
    let mut third = command(&sandbox, &data, &push).spawn().expect("third");
    std::thread::sleep(Duration::from_millis(400));
    third.kill().expect("SIGKILL");
    let _ = third.wait();
    run_to_end(&mut command(&sandbox, &data, &push));
    sandbox.stop().await;
}
